"""Tests of notmnist.standin: layout, counts, quirks, determinism, reuse, fonts."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from notmnist import standin
from notmnist.archive import read_archive
from notmnist.registry import ARCHIVES, LETTERS
from notmnist.standin import fonts as standin_fonts
from notmnist.standin import render, write

SCALE = 0.002  # 106 large and 4 small images per letter
pytestmark = pytest.mark.filterwarnings("ignore:the offline stand-in is rendered from only")


@pytest.fixture(scope="module")
def fonts() -> list[Path]:
    """A few of matplotlib's bundled fonts: present wherever the package is installed."""
    names = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSansMono.ttf"]
    return [standin_fonts._bundled_font(name) for name in names]


@pytest.fixture(scope="module")
def written(tmp_path_factory, fonts) -> dict[str, Path]:
    """One tiny stand-in, shared by the read-only tests."""
    return standin.write_standin(
        tmp_path_factory.mktemp("standin"), scale=SCALE, seed=7, fonts=fonts, n_jobs=1
    )


def _members(path: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(path, "r:gz") as tar:
        return tar.getmembers()


def _files(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_layout_matches_the_real_archives(written):
    """Each archive has one top folder with A..J of base64-named 28x28 greyscale PNGs."""
    for subset, path in written.items():
        top = ARCHIVES[subset].top_folder
        assert path.name == ARCHIVES[subset].filename
        members = _members(path)
        dirs = [m.name for m in members if m.isdir()]
        assert dirs == [top] + [f"{top}/{letter}" for letter in LETTERS]
        for name, data in _files(path).items():
            parts = name.split("/")
            assert len(parts) == 3 and parts[0] == top and parts[1] in LETTERS
            font_name = base64.b64decode(parts[2].removesuffix(".png")).decode("utf-8")
            assert font_name.rsplit(".", 1)[-1].lower() in {"ttf", "otf", "pfb"}
            if data:
                with Image.open(io.BytesIO(data)) as im:
                    assert (im.format, im.mode, im.size) == ("PNG", "L", (28, 28))


def test_counts_per_letter_follow_the_scale(written):
    """Readable images per letter are round(real count * scale)."""
    for subset, path in written.items():
        letters = read_archive(path, n_jobs=1)
        expected = {k: round(n * SCALE) for k, n in zip(LETTERS, ARCHIVES[subset].counts)}
        assert letters.counts == expected


def test_zero_byte_files_are_planted_and_skipped(written):
    """The real unreadable files are zero-byte PNGs that read_archive reports as skipped."""
    for subset, path in written.items():
        empty = [n for n, data in _files(path).items() if not data]
        per_letter = {k: sum(n.split("/")[1] == k for n in empty) for k in LETTERS}
        assert {k: v for k, v in per_letter.items() if v} == standin.ZERO_BYTE[subset]
        skipped = read_archive(path, n_jobs=1).skipped
        assert sorted(s.member for s in skipped) == sorted(empty)
        assert all("0 bytes" in s.reason for s in skipped)


def test_duplicates_within_and_across_archives(written):
    """The same rendering appears under two names in large, and small copies large images."""
    large = read_archive(written["large"], n_jobs=1)
    small = read_archive(written["small"], n_jobs=1)
    flat = large.images.reshape(len(large), -1)
    _, counts = np.unique(flat, axis=0, return_counts=True)
    assert (counts > 1).any()
    seen = {img.tobytes() for img in large.images}
    assert any(img.tobytes() in seen for img in small.images)


def test_small_shares_letters_never_pictures_and_few_fonts_plant_near_copies(fonts, tmp_path):
    """Small copies only letters of large; with few fonts it also holds faint variants of large designs."""
    designs, plan = write._plan(0.02, 5, fonts)
    ids = {s: [d for L in LETTERS for _, d in plan[s][L] if d >= 0] for s in plan}
    large = set(ids["large"])
    assert any(render._symbol(designs[d]) >= 0 for d in large)  # the large set has its label noise
    shared = [d for d in ids["small"] if d in large]
    assert shared and not any(render._symbol(designs[d]) >= 0 for d in shared)
    shapes = {designs[d][:-1]: designs[d] for d in large}  # a design but its tone (greys)
    near = [d for d in ids["small"] if d not in large and designs[d][:-1] in shapes]
    assert near and not any(render._symbol(designs[d]) >= 0 for d in near)
    paths = [str(f) for f in fonts]
    original = shapes[designs[near[0]][:-1]]
    a, b = (render._render_glyph(d, 4, paths).astype(int) for d in (designs[near[0]], original))
    assert 0 < np.abs(a - b).mean() < 6  # faint: greys moved, the shape kept
    many = _fake_fonts(tmp_path, {f"f{i}": 1 for i in range(2000)})
    designs, plan = write._plan(0.02, 5, many)
    ids = {s: {d for L in LETTERS for _, d in plan[s][L] if d >= 0} for s in plan}
    shapes = {designs[d][:-1] for d in ids["large"]}
    assert not [d for d in ids["small"] - ids["large"] if designs[d][:-1] in shapes]  # enough fonts: none


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path, fonts, written):
    """Same seed and fonts give byte-identical archives, in parallel too; another seed differs."""
    again = standin.write_standin(tmp_path / "again", scale=SCALE, seed=7, fonts=fonts, n_jobs=2)
    other = standin.write_standin(tmp_path / "other", scale=SCALE, seed=8, fonts=fonts, n_jobs=1)
    for subset in ARCHIVES:
        assert again[subset].read_bytes() == written[subset].read_bytes()
        assert other[subset].read_bytes() != written[subset].read_bytes()


def test_gzip_and_tar_headers_are_fixed(written):
    """The gzip header has mtime 0 and tar members a fixed owner and date."""
    raw = written["small"].read_bytes()
    assert raw[4:8] == b"\0\0\0\0"
    with gzip.open(written["small"]) as gz:
        gz.read(1)
    for m in _members(written["small"]):
        assert (m.uid, m.gid, m.uname, m.gname, m.mtime) == (0, 0, "root", "root", write._TAR_MTIME)


def test_manifest_describes_the_folder(written, fonts):
    """The manifest records scale, seed, font hash, counts and planted quirks."""
    manifest = json.loads((written["large"].parent / standin.MANIFEST).read_text())
    assert manifest["scale"] == SCALE and manifest["seed"] == 7
    assert manifest["fonts_hash"] == standin.fonts_hash(fonts)
    assert manifest["fonts"] == len(fonts)
    expected = sum(round(n * SCALE) for n in ARCHIVES["small"].counts)
    assert sum(manifest["counts"]["small"].values()) == expected
    assert len(manifest["zero_byte"]["large"]) == 5 and len(manifest["zero_byte"]["small"]) == 2


def test_complete_folder_is_reused_without_rendering(tmp_path, fonts, monkeypatch):
    """A folder with a matching manifest is returned as is; nothing is rendered."""
    paths = standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    stamps = {s: p.stat().st_mtime_ns for s, p in paths.items()}

    def fail(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(render, "_render_designs", fail)
    assert standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1) == paths
    assert {s: p.stat().st_mtime_ns for s, p in paths.items()} == stamps
    with pytest.raises(AssertionError, match="rendered again"):
        standin.write_standin(tmp_path, scale=SCALE, seed=2, fonts=fonts, n_jobs=1)


def test_an_interrupted_render_is_rendered_again(tmp_path, fonts, monkeypatch):
    """A render killed between its two archives leaves an incomplete manifest: the next run renders again."""
    paths = standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    good = {s: p.read_bytes() for s, p in paths.items()}
    real_write_tar = write._write_tar

    def killed_after_the_first(path, *args):
        real_write_tar(path, *args)
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "_write_tar", killed_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        standin.write_standin(tmp_path, scale=SCALE, seed=2, fonts=fonts, n_jobs=1)
    assert standin.read_manifest(tmp_path) is None  # incomplete: never reused
    monkeypatch.setattr(write, "_write_tar", real_write_tar)
    standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    assert {s: p.read_bytes() for s, p in paths.items()} == good
    assert standin.read_manifest(tmp_path)["seed"] == 1
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob("*.invalid"))


