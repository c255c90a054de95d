"""Exact and near duplicates within and between the splits, and sanitised splits.

Exact duplicates are found by a join on a 64-bit digest of each image's bytes,
never by comparing every pair: digests are sorted, runs of equal digests are
candidate groups, and every candidate is then verified against the raw bytes,
so a digest collision can never merge two different images.  At the real size
(200,000 + 10,000 + 10,000 float32 images) an overlap takes a fraction of a
second.

Near duplicates are pairs whose pixel difference is small.  Distances are
measured per pixel in grey levels (0 to 255), whatever the input dtype, so a
threshold reads the same for raw ``uint8`` letters and for normalised splits:

``"rms"``
    root mean square difference, ``sqrt(mean((a - b) ** 2))``;
``"mad"``
    mean absolute difference, ``mean(|a - b|)``.  The published solutions'
    criterion "L1 distance < 10 on normalised pixels" is ``mad < 10 * 255 / 784
    = 3.25`` grey levels.

The search is exact (it finds every pair under the threshold, checked against
brute force in the tests) yet fast: every image is projected onto the leading
principal components of the reference set, plus one extra coordinate holding
the length of what the projection leaves out.  That map never lengthens a
distance, so pairs whose projected distance already reaches the threshold are
dropped after one small matrix product; the few survivors are measured on the
full pixels.  For ``"mad"`` the same search runs with the ``"rms"`` bound
``rms ** 2 <= 255 * mad`` (pixel differences never exceed 255 grey levels).
Identical images are searched once and expanded to all their copies.

Float images are taken to be normalised as ``(p - 127.5) / 255``; ``uint8``
images are raw grey levels.  Every function is pure and deterministic; the two
searches keep their results in :mod:`notmnist.cache` (``cache=False`` to opt out).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from . import cache as _cache
from .registry import PIXEL_DEPTH

log = logging.getLogger(__name__)

METRICS = ("rms", "mad")
"""Near-duplicate distances: per-pixel root mean square or mean absolute difference."""

DEFAULT_METRIC = "rms"
DEFAULT_THRESHOLDS = {"rms": 12.0, "mad": 10 * 255 / 784}
"""Default near-duplicate threshold of each metric, in grey levels (see :func:`near_duplicates`);
for ``"mad"`` it is the published criterion, L1 < 10 on normalised pixels."""
DEFAULT_THRESHOLD = DEFAULT_THRESHOLDS[DEFAULT_METRIC]

_CODE = ("duplicates.py", "cache.py", "registry.py")
"""Modules whose source keys the cached near-duplicate and neighbour searches."""
_SEED = 20_160_115  # fixed: digests must be identical across calls and processes
_MULTIPLIERS = np.random.default_rng(_SEED).integers(0, 2**63, size=4096, dtype=np.uint64)
_MULTIPLIERS = _MULTIPLIERS * np.uint64(2) + np.uint64(1)  # odd: invertible modulo 2**64
_DIGEST_CHUNK = 4096  # rows per chunk: the temporary stays in cache
_N_COMPONENTS = 32  # principal components of the near-duplicate bound
_CHUNK = 2048  # rows per chunk when converting, embedding and measuring
_Q_BLOCK, _R_BLOCK = 1024, 16384  # queries x references per candidate product (64 MB)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Groups:
    """Groups of identical images inside one set (only groups of two or more).

    Attributes
    ----------
    group : ndarray of int64, shape (N,)
        Group number of each image, ``-1`` for an image that occurs once.  Groups
        are numbered ``0 ... n_groups - 1`` in order of their first image.
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
        """Same as :attr:`n_images_in_groups`."""
        return self.n_images_in_groups

    @property
    def n_redundant(self) -> int:
        """Images that could be removed leaving one of each: ``n_images_in_groups - n_groups``."""
        return self.n_images_in_groups - self.n_groups

    @property
    def n_distinct(self) -> int:
        """Number of distinct images in the set."""
        return len(self.group) - self.n_redundant

    def members(self, g: int) -> np.ndarray:
        """Indices (int64, ascending) of the images of group ``g``."""
        return np.flatnonzero(self.group == g)


