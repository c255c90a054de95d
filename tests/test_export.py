"""Tests of notmnist.export: the six course arrays, in .npz and in the course's pickle, provenance beside."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import pickletools
import stat

import numpy as np
import pytest
from conftest import font_name, glyph, png_bytes

from notmnist import _sidefile, dataset, export, sanitise
from notmnist.__main__ import main

SCALE = 0.001  # default splits: train 200, valid 10, test 10; minimum per letter: large 45, small 1


@pytest.fixture
def source(archive_factory, monkeypatch):
    """Small archives whose large one holds every image twice, so valid and test overlap train."""
    top = "notMNIST_large"
    twins = [
        (f"{top}/{letter}/twin-{font_name(label, v)}", png_bytes(glyph(label, v)))
        for label, letter in enumerate("ABCDEFGHIJ")
        for v in range(45)
    ]
    paths = {
        "large": archive_factory("notMNIST_large.tar.gz", per_letter=45, extra=twins),
        "small": archive_factory("notMNIST_small.tar.gz", per_letter=5),  # copies of large's first 5
    }
    src = dataset.DataSource("real", paths, scale=SCALE)
    monkeypatch.setattr(dataset, "locate", lambda source=None, **kw: src)
    return src


@pytest.fixture
def folder(tmp_path):
    """An empty folder for the export (the archives sit in tmp_path)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def check_course_shape(arrays, splits) -> None:
    """The six arrays have the course's keys, shapes, dtypes and value range, and are the splits'."""
    assert list(arrays) == list(export.COURSE_KEYS)  # exactly the six: provenance is beside the file
    for split, (images, labels) in splits.sets.items():
        x, y = arrays[f"{split}_dataset"], arrays[f"{split}_labels"]
        assert x.dtype == np.float32 and x.shape == (len(images), 28, 28)
        assert y.dtype == np.int32 and y.shape == (len(images),)
        assert x.min() >= -0.5 and x.max() <= 0.5
        assert set(np.unique(y)) == set(range(10))
        np.testing.assert_array_equal(x, images)
        np.testing.assert_array_equal(y, labels)


def check_provenance(record: dict, src) -> None:
    """The record names the source, each archive's SHA-256, the seed, the sizes and the version."""
    assert record["source"] == "real"
    assert {a["name"]: a["sha256"] for a in record["archives"]} == {
        p.name: _sidefile.sha256(p) for p in src.paths.values()
    }
    assert record["seed"] == dataset.DEFAULT_SEED
    assert record["sizes"] == {"train": 200, "valid": 10, "test": 10}
    assert record["version"] == dataset.__version__
    assert record["sanitised"] is None