def test_bad_arguments_give_clear_errors(tmp_path, fonts):
    """A scale outside (0, 1] or a missing font file is refused with a one-line message."""
    with pytest.raises(ValueError, match="scale must be in"):
        standin.write_standin(tmp_path, scale=0, fonts=fonts)
    with pytest.raises(ValueError, match="font file not found"):
        standin.write_standin(tmp_path, scale=SCALE, fonts=[tmp_path / "nope.ttf"])
    with pytest.raises(ValueError, match="no usable font"):
        standin.write_standin(tmp_path, scale=SCALE, fonts=[])


def test_render_glyph_fills_the_box_white_on_black(fonts):
    """A plain design gives a 28x28 uint8 glyph touching all four borders, mostly dark."""
    # (font, weight, shear, angle, outline, shadow, invert, kind, symbol, px, warp, crop, blur, tone):
    # kind 0 is a plain glyph, symbol -1 draws the letter itself
    design = (0, 0.4, 0.0, 0.0, 0, 0, False, 0, -1, 48, 0.0, 0.6, 0.0, 0.0)
    glyph = render._render_glyph(design, LETTERS.index("C"), [str(f) for f in fonts])
    assert glyph.shape == (28, 28) and glyph.dtype == np.uint8
    ink = glyph > 0
    assert ink[0].any() and ink[-1].any() and ink[:, 0].any() and ink[:, -1].any()
    assert (glyph > 127).mean() < 0.5


