"""The disk cache: keys, atomic entries, read-only arrays, unreadable entries, lost races."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from notmnist import cache


def arrays():
    return {"big": np.arange(cache.MMAP_BYTES // 8 + 1, dtype=np.int64), "small": np.array([1.5, 2.5])}


def test_memo_computes_once_then_reads(tmp_path):
    """The first call computes and saves; the second reads the entry without computing."""
    calls = []

    def compute():
        calls.append(1)
        return arrays()

    first, hit1 = cache.memo("thing", ("a", 1), ("big", "small"), compute, data_home=tmp_path)
    second, hit2 = cache.memo("thing", ("a", 1), ("big", "small"), compute, data_home=tmp_path)
    assert (hit1, hit2, len(calls)) == (False, True, 1)
    for name, expected in arrays().items():
        np.testing.assert_array_equal(first[name], expected)
        np.testing.assert_array_equal(second[name], expected)


def test_other_parts_make_another_entry(tmp_path):
    """Any change of the key's parts computes again, in a new entry."""
    cache.memo("thing", ("a", 1), ("big", "small"), arrays, data_home=tmp_path)
    _, hit = cache.memo("thing", ("a", 2), ("big", "small"), arrays, data_home=tmp_path)
    assert not hit
    assert len(cache._entries(tmp_path)) == 2


def test_large_arrays_are_read_only_memory_maps(tmp_path):
    """Big arrays come back memory-mapped, and no array of an entry can be written to."""
    for _ in range(2):  # computed, then read
        got, _ = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
        assert type(got["big"]) is np.ndarray and isinstance(got["big"].base, np.memmap)
        assert not isinstance(got["small"].base, np.memmap)
        for array in got.values():
            with pytest.raises(ValueError, match="read-only"):
                array[0] = 0


def test_failed_compute_leaves_no_entry(tmp_path):
    """An error while computing leaves neither an entry nor a temporary folder."""

    def broken():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.memo("thing", (), ("big",), broken, data_home=tmp_path)
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []


def test_failed_save_leaves_no_partial_entry(tmp_path, monkeypatch):
    """A save that fails half-way (disk full) leaves nothing under the entry's name."""
    real_save = np.save
    written = []

    def save_then_fail(file, array, **kwargs):
        if written:
            raise OSError(28, "No space left on device")
        written.append(file)
        real_save(file, array, **kwargs)

    monkeypatch.setattr(np, "save", save_then_fail)
    with pytest.warns(UserWarning, match="could not cache thing"):
        got, hit = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    np.testing.assert_array_equal(got["small"], arrays()["small"])
    assert not hit and list((tmp_path / "cache").iterdir()) == []


def test_wrong_names_from_compute_are_a_bug_report(tmp_path):
    """compute() must return exactly the promised arrays."""
    with pytest.raises(RuntimeError, match="expected"):
        cache.memo("thing", (), ("big", "other"), arrays, data_home=tmp_path)


def test_unreadable_entry_is_rebuilt_with_a_warning(tmp_path):
    """A truncated array file is named in a warning and the entry is computed again."""
    cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    (entry,) = (tmp_path / "cache").iterdir()
    big = entry / "big.npy"
    big.write_bytes(big.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="unreadable"):
        got, hit = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    assert not hit
    np.testing.assert_array_equal(got["big"], arrays()["big"])


