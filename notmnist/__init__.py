"""notMNIST workbook: fetch, read and prepare the notMNIST letters, and analyse them.

One module per stage of the data's flow, none importing a later one (the package reference lists
them in that order).  The command line is `python -m notmnist`.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

from ._version import __version__

# Public names, imported on first use (PEP 562): a decoding or rendering worker imports
# ``notmnist`` for one private module and should not pay for ``dataset`` and ``fetch``.
_EXPORTS = {
    "ARCHIVES": "registry",
    "LETTERS": "registry",
    "NotMNISTError": "errors",
    "ArchiveError": "archive",
    "DataUnavailable": "fetch",
    "Letters": "archive",
    "Skipped": "archive",
    "Splits": "dataset",
    "data_home": "config",
    "fetch": "fetch",
    "load_letters": "dataset",
    "load_splits": "dataset",
    "locate": "dataset",
    "read_archive": "archive",
}

__all__ = [  # the names above, spelt out for linters and type checkers
    "ARCHIVES", "LETTERS", "NotMNISTError", "ArchiveError", "DataUnavailable", "Letters", "Skipped",
    "Splits", "__version__", "data_home", "fetch", "load_letters", "load_splits", "locate", "read_archive",
]

if TYPE_CHECKING:  # for type checkers and documentation tools, which do not run __getattr__
    from .archive import ArchiveError, Letters, Skipped, read_archive
    from .config import data_home
    from .dataset import Splits, load_letters, load_splits, locate
    from .errors import NotMNISTError
    from .fetch import DataUnavailable, fetch
    from .registry import ARCHIVES, LETTERS


def __getattr__(name: str):
    """Import a public name's module on first access."""
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    """Keeps `notmnist.fetch` the function when the import system binds the module of that name."""

    def __setattr__(self, name: str, value) -> None:
        if name == "fetch" and isinstance(value, types.ModuleType):
            return  # the module stays reachable as sys.modules["notmnist.fetch"]
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