def test_weight_steps_bring_the_reference_letter_nearest_the_target(fonts):
    """The design's E gets the dilations that bring its bright share nearest the target."""
    font = str(fonts[0])  # DejaVu Sans, a regular weight
    shares = render._step_shares(font, 0, 0, 48)
    assert len(shares) == render._MAX_STEPS + 1
    assert list(shares) == sorted(shares)  # dilations add ink
    for target in (0.15, 0.3, 0.5, 0.7):
        reached = shares[render._weight_steps(font, 0, 0, target)]
        assert all(abs(reached - target) <= abs(s - target) for s in shares)
    assert render._weight_steps(font, 0, 0, 0.7) > render._weight_steps(font, 0, 0, 0.3)
    # A bold target gives a mostly bright glyph, as a third of real glyphs are.
    bold = (0, 0.7, 0.0, 0.0, 0, 0, False, 0, -1, 48, 0.0, 0.6, 0.0, 0.0)
    assert (render._render_glyph(bold, LETTERS.index("E"), [font]) > 127).mean() > 0.5


def test_plain_stretched_i_is_a_solid_block(fonts):
    """A sans-serif I stretched to the box is all white, as in the real set: cropped at its ink's edge."""
    design = (0, 0.4, 0.0, 0.0, 0, 0, False, 0, -1, 48, 0.0, 0.6, 0.0, 0.0)
    glyph = render._render_glyph(design, LETTERS.index("I"), [str(fonts[0])])
    assert (glyph > 200).mean() > 0.9


def test_font_verdicts(tmp_path, fonts):
    """Letter fonts are usable; a file that is no font is not."""
    assert standin_fonts._font_verdict(fonts[0]) == "letters"
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    assert standin_fonts._font_verdict(junk) == "unusable"


def test_find_fonts_is_sorted_and_usable():
    """find_fonts returns existing font files, de-duplicated and in a stable order."""
    found = standin.find_fonts()
    assert found and all(p.is_file() for p in found)
    assert found == standin.find_fonts()
    assert len({standin_fonts._file_hash(p) for p in found}) == len(found)
    assert any(p.name == "DejaVuSans.ttf" for p in found)


