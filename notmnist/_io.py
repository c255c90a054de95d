"""Atomic file writes: a reader never sees a half-written file under its final name.

`atomic_write` writes to a temporary file beside the target, renamed over it only once complete and
removed on any error (Ctrl-C included).  Only a regular file is ever replaced (`NotAFile` otherwise),
and files are read without blocking on a fifo (`open_regular`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from .errors import NotMNISTError

log = logging.getLogger(__name__)

_KINDS = {
    stat.S_IFDIR: "folder", stat.S_IFIFO: "fifo (named pipe)", stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device", stat.S_IFSOCK: "socket", stat.S_IFLNK: "symbolic link",
}


class NotAFile(NotMNISTError, OSError):
    """A path where the package expects a regular file holds something else (folder, fifo, link...)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.strerror = message


def kind(mode: int) -> str:
    """`"regular file"`, `"folder"`, `"fifo (named pipe)"`, ... for an `st_mode`."""
    return "regular file" if stat.S_ISREG(mode) else _KINDS.get(stat.S_IFMT(mode), "special file")


def check_replaceable(path: str | os.PathLike) -> None:
    """Raise `NotAFile` unless `path` is absent or a regular file (a symbolic link is refused)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise NotAFile(
            f"{path} is a {kind(mode)}, not a regular file: it is never replaced; "
            "remove it or choose another path"
        )


def open_regular(path: str | os.PathLike, *, streams: bool = False) -> IO[bytes]:
    """Open `path` for reading without blocking on a fifo; `NotAFile` unless a regular file, or with
    `streams` a pipe, fifo or character device (a fifo without a writer reads as empty)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        stream = stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)
        if not (stat.S_ISREG(mode) or (streams and stream)):
            raise NotAFile(f"{path} is a {kind(mode)}, not a regular file; remove it or name a file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_json(path: str | os.PathLike):
    """The JSON value in the regular file `path`; ValueError if not a regular file, not JSON or too deep."""
    try:
        with open_regular(path) as f:
            text = f.read()
    except NotAFile as exc:
        raise ValueError(str(exc)) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _umask() -> int:
    """The process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode of a new file as `open` would make it: `0o666` less the process's umask."""
    return 0o666 & ~_umask()


def folder_mode() -> int:
    """Mode of a new folder as `mkdir` would make it: `0o777` less the process's umask."""
    return 0o777 & ~_umask()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO]:
    """Yield a temporary file beside `path` (mode `"wb"` or `"w"`, UTF-8 by default), renamed to
    `path` when the block succeeds."""
    path = Path(path)
    check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temporary_file(path)
    try:
        text = "b" not in mode
        try:
            with os.fdopen(fd, mode, encoding=(encoding or "utf-8") if text else None) as f:
                yield f
        except OSError as exc:
            if exc.filename is not None or isinstance(exc, NotMNISTError):
                raise
            # A full disk says only "[Errno 28] No space left on device": name the file.
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        os.chmod(tmp, file_mode())  # mkstemp makes 600; these files are meant to be shared
        check_replaceable(path)  # nothing else has appeared under the name meanwhile
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


PART_SUFFIX = ".part"
"""Suffix of the temporary files and folders the package writes before renaming them."""


def temporary_file(path: Path) -> tuple[int, Path]:
    """A new temporary file beside `path`, named `.<name>.<random>.part` (as `is_temporary` knows it,
    so `info` lists it and `clear-cache` removes it if left behind): its descriptor and path."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PART_SUFFIX, dir=path.parent)
    return fd, Path(name)


def is_temporary(name: str, target: str | None = None) -> bool:
    """Whether `name` is a temporary file of the package (`.<target>.<random>.part`, `temporary_file`)."""
    if not (name.startswith(".") and name.endswith(PART_SUFFIX)):
        return False
    stem, _, random = name[1 : -len(PART_SUFFIX)].rpartition(".")
    return bool(stem) and len(random) == 8 and random.replace("_", "a").isalnum() and (
        target is None or stem == target
    )


STALE_AFTER = 3600.0
"""A temporary file untouched for this many seconds was left by a killed process."""


def remove_stale(parts: Iterable[Path], writer: str, level: int = logging.INFO) -> None:
    """Delete the regular files in `parts` untouched for `STALE_AFTER` seconds: left by a killed `writer`."""
    for part in parts:
        try:
            if part.is_file() and not part.is_symlink() and time.time() - part.stat().st_mtime > STALE_AFTER:
                part.unlink()
                log.log(level, "removed %s, left by an interrupted %s", part, writer)
        except OSError:  # another process removed it first
            pass
