"""What the package remembers beside a file: its SHA-256, keyed by the file's exact stamp."""

from __future__ import annotations

import hashlib
import os

import pytest

from notmnist import _sidefile


@pytest.mark.parametrize("how", ["in place", "renamed over"])
def test_sha256_side_file_is_not_fooled_by_same_size_and_mtime(tmp_path, how):
    """Another file of the same size with its mtime restored gets its own SHA-256, never the old one."""
    path = tmp_path / "a.tar.gz"
    path.write_bytes(b"first contents")
    first = _sidefile.sha256(path)
    stat = path.stat()
    if how == "in place":
        path.write_bytes(b"other contents")
    else:
        (tmp_path / "b").write_bytes(b"other contents")
        os.replace(tmp_path / "b", path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert _sidefile.sha256(path) == hashlib.sha256(b"other contents").hexdigest() != first


@pytest.mark.parametrize("content", ["null", "[]", '{"size": "x"}', "[" * 100_000 + "]" * 100_000])
def test_a_side_file_that_is_not_a_record_is_ignored_with_a_warning(tmp_path, content):
    """<archive>.sha256.json holding null, [], junk or deep nesting: a warning, hashed again, replaced."""
    path = tmp_path / "a.tar.gz"
    path.write_bytes(b"contents")
    _sidefile.side_path(path).write_text(content)
    _sidefile._WARNED.clear()
    with pytest.warns(UserWarning, match="sha256.json is unreadable"):
        assert _sidefile.sha256(path) == hashlib.sha256(b"contents").hexdigest()
    assert _sidefile.read(path)["sha256"] == hashlib.sha256(b"contents").hexdigest()  # rewritten


def test_a_fifo_in_place_of_the_side_file_is_never_waited_on(tmp_path):
    """A fifo named like the side file: the SHA-256 is computed, nothing hangs, the fifo is left alone."""
    import os
    import stat

    path = tmp_path / "a.tar.gz"
    path.write_bytes(b"contents")
    os.mkfifo(_sidefile.side_path(path))
    _sidefile._WARNED.clear()
    with pytest.warns(UserWarning, match="fifo"):
        assert _sidefile.sha256(path) == hashlib.sha256(b"contents").hexdigest()
    assert stat.S_ISFIFO(os.lstat(_sidefile.side_path(path)).st_mode)


def test_a_book_keeps_the_hashes_of_files_in_folders_the_package_does_not_write(tmp_path):
    """With a book, a hash is remembered in it by the file's stamp; nothing is written beside the file."""
    path = tmp_path / "font.ttf"
    path.write_bytes(b"first")
    book: dict = {}
    first = _sidefile.sha256(path, book=book)
    assert first == hashlib.sha256(b"first").hexdigest()
    assert book[str(path)] == {**_sidefile.stamp(path), "sha256": first}
    assert list(tmp_path.iterdir()) == [path]
    book[str(path)]["sha256"] = "f" * 64  # what the book says is believed while the stamp holds
    assert _sidefile.sha256(path, book=book) == "f" * 64
    stamp = path.stat()
    path.write_bytes(b"other")  # same size, mtime put back: the change time still differs
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert _sidefile.sha256(path, book=book) == hashlib.sha256(b"other").hexdigest()


def test_without_remember_nothing_is_read_or_written(tmp_path):
    """`remember=False` hashes the bytes: no side file is believed, none is written."""
    path = tmp_path / "a.part"
    path.write_bytes(b"contents")
    _sidefile.update(path, sha256="f" * 64)
    assert _sidefile.sha256(path, remember=False) == hashlib.sha256(b"contents").hexdigest()
    _sidefile.side_path(path).unlink()
    _sidefile.sha256(path, remember=False)
    assert list(tmp_path.iterdir()) == [path]