@pytest.mark.slow
def test_workers_do_not_rerun_an_unguarded_main(tmp_path, fonts):
    """A script without a main guard (a gallery page) can render in parallel."""
    script = tmp_path / "page.py"
    script.write_text(textwrap.dedent(f"""
        from notmnist import standin
        print("page ran")
        standin.write_standin({str(tmp_path / "out")!r}, scale={SCALE}, fonts={[str(f) for f in fonts]!r})
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("page ran") == 1


def test_font_hashes_are_remembered_until_the_file_changes(tmp_path):
    """A font file is re-hashed when it changes, even with its size and mtime put back, and only then."""
    font = tmp_path / "font.ttf"
    font.write_bytes(b"first")
    first = standin_fonts._file_hash(font)
    standin_fonts._known_hashes()[str(font)]["sha256"] = "f" * 64  # believed while the file is unchanged
    assert standin_fonts._file_hash(font) == "f" * 64
    stamp = font.stat().st_mtime_ns
    font.write_bytes(b"other")  # same size; the old mtime put back: changed all the same
    os.utime(font, ns=(stamp, stamp))
    assert standin_fonts._file_hash(font) == hashlib.sha256(b"other").hexdigest() != first
    font.write_bytes(b"longer content")
    assert standin_fonts._file_hash(font) == hashlib.sha256(b"longer content").hexdigest()


def test_truncated_archive_is_rendered_again(tmp_path, fonts):
    """A stand-in archive cut short after its manifest was written is rendered again, not reused."""
    paths = standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    good = paths["small"].read_bytes()
    paths["small"].write_bytes(good[: len(good) // 2])
    standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    assert paths["small"].read_bytes() == good
    expected = sum(round(n * SCALE) for n in ARCHIVES["small"].counts)
    assert len(read_archive(paths["small"], n_jobs=1)) == expected


def test_an_edit_of_the_rendering_code_renders_again(tmp_path):
    """Changing a constant in render.py (of a copy of the package) renders the stand-in again."""
    import shutil

    import notmnist

    package = tmp_path / "pkg" / "notmnist"
    shutil.copytree(Path(notmnist.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import warnings
        warnings.simplefilter("ignore")
        from notmnist.standin import fonts, render, write
        names = ["DejaVuSans.ttf", "DejaVuSerif-Italic.ttf"]
        calls = []
        real = render._render_designs
        render._render_designs = lambda *a, **k: calls.append(1) or real(*a, **k)
        write.write_standin({str(out)!r}, scale={SCALE}, seed=1, n_jobs=1,
                            fonts=[fonts._bundled_font(n) for n in names])
        print("rendered" if calls else "reused")
    """)
    env = {**os.environ, "PYTHONPATH": str(package.parent), "NOTMNIST_DATA_DIR": str(tmp_path / "data")}

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run() == "rendered"
    assert run() == "reused"
    render_py = package / "standin" / "render.py"
    source = render_py.read_text()
    assert "_RENDER_PX = 48" in source
    render_py.write_text(source.replace("_RENDER_PX = 48", "_RENDER_PX = 47"))
    assert run() == "rendered"
    assert run() == "reused"


def test_real_archives_in_the_out_folder_are_never_overwritten(tmp_path, fonts):
    """A folder without a stand-in manifest that holds an archive: refused, the file untouched."""
    real = tmp_path / "notMNIST_small.tar.gz"
    real.write_bytes(b"\x1f\x8b" + b"published bytes" * 100)
    before = real.read_bytes()
    with pytest.raises(write.NotOurs, match="was not written by the stand-in"):
        standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    assert real.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notMNIST_small.tar.gz"]


def test_out_folder_refusal_is_one_line_on_the_command_line(tmp_path, capsys, monkeypatch):
    """`standin --out <data folder>` holding the real archive: one line, status 1, archive kept."""
    from notmnist.__main__ import main

    real = tmp_path / "notMNIST_large.tar.gz"
    real.write_bytes(b"\x1f\x8b" + bytes(1000))
    monkeypatch.setenv("NOTMNIST_STANDIN_FONTS", "matplotlib")
    assert main(["standin", "--scale", str(SCALE), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"notmnist: error: {real} was not written by the stand-in") and err.count("\n") == 1
    assert real.read_bytes() == b"\x1f\x8b" + bytes(1000)


def test_an_archive_replaced_in_a_standin_folder_is_moved_aside(tmp_path, fonts):
    """In a stand-in folder, an archive unlike its manifest's record is kept as .invalid, then re-rendered."""
    paths = standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    good = paths["small"].read_bytes()
    paths["small"].write_bytes(b"someone else's file")
    standin.write_standin(tmp_path, scale=SCALE, seed=2, fonts=fonts, n_jobs=1)  # another key: a new render
    assert (tmp_path / "notMNIST_small.tar.gz.invalid").read_bytes() == b"someone else's file"
    assert paths["small"].read_bytes() != good and read_archive(paths["small"], n_jobs=1)


@pytest.mark.parametrize("content", ["null", "[]", "{}", "[" * 100_000 + "]" * 100_000, "\xff"])
def test_a_manifest_that_is_not_one_is_rewritten_with_a_warning(tmp_path, fonts, content):
    """standin.json holding null, [], {}, deep nesting or junk: a warning and a new stand-in, no traceback."""
    paths = standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    (tmp_path / write.MANIFEST).write_text(content, encoding="latin-1")
    with pytest.warns(UserWarning, match="standin.json"):
        again = standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    assert again == paths and standin.read_manifest(tmp_path)["seed"] == 1


def test_a_fifo_in_place_of_the_manifest_is_refused_without_waiting(tmp_path, fonts):
    """A fifo named standin.json is never opened for a blocking read: one error naming it."""
    os.mkfifo(tmp_path / write.MANIFEST)
    with pytest.warns(UserWarning, match="fifo"), pytest.raises(OSError, match="fifo"):
        standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)


def test_variety_grows_as_fonts_get_fewer():
    """Designs vary most with a few dozen fonts and not at all with a thousand."""
    assert render._variety(24) == 1.0 and render._variety(1258) == 0.0
    assert 0 < render._variety(200) < render._variety(60) < 1
    rng = np.random.default_rng(0)
    many = render._random_designs(rng, 500, 2000, 0.0)
    few = render._random_designs(rng, 500, 5, 0.0)
    assert all(d[9] == 48 and d[10] == 0 and d[12] == 0 for d in many)
    assert np.mean([d[2] != 0 for d in few]) > np.mean([d[2] != 0 for d in many]) + 0.3
    assert len({d[9] for d in few}) > 3
    rng = np.random.default_rng(1)
    inverted = [np.mean([d[6] for d in render._random_designs(rng, 20_000, k, 0.0)]) for k in (2000, 5)]
    assert inverted[1] > 2 * inverted[0]  # inverted designs: what a linear model cannot learn away


def _fake_fonts(root: Path, folders: dict[str, int]) -> list[Path]:
    return [root / folder / f"{folder}-{i}.ttf" for folder, n in folders.items() for i in range(n)]


def test_font_weights_keep_one_collection_from_dominating(tmp_path):
    """A font in a folder of n weighs 1/sqrt(n): a collection of 16 counts like 4 lone fonts."""
    fonts = _fake_fonts(tmp_path, {"collection": 16, "lone": 1, "pair": 2})
    w = standin.font_weights(fonts)
    assert w.shape == (19,) and np.isclose(w.sum(), 1.0)
    assert np.isclose(w[:16].sum(), 4 * w[16]) and np.isclose(w[17], w[16] / np.sqrt(2))
    same = standin.font_weights(_fake_fonts(tmp_path, {"one": 5}))
    assert np.allclose(same, 0.2)


def test_designs_are_drawn_with_the_font_weights(tmp_path):
    """The plan draws fonts by their weights: a lone font gets its share, not 1/n of the designs."""
    fonts = _fake_fonts(tmp_path, {"collection": 36, "lone": 1})  # lone: 1/(1+6) of the designs
    designs, _ = write._plan(0.05, 3, fonts)
    share = np.mean([d[0] == 36 for d in designs])
    assert abs(share - 1 / 7) < 0.02, share  # uniform would give 1/37


def test_slanted_designs_aim_bolder():
    """A slanted design aims bolder in proportion to its slant: slanting widens the box it fills."""
    designs = render._random_designs(np.random.default_rng(0), 20_000, 24, 0.0)
    weight, slant = np.array([d[1] for d in designs]), np.abs([d[2] for d in designs])
    upright, slanted = weight[slant == 0].mean(), weight[slant > 0.2].mean()
    assert slanted > upright * (1 + render._SLANT_BOLD * 0.2)


def test_fonts_hash_follows_grouping_not_folder_names(tmp_path, fonts):
    """Regrouping the same font files changes the hash; renaming their folders does not."""
    import shutil

    def place(layout: dict[str, list[int]]) -> list[Path]:
        out = []
        for folder, picks in layout.items():
            (tmp_path / folder).mkdir(parents=True, exist_ok=True)
            for i in picks:
                out.append(Path(shutil.copy(fonts[i], tmp_path / folder)))
        return sorted(out, key=lambda p: p.name)

    together = standin.fonts_hash(place({"a/together": [0, 1, 2]}))
    renamed = standin.fonts_hash(place({"b/elsewhere": [0, 1, 2]}))
    apart = standin.fonts_hash(place({"c/one": [0], "c/two": [1, 2]}))
    assert together == renamed != apart


def test_few_fonts_warn_once(tmp_path, fonts, monkeypatch):
    """Fewer fonts than FEW_FONTS give one warning per process, naming the count."""
    monkeypatch.setattr(standin_fonts, "_warned", set())
    with pytest.warns(UserWarning, match=f"only {len(fonts)} fonts"):
        standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        standin.write_standin(tmp_path / "again", scale=SCALE, seed=1, fonts=fonts, n_jobs=1)


def test_matplotlib_font_set_is_bundled_fonts_only(tmp_path):
    """find_fonts("matplotlib") returns only matplotlib's bundled fonts; a bad set name is refused,
    by find_fonts and by write_standin alike (not read as a list of one-letter file names)."""
    import matplotlib

    bundled = Path(matplotlib.get_data_path())
    found = standin.find_fonts("matplotlib")
    assert found and all(bundled in p.parents for p in found)
    with pytest.raises(ValueError, match="unknown font set"):
        standin.find_fonts("some")
    with pytest.raises(ValueError, match="unknown font set 'some'"):
        standin.write_standin(tmp_path, fonts="some")


def test_font_set_env_var_is_read_by_config(monkeypatch):
    """NOTMNIST_STANDIN_FONTS chooses the font set; an unknown value is a one-line error naming it."""
    from notmnist import config

    monkeypatch.setenv("NOTMNIST_STANDIN_FONTS", "matplotlib")
    assert config.standin_fonts() == "matplotlib"
    assert config.standin_fonts("all") == "all"
    monkeypatch.setenv("NOTMNIST_STANDIN_FONTS", "comic")
    with pytest.raises(ValueError, match="NOTMNIST_STANDIN_FONTS"):
        config.standin_fonts()


@pytest.mark.parametrize("content", ["[]", "null", "[" * 100_000 + "]" * 100_000])
@pytest.mark.parametrize("which", ["verdicts", "hashes"])
def test_a_font_cache_that_is_not_one_is_rebuilt_with_a_warning(tmp_path, monkeypatch, which, content):
    """A font cache (verdicts or hashes) holding [], null or deep nesting: a warning, the fonts found."""
    monkeypatch.setenv("NOTMNIST_DATA_DIR", str(tmp_path))
    standin_fonts._known_hashes.cache_clear()
    file = standin_fonts._verdict_cache_file() if which == "verdicts" else standin_fonts._hash_cache_file()
    file.write_text(content)
    try:
        with pytest.warns(UserWarning, match="font cache .* is unreadable"):
            fonts = standin_fonts.find_fonts("matplotlib")
    finally:
        standin_fonts._known_hashes.cache_clear()
    assert len(fonts) >= 10
    assert isinstance(json.loads(file.read_text()), dict)  # rewritten as a cache


def test_a_font_cache_ruling_out_every_font_is_not_believed(tmp_path, monkeypatch):
    """Verdicts marking every font unusable (a damaged cache) are checked again, not "install some fonts"."""
    monkeypatch.setenv("NOTMNIST_DATA_DIR", str(tmp_path))
    standin_fonts._known_hashes.cache_clear()
    try:
        found = standin_fonts.find_fonts("matplotlib")
        verdicts = json.loads(standin_fonts._verdict_cache_file().read_text())
        standin_fonts._verdict_cache_file().write_text(json.dumps(dict.fromkeys(verdicts, "unusable")))
        assert standin_fonts.find_fonts("matplotlib") == found
    finally:
        standin_fonts._known_hashes.cache_clear()


def test_a_full_disk_while_writing_names_the_archive(tmp_path, fonts, monkeypatch):
    """ENOSPC while an archive is written: the error names that archive, and no temporary file is left."""

    class Full(write.gzip.GzipFile):
        def write(self, data):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(write.gzip, "GzipFile", Full)
    with pytest.raises(OSError, match="No space left on device") as caught:
        standin.write_standin(tmp_path, scale=SCALE, seed=1, fonts=fonts, n_jobs=1)
    assert caught.value.filename == str(tmp_path / "notMNIST_large.tar.gz")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
