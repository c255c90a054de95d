"""The package's disk cache: arrays keyed by the data and the code that made them.

Every expensive result -- letters read from an archive, splits, near
duplicates, model fits -- is an *entry*: a folder
``<data home>/cache/<kind>-<key>/`` holding one ``.npy`` file per array.  The
key hashes everything the result depends on: the archives' SHA-256 or the
arrays' own bytes (:func:`fingerprint`), the parameters, and the source of
the modules that compute it (:func:`code_hash`).  Change any of them and the
key changes, so a stale entry is never read; it is simply no longer used
(``python -m notmnist info`` lists entries, ``python -m notmnist clear-cache``
removes them).

Entries are written to a temporary folder and renamed into place, so a reader
never sees half an entry; when two processes build the same entry, the first
rename wins and both get the same arrays.  Large arrays come back as
read-only memory maps: loading costs nothing until pages are touched, and the
six problems of a site build share one copy in the operating system's page
cache.  An entry that cannot be read is reported with a warning and rebuilt.
Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from .fetch import data_home as _data_home

log = logging.getLogger(__name__)

_ENTRY_NAME = re.compile(r"[a-z0-9_-]+-[0-9a-f]{20}")  # kind-key, as memo names entries

MMAP_BYTES = 1 << 20
"""Arrays at least this large are memory-mapped when loaded; smaller ones are read."""


def folder(data_home=None) -> Path:
    """``<data home>/cache``, created if needed."""
    path = _data_home(data_home) / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def code_hash(*modules) -> str:
    """Hash of the source of package modules.

    Each is a module object of this package or its file's path relative to the
    package (``"dataset.py"``, ``"duplicates/near.py"``); a module object hashes
    exactly as its path does, so a list can name modules without keeping file names.
    """
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for module in modules:
        name = module if isinstance(module, str) else Path(module.__file__).relative_to(here).as_posix()
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    return digest.hexdigest()[:16]


def key(*parts) -> str:
    """Short hash of ``repr(parts)``: strings, numbers, tuples of them."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def fingerprint(*arrays: np.ndarray) -> str:
    """SHA-256 of arrays' dtypes, shapes and bytes (about 1.4 GB/s here).

    A read-only view of an entry of this cache needs no hashing: the entry's
    name already hashes everything its bytes depend on, and entries never
    change, so the file, byte offset, shape, strides and dtype identify the
    view's content.  That makes fingerprinting the training split free when
    it comes from :func:`notmnist.dataset.load_splits`.
    """
    digest = hashlib.sha256()
    for array in arrays:
        mapped = _entry_view(array)
        if mapped is not None:
            digest.update(repr(mapped).encode())
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.reshape(-1).view(np.uint8))
    return digest.hexdigest()


def _entry_view(array: np.ndarray) -> tuple | None:
    """``(file, offset, shape, strides, dtype)`` of a read-only view of a cache entry, else None."""
    if not isinstance(array, np.ndarray) or array.flags.writeable:
        return None
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not (isinstance(root, np.memmap) and root.mode == "r" and isinstance(root.base, mmap.mmap)):
        return None
    path = Path(root.filename)
    if path.parent.parent.name != "cache" or not _ENTRY_NAME.fullmatch(path.parent.name):
        return None
    offset = root.offset + (array.ctypes.data - root.ctypes.data)
    return ("cache entry", str(path), offset, array.shape, array.strides, array.dtype.str)


def load(path: Path, names: Iterable[str]) -> dict[str, np.ndarray] | None:
    """The arrays of an entry, or None when it is missing or unreadable (then warn)."""
    if not path.is_dir():
        return None
    try:
        arrays = {}
        for name in names:
            file = path / f"{name}.npy"
            if file.stat().st_size >= MMAP_BYTES:  # a plain ndarray view of the read-only map
                arrays[name] = np.asarray(np.load(file, mmap_mode="r", allow_pickle=False))
            else:
                arrays[name] = np.load(file, allow_pickle=False)
                arrays[name].flags.writeable = False
        return arrays
    except (OSError, ValueError, EOFError) as exc:
        warnings.warn(f"cache entry {path} is unreadable ({exc}); rebuilding it", stacklevel=3)
        shutil.rmtree(path, ignore_errors=True)
        return None


def save(path: Path, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Write an entry atomically; return its arrays as :func:`load` would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    try:
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.asarray(array), allow_pickle=False)
        os.chmod(tmp, 0o755)  # mkdtemp makes 700; entries are meant to be shared
        try:
            os.rename(tmp, path)
        except OSError:
            if not path.is_dir():  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("cached %s", path)
    loaded = load(path, arrays)
    if loaded is None:  # the entry that won a race was unreadable (and is now gone)
        raise OSError(f"cache entry {path} could not be read back")
    return loaded


def memo(
    kind: str,
    parts: tuple,
    names: Iterable[str],
    compute: Callable[[], Mapping[str, np.ndarray]],
    *,
    data_home=None,
) -> tuple[dict[str, np.ndarray], bool]:
    """The entry ``kind-key(parts)``: loaded if present, else computed and saved.

    Returns
    -------
    arrays : dict of str to ndarray
        Read-only arrays named ``names``.
    hit : bool
        Whether they came from the cache.
    """
    names = list(names)
    path = folder(data_home) / f"{kind}-{key(kind, *parts)}"
    arrays = load(path, names)
    if arrays is not None:
        return arrays, True
    computed = compute()
    if set(computed) != set(names):
        raise RuntimeError(f"cache entry {kind}: computed {sorted(computed)}, expected {sorted(names)}")
    try:
        return save(path, computed), False
    except OSError as exc:  # a read-only or full data folder: still answer, just slower next time
        warnings.warn(f"could not cache {kind} in {path.parent} ({exc}); going on without", stacklevel=3)
        return {name: np.asarray(computed[name]) for name in names}, False


def entries(data_home=None) -> list[tuple[str, int]]:
    """``(name, bytes)`` of every entry, by name."""
    root = _data_home(data_home) / "cache"
    if not root.is_dir():
        return []
    out = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        files = entry.rglob("*") if entry.is_dir() else [entry]
        out.append((entry.name, sum(f.stat().st_size for f in files if f.is_file())))
    return out


def clear(data_home=None) -> list[tuple[str, int]]:
    """Delete every entry (and any temporary folder left by a killed process); return what went."""
    root = _data_home(data_home) / "cache"
    gone = entries(data_home)
    if root.is_dir():
        for entry in root.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    return gone