def test_npz_round_trips_in_the_course_shape(source, folder):
    """The default .npz loads with allow_pickle=False: course keys, shapes, dtypes, range, provenance."""
    done = export.export(folder)
    assert done.path == folder / "notMNIST.npz" and done.format == "npz"
    with np.load(done.path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    check_course_shape(arrays, dataset.load_splits())
    check_provenance(json.loads(done.provenance_path.read_text()), source)
    assert done.provenance_path == folder / "notMNIST.npz.provenance.json"


def test_pickle_round_trips_in_the_course_shape(source, folder):
    """--format pickle writes the course's dict: same keys, shapes, dtypes, writable arrays, provenance."""
    done = export.export(folder / "notMNIST.pickle")
    with open(done.path, "rb") as f:
        save = pickle.load(f)  # this test wrote the file
    check_course_shape(save, dataset.load_splits())
    assert all(save[k].flags.writeable for k in export.COURSE_KEYS)
    check_provenance(json.loads((folder / "notMNIST.pickle.provenance.json").read_text()), source)


def test_pickle_names_no_private_numpy_module(source, folder):
    """The pickle refers only to numpy.ndarray and numpy.dtype, so NumPy 1.x can load it too."""
    path = export.export(folder / "notMNIST.pickle").path
    strings = {arg for _op, arg, _pos in pickletools.genops(path.read_bytes()) if isinstance(arg, str)}
    assert {"numpy", "ndarray", "dtype"} <= strings
    assert not [s for s in strings if s.startswith("numpy.")]


def test_sanitised_sets_hold_no_image_of_train(source, folder):
    """--sanitised drops exactly problem 5's images: no valid or test image has an exact copy in train."""
    raw = np.load(export.export(folder).path)
    clean = np.load(export.export(folder, sanitised=True).path)
    train = {row.tobytes() for row in raw["train_dataset"]}
    for split in ("valid", "test"):
        before = sum(row.tobytes() in train for row in raw[f"{split}_dataset"])
        assert before > 0, f"the fixture should put some {split} images in train"
        assert not [row for row in clean[f"{split}_dataset"] if row.tobytes() in train]
    splits = dataset.load_splits()
    keep = sanitise.sanitised(splits)
    np.testing.assert_array_equal(clean["valid_dataset"], splits.valid_images[keep.valid_keep])
    np.testing.assert_array_equal(clean["test_labels"], splits.test_labels[keep.test_keep])
    np.testing.assert_array_equal(clean["train_dataset"], raw["train_dataset"])
    record = json.loads(export.sidecar(folder / "notMNIST_sanitised.npz").read_text())
    assert record["exported"] == {"train": 200, "valid": keep.n_valid, "test": keep.n_test}
    assert record["sanitised"]["test_dropped_identical"] == keep.test_in_train


def test_command_writes_the_file_and_says_what_it_holds(source, folder, capsys):
    """export --sanitised --format pickle into a folder writes notMNIST_sanitised.pickle and lists it."""
    assert main(["export", "--out", str(folder), "--sanitised", "--format", "pickle"]) == 0
    out = capsys.readouterr().out
    path = folder / "notMNIST_sanitised.pickle"
    assert sorted(os.listdir(folder)) == [path.name, path.name + ".provenance.json"]
    assert "Data: real notMNIST archives" in out and f"wrote {path} (pickle" in out
    assert "train_dataset float32 (200, 28, 28)" in out and "test_labels" in out
    assert "sanitised: dropped" in out


def test_format_contradicting_the_suffix_is_refused(source, folder, capsys):
    """--out x.pickle with --format npz is a one-line error naming both, and writes nothing."""
    assert main(["export", "--out", str(folder / "x.pickle"), "--format", "npz"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("notmnist: error: ") and len(err.strip().splitlines()) == 1
    assert ".pickle" in err and "npz" in err
    assert os.listdir(folder) == []


def test_missing_folder_is_a_one_line_error(source, folder, capsys):
    """--out in a folder that does not exist: one line saying so; the folder is not created."""
    out = folder / "no-such-folder" / "notMNIST.npz"
    assert main(["export", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("notmnist: error: ") and len(err.strip().splitlines()) == 1
    assert "no-such-folder does not exist" in err and "Traceback" not in err
    assert os.listdir(folder) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder; run as a normal user")
def test_unwritable_folder_is_a_one_line_error(source, folder, capsys):
    """--out in a folder without write permission: one line saying so, and no file."""
    locked = folder / "read-only"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main(["export", "--out", str(locked / "notMNIST.npz")]) == 1
        err = capsys.readouterr().err
        assert err.startswith("notmnist: error: ") and len(err.strip().splitlines()) == 1
        assert "no permission to write" in err
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("format", export.FORMATS)
def test_a_write_refused_midway_leaves_no_file(source, folder, capsys, monkeypatch, format):
    """If the OS refuses a write halfway (disk full), the error is one line and no partial file is left."""

    class Full:
        """A file that accepts 1 kB, then fails like a full disk."""

        def __init__(self, f):
            self.f, self.written = f, 0

        def write(self, data):
            self.written += len(memoryview(data).cast("B"))
            if self.written > 1_000:
                raise OSError(28, "No space left on device")
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

    real_atomic = export.atomic_write

    @contextlib.contextmanager
    def atomic_write(path, mode="wb"):
        with real_atomic(path, mode) as f:
            yield Full(f)

    monkeypatch.setattr(export, "atomic_write", atomic_write)
    target = folder / f"notMNIST.{format}"
    assert main(["export", "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert err == f"notmnist: error: cannot write {target}: no space left on device; nothing was written\n"
    assert os.listdir(folder) == []


@pytest.mark.parametrize("kind", ["fifo", "symlink", "device"])
def test_out_naming_a_device_fifo_or_link_is_refused(source, folder, capsys, kind):
    """--out naming a device node, a fifo or a symbolic link: one line, and the node is left as it was."""
    target = folder / "notMNIST.npz"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        (folder / "real.npz").write_bytes(b"user's")
        target.symlink_to(folder / "real.npz")
    else:
        try:
            os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a null device, inside tmp_path
        except (PermissionError, OSError) as exc:
            pytest.skip(f"cannot make a device node here ({exc})")
    before = os.lstat(target)
    assert main(["export", "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"notmnist: error: {target} is a ") and len(err.strip().splitlines()) == 1
    assert "not a regular file" in err
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino, after.st_rdev) == (before.st_mode, before.st_ino, before.st_rdev)
    expected = ["notMNIST.npz"] + (["real.npz"] if kind == "symlink" else [])
    assert sorted(os.listdir(folder)) == sorted(expected)


def test_write_refuses_a_node_that_appears_under_the_name(source, folder):
    """export.write itself (not only the command line) never renames over a fifo."""
    target = folder / "x.npz"
    os.mkfifo(target)
    arrays = {k: np.zeros((1, 28, 28) if k.endswith("dataset") else 1) for k in export.COURSE_KEYS}
    with pytest.raises(OSError, match="fifo"):
        export.write(target, arrays, {})
    assert stat.S_ISFIFO(os.lstat(target).st_mode)


def test_stale_temporary_file_of_a_killed_export_is_removed(source, folder):
    """The .part file an interrupted export left beside its target goes with the next export to it."""
    stale = folder / ".notMNIST.npz.ab12cd34.part"
    stale.write_bytes(bytes(1000))
    os.utime(stale, (0, 0))
    fresh = folder / ".notMNIST.npz.zz12cd34.part"  # another export writing right now
    fresh.write_bytes(b"")
    other = folder / ".mine.part"
    other.write_bytes(b"user's")
    export.export(folder / "notMNIST.npz")
    assert not stale.exists() and fresh.exists() and other.exists() and (folder / "notMNIST.npz").exists()
