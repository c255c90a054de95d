"""Archives -> letters -> normalised splits, with caches and provenance.

This is the one place that decides *which* data a page shows ([`locate`][notmnist.dataset.locate]).
Every result carries a [`Provenance`][notmnist.dataset.Provenance].  Letters and splits are cached
([`notmnist.cache`][notmnist.cache]); their arrays are read-only: copy one before changing it in place.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import _sidefile, cache, config
from ._text import plural
from ._version import __version__
from .archive import Letters, Skipped, Skips
from .errors import NotMNISTError
from .fetch import ArchiveMismatch, DataUnavailable, fetch
from .pixels import normalise
from .registry import ARCHIVES, LETTERS, SUBSETS, archive_info
from .verify import read_letters

log = logging.getLogger(__name__)

DEFAULT_SEED = 133
"""The course seeded NumPy's global generator with 133; we seed our own generator with it."""

COURSE_SIZES = {"train": 200_000, "valid": 10_000, "test": 10_000}
"""Split sizes of the course on the real archives; the stand-in scales them."""

_STANDIN_SEED = 0


class DataError(NotMNISTError, ValueError):
    """The data cannot support the request (too few images for a letter, bad sizes)."""


@dataclass(frozen=True)
class ArchiveRecord:
    """One archive a result was computed from."""

    subset: str
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Provenance:
    """Where a result came from: enough to tell two sources apart and to key caches.

    The `source` (`"real"` or `"standin"`), the `archives` read, the stand-in's `scale` (1.0 for
    the real data), the splits' `seed` and `sizes` (None for letters read straight from an archive),
    the package `version`, and the `note` of why `auto` chose the stand-in, if it did.
    """

    source: str
    archives: tuple[ArchiveRecord, ...]
    scale: float = 1.0
    seed: int | None = None
    sizes: dict | None = None
    version: str = __version__
    note: str | None = None

    def summary(self) -> str:
        """One line for a page: which data, which archives, which seed."""
        what = (
            "real notMNIST archives"
            if self.source == "real"
            else f"offline stand-in rendered from fonts (scale {self.scale:g})"
        )
        if self.note:
            what += f", chosen automatically because {self.note}"
        parts = [f"Data: {what}"]
        parts += [f"{a.name} ({a.size / 1e6:.1f} MB, sha256 {a.sha256[:12]})" for a in self.archives]
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        parts.append(f"notmnist {self.version}")
        return " · ".join(parts)

    def to_dict(self) -> dict:
        """Plain JSON-serialisable form."""
        return asdict(self)


@dataclass(frozen=True)
class DataSource:
    """The archives chosen by [`locate`][notmnist.dataset.locate]."""

    kind: str
    paths: dict[str, Path]
    scale: float = 1.0
    note: str | None = None

    def provenance(self, subsets=SUBSETS, **extra) -> Provenance:
        """Provenance of a result computed from `subsets` of this source.

        Parameters
        ----------
        subsets : sequence of str
            The archives the result was computed from (`"large"`, `"small"`).
        **extra
            Further fields of the provenance (seed, split sizes, ...).
        """
        records = tuple(
            ArchiveRecord(s, p.name, p.stat().st_size, _sidefile.sha256(p))
            for s, p in {s: self.paths[s] for s in subsets}.items()
        )
        return Provenance(self.kind, records, self.scale, note=self.note, **extra)


def locate(source: str | None = None, *, data_home=None, download_if_missing: bool = True) -> DataSource:
    """Find (or make) the archives of `source`: a `DataSource` of kind `"real"` or `"standin"`.

    Parameters
    ----------
    source : {"auto", "real", "standin"}, optional
        `"real"` archives (dropped in or downloaded), the `"standin"` rendered from fonts, or
        `"auto"`: real when possible, else the stand-in with a warning.  Default
        [`notmnist.config.source`][notmnist.config.source].
    data_home : path-like, optional
        Data folder; default [`notmnist.config.data_home`][notmnist.config.data_home].
    download_if_missing : bool
        For the real archives.
    """
    kind = config.source(source)
    if kind == "standin":
        config.standin_scale()  # a bad scale is refused before anything else happens
    # The stand-in's settings key the cached choice, so that a change is seen.
    return _locate(kind, config.data_home(data_home), download_if_missing, *config.standin_settings())


