"""The disk cache: keys, atomic entries, read-only arrays, unreadable entries, lost races."""

from __future__ import annotations

import os

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
    assert len(cache.entries(tmp_path)) == 2


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
    assert list((tmp_path / "cache").iterdir()) == []


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
        cache.save(path, {"big": arrays()["big"], "small": np.array([9.0, 9.0])})
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", other_process_wins)
    got, _ = cache.memo("thing", (), ("big", "small"), arrays, data_home=tmp_path)
    np.testing.assert_array_equal(got["small"], [9.0, 9.0])
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [path.name]


def test_read_only_data_folder_still_answers(tmp_path, monkeypatch):
    """No write permission: a warning, and the computed arrays all the same."""

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache.tempfile, "mkdtemp", denied)
    with pytest.warns(UserWarning, match="could not cache thing .*Permission denied"):
        got, hit = cache.memo("thing", (), ("small",), lambda: {"small": np.ones(2)}, data_home=tmp_path)
    np.testing.assert_array_equal(got["small"], np.ones(2))
    assert not hit


def test_fingerprint_sees_bytes_dtype_and_shape():
    """Arrays with other bytes, another dtype or another shape never share a fingerprint."""
    a = np.arange(12, dtype=np.float32)
    b = a.copy()
    b[5] = np.nextafter(b[5], np.float32(100))
    prints = {
        cache.fingerprint(a),
        cache.fingerprint(b),
        cache.fingerprint(a.view(np.int32)),
        cache.fingerprint(a.reshape(3, 4)),
        cache.fingerprint(a, a[:0]),
    }
    assert len(prints) == 5
    assert cache.fingerprint(a) == cache.fingerprint(a.copy())
    assert cache.fingerprint(a.reshape(3, 4)[:, ::2]) == cache.fingerprint(a.reshape(3, 4)[:, ::2].copy())


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
    prints = [cache.fingerprint(v) for v in views]
    assert sum(hashed) < 1000  # no array bytes were read
    assert len(set(prints)) == len(views)
    assert cache.fingerprint(np.asarray(big)) == prints[0]  # same place, same content
    hashed.clear()
    cache.fingerprint(got["small"])  # read into memory, not mapped: its bytes are hashed
    cache.fingerprint(np.array(big))  # a writeable copy: hashed
    assert sum(hashed) >= big.nbytes + got["small"].nbytes
