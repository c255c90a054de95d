"""What the package remembers about an archive, in `<archive>.sha256.json` beside it.

The record holds the archive's SHA-256 and, once the archive has been read,
whether its contents were verified (and if not, why).  It is valid only for
the exact file it describes: it is keyed by the file's size, modification
time, change time and inode number (`stamp`).  Replacing the archive
with another file changes the inode or the change time, even when the size
and modification time are restored by hand, so an old record is never applied
to new bytes.  Records are written atomically; a data folder that cannot be
written to just goes without them.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

from ._io import atomic_write, read_json

SUFFIX = ".sha256.json"


def stamp(path: Path) -> dict[str, int]:
    """Size, mtime, ctime (nanoseconds) and inode of `path`."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "inode": st.st_ino}


def side_path(path: Path) -> Path:
    """Where the record of `path` lives."""
    return path.with_name(path.name + SUFFIX)


def read(path: str | os.PathLike) -> dict:
    """The record of `path` if it describes the file as it is now, else `{}`.

    A record that is not one (not a JSON object, nested too deeply, not a regular file) is
    ignored with a warning; the next `update` replaces it, if it is a file.
    """
    path = Path(path)
    try:
        now = stamp(path)
        saved = read_json(side_path(path))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        _warn(path, str(exc))
        return {}
    if not isinstance(saved, dict) or not all(isinstance(saved.get(k, 0), int) for k in now):
        _warn(path, "not a record of this package")
        return {}
    if {k: saved.get(k) for k in now} != now:
        return {}
    return saved


_WARNED: set[Path] = set()


def _warn(path: Path, why: str) -> None:
    if path not in _WARNED:
        _WARNED.add(path)
        warnings.warn(f"{side_path(path)} is unreadable ({why}); ignoring it and checking the file again",
                      stacklevel=3)


def update(path: str | os.PathLike, **fields) -> None:
    """Add `fields` to the record of `path` (starting afresh if the record is stale)."""
    path = Path(path)
    record = {**read(path), **stamp(path), **fields}
    try:
        with atomic_write(side_path(path), "w") as f:
            json.dump(record, f)
    except OSError:  # a read-only data folder still works, just slower
        pass


def sha256(path: str | os.PathLike, *, remember: bool = True) -> str:
    """SHA-256 of a file, from its record when that describes the file, else computed (and recorded)."""
    path = Path(path)
    saved = read(path).get("sha256", "")
    if isinstance(saved, str) and len(saved) == 64:
        return saved
    before = stamp(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if remember and stamp(path) == before:  # not changed while it was read
        update(path, sha256=digest.hexdigest())
    return digest.hexdigest()


def verification(path: str | os.PathLike) -> tuple[bool, str | None] | None:
    """`(True, None)` if the contents were verified, `(False, why)` if they failed, None if unchecked."""
    record = read(path)
    if not isinstance(record.get("verified"), bool):
        return None
    problem = record.get("problem")
    return record["verified"], problem if isinstance(problem, str) else None


INVALID_SUFFIX = ".invalid"


def aside(target: Path) -> Path:
    """Move a wrong file to `<name>.invalid`, or `<name>.<n>.invalid` if taken; return where.

    Never overwrites an earlier copy; the record of `target` goes with it.
    """
    n = 1
    while True:
        moved = target.with_name(f"{target.name}{'' if n == 1 else f'.{n}'}{INVALID_SUFFIX}")
        try:
            os.link(target, moved)  # never overwrites an earlier copy
        except FileExistsError:
            n += 1
            continue
        except OSError:  # no hard links here: check, then rename
            if moved.exists() or moved.is_symlink():
                n += 1
                continue
            os.replace(target, moved)
            side_path(target).unlink(missing_ok=True)
            return moved
        target.unlink()
        side_path(target).unlink(missing_ok=True)
        return moved
