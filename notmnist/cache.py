"""The package's disk cache: arrays keyed by the data and the code that made them.

An *entry* is a folder `<data home>/cache/<kind>-<key>/` of `.npy` files and a `manifest.json` of
their dtypes, shapes and (under [`CHECKSUM_BYTES`][notmnist.cache.CHECKSUM_BYTES]) SHA-256.  The key
hashes everything the result depends on, the code included ([`code_hash`][notmnist.cache.code_hash]),
so a stale entry is never read.  Entries are written to a temporary folder and renamed into place,
come back read-only (large arrays memory-mapped) and are never unpickled; one unlike its manifest is
rebuilt with a warning.  An unwritable data folder still works, without caching.
"""

from __future__ import annotations

import ast
import errno
import functools
import hashlib
import json
import logging
import mmap
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import config
from ._imports import PACKAGE, code_closure
from ._io import PART_SUFFIX, check_replaceable, folder_mode, is_temporary, read_json
from .errors import NotMNISTError

log = logging.getLogger(__name__)

_ENTRY_NAME = re.compile(r"[a-z0-9_-]+-[0-9a-f]{20}")  # kind-key, as memo names entries
_PART_NAME = re.compile(r"\.([a-z0-9_-]+-[0-9a-f]{20})\.[a-z0-9_]{8}\.part")  # _save()'s temporary folders

MMAP_BYTES = 1 << 20
"""Arrays at least this large are memory-mapped when loaded; smaller ones are read."""
CHECKSUM_BYTES = 1 << 26
"""Arrays up to this size are checked against the SHA-256 in their entry's manifest on every load."""
MANIFEST = "manifest.json"

_UNWRITABLE: set[Path] = set()  # cache folders already warned about in this process


class ManifestMismatch(NotMNISTError, ValueError):
    """An entry's arrays are not those its manifest describes."""


def code_hash(*modules) -> str:
    """Hash of the code of package modules and of every package module they import (read from the source).

    The code is each module's syntax tree without its docstrings, so editing a docstring, a comment
    or the layout keeps every result cached by it; any other edit makes a new key.

    Parameters
    ----------
    *modules : module or str
        Package modules, or their paths relative to the package (`"duplicates/near.py"`).
    """
    digest = hashlib.sha256()
    for path in code_closure(*modules):
        digest.update(f"{path.relative_to(PACKAGE).as_posix()}\0{_code(path)}\n".encode())
    return digest.hexdigest()[:16]


def _code(path: Path) -> str:
    """SHA-256 of the syntax tree of the module `path`, docstrings (bare string statements) left out."""
    found = path.stat()
    return _tree_hash(path, found.st_mtime_ns, found.st_size)