@dataclass(frozen=True)
class Overlap:
    """Exact copies between two sets ``a`` and ``b``.

    Counting convention: :attr:`n_a_in_b` counts the *images of a* that have an
    identical image anywhere in ``b``, each copy in ``a`` counted (this is the
    convention of the published "1,324 of 10,000 test images also occur in
    train").  :attr:`n_shared` counts distinct images present in both sets.

    Attributes
    ----------
    a_in_b : ndarray of bool, shape (len(a),)
        Image ``i`` of ``a`` has an identical copy in ``b``.
    b_in_a : ndarray of bool, shape (len(b),)
        Image ``j`` of ``b`` has an identical copy in ``a``.
    match_in_b : ndarray of int64, shape (len(a),)
        Index of the first identical image in ``b``, ``-1`` if none.
    match_in_a : ndarray of int64, shape (len(b),)
        Index of the first identical image in ``a``, ``-1`` if none.
    """

    a_in_b: np.ndarray
    b_in_a: np.ndarray
    match_in_b: np.ndarray
    match_in_a: np.ndarray

    @property
    def n_a_in_b(self) -> int:
        """Images of ``a`` (with multiplicity) that also occur in ``b``."""
        return int(self.a_in_b.sum())

    @property
    def n_b_in_a(self) -> int:
        """Images of ``b`` (with multiplicity) that also occur in ``a``."""
        return int(self.b_in_a.sum())

    @property
    def n_shared(self) -> int:
        """Distinct images present in both sets."""
        return len(np.unique(self.match_in_a[self.b_in_a]))

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Index pairs ``(i, j)``: image ``i`` of ``a`` equals image ``match_in_b[i]`` of ``b``.

        Returns
        -------
        ia, jb : ndarray of int64, shape (n_a_in_b,)
            One representative pair per image of ``a`` found in ``b``.
        """
        ia = np.flatnonzero(self.a_in_b)
        return ia, self.match_in_b[ia]


@dataclass(frozen=True)
class NearPairs:
    """Pairs of query and reference images closer than a threshold.

    Attributes
    ----------
    query_index, reference_index : ndarray of int64, shape (M,)
        The pairs, sorted by distance, then query index, then reference index.
    distance : ndarray of float64, shape (M,)
        Distance of each pair in grey levels, strictly below :attr:`threshold`.
    nearest : ndarray of float64, shape (n_query,)
        Distance from each query to its nearest reference if that is below the
        threshold, else ``inf``.
    nearest_index : ndarray of int64, shape (n_query,)
        Index of that nearest reference (lowest index on ties), ``-1`` if none.
    threshold : float
        Pairs have ``distance < threshold``.
    metric : str
        ``"rms"`` or ``"mad"``.
    n_candidates : int
        Pairs of distinct images measured on full pixels after pruning (how
        well the bound pruned; copies of one image are measured once).
    """

    query_index: np.ndarray
    reference_index: np.ndarray
    distance: np.ndarray
    nearest: np.ndarray
    nearest_index: np.ndarray
    threshold: float
    metric: str
    n_candidates: int

    def __len__(self) -> int:
        return len(self.distance)

    @property
    def query_has_near(self) -> np.ndarray:
        """bool, shape (n_query,): the query has a reference closer than the threshold."""
        return np.isfinite(self.nearest)

    @property
    def n_query_near(self) -> int:
        """Number of queries with at least one reference closer than the threshold."""
        return int(self.query_has_near.sum())


@dataclass(frozen=True)
class Sanitised:
    """Which validation and test images to keep so that neither repeats training.

    Attributes
    ----------
    valid_keep : ndarray of bool, shape (n_valid,)
    test_keep : ndarray of bool, shape (n_test,)
    valid_in_train, test_in_train : int
        Images with an exact copy in train (dropped).
    test_in_valid : int
        Test images with an exact copy in valid (dropped only when ``drop_test_in_valid``).
    valid_near, test_near : int
        Images dropped *in addition* because a near duplicate is in train (0 without ``near``).
    """

    valid_keep: np.ndarray
    test_keep: np.ndarray
    valid_in_train: int
    test_in_train: int
    test_in_valid: int
    valid_near: int
    test_near: int

    @property
    def n_valid(self) -> int:
        """Validation images kept."""
        return int(self.valid_keep.sum())

    @property
    def n_test(self) -> int:
        """Test images kept."""
        return int(self.test_keep.sum())


# --------------------------------------------------------------------------- helpers


def _rows(images: np.ndarray, name: str = "images") -> np.ndarray:
    """Images as a C-contiguous (N, pixels) array, with a clear error for bad input."""
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(
            f"{name} must be an array of images with shape (N, height, width), "
            f"got shape {images.shape}"
        )
    if not (images.dtype == np.uint8 or images.dtype.kind == "f"):
        raise ValueError(
            f"{name} must be uint8 grey levels or normalised floats, got dtype {images.dtype}"
        )
    return np.ascontiguousarray(images.reshape(len(images), -1))


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
    multiplier (``words @ m1 + (words >> 32) @ m2``).  Identical images always
    get the same digest, in every process.  Images differing in one pixel
    always get different digests; any other fixed pair of different images
    collides with probability below 2**-33 over the choice of multipliers (a
    plain 64-bit multilinear hash would let differences in the top bytes of two
    words collide one time in 256).  That is why :func:`exact_groups` and
    :func:`overlap` still verify every match on the raw bytes.

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W)
        Images; the digest is of the bytes as stored, so a ``uint8`` image and
        its normalised float32 version have different digests.

    Returns
    -------
    ndarray of uint64, shape (N,)
    """
    return _digests(_words(_rows(images)), strong=True)


