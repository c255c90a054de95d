"""Export the prepared splits in the course's shape, for assignments 2 to 4.

Assignment 1 of the course saves its splits into `notMNIST.pickle`, a dict of six arrays
(`train_dataset`, `train_labels`, ...) that the next assignments load.  [`export`][notmnist.export.export]
writes the same six arrays from the splits the site shows, as the course's pickle (arrays pickled
with their raw bytes, so it loads with NumPy 1.x and 2.x; *loading* an untrusted pickle is unsafe)
or as `npz` (loads with `allow_pickle=False`).  Provenance goes beside the file
([`sidecar`][notmnist.export.sidecar]), not inside: learners treat the course's dict as six arrays.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import dataset
from ._io import atomic_write, check_replaceable, is_temporary, remove_stale
from .dataset import Splits
from .errors import ConfigError, NotMNISTError

if TYPE_CHECKING:
    from .sanitise import Sanitised

log = logging.getLogger(__name__)

_SPLITS = ("train", "valid", "test")
COURSE_KEYS = tuple(f"{split}_{what}" for split in _SPLITS for what in ("dataset", "labels"))
"""The course's key names, in the course's order."""
IMAGE_DTYPE = np.dtype(np.float32)
LABEL_DTYPE = np.dtype(np.int32)
"""The course's dtypes: `make_arrays` allocated float32 images and int32 labels."""
FORMATS = ("npz", "pickle")
_SUFFIXES = {".npz": "npz", ".pickle": "pickle", ".pkl": "pickle"}
COURSE_FILE = "notMNIST.pickle"
"""The file name the course's notebooks for assignments 2 to 4 open."""
SIDECAR_SUFFIX = ".provenance.json"


class ExportError(NotMNISTError, OSError):
    """The export cannot be written where asked (missing or unwritable folder)."""


@dataclass(frozen=True)
class Exported:
    """What [`export`][notmnist.export.export] wrote: the file at `path` in `format` (`"npz"` or
    `"pickle"`), the `shapes` of its arrays by course key, and the `provenance` record written to
    [`provenance_path`][notmnist.export.Exported.provenance_path]."""

    path: Path
    format: str
    shapes: dict[str, tuple[int, ...]]
    provenance: dict

    @property
    def provenance_path(self) -> Path:
        """The provenance file beside `path` ([`sidecar`][notmnist.export.sidecar])."""
        return sidecar(self.path)


def sidecar(path: str | os.PathLike) -> Path:
    """The provenance file of an export: `notMNIST.pickle` -> `notMNIST.pickle.provenance.json`.

    Parameters
    ----------
    path : str or PathLike
        The exported file.
    """
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def course_arrays(splits: Splits, *, clean: Sanitised | None = None) -> dict[str, np.ndarray]:
    """The six arrays of `splits` under the course's key names and dtypes.

    `{split}_dataset` are float32 (n, 28, 28), C-contiguous (the cached, read-only array itself
    when no copy is needed); `{split}_labels` int32 (n,), 0-9 for A-J.

    Parameters
    ----------
    splits : Splits
        From [`notmnist.dataset.load_splits`][notmnist.dataset.load_splits].
    clean : notmnist.sanitise.Sanitised, optional
        From [`notmnist.sanitise.sanitised`][notmnist.sanitise.sanitised]: keep only its validation and
        test images.
    """
    keep = {"train": None}
    if clean is not None:
        keep |= {"valid": clean.valid_keep, "test": clean.test_keep}
    arrays = {}
    for split, (images, labels) in splits.sets.items():
        mask = keep.get(split)
        if mask is not None:
            images, labels = images[mask], labels[mask]
        arrays[f"{split}_dataset"] = np.ascontiguousarray(images, dtype=IMAGE_DTYPE)
        arrays[f"{split}_labels"] = np.ascontiguousarray(labels, dtype=LABEL_DTYPE)
    return arrays


def _provenance(splits: Splits, arrays: dict[str, np.ndarray], clean: Sanitised | None, threshold) -> dict:
    """The JSON record of an export: the splits' provenance, the arrays' layout and counts, the sanitising."""
    record = splits.provenance.to_dict() if splits.provenance is not None else {}
    record["summary"] = splits.provenance.summary() if splits.provenance is not None else None
    record["layout"] = {
        "keys": list(COURSE_KEYS),
        "images": "float32 (n, 28, 28), (pixel - 127.5) / 255",
        "labels": "int32 (n,), 0-9 for A-J",
    }
    record["exported"] = {split: int(len(arrays[f"{split}_labels"])) for split in _SPLITS}
    record["sanitised"] = None
    if clean is not None:
        record["sanitised"] = {
            "rule": "valid and test images with an identical or near copy in train dropped (problem 5)",
            "near_threshold_grey_levels": threshold,
            "valid_dropped_identical": int(clean.valid_in_train),
            "valid_dropped_near": int(clean.valid_near),
            "test_dropped_identical": int(clean.test_in_train),
            "test_dropped_near": int(clean.test_near),
        }
    return record


