"""Exact duplicates: identical images inside one set and between sets.

Identical images are found by a join on a 64-bit digest of each image's bytes,
never by comparing every pair: digests are sorted, runs of equal digests are
candidate groups, and every candidate is then verified against the raw bytes,
so a digest collision can never merge two different images.  The cost grows
with the number of images (a sort), not with the number of pairs.

Images are compared byte for byte as stored: a `uint8` image and its
normalised float32 version are different images here, so compare sets of one
dtype ([`notmnist.pixels.denormalise`][notmnist.pixels.denormalise] converts).  Every function is pure
and deterministic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..pixels import as_rows as _rows

log = logging.getLogger(__name__)

_SEED = 20_160_115  # fixed: digests must be identical across calls and processes
_MULTIPLIERS = np.random.default_rng(_SEED).integers(0, 2**63, size=4096, dtype=np.uint64)
_MULTIPLIERS = _MULTIPLIERS * np.uint64(2) + np.uint64(1)  # odd: invertible modulo 2**64
_DIGEST_CHUNK = 4096  # rows per chunk: the temporary stays in cache
_CHUNK = 2048  # rows per chunk when gathering rows to verify


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Groups:
    """Groups of identical images inside one set (only groups of two or more).

    Attributes
    ----------
    group : ndarray of int64, shape (N,)
        Group number of each image, `-1` for an image that occurs once.  Groups
        are numbered `0 ... n_groups - 1` in order of their first image.
    first : ndarray of int64, shape (n_groups,)
        Index of the first image of each group.
    sizes : ndarray of int64, shape (n_groups,)
        Number of images in each group (at least 2).
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
    def n_images(self) -> int:
        """Same as [`n_images_in_groups`][notmnist.duplicates.Groups.n_images_in_groups]."""
        return self.n_images_in_groups

    @property
    def n_redundant(self) -> int:
        """Images that could be removed leaving one of each: `n_images_in_groups - n_groups`."""
        return self.n_images_in_groups - self.n_groups

    @property
    def n_distinct(self) -> int:
        """Number of distinct images in the set."""
        return len(self.group) - self.n_redundant

    def members(self, g: int) -> np.ndarray:
        """Indices (int64, ascending) of the images of group `g`.

        Parameters
        ----------
        g : int
            A group number, `0 <= g < n_groups`.
        """
        return np.flatnonzero(self.group == g)


@dataclass(frozen=True)
class Overlap:
    """Exact copies between two sets `a` and `b`.

    Counting convention: [`n_a_in_b`][notmnist.duplicates.Overlap.n_a_in_b] counts the *images of a* that have
    an
    identical image anywhere in `b`, each copy in `a` counted (the convention
    of the course's published solutions when they count test images also in
    train).  [`n_shared`][notmnist.duplicates.Overlap.n_shared] counts distinct images present in both sets.

    Attributes
    ----------
    a_in_b : ndarray of bool, shape (len(a),)
        Image `i` of `a` has an identical copy in `b`.
    b_in_a : ndarray of bool, shape (len(b),)
        Image `j` of `b` has an identical copy in `a`.
    match_in_b : ndarray of int64, shape (len(a),)
        Index of the first identical image in `b`, `-1` if none.
    match_in_a : ndarray of int64, shape (len(b),)
        Index of the first identical image in `a`, `-1` if none.
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

    @property
    def n_shared(self) -> int:
        """Distinct images present in both sets."""
        return len(np.unique(self.match_in_a[self.b_in_a]))

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Index pairs `(i, j)`: image `i` of `a` equals image `match_in_b[i]` of `b`.

        Returns
        -------
        ia, jb : ndarray of int64, shape (n_a_in_b,)
            One representative pair per image of `a` found in `b`.
        """
        ia = np.flatnonzero(self.a_in_b)
        return ia, self.match_in_b[ia]


# --------------------------------------------------------------------------- helpers


def _words(rows: np.ndarray) -> np.ndarray:
    """The bytes of each row as the widest unsigned words that divide the row length."""
    raw = rows.view(np.uint8).reshape(len(rows), -1)
    for dtype in (np.uint64, np.uint32, np.uint16):
        if raw.shape[1] % np.dtype(dtype).itemsize == 0:
            return raw.view(dtype)
    return raw


def _check_same_kind(*arrays: np.ndarray) -> None:
    shapes = {a.shape[1:] for a in arrays}
    dtypes = {a.dtype for a in arrays}
    if len(shapes) > 1 or len(dtypes) > 1:
        raise ValueError(
            f"sets must have the same image shape and dtype, got shapes {sorted(shapes)} and "
            f"dtypes {sorted(map(str, dtypes))}: convert them to one dtype first"
        )


