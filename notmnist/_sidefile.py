"""SHA-256 of files, and what the package remembers about them in JSON.

A record (a file's SHA-256 and, for an archive, whether its contents were verified) is valid only
while the file's size, mtime, ctime and inode (`stamp`) are those it was made for, so a replaced
file never gets an old record.  An archive's record lives beside it in `<archive>.sha256.json`;
files in folders the package must not write to (fonts) keep theirs in a *book*, one JSON object of
records by path.  Records are written atomically; a read-only folder just goes without them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import warnings
from pathlib import Path

from ._io import atomic_write, read_json

log = logging.getLogger(__name__)

SUFFIX = ".sha256.json"
INVALID_SUFFIX = ".invalid"
_WARNED: set[Path] = set()


def stamp(path: Path) -> dict[str, int]:
    """Size, mtime, ctime (nanoseconds) and inode of `path`."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "inode": st.st_ino}


def side_path(path: Path) -> Path:
    """Where the record of `path` lives."""
    return path.with_name(path.name + SUFFIX)


def load(file: Path, warning: str) -> dict:
    """The JSON object of records in `file`; `{}` if there is none, or (warning once, formatted with
    `file` and `why`) if something else is there."""
    try:
        data = read_json(file)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        why = exc
    else:
        if not isinstance(data, dict):
            why = "not a JSON object"
        elif not all(isinstance(data.get(k, 0), int) for k in ("size", "mtime_ns", "ctime_ns", "inode")):
            why = "not a record of this package"
        else:
            return data
    if file not in _WARNED:
        _WARNED.add(file)
        warnings.warn(warning.format(file=file, why=why), stacklevel=3)
    return {}


def save(file: Path, data: dict) -> None:
    """Write `data` to `file` as JSON, atomically; a folder that cannot be written to only costs time."""
    try:
        with atomic_write(file, "w") as f:
            json.dump(data, f, sort_keys=True)
    except OSError as exc:
        log.debug("cannot save %s: %s", file, exc)


def _describing(record, now: dict) -> dict:
    """`record` if it describes the file whose `stamp` is `now`, else `{}`."""
    return record if isinstance(record, dict) and {k: record.get(k) for k in now} == now else {}


def read(path: str | os.PathLike) -> dict:
    """The record of `path` if it describes the file as it is now, else `{}` (a warning if unreadable)."""
    try:
        now = stamp(Path(path))
    except FileNotFoundError:
        return {}
    warning = "{file} is unreadable ({why}); ignoring it and checking the file again"
    return _describing(load(side_path(Path(path)), warning), now)


def update(path: str | os.PathLike, **fields) -> None:
    """Add `fields` to the record of `path` (starting afresh if the record is stale)."""
    path = Path(path)
    save(side_path(path), {**read(path), **stamp(path), **fields})


def sha256(path: str | os.PathLike, *, remember: bool = True, book: dict | None = None) -> str:
    """SHA-256 of a file: from its record when that describes the file, else computed (and recorded).

    The record is the side file of `path`, or `book[str(path)]` when a book is given (the caller
    saves it).  `remember=False` neither reads nor writes a record.
    """
    path = Path(path)
    if remember:
        saved = _describing(book.get(str(path)), stamp(path)) if book is not None else read(path)
        if isinstance(saved.get("sha256"), str) and len(saved["sha256"]) == 64:
            return saved["sha256"]
        before = stamp(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if remember and stamp(path) == before:  # not changed while it was read
        if book is not None:
            book[str(path)] = {**before, "sha256": digest.hexdigest()}
        else:
            update(path, sha256=digest.hexdigest())
    return digest.hexdigest()


def verification(path: str | os.PathLike) -> tuple[bool, str | None] | None:
    """`(True, None)` if the contents were verified, `(False, why)` if they failed, None if unchecked."""
    record = read(path)
    if not isinstance(record.get("verified"), bool):
        return None
    problem = record.get("problem")
    return record["verified"], problem if isinstance(problem, str) else None


def aside(target: Path) -> Path:
    """Move a wrong file and its record to `<name>.invalid` (`<name>.<n>.invalid` if taken); return where."""
    for n in itertools.count(1):
        moved = target.with_name(f"{target.name}{'' if n == 1 else f'.{n}'}{INVALID_SUFFIX}")
        try:
            os.link(target, moved)  # never overwrites an earlier copy
        except FileExistsError:
            continue
        except OSError:  # no hard links here: check, then rename
            if moved.exists() or moved.is_symlink():
                continue
            os.replace(target, moved)
        else:
            target.unlink()
        side_path(target).unlink(missing_ok=True)
        return moved