def export(
    out: str | os.PathLike | None = None,
    *,
    sanitised: bool = False,
    format: str | None = None,
    source: str | None = None,
    data_home=None,
) -> Exported:
    """Write the course's six arrays to one file, and their provenance beside it.

    Parameters
    ----------
    out : path-like, optional
        The file, or an existing folder to write `notMNIST.npz`, `notMNIST.pickle` or
        `notMNIST_sanitised.*` into; default the current folder.  An existing file is replaced.
    sanitised : bool
        Drop validation and test images with an identical or near copy in
        train, as problem 5 does ([`notmnist.sanitise.sanitised`][notmnist.sanitise.sanitised]).
    format : {"npz", "pickle"}, optional
        Default: from `out`'s suffix (`.pickle` or `.pkl` -> pickle), else npz.
    source, data_home
        As for [`notmnist.dataset.load_splits`][notmnist.dataset.load_splits].

    Raises
    ------
    ExportError
        If the folder of `out` does not exist or cannot be written to.
    ValueError
        If `format` is unknown or contradicts `out`'s suffix.
    """
    path, format = _target(out, format, sanitised)
    splits = dataset.load_splits(source=source, data_home=data_home)
    clean = threshold = None
    if sanitised:
        from . import sanitise
        from .duplicates import DEFAULT_THRESHOLD

        threshold = DEFAULT_THRESHOLD
        clean = sanitise.sanitised(splits, threshold=threshold)
    arrays = course_arrays(splits, clean=clean)
    record = _provenance(splits, arrays, clean, threshold)
    write(path, arrays, record, format=format)
    return Exported(path, format, {k: tuple(v.shape) for k, v in arrays.items()}, record)


def write(
    path: str | os.PathLike, arrays: dict[str, np.ndarray], provenance: dict, *, format: str = "npz"
) -> Path:
    """Write `arrays` to `path` and `provenance` to [`sidecar`][notmnist.export.sidecar] of it, atomically.

    Returns `path`; `ExportError` if it cannot be written (then nothing is left behind).

    Parameters
    ----------
    path : path-like
        The file; its folder must exist.
    arrays : dict
        The six course arrays ([`course_arrays`][notmnist.export.course_arrays]); only they go into the file.
    provenance : dict
        JSON-serialisable; written to `<path>.provenance.json`.
    format : {"npz", "pickle"}
    """
    path = Path(path)
    format = _check_format(format)
    _check_folder(path)
    _check_folder(sidecar(path))  # the provenance file is written, and replaced, like the data
    missing = [k for k in COURSE_KEYS if k not in arrays]
    if missing:
        raise ValueError(f"missing course arrays: {', '.join(missing)}")
    text = json.dumps(provenance, indent=2, sort_keys=True) + "\n"
    save = {k: arrays[k] for k in COURSE_KEYS}
    try:
        # Both files go to temporary names and are renamed only once both are written.
        with atomic_write(sidecar(path), "wb") as side, atomic_write(path, "wb") as f:
            if format == "npz":
                np.savez(f, **save)
            else:
                _PortablePickler(f, protocol=4).dump(save)
            side.write(text.encode("utf-8"))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ExportError(f"cannot write {path}: {reason.lower()}; nothing was written") from exc
    log.info("wrote %s (%s, %.1f MB)", path, format, path.stat().st_size / 1e6)
    return path


class _PortablePickler(pickle.Pickler):
    """Pickle arrays as `numpy.ndarray` + `numpy.dtype` + raw bytes (protocol 4).

    NumPy 2 pickles arrays through `numpy._core`, which NumPy 1.x lacks before 1.26; a version-1
    `ndarray.__setstate__` state has loaded in every NumPy release, as writable arrays.
    """

    def reducer_override(self, obj):
        if isinstance(obj, np.ndarray) and obj.dtype.kind in "biuf":
            a = np.ascontiguousarray(obj)
            return np.ndarray, (a.shape, a.dtype.str), (1, a.shape, a.dtype, False, a.tobytes())
        return NotImplemented


_MISMATCH = {  # (name's format, --format) -> what goes wrong
    ("pickle", "npz"): "an npz archive, which pickle.load cannot read (the course's notebooks stop with "
    "UnpicklingError)",
    ("npz", "pickle"): "a pickle, which np.load refuses without allow_pickle=True",
}


def _check_format(format: str) -> str:
    """`format`, if it is one of `FORMATS`."""
    if format not in FORMATS:
        raise ConfigError(f"unknown export format {format!r}: choose one of {', '.join(FORMATS)}")
    return format


def _target(out, format: str | None, sanitised: bool) -> tuple[Path, str]:
    """The file to write and its format, checked before any work is done."""
    if format is not None:
        _check_format(format)
    path = Path.cwd() if out is None else Path(out)
    if path.is_dir():
        path = path / f"notMNIST{'_sanitised' if sanitised else ''}.{format or 'npz'}"
    implied = _SUFFIXES.get(path.suffix.lower())
    if format is None:
        format = implied or "npz"
    elif implied is not None and implied != format:
        raise ConfigError(
            f"{path.name} names a {implied} file, but --format {format} writes "
            f"{_MISMATCH[implied, format]}: name the file {path.stem}.{format}, or choose --format {implied}"
        )
    _check_folder(path)
    return path, format


def _check_folder(path: Path) -> None:
    """Refuse, before any work, a folder that is missing or not writable, or a `path` not a regular file."""
    check_replaceable(path)
    try:  # temporary files a killed export of `path` left beside it
        parts = [p for p in path.parent.iterdir() if is_temporary(p.name, path.name)]
    except OSError:
        parts = []
    remove_stale(parts, "export", logging.WARNING)
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ExportError(f"cannot write {path}: {folder} {what}; create it or choose another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {path}: no permission to write in {folder}; choose another folder")