def image_digests(images: np.ndarray) -> np.ndarray:
    """A 64-bit digest of each image's bytes, computed in one vectorised pass.

    The digest is a multilinear hash modulo 2**64 of the image's bytes read as
    32-bit halves of 64-bit words, each half with its own fixed odd random
    multiplier (`words @ m1 + (words >> 32) @ m2`).  Identical images always
    get the same digest, in every process.  Images differing in one pixel
    always get different digests; any other fixed pair of different images
    collides with probability below 2**-33 over the choice of multipliers (a
    plain 64-bit multilinear hash would let differences in the top bytes of two
    words collide one time in 256).  That is why [`exact_groups`][notmnist.duplicates.exact_groups] and
    [`overlap`][notmnist.duplicates.overlap] still verify every match on the raw bytes.

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W)
        Images; the digest is of the bytes as stored, so a `uint8` image and
        its normalised float32 version have different digests.

    Returns
    -------
    ndarray of uint64, shape (N,)
    """
    return _digests(_words(_rows(images)), strong=True)


def _digests(words: np.ndarray, *, strong: bool) -> np.ndarray:
    """Multilinear hash of each row of `words`; see [`image_digests`][notmnist.duplicates.image_digests].

    `strong=False` skips the separate factor of the top 32-bit halves: half
    the work, and as good for random differences, but two images that differ
    only in the top bytes of two words collide one time in 256.  Grouping uses
    it because it verifies every match on the bytes anyway.
    """
    n_words = words.shape[1]
    if 2 * n_words > len(_MULTIPLIERS):
        raise ValueError(f"images of {n_words} words are too large for image_digests")
    low, high = _MULTIPLIERS[:n_words], _MULTIPLIERS[n_words : 2 * n_words]
    wide = words.dtype == np.uint64
    out = np.empty(len(words), np.uint64)
    for start in range(0, len(words), _DIGEST_CHUNK):
        chunk = words[start : start + _DIGEST_CHUNK]
        part = out[start : start + _DIGEST_CHUNK]
        if wide:
            np.matmul(chunk, low, out=part)
            if strong:
                part += (chunk >> np.uint64(32)) @ high  # the top half gets its own odd factor
        else:  # narrower words, zero-extended: every word already has an odd factor
            np.matmul(chunk.astype(np.uint64), low, out=part)
    return out


def _take(parts: list[np.ndarray], offsets: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows `index` of the virtual concatenation of `parts` (without concatenating)."""
    out = np.empty((len(index), parts[0].shape[1]), parts[0].dtype)
    which = np.searchsorted(offsets, index, side="right") - 1
    for p, part in enumerate(parts):
        sel = which == p
        if sel.any():
            out[sel] = part[index[sel] - offsets[p]]
    return out


def _identity(parts: list[np.ndarray]) -> np.ndarray:
    """For each image of the concatenated `parts`, the index of its first identical image.

    Returns
    -------
    ndarray of int64, shape (total,)
        `ids[i] == j` with `j` the smallest index whose bytes equal image `i`'s.
    """
    rows = [_words(p) for p in parts]
    offsets = np.cumsum([0] + [len(r) for r in rows])
    digests = np.concatenate([_digests(r, strong=False) for r in rows])  # verified below
    order = np.argsort(digests, kind="stable")  # equal digests keep index order
    d = digests[order]
    starts = np.ones(len(d), bool)
    starts[1:] = d[1:] != d[:-1]
    run = np.cumsum(starts) - 1
    head = order[starts][run]  # first (smallest) index of each sorted position's run
    ids_sorted = head.copy()
    # verify every non-head member of a run against the run's head, on the raw bytes
    pos = np.flatnonzero(~starts)
    same = np.ones(len(pos), bool)
    for start in range(0, len(pos), _CHUNK):  # chunks bound the memory of the gathers
        chunk = pos[start : start + _CHUNK]
        mine, theirs = _take(rows, offsets, order[chunk]), _take(rows, offsets, head[chunk])
        same[start : start + _CHUNK] = np.all(mine == theirs, axis=1)
    if not same.all():
        for r in np.unique(run[pos[~same]]):  # digest collisions: split the run exactly
            run_pos = np.flatnonzero(run == r)
            members = order[run_pos]  # ascending: the sort is stable
            seen: dict[bytes, int] = {}
            for p, i, row in zip(run_pos, members, _take(rows, offsets, members), strict=True):
                ids_sorted[p] = seen.setdefault(row.tobytes(), int(i))
            log.debug("digest collision resolved in a run of %d images", len(members))
    ids = np.empty(len(d), np.int64)
    ids[order] = ids_sorted
    return ids


# --------------------------------------------------------------------------- exact


def exact_groups(images: np.ndarray) -> Groups:
    """Find the groups of identical images inside one set.

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W)

    Returns
    -------
    Groups
        Only groups of two or more identical images; see [`Groups`][notmnist.duplicates.Groups] for the
        counts.
    """
    rows = _rows(images)
    ids = _identity([rows])
    counts = np.bincount(ids, minlength=len(ids))
    first = np.flatnonzero(counts >= 2)  # ascending: groups numbered by first image
    number = np.full(len(ids), -1, np.int64)
    number[first] = np.arange(len(first))
    return Groups(group=number[ids], first=first.astype(np.int64), sizes=counts[first])



def member(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Which `keys` occur in `table`: `np.isin` for digests, several times faster.

    Parameters
    ----------
    keys, table : ndarray of uint64
        Digests ([`image_digests`][notmnist.duplicates.image_digests]) or any integers.

    Returns
    -------
    ndarray of bool, shape of `keys`
    """
    keys, table = np.asarray(keys), np.sort(np.asarray(table).ravel())
    if len(table) == 0:
        return np.zeros(keys.shape, bool)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return table[at] == keys


