"""Is an archive the published one?  Verification on first read, remembered.

The archives have no published hash, so an archive is *verified* when it has

- the exact published byte size (checked by [`notmnist.fetch`][notmnist.fetch]),
- a whole gzip stream whose CRC and length match (checked by reading it to
  the end, [`notmnist.archive.read_archive`][notmnist.archive.read_archive]), and
- readable images per letter equal to the published counts
  ([`notmnist.registry.counts_problem`][notmnist.registry.counts_problem]).

The check runs when the archive is first read.  Its verdict is cached with
the letters ([`read_letters`][notmnist.verify.read_letters], entry `letters-<subset>`) and remembered
in a small side file beside the archive, where `.venv/bin/python -m notmnist
info` finds it.  A download is checked before it is kept
([`contents_check`][notmnist.verify.contents_check], passed to [`notmnist.fetch.fetch`][notmnist.fetch.fetch]
as
`verify`), and its letters are cached at the same time, so the first use of
the archive does not read it again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from . import _sidefile, cache
from .archive import ArchiveError, read_archive
from .fetch import ArchiveMismatch, fetch
from .fetch import data_home as _data_home
from .registry import ARCHIVES, counts_problem

LETTER_ARRAYS = ("images", "labels", "names", "skipped_member", "skipped_reason", "problem")
"""Arrays of a `letters-<subset>` entry; `problem` is `""` when the counts are the published ones."""


def read_letters(path: Path, sha256: str, subset: str, data_home=None) -> dict[str, np.ndarray]:
    """The letters of `path` and the verdict on its counts, from the cache or read now.

    A read that fails (bad gzip CRC or length, truncated, not a tar) raises
    [`ArchiveError`][notmnist.archive.ArchiveError], and for a file of the published
    size the failure is remembered beside it.

    Parameters
    ----------
    path : Path
        The archive.
    sha256 : str
        Its SHA-256 (keys the cache entry).
    subset : str
        `"large"` or `"small"`: whose published counts to check against.
    data_home : str or PathLike, optional
        The data folder; default [`notmnist.config.data_home`][notmnist.config.data_home].
    """

    def read() -> dict[str, np.ndarray]:
        try:
            letters = read_archive(path)
        except ArchiveError as exc:  # a bad gzip CRC or length is a failed verification too
            if path.stat().st_size == ARCHIVES[subset].size:
                _sidefile.update(path, verified=False, problem=exc.reason)
            raise
        return {
            "images": letters.images,
            "labels": letters.labels,
            "names": letters.names,
            "skipped_member": np.array([s.member for s in letters.skipped], dtype=str),
            "skipped_reason": np.array([s.reason for s in letters.skipped], dtype=str),
            "problem": np.array(counts_problem(letters.counts, subset) or ""),
        }

    arrays, _ = cache.memo(
        f"letters-{subset}",
        (sha256, cache.code_hash(sys.modules[__name__])),  # this module and all it imports
        LETTER_ARRAYS,
        read,
        data_home=data_home,
    )
    return arrays


def record(path: Path, arrays: dict[str, np.ndarray]) -> str | None:
    """Remember beside `path` the verdict cached with its letters; return what is wrong, or None.

    Parameters
    ----------
    path : Path
        The archive.
    arrays : dict of str to ndarray
        Its cached letters, with the verdict.
    """
    problem = str(arrays["problem"]) or None
    if _sidefile.verification(path) != (problem is None, problem):
        _sidefile.update(path, verified=problem is None, problem=problem)
    return problem


def contents_check(subset: str, data_home=None):
    """A `verify` for [`notmnist.fetch.fetch`][notmnist.fetch.fetch]: read a download, cache its letters, say
    what is wrong.

    Parameters
    ----------
    subset : str
        `"large"` or `"small"`.
    data_home : str or PathLike, optional
        The data folder; default [`notmnist.config.data_home`][notmnist.config.data_home].

    Returns
    -------
    callable
        `verify(path) -> str | None`: None when the file's gzip stream is
        whole and its per-letter counts are the published ones, else what is wrong.
    """

    def verify(path: Path) -> str | None:
        try:
            arrays = read_letters(path, _sidefile.sha256(path, remember=False), subset, data_home)
        except ArchiveError as exc:
            return exc.reason
        return str(arrays["problem"]) or None

    return verify


def verify_archive(subset: str, *, data_home=None) -> Path:
    """Find or download the real archive of `subset` and verify its contents.

    Parameters
    ----------
    subset : str
        `"large"` or `"small"`.
    data_home : str or PathLike, optional
        The data folder; default [`notmnist.config.data_home`][notmnist.config.data_home].

    Returns
    -------
    Path
        The verified archive.

    Raises
    ------
    DataUnavailable
        The archive is absent and could not be downloaded.
    ArchiveError, ArchiveMismatch
        Its contents are not those of the published archive (the verdict is
        remembered: the next [`fetch`][notmnist.fetch.fetch] moves it aside and
        downloads it again).
    """
    home = _data_home(data_home)
    path = fetch(subset, data_home=home, verify=contents_check(subset, home))
    problem = record(path, read_letters(path, _sidefile.sha256(path), subset, home))
    if problem:
        raise ArchiveMismatch(f"{path} is not the published archive: {problem}; delete it and fetch it again")
    return path