@functools.lru_cache(maxsize=256)
def _tree_hash(path: Path, mtime_ns: int, size: int) -> str:
    """`_code(path)`, once per version of the file (its time and size)."""
    tree = ast.parse(path.read_bytes())
    for node in ast.walk(tree):
        if isinstance(getattr(node, "body", None), list):
            node.body = [s for s in node.body if not _is_string(s)]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def _is_string(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and (
        isinstance(statement.value.value, str)
    )


def key(*parts) -> str:
    """Short hash of `repr(parts)`.

    Parameters
    ----------
    *parts : str, int, float or tuple
        What the key stands for, in order.
    """
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def _fingerprint(*arrays: np.ndarray) -> str:
    """SHA-256 of arrays' dtypes, shapes and bytes; of a read-only view of an entry, of where it lies."""
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
    """`(file, offset, shape, strides, dtype)` of a read-only view of a cache entry, else None."""
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


def _digest(array: np.ndarray) -> str:
    """SHA-256 of an array's bytes."""
    return hashlib.sha256(np.ascontiguousarray(array).reshape(-1).view(np.uint8)).hexdigest()


def _check(name: str, array: np.ndarray, expected: dict) -> None:
    """Raise ManifestMismatch when `array` is not what the manifest describes."""
    if array.dtype.str != expected.get("dtype") or list(array.shape) != expected.get("shape"):
        raise ManifestMismatch(
            f"{name}.npy is {array.dtype.str} {tuple(array.shape)}, its manifest says "
            f"{expected.get('dtype')} {tuple(expected.get('shape') or ())}"
        )
    if "sha256" in expected and _digest(array) != expected["sha256"]:
        raise ManifestMismatch(f"{name}.npy was changed after it was saved (checksum differs)")


def _load(path: Path, names: Iterable[str]) -> dict[str, np.ndarray] | None:
    """The arrays `names` of the entry `path`; None if missing, unreadable or unlike its manifest (warned)."""
    if not path.is_dir():
        return None
    try:
        manifest = read_json(path / MANIFEST)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("arrays"), dict):
            raise ManifestMismatch(f"{MANIFEST} is not a manifest (no table of arrays)")
        manifest = manifest["arrays"]
        arrays = {}
        for name in names:
            file = path / f"{name}.npy"
            if not isinstance(manifest.get(name), dict):
                raise ManifestMismatch(f"{name}.npy is not described in the entry's manifest")
            check_replaceable(file)  # a regular file, not a fifo to hang on or a link
            if file.stat().st_size >= MMAP_BYTES:  # a plain ndarray view of the read-only map
                arrays[name] = np.asarray(np.load(file, mmap_mode="r", allow_pickle=False))
            else:
                arrays[name] = np.load(file, allow_pickle=False)
                arrays[name].flags.writeable = False
            _check(name, arrays[name], manifest[name])
        return arrays
    except (OSError, ValueError, EOFError, KeyError, TypeError) as exc:
        what = "does not match its manifest" if isinstance(exc, ManifestMismatch) else "is unreadable"
        warnings.warn(f"cache entry {path} {what} ({exc}); rebuilding it", stacklevel=3)
        shutil.rmtree(path, ignore_errors=True)
        return None


def _save(path: Path, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Write the entry `path` atomically, with its manifest; return its arrays as `_load` would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=PART_SUFFIX, dir=path.parent))
    try:
        manifest = {}
        for name, array in arrays.items():
            array = np.asarray(array)
            file = tmp / f"{name}.npy"
            try:
                np.save(file, array, allow_pickle=False)
            except OSError as exc:  # NumPy's short write says only "(3136000 requested and 1829856 written)"
                if exc.errno is not None:
                    raise
                why = f"No space left on device? Writing {file} stopped short ({exc})"
                raise OSError(errno.ENOSPC, why) from exc
            manifest[name] = {"dtype": array.dtype.str, "shape": list(array.shape)}
            if array.nbytes <= CHECKSUM_BYTES:
                manifest[name]["sha256"] = _digest(array)
        (tmp / MANIFEST).write_text(json.dumps({"arrays": manifest}))
        os.chmod(tmp, folder_mode())  # mkdtemp makes 700; entries are meant to be shared
        try:
            os.rename(tmp, path)
        except OSError:
            if not path.is_dir():  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("cached %s", path)
    loaded = _load(path, arrays)
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
    """The read-only arrays `names` of entry `kind-key(parts)`, and whether they came from the cache.

    The entry is loaded if present, else computed and saved (or only computed, with one warning per
    process, when the cache folder cannot be written to).

    Parameters
    ----------
    kind : str
        What the entry holds (`"letters-small"`, `"near"`, ...): the start of its name.
    parts : tuple
        Everything the result depends on (data hashes, settings, `code_hash`).
    names : iterable of str
        The names of the arrays `compute` returns.
    compute : callable
        Computes the arrays when the entry is missing: `compute() -> {name: array}`.
    data_home : str or PathLike, optional
        The data folder; default [`notmnist.config.data_home`][notmnist.config.data_home].
    """
    names = list(names)
    root = config.data_home(data_home) / "cache"
    path = root / f"{kind}-{key(kind, *parts)}"
    arrays = _load(path, names)
    if arrays is not None:
        return arrays, True
    computed = compute()
    if set(computed) != set(names):
        raise RuntimeError(f"cache entry {kind}: computed {sorted(computed)}, expected {sorted(names)}")
    try:
        return _save(path, computed), False
    except OSError as exc:  # a read-only or full data folder: still answer, just slower next time
        if root not in _UNWRITABLE:
            _UNWRITABLE.add(root)
            why = exc.strerror or exc
            warnings.warn(
                f"could not cache {kind} in {root} ({why}); computing without the cache", stacklevel=3
            )
        else:
            log.info("could not cache %s in %s (%s)", kind, root, exc)
        out = {name: np.asarray(computed[name]).view() for name in names}  # no copy
        for array in out.values():
            array.flags.writeable = False  # read-only, as cached arrays are
        return out, False