def tagged(digests: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Digest and label as one key: which (image, label) pairs occur, by
    [`member`][notmnist.duplicates.member].

    The digest is shifted up 4 bits and the label (0 to 15) fills the low 4
    bits, so `member(tagged(d1, y1), tagged(d2, y2))` asks whether each image
    of the first set occurs in the second *under the same label*.  The shift
    drops the digest's top 4 bits, so keys of different images collide a little
    more often than their digests do: as with a digest, a match is very strong
    evidence, not proof, that the bytes are equal.

    Parameters
    ----------
    digests : ndarray of uint64, shape (N,)
        From [`image_digests`][notmnist.duplicates.image_digests].
    labels : ndarray of int, shape (N,)
        Classes 0 to 15 (0 to 9 for A to J).

    Returns
    -------
    ndarray of uint64, shape (N,)
    """
    digests, labels = np.asarray(digests, np.uint64), np.asarray(labels)
    if labels.shape != digests.shape:
        raise ValueError(f"labels must have the digests' shape {digests.shape}, got {labels.shape}")
    if labels.size and not (0 <= labels.min() and labels.max() < 16):
        raise ValueError(f"labels must be 0 to 15 to fit in 4 bits, got {labels.min()} to {labels.max()}")
    return (digests << np.uint64(4)) | labels.astype(np.uint64)


def overlap(a: np.ndarray, b: np.ndarray) -> Overlap:
    """Find the images of `a` that occur exactly in `b`, and those of `b` in `a`.

    Duplicates inside `a` or `b` are allowed: every copy is marked.

    Parameters
    ----------
    a, b : ndarray of uint8 or float, shape (Na, H, W) and (Nb, H, W)
        Two sets with the same image shape and dtype.

    Returns
    -------
    Overlap
        Masks, counts and one matching index per image; see its counting convention.
    """
    ra, rb = _rows(a, "a"), _rows(b, "b")
    _check_same_kind(ra, rb)
    ids = _identity([ra, rb])
    return _overlap_from_ids(ids[: len(ra)], ids[len(ra) :])


def overlaps(sets: dict[str, np.ndarray]) -> dict[tuple[str, str], Overlap]:
    """Exact overlaps between every pair of named sets, digesting each set once.

    Parameters
    ----------
    sets : dict of str to ndarray of uint8 or float, shape (N, H, W)
        E.g. `{"train": ..., "valid": ..., "test": ...}`; same image shape and dtype.

    Returns
    -------
    dict of (str, str) to Overlap
        One entry per unordered pair, keyed `(a, b)` in the order of `sets`
        (`("train", "valid")`, `("train", "test")`, `("valid", "test")`).
    """
    names = list(sets)
    rows = [_rows(sets[n], n) for n in names]
    _check_same_kind(*rows)
    ids = _identity(rows)
    offsets = np.cumsum([0] + [len(r) for r in rows])
    parts = [ids[offsets[k] : offsets[k + 1]] for k in range(len(rows))]
    out = {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            out[names[i], names[j]] = _overlap_from_ids(parts[i], parts[j])
    return out


def _overlap_from_ids(ids_a: np.ndarray, ids_b: np.ndarray) -> Overlap:
    """Overlap of two sets from their identity ids (first identical index, global numbering)."""
    na, nb = len(ids_a), len(ids_b)
    size = int(max(ids_a.max(initial=0), ids_b.max(initial=0))) + 1
    # first local index in a, and in b, of every identity class (n where absent)
    first_a = np.full(size, na, np.int64)
    np.minimum.at(first_a, ids_a, np.arange(na, dtype=np.int64))
    first_b = np.full(size, nb, np.int64)
    np.minimum.at(first_b, ids_b, np.arange(nb, dtype=np.int64))
    match_in_b, match_in_a = first_b[ids_a], first_a[ids_b]
    a_in_b, b_in_a = match_in_b < nb, match_in_a < na
    match_in_b[~a_in_b] = -1
    match_in_a[~b_in_a] = -1
    return Overlap(a_in_b=a_in_b, b_in_a=b_in_a, match_in_b=match_in_b, match_in_a=match_in_a)