def _digests(words: np.ndarray, *, strong: bool) -> np.ndarray:
    """Multilinear hash of each row of ``words``; see :func:`image_digests`.

    ``strong=False`` skips the separate factor of the top 32-bit halves: half
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
    """Rows ``index`` of the virtual concatenation of ``parts`` (without concatenating)."""
    out = np.empty((len(index), parts[0].shape[1]), parts[0].dtype)
    which = np.searchsorted(offsets, index, side="right") - 1
    for p, part in enumerate(parts):
        sel = which == p
        if sel.any():
            out[sel] = part[index[sel] - offsets[p]]
    return out


def _identity(parts: list[np.ndarray]) -> np.ndarray:
    """For each image of the concatenated ``parts``, the index of its first identical image.

    Returns
    -------
    ndarray of int64, shape (total,)
        ``ids[i] == j`` with ``j`` the smallest index whose bytes equal image ``i``'s.
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
        Only groups of two or more identical images; see :class:`Groups` for the counts.
    """
    rows = _rows(images)
    ids = _identity([rows])
    counts = np.bincount(ids, minlength=len(ids))
    first = np.flatnonzero(counts >= 2)  # ascending: groups numbered by first image
    number = np.full(len(ids), -1, np.int64)
    number[first] = np.arange(len(first))
    return Groups(group=number[ids], first=first.astype(np.int64), sizes=counts[first])


def near_constant(images: np.ndarray, *, max_std: float = 16.0) -> np.ndarray:
    """Which images are nearly constant (blank, or a solid block).

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W)
        Grey levels, or normalised floats ``(p - 127.5) / 255``.
    max_std : float, default 16.0
        An image whose pixels have a standard deviation below this many grey
        levels is near-constant.

    Returns
    -------
    ndarray of bool, shape (N,)
    """
    rows = _rows(images)
    scale = 1.0 if rows.dtype == np.uint8 else PIXEL_DEPTH
    variance = np.empty(len(rows))
    for start in range(0, len(rows), _CHUNK):  # one pass: mean square minus squared mean
        x = rows[start : start + _CHUNK].astype(np.float32) * np.float32(scale)
        mean = x.mean(axis=1)
        variance[start : start + _CHUNK] = np.einsum("ij,ij->i", x, x) / x.shape[1] - mean**2
    return variance < max_std**2


def member(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Which ``keys`` occur in ``table``: ``np.isin`` for digests, several times faster.

    Parameters
    ----------
    keys, table : ndarray of uint64
        Digests (:func:`image_digests`) or any integers.

    Returns
    -------
    ndarray of bool, shape of ``keys``
    """
    keys, table = np.asarray(keys), np.sort(np.asarray(table).ravel())
    if len(table) == 0:
        return np.zeros(keys.shape, bool)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return table[at] == keys


