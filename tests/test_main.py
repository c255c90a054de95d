"""Tests of the command line (python -m notmnist): output for users, one-line errors, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import png_bytes

from notmnist import dataset
from notmnist.__main__ import main

H = "0123456789abcdef0123"  # the key part of a cache entry's name


def test_inspect_prints_counts_skipped_duplicates_and_blanks(archive_factory, capsys):
    """inspect lists per-letter counts, each skipped member with its reason, duplicates and blanks."""
    top = "notMNIST_small"
    extra = [
        (f"{top}/A/empty.png", b""),
        (f"{top}/B/copy.png", png_bytes(np.zeros((28, 28), np.uint8))),
        (f"{top}/C/copy2.png", png_bytes(np.zeros((28, 28), np.uint8))),
    ]
    path = archive_factory(per_letter=4, extra=extra)
    assert main(["inspect", str(path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "42 readable images, 1 skipped" in out
    assert "     B       5" in out and "     A       4" in out
    assert f"{top}/A/empty.png: empty file (0 bytes)" in out
    assert "exact duplicates: 1 group holding 2 images (1 redundant copy)" in out
    assert "near-constant images (blank or solid): 2" in out


def test_inspect_names_the_first_skipped_members_of_a_reason_and_counts_the_rest(archive_factory, capsys):
    """Past the first KEEP members skipped for a reason, inspect says how many more, not each one."""
    from notmnist.archive import Skips

    extra = [(f"notMNIST_small/A/empty{i}.png", b"") for i in range(Skips.KEEP + 30)]
    assert main(["inspect", str(archive_factory(per_letter=2, extra=extra)), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"skipped members: {Skips.KEEP + 30}" in out
    assert out.count(": empty file (0 bytes)") == Skips.KEEP + 1
    assert "  ... and 30 more: empty file (0 bytes)" in out


def test_errors_are_one_line_without_traceback(tmp_path):
    """A bad archive gives one line on stderr, exit status 1, and no traceback."""
    bad = tmp_path / "notMNIST_small.tar.gz"
    bad.write_text("<html><body>Not Found</body></html>")
    run = subprocess.run(
        [sys.executable, "-m", "notmnist", "inspect", str(bad)], capture_output=True, text=True
    )
    assert run.returncode == 1
    assert run.stderr.startswith("notmnist: error: ")
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr and "HTML page" in run.stderr


def test_unknown_subset_is_a_clear_error(tmp_path, capsys):
    """fetch with a typo names the valid subsets."""
    assert main(["fetch", "medium", "--data-home", str(tmp_path)]) == 1
    assert "choose one of large, small" in capsys.readouterr().err


def test_info_shows_data_folder_archives_and_caches(tmp_path, capsys):
    """info names the data folder, the state of each archive and the caches."""
    (tmp_path / "notMNIST_small.tar.gz").write_bytes(b"short")
    (tmp_path / "cache" / f"splits-{H}").mkdir(parents=True)
    np.save(tmp_path / "cache" / f"splits-{H}" / "x.npy", np.zeros(3))
    assert main(["info", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"data folder: {tmp_path}" in out
    assert "notMNIST_large.tar.gz: not in the data folder" in out
    assert (
        "notMNIST_small.tar.gz: " in out and "verified" not in out.split("notMNIST_small")[1].split("\n")[0]
    )
    assert "cache: 1 entry," in out and f"splits-{H}" in out


def test_prepare_prints_provenance_and_split_shapes(archive_factory, tmp_path, monkeypatch, capsys):
    """prepare builds the splits and prints where they came from and their sizes."""
    paths = {
        "large": archive_factory("notMNIST_large.tar.gz", per_letter=60),
        "small": archive_factory("notMNIST_small.tar.gz", per_letter=5),
    }
    monkeypatch.setattr(
        dataset, "locate", lambda source=None, **kw: dataset.DataSource("real", paths, scale=0.001)
    )
    assert main(["prepare", "--data-home", str(tmp_path), "--train", "100", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert "Data: real notMNIST archives" in out and "seed 4" in out
    assert "train:     100 images float32 (28, 28)" in out
    assert "valid:      10 images" in out



def test_clear_cache_removes_entries_but_not_archives(tmp_path, capsys):
    """clear-cache empties the cache folder, says how much went, and leaves the archives alone."""
    (tmp_path / "cache" / f"splits-{H}").mkdir(parents=True)
    np.save(tmp_path / "cache" / f"splits-{H}" / "x.npy", np.zeros(1000))
    (tmp_path / "cache" / f".near-{H}.abcd1234.part").mkdir()
    (tmp_path / "notMNIST_small.tar.gz").write_bytes(b"archive")
    assert main(["clear-cache", "--data-home", str(tmp_path)]) == 0
    assert "removed 1 cache entries" in capsys.readouterr().out
    assert list((tmp_path / "cache").iterdir()) == []
    assert (tmp_path / "notMNIST_small.tar.gz").exists()


def test_info_says_unchecked_and_counts_leftover_temporary_folders(tmp_path, capsys, monkeypatch):
    """A right-size archive never read is "not yet checked"; a killed save's .part folder is listed."""
    from dataclasses import replace

    from notmnist import registry

    archive = tmp_path / "notMNIST_small.tar.gz"
    archive.write_bytes(b"\x1f\x8b" + bytes(98))
    monkeypatch.setitem(registry.ARCHIVES, "small", replace(registry.ARCHIVES["small"], size=100))
    part = tmp_path / "cache" / f".splits-{H}.abcd1234.part"
    part.mkdir(parents=True)
    (part / "train_images.npy").write_bytes(bytes(2_000_000))
    assert main(["info", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "notMNIST_small.tar.gz: size matches, contents not yet checked" in out
    assert "cache: 0 entries" in out
    assert "temporary files and folders (writes interrupted, or running now): 1, 2.0 MB" in out
    assert f"cache/.splits-{H}.abcd1234.part" in out


def test_clear_cache_counts_leftovers_and_fails_on_what_stays(tmp_path, capsys, monkeypatch):
    """clear-cache counts temporary folders it removed, and exits 1 naming entries it could not remove."""
    from notmnist import cache

    for name in (f"splits-{H}", f"near-{H}"):
        (tmp_path / "cache" / name).mkdir(parents=True)
        np.save(tmp_path / "cache" / name / "x.npy", np.zeros(1000))
    (tmp_path / "cache" / f".near-{H}.abcd1234.part").mkdir()
    real_rmtree = cache.shutil.rmtree

    def immutable(path, ignore_errors=False, **kwargs):
        if path.name == f"near-{H}":
            if not ignore_errors:
                raise PermissionError(1, "Operation not permitted")
            return
        real_rmtree(path, ignore_errors=ignore_errors, **kwargs)

    monkeypatch.setattr(cache.shutil, "rmtree", immutable)
    assert main(["clear-cache", "--data-home", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "removed 1 cache entries, 0.0 MB, and 1 temporary files and folders of interrupted writes" in out
    assert err.strip() == (
        f"notmnist: error: could not remove 1 cache entries: near-{H} (Operation not permitted)"
    )
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f"near-{H}"]


def test_clear_cache_leaves_what_it_did_not_make(tmp_path, capsys):
    """Another program's folder, a stray file and a symbolic link in cache/ stay, named; entries go."""
    cache = tmp_path / "cache"
    (cache / "apt").mkdir(parents=True)
    (cache / "apt" / "pkg.deb").write_bytes(b"deb")
    (cache / "notes.txt").write_text("mine")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep").write_bytes(bytes(1000))
    (cache / f"letters-{H}").symlink_to(outside)  # named like an entry, but a link the package never makes
    (cache / f"splits-{H}").mkdir()
    (cache / f"splits-{H}" / "x.npy").write_bytes(b"x")
    assert main(["clear-cache", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "removed 1 cache entries, 0.0 MB" in out
    assert f"left alone (not made by notmnist): apt, letters-{H}, notes.txt" in out
    assert (cache / "apt" / "pkg.deb").read_bytes() == b"deb" and (cache / "notes.txt").exists()
    assert (cache / f"letters-{H}").is_symlink() and (outside / "keep").exists()
    assert not (cache / f"splits-{H}").exists()


def test_leftovers_of_standin_writes_are_listed_and_cleared(tmp_path, capsys):
    """A killed stand-in or side-file write leaves .part files: info lists them, clear-cache removes them."""
    folder = tmp_path / "standin" / "scale-0.02-seed-0"
    folder.mkdir(parents=True)
    (folder / ".notMNIST_large.tar.gz.ab_cd123.part").write_bytes(bytes(3000))
    (folder / "notMNIST_large.tar.gz").write_bytes(b"kept")
    (tmp_path / ".notMNIST_small.tar.gz.sha256.json.x1y2z3w4.part").write_text("{")
    (tmp_path / ".hidden-but-not-ours.part").write_text("user's")
    assert main(["info", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "temporary files and folders (writes interrupted, or running now): 2" in out
    assert "standin/scale-0.02-seed-0/.notMNIST_large.tar.gz.ab_cd123.part" in out
    assert main(["clear-cache", "--data-home", str(tmp_path)]) == 0
    assert "and 2 temporary files and folders of interrupted writes" in capsys.readouterr().out
    assert sorted(p.name for p in folder.iterdir()) == ["notMNIST_large.tar.gz"]
    assert (tmp_path / ".hidden-but-not-ours.part").exists()


def test_leftover_of_a_killed_download_is_listed_and_cleared(tmp_path, capsys):
    """A download killed midway leaves its temporary file, named as every temporary file of the package:
    info lists it, clear-cache removes it; a file of the user's named otherwise is left alone."""
    from notmnist import _io

    fd, part = _io.temporary_file(tmp_path / "notMNIST_small.tar.gz")  # as fetch names its download
    os.write(fd, bytes(2000))
    os.close(fd)
    mine = [tmp_path / "notMNIST_small.tar.gz.abcd1234.part", tmp_path / ".notMNIST_small.tar.gz.part"]
    for path in mine:
        path.write_text("user's")
    assert main(["info", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "temporary files and folders (writes interrupted, or running now): 1" in out
    assert f"  {part.name}: 0.0 MB" in out
    assert main(["clear-cache", "--data-home", str(tmp_path)]) == 0
    assert "and 1 temporary files and folders of interrupted writes" in capsys.readouterr().out
    assert not part.exists() and all(path.read_text() == "user's" for path in mine)


@pytest.mark.parametrize(
    ("argv", "option", "why"),
    [
        (["prepare", "--train", "0"], "--train", "at least 10, got 0"),
        (["prepare", "--valid", "15"], "--valid", "multiple of 10"),
        (["prepare", "--seed", "-1"], "--seed", "expected a seed of at least 0, got -1"),
        (["standin", "--seed", "x"], "--seed", "expected an integer, got 'x'"),
        (["inspect", "a.tar.gz", "--jobs", "0"], "--jobs", "at least 1, got 0"),
    ],
)
def test_bad_option_values_name_the_option(argv, option, why, capsys):
    """--train 0, a negative seed or --jobs 0 are refused by the parser, naming the option."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: " in err and why in err, err


def test_too_small_standin_scale_is_refused_at_the_start(tmp_path, monkeypatch, capsys):
    """NOTMNIST_STANDIN_SCALE=1e-9 ends in one line giving the minimum scale, before any rendering."""
    monkeypatch.setenv("NOTMNIST_STANDIN_SCALE", "1e-9")
    assert main(["prepare", "--source", "standin", "--data-home", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "must be between 0.001" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "standin").exists()


def test_broken_pipe_exits_quietly(tmp_path):
    """info | head -1: no error message, no traceback, exit status 141 as for a Unix tool."""
    for i in range(4000):  # more output than a pipe holds
        (tmp_path / "cache" / f"near-{i:020d}").mkdir(parents=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "notmnist", "info", "--data-home", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline().startswith(b"data folder:")
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert err == b""


@pytest.mark.slow
def test_standin_report_prints_every_fidelity_row(tmp_path, capsys):
    """`standin --report` renders a stand-in and prints each statistic beside the real figure."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = tmp_path / "standin"
        assert main(["standin", "--scale", "0.01", "--out", str(out), "--report"]) in (0, None)
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.startswith("test: share with an identical copy in train"))
    real, ours = row.split()[-2:]
    assert real == "0.132" and 0 <= float(ours) <= 1
    assert any(line.startswith("logistic regression, 1,000 training images") for line in lines)
