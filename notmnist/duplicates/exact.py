"""Exact duplicates: identical images inside one set and between sets.

Two images are identical when the SHA-256 digests of their bytes are; one sort of the digests
(`np.unique`) files every image under its first identical image, so the cost grows with the number
of images, not of pairs.  A `uint8` image and its normalised float32 version are different images
here: compare sets of one dtype ([`notmnist.pixels.denormalise`][notmnist.pixels.denormalise] converts).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ..pixels import _as_rows as _rows


@dataclass(frozen=True)
class Groups:
    """Groups of identical images inside one set (only groups of two or more).

    `group` (int64, shape (N,)) numbers each image's group, `-1` for an image that occurs once;
    groups are numbered in order of their `first` image, and `sizes` counts their images (int64,
    shape (n_groups,) both).
    """

    group: np.ndarray
    first: np.ndarray
    sizes: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number of groups of identical images."""
        return len(self.sizes)

    @property
    def n_images_in_groups(self) -> int:
        """Number of images that have at least one identical copy in the set."""
        return int(self.sizes.sum())

    @property
    def n_redundant(self) -> int:
        """Images that could be removed leaving one of each: `n_images_in_groups - n_groups`."""
        return self.n_images_in_groups - self.n_groups


@dataclass(frozen=True)
class Overlap:
    """Exact copies between two sets `a` and `b`.

    `a_in_b` (bool, shape (len(a),)) says which images of `a` have an identical copy in `b`, and
    `match_in_b` (int64) the index of the first one, `-1` if none; `b_in_a` and `match_in_a` the
    same the other way.  Every copy counts, as in the course's published solutions.
    """

    a_in_b: np.ndarray
    b_in_a: np.ndarray
    match_in_b: np.ndarray
    match_in_a: np.ndarray

    @property
    def n_a_in_b(self) -> int:
        """Images of `a` (with multiplicity) that also occur in `b`."""
        return int(self.a_in_b.sum())

    @property
    def n_b_in_a(self) -> int:
        """Images of `b` (with multiplicity) that also occur in `a`."""
        return int(self.b_in_a.sum())


def _identity(*parts: np.ndarray) -> np.ndarray:
    """For each row of the concatenated `parts`, the index of its first identical row."""
    digests = np.array([hashlib.sha256(row).digest() for part in parts for row in part], "V32")
    _, first, inverse = np.unique(digests, return_index=True, return_inverse=True)
    return first[inverse.ravel()].astype(np.int64)


def exact_groups(images: np.ndarray) -> Groups:
    """Find the groups of two or more identical images inside one set.

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W)
    """
    ids = _identity(_rows(images))
    counts = np.bincount(ids, minlength=len(ids))
    first = np.flatnonzero(counts >= 2)  # ascending: groups numbered by first image
    number = np.full(len(ids), -1, np.int64)
    number[first] = np.arange(len(first))
    return Groups(group=number[ids], first=first.astype(np.int64), sizes=counts[first])


def overlap(a: np.ndarray, b: np.ndarray) -> Overlap:
    """Find the images of `a` that occur exactly in `b`, and those of `b` in `a`.

    Duplicates inside `a` or `b` are allowed: every copy is marked.

    Parameters
    ----------
    a, b : ndarray of uint8 or float, shape (Na, H, W) and (Nb, H, W)
        Two sets with the same image shape and dtype.
    """
    return overlaps({"a": a, "b": b})["a", "b"]


def overlaps(sets: dict[str, np.ndarray]) -> dict[tuple[str, str], Overlap]:
    """Exact overlaps between every pair of named sets, digesting each set once.

    One entry per unordered pair, keyed `(a, b)` in the order of `sets`: `("train", "valid")`,
    `("train", "test")`, `("valid", "test")`.

    Parameters
    ----------
    sets : dict of str to ndarray of uint8 or float, shape (N, H, W)
        Same image shape and dtype.
    """
    rows = [_rows(images, name) for name, images in sets.items()]
    shapes, dtypes = {r.shape[1:] for r in rows}, {r.dtype for r in rows}
    if len(shapes) > 1 or len(dtypes) > 1:
        raise ValueError(
            f"sets must have the same image shape and dtype, got shapes {sorted(shapes)} and "
            f"dtypes {sorted(map(str, dtypes))}: convert them to one dtype first"
        )
    ids = np.split(_identity(*rows), np.cumsum([len(r) for r in rows])[:-1])
    names = list(sets)
    return {
        (names[i], names[j]): _overlap_from_ids(ids[i], ids[j])
        for i in range(len(names))
        for j in range(i + 1, len(names))
    }


def _overlap_from_ids(ids_a: np.ndarray, ids_b: np.ndarray) -> Overlap:
    """Overlap of two sets from their rows' first identical index (one numbering for both)."""
    na, nb = len(ids_a), len(ids_b)
    size = int(max(ids_a.max(initial=0), ids_b.max(initial=0))) + 1
    first_a = np.full(size, na, np.int64)  # each identity's first index in a (na: absent)
    np.minimum.at(first_a, ids_a, np.arange(na, dtype=np.int64))
    first_b = np.full(size, nb, np.int64)
    np.minimum.at(first_b, ids_b, np.arange(nb, dtype=np.int64))
    match_in_b, match_in_a = first_b[ids_a], first_a[ids_b]
    a_in_b, b_in_a = match_in_b < nb, match_in_a < na
    match_in_b[~a_in_b] = -1
    match_in_a[~b_in_a] = -1
    return Overlap(a_in_b=a_in_b, b_in_a=b_in_a, match_in_b=match_in_b, match_in_a=match_in_a)
