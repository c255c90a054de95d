"""Is an archive the published one?  The one place that answers, for every caller.

The archives have no published hash, so an archive is *verified* when it has the published byte
size and the gzip signature (`file_problem`, by the reader's own rule), a whole gzip stream whose
CRC and length match, and readable images per letter equal to the published counts.
[`notmnist.fetch.fetch`][notmnist.fetch.fetch] asks [`contents_check`][notmnist.verify.contents_check]
before it returns an archive, so one that fails is never used; the verdict is cached with the letters
and remembered beside the archive.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from . import _sidefile, cache
from ._io import open_regular
from .archive import ArchiveError, gzip_problem, read_archive
from .registry import LETTERS, archive_info

# The arrays of a `letters-<subset>` entry: skipped members named (`skipped_member`, `skipped_reason`)
# and counted per reason (`skipped_count`, `skipped_count_reason`); `problem` is "" when the counts are
# the published ones.
_LETTER_ARRAYS = (
    "images", "labels", "names", "skipped_member", "skipped_reason", "skipped_count", "skipped_count_reason",
    "problem",
)


def file_problem(path: Path, size: int) -> str | None:
    """Why the regular file `path` is not an archive of `size` bytes (by its size and first bytes), or None.

    Parameters
    ----------
    path : Path
        A regular file.
    size : int
        The published byte size of the archive it should be.
    """
    with open_regular(path) as f:
        found = os.fstat(f.fileno()).st_size
        head = f.read(512)
    problems = []
    if found != size:
        problems.append(f"it is {found:,} bytes, expected {size:,}")
    problems.append(gzip_problem(head))
    return "; ".join(p for p in problems if p) or None


def _counts_problem(counts: dict[str, int], subset: str) -> str | None:
    """How readable images per letter (`{"A": n, ...}`) differ from the published counts, or None."""
    published = zip(LETTERS, archive_info(subset).counts)
    wrong = [f"{k} {counts.get(k, 0):,} (published {v:,})" for k, v in published if counts.get(k) != v]
    if wrong:
        return "readable images per letter differ from the published counts: " + ", ".join(wrong)
    return None


def read_letters(path: Path, sha256: str, subset: str, data_home=None) -> dict[str, np.ndarray]:
    """The letters of `path` and the verdict on its counts, cached (`ArchiveError` if the read fails).

    Parameters
    ----------
    path : Path
    sha256 : str
        Its SHA-256 (part of the cache key).
    subset : {"large", "small"}
        Whose published counts it is compared with.
    data_home : path-like, optional
    """

    def read() -> dict[str, np.ndarray]:
        letters = read_archive(path)
        return {
            "images": letters.images,
            "labels": letters.labels,
            "names": letters.names,
            "skipped_member": np.array([s.member for s in letters.skipped], dtype=str),
            "skipped_reason": np.array([s.reason for s in letters.skipped], dtype=str),
            "skipped_count": np.array(list(letters.skipped.counts.values()), np.int64),
            "skipped_count_reason": np.array(list(letters.skipped.counts), dtype=str),
            "problem": np.array(_counts_problem(letters.counts, subset) or ""),
        }

    parts = (sha256, cache.code_hash(sys.modules[__name__]))  # this module and all it imports
    return cache.memo(f"letters-{subset}", parts, _LETTER_ARRAYS, read, data_home=data_home)[0]


def contents_check(subset: str, data_home=None):
    """The check [`notmnist.fetch.fetch`][notmnist.fetch.fetch] runs: `verify(path)`, None when the
    file's gzip stream is whole and its per-letter counts are the published ones, else what is wrong.

    Parameters
    ----------
    subset : {"large", "small"}
        Which archive the file should be.
    data_home : path-like, optional
        Data folder of the letters' cache.
    """

    def verify(path: Path) -> str | None:
        try:
            arrays = read_letters(path, _sidefile.sha256(path, remember=False), subset, data_home)
        except ArchiveError as exc:
            return exc.reason
        return str(arrays["problem"]) or None

    return verify
