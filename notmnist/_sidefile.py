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
from pathlib import Path

from ._io import atomic_write

SUFFIX = ".sha256.json"


def stamp(path: Path) -> dict[str, int]:
    """Size, mtime, ctime (nanoseconds) and inode of `path`."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "inode": st.st_ino}


def side_path(path: Path) -> Path:
    """Where the record of `path` lives."""
    return path.with_name(path.name + SUFFIX)


def read(path: str | os.PathLike) -> dict:
    """The record of `path` if it describes the file as it is now, else `{}`."""
    path = Path(path)
    try:
        now = stamp(path)
        saved = json.loads(side_path(path).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict) or {k: saved.get(k) for k in now} != now:
        return {}
    return saved


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
    if "verified" not in record:
        return None
    return bool(record["verified"]), record.get("problem")