def overlap(a: np.ndarray, b: np.ndarray) -> Overlap:
    """Find the images of ``a`` that occur exactly in ``b``, and those of ``b`` in ``a``.

    Duplicates inside ``a`` or ``b`` are allowed: every copy is marked.

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
        E.g. ``{"train": ..., "valid": ..., "test": ...}``; same image shape and dtype.

    Returns
    -------
    dict of (str, str) to Overlap
        One entry per unordered pair, keyed ``(a, b)`` in the order of ``sets``
        (``("train", "valid")``, ``("train", "test")``, ``("valid", "test")``).
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


def sanitise(
    train: np.ndarray,
    valid: np.ndarray,
    test: np.ndarray,
    *,
    near: NearPairs | None = None,
    drop_test_in_valid: bool = False,
) -> Sanitised:
    """Decide which validation and test images to keep so that none repeats training.

    Dropped: every validation and test image with an exact copy in ``train``
    (the published convention: 10,000 - 1,067 = 8,933 validation and
    10,000 - 1,324 = 8,676 test images on the real data).  Test images that
    also occur in ``valid`` are kept unless ``drop_test_in_valid`` is set.
    With ``near``, images with a near duplicate in train are dropped as well.

    Parameters
    ----------
    train, valid, test : ndarray of uint8 or float, shape (N, H, W)
        The three splits, same image shape and dtype.
    near : NearPairs, optional
        Near duplicates of ``np.concatenate([valid, test])`` (queries) against
        ``train`` (references), as returned by :func:`near_duplicates`: query
        ``i < len(valid)`` is validation image ``i``, the others are test images.
    drop_test_in_valid : bool, default False
        Also drop test images that have an exact copy in ``valid``.

    Returns
    -------
    Sanitised
        Keep masks and the count of each reason for dropping.
    """
    nv, nt = len(valid), len(test)
    ov = overlaps({"train": train, "valid": valid, "test": test})
    valid_in = ov["train", "valid"].b_in_a
    test_in = ov["train", "test"].b_in_a
    in_valid = ov["valid", "test"].b_in_a
    valid_keep = ~valid_in
    test_keep = ~test_in
    if drop_test_in_valid:
        test_keep &= ~in_valid
    valid_near = test_near = 0
    if near is not None:
        if len(near.nearest) != nv + nt:
            raise ValueError(
                f"near has {len(near.nearest)} queries but valid + test hold {nv + nt} images: "
                "pass near_duplicates(np.concatenate([valid, test]), train)"
            )
        has = near.query_has_near
        extra_v, extra_t = has[:nv] & valid_keep, has[nv:] & test_keep
        valid_near, test_near = int(extra_v.sum()), int(extra_t.sum())
        valid_keep &= ~extra_v
        test_keep &= ~extra_t
    return Sanitised(
        valid_keep=valid_keep,
        test_keep=test_keep,
        valid_in_train=int(valid_in.sum()),
        test_in_train=int(test_in.sum()),
        test_in_valid=int(in_valid.sum()),
        valid_near=valid_near,
        test_near=test_near,
    )


# --------------------------------------------------------------------------- near


def _grey(images: np.ndarray, name: str, index: np.ndarray | None = None) -> np.ndarray:
    """Images (or rows ``index`` of them) as float32 grey levels, shape (n, pixels).

    Normalised 8-bit pixels are rounded back to exact integers, so that sums of
    squared or absolute differences are exact in float32 up to 2**24.
    """
    rows = _rows(images, name)
    index = np.arange(len(rows)) if index is None else np.asarray(index)
    out = np.empty((len(index), rows.shape[1]), np.float32)
    if rows.dtype == np.uint8:
        for start in range(0, len(index), _CHUNK):
            out[start : start + _CHUNK] = rows[index[start : start + _CHUNK]]
        return out
    worst = 0.0
    for start in range(0, len(index), _CHUNK):  # chunks stay in cache
        g = out[start : start + _CHUNK]
        np.multiply(rows[index[start : start + _CHUNK]], np.float32(PIXEL_DEPTH), out=g)
        g += np.float32(PIXEL_DEPTH / 2)
        worst = max(worst, float(np.abs(g - np.rint(g)).max(initial=0.0)))
    if worst < 1e-3:  # normalised 8-bit pixels: recover the integers
        np.rint(out, out=out)
    return out


def _classes(images: np.ndarray):
    """Identity classes of a set, as (members sorted by class, class starts, class sizes).

    Class ``c`` holds the images ``order[starts[c] : starts[c] + sizes[c]]``, all
    identical, in ascending index order; classes are numbered by first image.
    """
    ids = _identity([_rows(images)])
    order = np.argsort(ids, kind="stable")
    firsts = np.flatnonzero(ids == np.arange(len(ids)))
    sizes = np.bincount(ids, minlength=len(ids))[firsts]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return order, starts, sizes


def _expand(class_q, class_r, a: np.ndarray, b: np.ndarray, dist: np.ndarray):
    """Pairs of classes ``(a, b)`` to pairs of images: every copy times every copy."""
    order_q, start_q, size_q = class_q
    order_r, start_r, size_r = class_r
    n = size_q[a] * size_r[b]
    pair = np.repeat(np.arange(len(a)), n)
    within = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    iq, ir = np.divmod(within, size_r[b][pair])
    qi = order_q[start_q[a][pair] + iq]
    ri = order_r[start_r[b][pair] + ir]
    return qi.astype(np.int64), ri.astype(np.int64), dist[pair]


def _span(q: np.ndarray, r: np.ndarray) -> float:
    """Largest possible pixel difference between the two sets (255 for 8-bit images)."""
    hi = max(q.max(initial=0.0), r.max(initial=0.0))
    lo = min(q.min(initial=0.0), r.min(initial=0.0))
    return max(float(hi - lo), 1.0)


def _check_metric(metric: str, threshold: float | None) -> None:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: choose one of {', '.join(METRICS)}")
    if threshold is None or not threshold > 0:
        raise ValueError(f"threshold must be a positive number of grey levels, got {threshold!r}")


def _distances(metric: str, q: np.ndarray, r: np.ndarray, qi: np.ndarray, ri: np.ndarray):
    """Exact distances of pairs ``(qi, ri)``, as (sum statistic, per-pixel distance) float64."""
    stat = np.empty(len(qi), np.float64)
    for start in range(0, len(qi), _CHUNK):
        d = q[qi[start : start + _CHUNK]] - r[ri[start : start + _CHUNK]]
        if metric == "rms":
            stat[start : start + _CHUNK] = np.einsum("ij,ij->i", d, d)
        else:
            stat[start : start + _CHUNK] = np.abs(d, out=d).sum(axis=1)
    n_pixels = q.shape[1]
    dist = np.sqrt(stat / n_pixels) if metric == "rms" else stat / n_pixels
    return stat, dist


def _stat_limit(metric: str, threshold: float, n_pixels: int) -> float:
    """Pairs qualify when their sum statistic is below this (sum of squares, or sum of |d|)."""
    return threshold**2 * n_pixels if metric == "rms" else threshold * n_pixels


def _projection(reference: np.ndarray, n_components: int):
    """Mean and orthonormal leading principal axes (float64) of a sample of ``reference``.

    Any orthonormal axes keep the search exact; good ones only make it prune more.
    """
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    step = max(1, len(reference) // 5_000)
    sample = reference[::step].astype(np.float64)
    mean = sample.mean(axis=0)
    sample -= mean
    k = min(n_components, *sample.shape)
    with threadpool_limits(limits=1, user_api="blas"):  # tiny problems: threads only contend
        if len(sample) < sample.shape[1]:
            axes = np.linalg.svd(sample, full_matrices=False)[2][:k].T
        else:
            axes = np.linalg.eigh(sample.T @ sample)[1][:, ::-1][:, :k]
        axes, _ = np.linalg.qr(axes)  # orthonormal to machine precision: the map contracts
    return mean, axes


def _embed(x: np.ndarray, mean: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """Principal coordinates plus the length of the residual, float64, shape (N, k + 1).

    The Euclidean distance of two embeddings never exceeds that of the images.
    """
    out = np.empty((len(x), axes.shape[1] + 1), np.float64)
    for start in range(0, len(x), _CHUNK):
        c = x[start : start + _CHUNK] - mean
        p = c @ axes
        out[start : start + _CHUNK, :-1] = p
        resid2 = np.einsum("ij,ij->i", c, c) - np.einsum("ij,ij->i", p, p)
        out[start : start + _CHUNK, -1] = np.sqrt(np.maximum(resid2, 0.0))
    return out


def _candidates(eq: np.ndarray, er: np.ndarray, radius: float):
    """All pairs whose embedded distance is below ``radius`` (plus rounding slack).

    Queries and references are sorted by their first coordinate, so each block of
    queries is compared only with the references whose first coordinate lies
    within ``radius`` of the block's range; the squared distances of a block come
    from one float32 matrix product of augmented vectors.
    """
    oq, orf = np.argsort(eq[:, 0], kind="stable"), np.argsort(er[:, 0], kind="stable")
    eq, er = eq[oq], er[orf]
    nq2, nr2 = np.einsum("ij,ij->i", eq, eq), np.einsum("ij,ij->i", er, er)
    qa = np.hstack([-2 * eq, nq2[:, None], np.ones((len(eq), 1))]).astype(np.float32)
    # transposed and contiguous: the thin products run several times faster
    ra_t = np.ascontiguousarray(np.vstack([er.T, np.ones(len(er)), nr2]), dtype=np.float32)
    radius += 1e-6 * np.sqrt(nq2.max(initial=0) + nr2.max(initial=0)) + 1e-3  # embedding error
    key_r = er[:, 0]
    found_q, found_r = [], []
    for qs in range(0, len(eq), _Q_BLOCK):
        qe = min(qs + _Q_BLOCK, len(eq))
        lo = np.searchsorted(key_r, eq[qs, 0] - radius, side="left")
        hi = np.searchsorted(key_r, eq[qe - 1, 0] + radius, side="right")
        max_q = nq2[qs:qe].max()
        for rs in range(lo, hi, _R_BLOCK):
            re = min(rs + _R_BLOCK, hi)
            # float32 rounding of the expanded square is below 4e-6 * (|a|^2 + |b|^2)
            limit = radius**2 + 1e-5 * (max_q + nr2[rs:re].max())
            hits = np.flatnonzero((qa[qs:qe] @ ra_t[:, rs:re]) < limit)  # 1-D: much faster
            qi, ri = np.divmod(hits, re - rs)
            found_q.append(qi + qs)
            found_r.append(ri + rs)
    qi = np.concatenate(found_q) if found_q else np.empty(0, np.int64)
    ri = np.concatenate(found_r) if found_r else np.empty(0, np.int64)
    return oq[qi].astype(np.int64), orf[ri].astype(np.int64)


def near_duplicates(
    query: np.ndarray,
    reference: np.ndarray,
    *,
    threshold: float | None = None,
    metric: str = DEFAULT_METRIC,
    cache: bool = True,
) -> NearPairs:
    """Find every (query, reference) pair closer than ``threshold``, exactly.

    Distances are per pixel in grey levels (module docstring): ``"rms"`` (root
    mean square difference, the default) or ``"mad"`` (mean absolute difference;
    the published criterion L1 < 10 on normalised pixels is ``mad < 3.25``).

    Why ``rms < 12`` grey levels: it accepts the same glyph with faint
    differences -- every pixel off by up to 8 levels (rms about 4), or 5 % of
    the pixels off by 60 (rms about 10), as re-hinting or re-encoding a font
    does -- and rejects what is a different image to the eye: the same glyph
    moved by one pixel, or drawn one pixel bolder, is at rms 40 or more for
    nine glyphs in ten (median about 51) on font-rendered letters.  RMS rather
    than MAD because a few strongly changed pixels (a missing serif) should
    count more than faint noise spread everywhere.  Before changing it, look at
    each image's distance to its nearest neighbour (:func:`nearest_neighbours`):
    true near duplicates form a separate mode far below the bulk.

    Exact: every pair under the threshold is returned (no approximation); the
    pruning bound (module docstring) only skips pairs that provably cannot
    qualify.  Identical images are searched once and expanded to all their
    copies, so thousands of blank images cost nothing extra.

    Parameters
    ----------
    query, reference : ndarray of uint8 or float, shape (Nq, H, W) and (Nr, H, W)
        Images of the same shape; floats are normalised pixels ``(p - 127.5) / 255``.
    threshold : float, optional
        Pairs with ``distance < threshold`` (strictly) are returned, in grey
        levels.  Default :data:`DEFAULT_THRESHOLDS` of the metric: 12 for
        ``"rms"``, 3.25 for ``"mad"``.
    metric : {"rms", "mad"}, default "rms"
    cache : bool, default True
        Reuse the result of an earlier run (:mod:`notmnist.cache`), keyed by the
        SHA-256 of both image arrays, the metric, the threshold and this module's source.

    Returns
    -------
    NearPairs
        The pairs sorted by distance, and each query's nearest reference under the threshold.
    """
    if threshold is None and metric in DEFAULT_THRESHOLDS:
        threshold = DEFAULT_THRESHOLDS[metric]
    _check_metric(metric, threshold)
    rows_q, rows_r = _rows(query, "query"), _rows(reference, "reference")
    if rows_q.shape[1] != rows_r.shape[1]:
        raise ValueError(
            f"query and reference images differ in size: {rows_q.shape[1]} vs {rows_r.shape[1]}"
        )
    if not cache:
        return _near_duplicates(rows_q, rows_r, float(threshold), metric)
    fields = ("query_index", "reference_index", "distance", "nearest", "nearest_index", "n_candidates")

    def search() -> dict[str, np.ndarray]:
        pairs = _near_duplicates(rows_q, rows_r, float(threshold), metric)
        return {name: np.asarray(getattr(pairs, name)) for name in fields}

    parts = (_cache.fingerprint(rows_q, rows_r), metric, float(threshold), _cache.code_hash(*_CODE))
    arrays, _ = _cache.memo("near", parts, fields, search)
    return NearPairs(
        **{name: arrays[name] for name in fields[:-1]},
        threshold=float(threshold),
        metric=metric,
        n_candidates=int(arrays["n_candidates"]),
    )


def _near_duplicates(rows_q: np.ndarray, rows_r: np.ndarray, threshold: float, metric: str) -> NearPairs:
    """:func:`near_duplicates` on checked ``(N, pixels)`` rows, without the cache."""
    # search distinct images only, then expand to every copy: blank and solid
    # images, repeated thousands of times, would otherwise multiply the work
    class_q, class_r = _classes(rows_q), _classes(rows_r)
    qd = _grey(rows_q, "query", class_q[0][class_q[1]])  # first image of each class
    rd = _grey(rows_r, "reference", class_r[0][class_r[1]])
    n_pixels = qd.shape[1]
    limit = _stat_limit(metric, threshold, n_pixels)
    if metric == "rms":
        radius = float(np.sqrt(limit))
    else:  # sum |d| >= sum d**2 / max|d|
        radius = float(np.sqrt(limit * _span(qd, rd)))
    if len(qd) and len(rd):
        mean, axes = _projection(rd, _N_COMPONENTS)
        qi, ri = _candidates(_embed(qd, mean, axes), _embed(rd, mean, axes), radius)
    else:
        qi = ri = np.empty(0, np.int64)
    n_candidates = len(qi)
    stat, dist = _distances(metric, qd, rd, qi, ri)
    keep = stat < limit
    qi, ri, dist = _expand(class_q, class_r, qi[keep], ri[keep], dist[keep])
    order = np.lexsort((ri, qi, dist))
    qi, ri, dist = qi[order], ri[order], dist[order]
    nearest = np.full(len(rows_q), np.inf)
    nearest_index = np.full(len(rows_q), -1, np.int64)
    by_query = np.lexsort((ri, dist, qi))
    first = by_query[np.r_[True, qi[by_query][1:] != qi[by_query][:-1]]] if len(qi) else by_query
    nearest[qi[first]] = dist[first]
    nearest_index[qi[first]] = ri[first]
    log.info(
        "near duplicates (%s < %g): %d pairs, %d candidates checked for %d x %d images",
        metric, threshold, len(qi), n_candidates, len(rows_q), len(rows_r),
    )
    return NearPairs(
        query_index=qi,
        reference_index=ri,
        distance=dist,
        nearest=nearest,
        nearest_index=nearest_index,
        threshold=float(threshold),
        metric=metric,
        n_candidates=n_candidates,
    )


def nearest_neighbours(
    query: np.ndarray,
    reference: np.ndarray,
    *,
    k: int = 1,
    metric: str = DEFAULT_METRIC,
    cache: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest references of each query, exactly, by brute force.

    Meant for a sample of queries (e.g. a histogram of nearest-neighbour
    distances to choose a threshold).  Exact, with the same pruning as
    :func:`near_duplicates`: lower bounds for all pairs from one small matrix
    product, the ``k + 16`` most promising references measured to bound the
    ``k``-th distance, then every reference whose lower bound is under that
    bound measured on the full pixels.

    Parameters
    ----------
    query, reference : ndarray of uint8 or float, shape (Nq, H, W) and (Nr, H, W)
    k : int, default 1
        Neighbours per query (at most ``Nr``).
    metric : {"rms", "mad"}, default "rms"
    cache : bool, default True
        Reuse the result of an earlier run, as :func:`near_duplicates` does.

    Returns
    -------
    distance : ndarray of float64, shape (Nq, k)
        Distances in grey levels, ascending along each row.
    index : ndarray of int64, shape (Nq, k)
        Reference indices (lowest index first on ties).
    """
    _check_metric(metric, 1.0)
    rows_q, rows_r = _rows(query, "query"), _rows(reference, "reference")
    if not 1 <= k <= len(rows_r):
        raise ValueError(f"k must be between 1 and the number of references ({len(rows_r)}), got {k}")
    if rows_q.shape[1] != rows_r.shape[1]:
        raise ValueError(
            f"query and reference images differ in size: {rows_q.shape[1]} vs {rows_r.shape[1]}"
        )
    if not cache:
        return _nearest_neighbours(rows_q, rows_r, k, metric)

    def search() -> dict[str, np.ndarray]:
        return dict(zip(("distance", "index"), _nearest_neighbours(rows_q, rows_r, k, metric)))

    parts = (_cache.fingerprint(rows_q, rows_r), k, metric, _cache.code_hash(*_CODE))
    arrays, _ = _cache.memo("neighbours", parts, ("distance", "index"), search)
    return arrays["distance"], arrays["index"]