def _size(entry: Path) -> int:
    """Bytes of a file, or of the files in a folder."""
    try:
        files = entry.rglob("*") if entry.is_dir() else [entry]
        return sum(f.stat().st_size for f in files if f.is_file())
    except OSError:
        return 0


def _entries(data_home=None) -> list[tuple[str, int]]:
    """`(name, bytes)` of every entry, by name."""
    root = config.data_home(data_home) / "cache"
    return [(e.name, _size(e)) for e in _listing(root) if _ENTRY_NAME.fullmatch(e.name) and _real_dir(e)]


def _leftovers(data_home=None) -> list[tuple[str, int]]:
    """`(path in the data folder, bytes)` of temporary files and folders (writes killed or running)."""
    home = config.data_home(data_home)
    found = [e for e in _listing(home / "cache") if _PART_NAME.fullmatch(e.name) and _real_dir(e)]
    folders = [home, *(f for f in _listing(home / "standin") if _real_dir(f))]
    files = [f for folder in folders for f in _listing(folder) if is_temporary(f.name)]
    found += [f for f in files if f.is_file() and not f.is_symlink()]
    return [(e.relative_to(home).as_posix(), _size(e)) for e in found]


def _foreign(home: Path) -> list[str]:
    """Names in `cache/` that the package did not make (never removed, only named)."""
    ours = {name for name, _ in _entries(home)}
    ours |= {Path(name).name for name, _ in _leftovers(home) if name.startswith("cache/")}
    return [e.name for e in _listing(home / "cache") if e.name not in ours]


def _listing(folder: Path) -> list[Path]:
    """What a real folder holds, sorted; nothing for anything else."""
    try:
        return sorted(folder.iterdir()) if _real_dir(folder) else []
    except OSError:
        return []


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


@dataclass
class Cleared:
    """What [`clear`][notmnist.cache.clear] did: `(name, bytes)` of the entries `removed` and the temporary
    `leftovers`; `(name, why)` of what `failed`; the `foreign` names in `cache/` it left alone."""

    removed: list[tuple[str, int]] = field(default_factory=list)
    leftovers: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


def clear(data_home=None) -> Cleared:
    """Delete every entry and temporary folder or file; report what went, what did not, what is not ours.

    Parameters
    ----------
    data_home : str or PathLike, optional
        The data folder; default [`notmnist.config.data_home`][notmnist.config.data_home].
    """
    home = config.data_home(data_home)
    done = Cleared(foreign=_foreign(home))
    groups = ((done.removed, _entries(home), home / "cache"), (done.leftovers, _leftovers(home), home))
    for group, items, base in groups:
        for name, size in items:
            entry = base / name
            why = "still there"
            try:
                if _real_dir(entry):
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except OSError as exc:
                why = exc.strerror or str(exc)
                shutil.rmtree(entry, ignore_errors=True)  # whatever else can go
            if entry.exists() or entry.is_symlink():
                done.failed.append((name, why))
            else:
                group.append((name, size))
    return done
