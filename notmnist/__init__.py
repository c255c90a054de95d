"""notMNIST workbook: fetch, read and prepare the notMNIST letters, and analyse them.

Data flows one way, one module per stage; none imports a later one
(`tests/test_imports.py` checks it):

```text
config     the data folder and every NOTMNIST_* environment variable
errors     NotMNISTError, the base of every error the package raises on purpose
registry   the two archives as data (names, sizes, mirrors, published counts)
pixels     normalise / denormalise, grey levels, near-constant images (any stage)
fetch      verified downloads with pooch, dropped-in files
cache      results on disk, keyed by the data and the code that made them
archive    read_archive(path): stream PNG members into uint8 arrays
verify     an archive's contents checked against the published counts, once
standin    an offline look-alike archive rendered from fonts (fonts, render, write)
dataset    archives -> letters -> normalised splits, provenance
duplicates exact (digests, groups, overlaps) and near (pruned search, neighbours)
sanitise   validation and test sets without copies of train
baseline   logistic-regression learning curve
fidelity   the stand-in measured against the real statistics
plots      glyph grids and figure helpers for the pages
results    headline numbers a page hands to the site's home page
export     the course's six arrays for assignments 2 to 4
```

Private helpers: `_tarstream` (fast tar walk), `_decode` (batches of members decoded in
worker processes), `_png` (bulk PNG decoding),
`_io` (atomic writes), `_sidefile` (what is remembered beside an archive),
`_workers` (worker processes that never re-run the caller's script),
`_version`.  The command line is `python -m notmnist`.
"""

from __future__ import annotations

from ._version import __version__
from .archive import ArchiveError, Letters, Skipped, read_archive
from .config import data_home
from .dataset import Splits, load_letters, load_splits, locate
from .errors import NotMNISTError
from .fetch import DataUnavailable, fetch
from .registry import ARCHIVES, LETTERS

__all__ = [
    "ARCHIVES",
    "LETTERS",
    "NotMNISTError",
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