def _nearest_neighbours(rows_q: np.ndarray, rows_r: np.ndarray, k: int, metric: str):
    """:func:`nearest_neighbours` on checked ``(N, pixels)`` rows, without the cache."""
    q, r = _grey(rows_q, "query"), _grey(rows_r, "reference")
    span = _span(q, r)
    mean, axes = _projection(r, _N_COMPONENTS)
    eq, er = _embed(q, mean, axes), _embed(r, mean, axes)  # distances shrink, never grow
    nq2, nr2 = np.einsum("ij,ij->i", eq, eq), np.einsum("ij,ij->i", er, er)
    ra_t = np.ascontiguousarray(np.vstack([er.T, np.ones(len(er)), nr2]), dtype=np.float32)
    first = min(len(r), k + 16)  # measured first, to bound the k-th distance
    dist_out = np.empty((len(q), k))
    index_out = np.empty((len(q), k), np.int64)
    for qs in range(0, len(q), _Q_BLOCK // 4):
        qe = min(qs + _Q_BLOCK // 4, len(q))
        qa = np.hstack([-2 * eq[qs:qe], nq2[qs:qe, None], np.ones((qe - qs, 1))])
        lower = qa.astype(np.float32) @ ra_t  # squared lower bounds, shape (block, Nr)
        slack = 1e-5 * (nq2[qs:qe].max() + nr2.max()) + 1e-3  # float32 rounding
        top = np.argpartition(lower, first - 1, axis=1)[:, :first]
        rows = np.repeat(np.arange(qs, qe), first)
        stat, _ = _distances(metric, q, r, rows, top.ravel())
        # the k-th smallest measured statistic bounds the k-th nearest neighbour's
        bound = np.partition(stat.reshape(-1, first), k - 1, axis=1)[:, k - 1]
        limit_sq = bound if metric == "rms" else bound * span  # any closer one has L2**2 below
        hits = np.flatnonzero(lower <= (limit_sq + slack)[:, None].astype(np.float32))
        qi, ri = np.divmod(hits, len(r))
        qi += qs
        stat, dist = _distances(metric, q, r, qi, ri)
        order = np.lexsort((ri, dist, qi))
        qi, ri, dist = qi[order], ri[order], dist[order]
        pick = np.searchsorted(qi, np.arange(qs, qe))[:, None] + np.arange(k)[None, :]
        dist_out[qs:qe] = dist[pick]
        index_out[qs:qe] = ri[pick]
    return dist_out, index_out