@functools.lru_cache(maxsize=8)
def _locate(
    kind: str, home: Path, download_if_missing: bool, env_scale: str | None, env_fonts: str | None
) -> DataSource:
    """`locate`, decided once per process (one download attempt, one warning)."""
    note = None
    if kind in ("real", "auto"):
        try:
            paths = {s: fetch(s, data_home=home, download_if_missing=download_if_missing) for s in SUBSETS}
            return DataSource("real", paths)
        except DataUnavailable as exc:
            if kind == "real":
                raise
            note = "the real archives are not in the data folder and could not be downloaded"
            # Say why when a file was there but is not the archive (not when it is simply absent).
            why = f" ({' '.join(str(exc).split())})" if getattr(exc, "found", False) else ""
            log.info("%s", exc)
            warnings.warn(
                f"{note}{why}; using the offline stand-in rendered from fonts instead "
                "(set NOTMNIST_SOURCE=standin to silence this, or drop the real archives into "
                "the data folder, NOTMNIST_DATA_DIR; 'python -m notmnist info' shows where it is)",
                stacklevel=_caller_stacklevel(),
            )
    from .standin import write_standin

    scale, fonts = config.standin_scale(), config.standin_fonts()
    folder = home / "standin" / f"scale-{scale:g}-seed-{_STANDIN_SEED}{'' if fonts == 'all' else '-' + fonts}"
    paths = write_standin(folder, scale=scale, seed=_STANDIN_SEED, fonts=fonts)
    return DataSource("standin", {s: Path(paths[s]) for s in SUBSETS}, scale, note)


def load_letters(subset: str, *, source: str | None = None, data_home=None) -> Letters:
    """Read the letters of one archive, cached, with their `provenance`.

    Parameters
    ----------
    subset : {"large", "small"}
    source, data_home
        As for [`locate`][notmnist.dataset.locate].

    Raises
    ------
    DataError
        If a letter has fewer readable images than the course's minimum (scaled for the stand-in).
    """
    archive_info(subset)
    src = locate(source, data_home=data_home)
    return _letters(src, subset, data_home)


def _letters(src: DataSource, subset: str, data_home) -> Letters:
    """The letters of one archive of `src`, cached and checked."""
    path = src.paths[subset]
    prov = src.provenance((subset,))
    arrays = read_letters(path, prov.archives[0].sha256, subset, data_home)
    named = (Skipped(str(m), str(r)) for m, r in zip(arrays["skipped_member"], arrays["skipped_reason"]))
    counts = dict(zip(map(str, arrays["skipped_count_reason"]), map(int, arrays["skipped_count"])))
    skipped = Skips(named, counts)
    letters = Letters(arrays["images"], arrays["labels"], arrays["names"], skipped, path)
    letters.provenance = prov
    problem = str(arrays["problem"])  # fetch() verified the archive: a problem means it changed since
    if src.kind == "real" and problem and path.stat().st_size == ARCHIVES[subset].size:
        raise ArchiveMismatch(f"{path} is not the published archive: {problem}; fetch it again")
    _check_minimum(letters, subset, src.scale)
    return letters


def _caller_stacklevel() -> int:
    """The `stacklevel` that attributes a warning to the first caller outside this package."""
    package = os.path.join(str(Path(__file__).parent), "")
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _check_minimum(letters: Letters, subset: str, scale: float) -> None:
    """Refuse an archive with too few readable images of a letter."""
    minimum = int(ARCHIVES[subset].min_per_letter * scale)
    short = {k: v for k, v in letters.counts.items() if v < minimum}
    if short:
        counts = ", ".join(f"{k} has {v:,}" for k, v in short.items())
        raise DataError(
            f"{letters.path.name}: too few readable images ({counts}; at least {minimum:,} per letter "
            "expected): the archive is incomplete, delete it and fetch it again"
        )