def test_pickled_arrays_are_refused(tmp_path):
    """An entry holding an object array (a pickle) is unreadable, never unpickled."""
    cache.memo("thing", (), ("small",), lambda: {"small": np.ones(2)}, data_home=tmp_path)
    (entry,) = (tmp_path / "cache").iterdir()
    np.save(entry / "small.npy", np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.warns(UserWarning, match="unreadable"):
        got, _ = cache.memo("thing", (), ("small",), lambda: {"small": np.ones(2)}, data_home=tmp_path)
    np.testing.assert_array_equal(got["small"], np.ones(2))


def test_lost_race_keeps_the_winners_entry(tmp_path, monkeypatch):
    """When another process renames its entry first, ours is dropped and theirs is returned."""
    path = tmp_path / "cache" / f"thing-{cache.key('thing')}"
    real_rename = os.rename

    def other_process_wins(src, dst):
        monkeypatch.setattr(os, "rename", real_rename)
        cache._save(path, {"big": arrays()["big"], "small": np.array([9.0, 9.0])})
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", other_process_wins)
    got, _ = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    np.testing.assert_array_equal(got["small"], [9.0, 9.0])
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [path.name]


@pytest.mark.parametrize("cache_folder", ["absent", "present"])
def test_read_only_data_folder_computes_without_caching_and_warns_once(tmp_path, monkeypatch, cache_folder):
    """Read-only data folder, with or without cache/: one warning for the process, right arrays, no entry."""
    import pathlib
    import warnings

    if cache_folder == "present":
        (tmp_path / "cache").mkdir()
    real_mkdir = pathlib.Path.mkdir

    def read_only_mkdir(self, *args, **kwargs):
        if self == tmp_path / "cache" and not self.exists():
            raise PermissionError(1, "Operation not permitted")
        return real_mkdir(self, *args, **kwargs)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pathlib.Path, "mkdir", read_only_mkdir)
    monkeypatch.setattr(cache.tempfile, "mkdtemp", denied)
    monkeypatch.setattr(cache, "_UNWRITABLE", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for kind in ("thing", "other", "thing"):
            got, hit = cache.memo(kind, (), ("small",), lambda: {"small": np.ones(2)}, data_home=tmp_path)
            np.testing.assert_array_equal(got["small"], np.ones(2))
            assert not hit and not got["small"].flags.writeable
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "computing without the cache" in messages[0], messages
    assert cache._entries(tmp_path) == []


def test_fingerprint_sees_bytes_dtype_and_shape():
    """Arrays with other bytes, another dtype or another shape never share a fingerprint."""
    a = np.arange(12, dtype=np.float32)
    b = a.copy()
    b[5] = np.nextafter(b[5], np.float32(100))
    prints = {
        cache._fingerprint(a),
        cache._fingerprint(b),
        cache._fingerprint(a.view(np.int32)),
        cache._fingerprint(a.reshape(3, 4)),
        cache._fingerprint(a, a[:0]),
    }
    assert len(prints) == 5
    assert cache._fingerprint(a) == cache._fingerprint(a.copy())
    assert cache._fingerprint(a.reshape(3, 4)[:, ::2]) == cache._fingerprint(a.reshape(3, 4)[:, ::2].copy())


def test_code_hash_follows_the_source():
    """The code hash depends on which modules, and on their text."""
    assert cache.code_hash("cache.py") != cache.code_hash("cache.py", "registry.py")
    assert cache.code_hash("cache.py") == cache.code_hash("cache.py")


def test_views_of_entries_are_fingerprinted_by_place(tmp_path, monkeypatch):
    """Read-only views of a mapped entry are keyed by place, not read; distinct views stay distinct."""
    got, _ = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    big = got["big"]
    views = [big, big[:10], big[1:11], big[::2], big.reshape(-1, 1)]
    hashed = []
    real_sha256 = cache.hashlib.sha256

    class Recording:
        def __init__(self):
            self.inner = real_sha256()

        def update(self, data):
            hashed.append(memoryview(data).nbytes)
            self.inner.update(data)

        def hexdigest(self):
            return self.inner.hexdigest()

    monkeypatch.setattr(cache.hashlib, "sha256", Recording)
    prints = [cache._fingerprint(v) for v in views]
    assert sum(hashed) < 1000  # no array bytes were read
    assert len(set(prints)) == len(views)
    assert cache._fingerprint(np.asarray(big)) == prints[0]  # same place, same content
    hashed.clear()
    cache._fingerprint(got["small"])  # read into memory, not mapped: its bytes are hashed
    cache._fingerprint(np.array(big))  # a writeable copy: hashed
    assert sum(hashed) >= big.nbytes + got["small"].nbytes


# manifests ---------------------------------------------------------------------------------------


def _entry(tmp_path):
    cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    (entry,) = (tmp_path / "cache").iterdir()
    return entry


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("big", np.zeros((7, 3))),  # another shape and dtype
        ("small", np.array([1.5, 2.5, 3.5])),  # another shape
        ("small", np.array([99.0, 99.0])),  # same dtype and shape, other values (a small array)
        ("big", np.arange(cache.MMAP_BYTES // 8 + 1, dtype=np.int32)),  # another dtype
    ],
    ids=["shape-and-dtype", "shape", "values-of-a-small-array", "dtype"],
)
def test_entry_unlike_its_manifest_is_rebuilt_with_a_warning(tmp_path, name, replacement):
    """An array replaced after saving is caught on load, named in a warning, and the entry rebuilt."""
    entry = _entry(tmp_path)
    np.save(entry / f"{name}.npy", replacement)
    with pytest.warns(UserWarning, match=f"does not match its manifest .*{name}.npy"):
        got, hit = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    assert not hit
    for key, expected in arrays().items():
        np.testing.assert_array_equal(got[key], expected)
    _, hit = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    assert hit


def test_entry_without_a_manifest_is_rebuilt(tmp_path):
    """An entry missing its manifest (an older format, or damage) is not trusted."""
    entry = _entry(tmp_path)
    (entry / cache.MANIFEST).unlink()
    with pytest.warns(UserWarning, match="unreadable"):
        _, hit = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    assert not hit and (entry / cache.MANIFEST).exists()


def test_only_arrays_up_to_the_checksum_size_carry_a_checksum(tmp_path, monkeypatch):
    """Arrays over CHECKSUM_BYTES are checked for dtype and shape only, so loading them reads nothing."""
    monkeypatch.setattr(cache, "CHECKSUM_BYTES", 1000)
    entry = _entry(tmp_path)
    manifest = (entry / cache.MANIFEST).read_text()
    assert '"small": {"dtype": "<f8", "shape": [2], "sha256"' in manifest
    assert '"sha256"' not in manifest.split('"big":')[1].split("}")[0]


# clear and leftovers -----------------------------------------------------------------------------


def test_clear_reports_what_it_removed_and_what_it_could_not(tmp_path, monkeypatch):
    """An entry that cannot be deleted is reported as failed with the reason, never as removed."""
    cache.memo("thing", (), ("small",), lambda: {"small": np.ones(2)}, data_home=tmp_path)
    cache.memo("other", (), ("small",), lambda: {"small": np.ones(3)}, data_home=tmp_path)
    part = f".thing-{'0' * 20}.abc_1234.part"  # as save() names its temporary folder
    (tmp_path / "cache" / part).mkdir()
    (tmp_path / "cache" / part / "a.npy").write_bytes(b"x" * 100)
    stuck = next(p for p in (tmp_path / "cache").iterdir() if p.name.startswith("other-"))
    real_rmtree = cache.shutil.rmtree

    def immutable(path, ignore_errors=False, **kwargs):
        if Path(path) == stuck:
            if not ignore_errors:
                raise PermissionError(1, "Operation not permitted")
            return
        real_rmtree(path, ignore_errors=ignore_errors, **kwargs)

    monkeypatch.setattr(cache.shutil, "rmtree", immutable)
    assert [name for name, _ in cache._leftovers(tmp_path)] == [f"cache/{part}"]
    done = cache.clear(tmp_path)
    assert len(done.removed) == 1 and done.removed[0][0].startswith("thing-")
    assert done.leftovers == [(f"cache/{part}", 100)]
    assert done.failed == [(stuck.name, "Operation not permitted")]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [stuck.name]


def test_code_hash_covers_every_module_the_code_imports():
    """A module's code hash covers the package modules it imports, found in its source, and no others."""
    from pathlib import Path

    from notmnist import baseline, sanitise
    from notmnist._imports import code_closure

    here = Path(cache.__file__).parent
    names = {p.relative_to(here).as_posix() for p in code_closure(sanitise)}
    assert {"sanitise.py", "dataset.py", "duplicates/exact.py", "duplicates/near.py", "pixels.py"} <= names
    assert "fidelity.py" not in names and "plots.py" not in names  # later stages
    base = {p.relative_to(here).as_posix() for p in code_closure(baseline)}
    assert {"baseline.py", "pixels.py", "cache.py"} <= base and "dataset.py" not in base
    assert cache.code_hash(baseline) == cache.code_hash("baseline.py") != cache.code_hash(sanitise)


def test_code_hash_ignores_docstrings_and_comments_but_not_code(tmp_path):
    """A docstring or comment edit of a module keeps the code hash (and every cached fit); a code edit
    changes it, in that module or in one it imports."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    copy = tmp_path / "notmnist"
    shutil.copytree(Path(cache.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    code = "from notmnist import baseline, cache; print(cache.code_hash(baseline))"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}

    def key_after(module: str, old: str, new: str) -> str:
        path = copy / module
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        command = [sys.executable, "-c", code]
        run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    from notmnist import baseline

    original = cache.code_hash(baseline)
    assert key_after("baseline.py", '"""', '"""Edited: ') == original  # the module's docstring
    assert key_after("baseline.py", "    Parameters\n", "    Parameters (edited)\n") == original
    assert key_after("baseline.py", "\nimport ", "\n# a new comment\nimport ") == original
    assert key_after("pixels.py", '"""', '"""Edited: ') == original  # a module it imports
    changed = key_after("pixels.py", "\ndef ", "\nEDITED = 1\n\n\ndef ")
    assert changed != original
    assert key_after("baseline.py", "\ndef ", "\nEDITED = 1\n\n\ndef ") not in (original, changed)


def test_code_hash_is_the_same_when_the_package_is_reached_through_a_symlink(tmp_path):
    """Importing the package through a symlinked folder gives the same code hash, not a ValueError."""
    import subprocess
    import sys
    from pathlib import Path

    link = tmp_path / "link"
    link.symlink_to(Path(cache.__file__).resolve().parents[1], target_is_directory=True)
    code = "from notmnist import cache, verify; print(verify.__file__); print(cache.code_hash(verify))"
    env = {**os.environ, "PYTHONPATH": str(link)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    file, value = done.stdout.split()
    assert file.startswith(str(link))  # the package really was imported through the link
    from notmnist import verify

    assert value == cache.code_hash(verify)


# hostile manifests, fifos, full disks ----------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "manifest",
    [
        "null", "[]", '{"arrays": null}', '{"arrays": {"big": null, "small": null}}',
        DEEP, '{"arrays": ' + DEEP + "}",
    ],
)
def test_a_manifest_that_is_not_one_is_rebuilt_with_a_warning(tmp_path, manifest):
    """null, [], null entries, 100,000-deep nesting: a warning and a rebuilt entry, never a traceback."""
    entry = _entry(tmp_path)
    (entry / cache.MANIFEST).write_text(manifest)
    with pytest.warns(UserWarning, match="rebuilding it"):
        got, hit = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    assert not hit
    np.testing.assert_array_equal(got["small"], arrays()["small"])
    assert cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)[1]  # sound again


def test_a_fifo_in_place_of_an_array_is_rebuilt_without_waiting(tmp_path):
    """A fifo named like an entry's .npy file is never opened (that would wait for a writer forever)."""
    import os

    entry = _entry(tmp_path)
    (entry / "small.npy").unlink()
    os.mkfifo(entry / "small.npy")
    with pytest.warns(UserWarning, match="fifo"):
        got, hit = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    assert not hit and got["small"].shape == arrays()["small"].shape


def test_a_full_disk_while_caching_names_the_file_and_says_so(tmp_path, monkeypatch):
    """NumPy's short write ("3136000 requested and 1829856 written") reads "no space left", names the file."""

    def short_write(file, array, allow_pickle=False):
        raise OSError("3136000 requested and 1829856 written")

    monkeypatch.setattr(cache.np, "save", short_write)
    monkeypatch.setattr(cache, "_UNWRITABLE", set())
    with pytest.warns(UserWarning) as caught:
        got, hit = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    [warning] = [str(w.message) for w in caught]
    assert "No space left on device? Writing " in warning and "big.npy stopped short" in warning
    assert not hit and got["small"].shape == arrays()["small"].shape
    assert cache._leftovers(tmp_path) == [] and cache._entries(tmp_path) == []
