"""notMNIST workbook: fetch, read and prepare the notMNIST letters, and analyse them.

Data flows one way, one module per stage::

    registry   the two archives as data (names, sizes, mirrors, published counts)
    pixels     normalise / denormalise, grey levels, near-constant images (any stage)
    fetch      data folder, verified downloads with pooch, dropped-in files
    standin    an offline look-alike archive rendered from fonts (fonts, render, write)
    archive    read_archive(path): stream PNG members into uint8 arrays
    dataset    archives -> letters -> normalised splits, provenance
    cache      results on disk, keyed by the data and the code that made them
    duplicates exact (digests, groups, overlaps) and near (pruned search, neighbours)
    sanitise   validation and test sets without copies of train
    baseline   logistic-regression learning curve
    fidelity   the stand-in measured against the real statistics
    plots      glyph grids and figure helpers for the pages
    results    headline numbers a page hands to the site's home page
    export     the course's six arrays for assignments 2 to 4

Private helpers: ``_tarstream`` (fast tar walk), ``_png`` (bulk PNG decoding),
``_io`` (atomic writes), ``_workers`` (worker processes that never re-run the
caller's script).  The command line is ``python -m notmnist``.
"""

from __future__ import annotations

from ._version import __version__
from .archive import ArchiveError, Letters, Skipped, read_archive
from .dataset import Splits, load_letters, load_splits, locate
from .fetch import DataUnavailable, data_home, fetch
from .registry import ARCHIVES, LETTERS

__all__ = [
    "ARCHIVES",
    "LETTERS",
    "ArchiveError",
    "DataUnavailable",
    "Letters",
    "Skipped",
    "Splits",
    "__version__",
    "data_home",
    "fetch",
    "load_letters",
    "load_splits",
    "locate",
    "read_archive",
]
