"""Tests of notmnist._io: atomic writes that replace only regular files, reads that never wait on a fifo."""

from __future__ import annotations

import os
import stat

import pytest

from notmnist import _io


def test_a_full_disk_names_the_file_being_written(tmp_path):
    """"[Errno 28] No space left on device" alone says nothing of where: the error names the target."""
    target = tmp_path / "notMNIST_large.tar.gz"
    with pytest.raises(OSError) as caught, _io.atomic_write(target) as f:
        f.write(b"x")
        raise OSError(28, "No space left on device")
    assert caught.value.errno == 28 and caught.value.filename == str(target)
    assert str(target) in str(caught.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kind", ["fifo", "folder", "symlink"])
def test_only_a_regular_file_is_ever_replaced(tmp_path, kind):
    """A fifo, folder or link under the target's name is refused before anything is written, and kept."""
    target = tmp_path / "out"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        (tmp_path / "real").write_bytes(b"user's")
        target.symlink_to(tmp_path / "real")
    with pytest.raises(_io.NotAFile, match="not a regular file"), _io.atomic_write(target) as f:
        f.write(b"x")
    assert not stat.S_ISREG(os.lstat(target).st_mode)
    assert sorted(os.listdir(tmp_path)) == sorted(["out"] + (["real"] if kind == "symlink" else []))


def test_reading_a_fifo_where_a_file_is_expected_does_not_wait(tmp_path):
    """open_regular refuses a fifo at once (no writer needed); read_json reports it as unreadable."""
    fifo = tmp_path / "standin.json"
    os.mkfifo(fifo)
    with pytest.raises(_io.NotAFile, match="fifo"):
        _io.open_regular(fifo)
    with pytest.raises(ValueError, match="fifo"):
        _io.read_json(fifo)
    with _io.open_regular(fifo, streams=True) as f:  # as a stream: no writer reads as empty
        assert f.read() == b""


def test_read_json_survives_deep_nesting(tmp_path):
    """JSON nested 100,000 deep is a ValueError, not a RecursionError traceback."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nested too deeply"):
        _io.read_json(path)