@dataclass
class Splits:
    """Training, validation and test sets.

    Attributes
    ----------
    train_images, valid_images, test_images : ndarray of float32, shape (n, 28, 28)
        Normalised pixels `(p - 127.5) / 255`, in about [-0.5, 0.5].
    train_labels, valid_labels, test_labels : ndarray of int64, shape (n,)
        0 to 9 for A to J.
    train_index, valid_index, test_index : ndarray of int64, shape (n,)
        Position of each image in its archive's [`Letters`][notmnist.archive.Letters]
        (train and valid: large; test: small).
    provenance : Provenance
    data_home : Path
        Data folder the splits were cached in (later stages cache there too).
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    valid_images: np.ndarray
    valid_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    train_index: np.ndarray
    valid_index: np.ndarray
    test_index: np.ndarray
    provenance: Provenance | None = field(default=None, repr=False)
    data_home: Path | None = field(default=None, repr=False)

    @property
    def sets(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """`{"train": (images, labels), "valid": ..., "test": ...}`."""
        return {
            name: (getattr(self, f"{name}_images"), getattr(self, f"{name}_labels"))
            for name in ("train", "valid", "test")
        }


def split_sizes(scale: float = 1.0, sizes: dict | None = None) -> dict[str, int]:
    """The course's split sizes times `scale` (multiples of 10), overridden by `sizes`.

    Parameters
    ----------
    scale : float
        Fraction of the course's sizes (the stand-in's scale; 1 for the real archives).
    sizes : dict, optional
        Sizes to use instead, by split name (`train`, `valid`, `test`).
    """
    out = {k: 10 * max(1, round(v * scale / 10)) for k, v in COURSE_SIZES.items()}
    for k, v in (sizes or {}).items():
        if k not in out:
            raise ValueError(f"unknown split {k!r}: choose from train, valid, test")
        if v <= 0 or v % len(LETTERS):
            raise ValueError(f"{k} size must be a positive multiple of 10 (one tenth per letter), got {v}")
        out[k] = int(v)
    return out


def make_splits(
    large: Letters, small: Letters, sizes: dict[str, int], seed: int = DEFAULT_SEED
) -> dict[str, np.ndarray]:
    """Draw the splits' indices as the course did, from an explicit seed.

    Returns `train_index`, `valid_index` (int64 positions into `large`) and `test_index` (into
    `small`).  Each letter is shuffled; of the large archive, its first `valid/10` images go to
    validation and the next `train/10` to training; of the small one, the first `test/10` to test.
    Each split is then permuted.

    Parameters
    ----------
    large, small : Letters
        The letters of the large and of the small archive.
    sizes : dict of str to int
        Images per split (`train`, `valid`, `test`), multiples of 10.
    seed : int
    """
    rng = np.random.default_rng(seed)
    per = {k: v // len(LETTERS) for k, v in sizes.items()}
    parts = {"train": [], "valid": [], "test": []}
    for label, letter in enumerate(LETTERS):
        for letters, names in ((large, ("valid", "train")), (small, ("test",))):
            where = np.flatnonzero(letters.labels == label)
            need = sum(per[n] for n in names)
            if len(where) < need:
                raise DataError(
                    f"{letters.path.name}: letter {letter} has {plural(len(where), 'image')}, "
                    f"the splits need {need:,} ({' + '.join(f'{n} {per[n]:,}' for n in names)} per letter); "
                    "ask for smaller sizes"
                )
            where = rng.permutation(where)
            start = 0
            for n in names:
                parts[n].append(where[start : start + per[n]])
                start += per[n]
    return {f"{k}_index": rng.permutation(np.concatenate(v)).astype(np.int64) for k, v in parts.items()}


def provenance(
    *, source: str | None = None, data_home=None, seed: int = DEFAULT_SEED, sizes: dict | None = None
) -> Provenance:
    """The provenance of [`load_splits`][notmnist.dataset.load_splits] without drawing the splits.

    Parameters
    ----------
    source, data_home, seed, sizes
        As for [`load_splits`][notmnist.dataset.load_splits].
    """
    src = locate(source, data_home=data_home)
    return src.provenance(seed=seed, sizes=split_sizes(src.scale, sizes))


def load_splits(
    *, source: str | None = None, data_home=None, seed: int = DEFAULT_SEED, sizes: dict | None = None
) -> Splits:
    """Training, validation and test sets, prepared as the course did (cached).

    Parameters
    ----------
    source, data_home
        As for [`locate`][notmnist.dataset.locate].
    seed : int
        Seed of the shuffles.
    sizes : dict, optional
        Any of `train`, `valid`, `test` (multiples of 10); default
        [`split_sizes`][notmnist.dataset.split_sizes] of the source's scale.
    """
    src = locate(source, data_home=data_home)
    prov = provenance(source=source, data_home=data_home, seed=seed, sizes=sizes)
    sizes = prov.sizes

    def draw() -> dict[str, np.ndarray]:
        large, small = _letters(src, "large", data_home), _letters(src, "small", data_home)
        index = make_splits(large, small, sizes, seed)
        arrays = {}
        for split, letters in (("train", large), ("valid", large), ("test", small)):
            idx = index[f"{split}_index"]
            arrays[f"{split}_images"] = normalise(letters.images[idx])
            arrays[f"{split}_labels"] = letters.labels[idx]
            arrays[f"{split}_index"] = idx
        return arrays

    arrays, _ = cache.memo(
        "splits",
        (
            *(a.sha256 for a in prov.archives),
            seed,
            sorted(sizes.items()),
            cache.code_hash(sys.modules[__name__]),  # this module and all it imports
        ),
        [f"{s}_{what}" for s in ("train", "valid", "test") for what in ("images", "labels", "index")],
        draw,
        data_home=data_home,
    )
    return Splits(**arrays, provenance=prov, data_home=config.data_home(data_home))
