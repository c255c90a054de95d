"""Near duplicates and nearest neighbours: an exact search, pruned by a bound.

Distances are per pixel in grey levels (0 to 255) whatever the input dtype, so a threshold reads
the same for raw letters and for the normalised splits: `"rms"` is `sqrt(mean((a - b) ** 2))`,
`"mad"` is `mean(|a - b|)` (the published solutions' "L1 < 10 on normalised pixels" is `mad < 3.25`).

The search is exact yet fast: images are projected onto the reference set's leading principal
components plus the length of the residual, a map that never lengthens a distance, so one small
matrix product drops most pairs and only the survivors are measured on the full pixels (for
`"mad"`, through `rms ** 2 <= 255 * mad`).  Identical images are searched once.  Both searches are
cached ([`notmnist.cache`][notmnist.cache]; `cache=False` to opt out).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import numpy as np

from .. import cache as _cache
from ..pixels import _as_rows as _rows
from ..pixels import _grey_levels as _grey
from ..pixels import near_constant
from .exact import _identity

log = logging.getLogger(__name__)

METRICS = ("rms", "mad")
"""Near-duplicate distances: per-pixel root mean square or mean absolute difference."""
DEFAULT_METRIC = "rms"
"""The near-duplicate distance used unless another is asked for."""
DEFAULT_THRESHOLDS = {"rms": 12.0, "mad": 10 * 255 / 784}
"""Default threshold of each metric, in grey levels; for `"mad"`, the published L1 < 10."""
DEFAULT_THRESHOLD = DEFAULT_THRESHOLDS[DEFAULT_METRIC]
"""Default near-duplicate threshold in grey levels, for the default metric (problem 5, sanitising)."""

_CODE = (sys.modules[__name__],)  # with every package module it imports (cache.code_hash)
_N_COMPONENTS = 32  # principal components of the near-duplicate bound
_CHUNK = 2048  # rows per chunk when converting, embedding and measuring
_Q_BLOCK, _R_BLOCK = 1024, 16384  # queries x references per candidate product (64 MB)


@dataclass(frozen=True)
class NearPairs:
    """Pairs of query and reference images closer than a threshold.

    Attributes
    ----------
    query_index, reference_index : ndarray of int64, shape (M,)
        The pairs, sorted by distance, then query index, then reference index.
    distance : ndarray of float64, shape (M,)
        Distance of each pair in grey levels, strictly below `threshold`, in the `metric`.
    nearest, nearest_index : ndarray of float64 and of int64, shape (n_query,)
        Distance to each query's nearest reference below the threshold, and its index (lowest
        on ties); `inf` and `-1` if none.
    n_candidates : int
        Pairs of distinct images measured on full pixels after pruning (how well the bound pruned).
    query_skipped : ndarray of bool, shape (n_query,)
        Queries left out of the search as near-constant (`skip_near_constant`): never in a pair.
    n_reference_skipped : int
        References left out likewise.
    skip_near_constant : bool
        Whether near-constant images were left out of the search.
    """

    query_index: np.ndarray
    reference_index: np.ndarray
    distance: np.ndarray
    nearest: np.ndarray
    nearest_index: np.ndarray
    threshold: float
    metric: str
    n_candidates: int
    query_skipped: np.ndarray
    n_reference_skipped: int
    skip_near_constant: bool = False

    @property
    def query_has_near(self) -> np.ndarray:
        """bool, shape (n_query,): the query has a reference closer than the threshold."""
        return np.isfinite(self.nearest)

    @property
    def n_query_near(self) -> int:
        """Number of queries with at least one reference closer than the threshold."""
        return int(self.query_has_near.sum())


def _classes(images: np.ndarray):
    """Identical images as classes: class `c` is `order[starts[c] : starts[c] + sizes[c]]`."""
    ids = _identity(_rows(images))
    _, sizes = np.unique(ids, return_counts=True)  # classes numbered by their first image
    return np.argsort(ids, kind="stable"), np.cumsum(sizes) - sizes, sizes


def _expand(class_q, class_r, a: np.ndarray, b: np.ndarray, dist: np.ndarray):
    """Pairs of classes `(a, b)` to pairs of images: every copy times every copy."""
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


def _checked(query, reference, metric: str, threshold: float | None):
    """Query and reference as rows of one width, with a known metric and a positive threshold."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: choose one of {', '.join(METRICS)}")
    if threshold is None or not threshold > 0:
        raise ValueError(f"threshold must be a positive number of grey levels, got {threshold!r}")
    rows_q, rows_r = _rows(query, "query"), _rows(reference, "reference")
    if rows_q.shape[1] != rows_r.shape[1]:
        raise ValueError(f"query and reference images differ in size: {rows_q.shape[1]} vs {rows_r.shape[1]}")
    return rows_q, rows_r


def _distances(metric: str, q: np.ndarray, r: np.ndarray, qi: np.ndarray, ri: np.ndarray):
    """Exact distances of pairs `(qi, ri)`, as (sum statistic, per-pixel distance) float64."""
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


def _projection(reference: np.ndarray, n_components: int):
    """Mean and orthonormal leading principal axes (float64) of a sample: good axes prune more."""
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
    """Principal coordinates plus the length of the residual: distances shrink, never grow."""
    out = np.empty((len(x), axes.shape[1] + 1), np.float64)
    for start in range(0, len(x), _CHUNK):
        c = x[start : start + _CHUNK] - mean
        p = c @ axes
        out[start : start + _CHUNK, :-1] = p
        resid2 = np.einsum("ij,ij->i", c, c) - np.einsum("ij,ij->i", p, p)
        out[start : start + _CHUNK, -1] = np.sqrt(np.maximum(resid2, 0.0))
    return out


def _candidates(eq: np.ndarray, er: np.ndarray, radius: float):
    """All pairs whose embedded distance is below `radius` (plus rounding slack).

    Sorted by their first coordinate, each block of queries meets only the references within
    `radius` of its range, in one float32 matrix product of augmented vectors.
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
    skip_near_constant: bool = False,
    cache: bool = True,
) -> NearPairs:
    """Find every (query, reference) pair closer than `threshold`, exactly.

    Why `rms < 12` grey levels: it accepts the same glyph with faint differences (every pixel off
    by up to 8 levels, or 5 % of them off by 60, as re-hinting a font does) and rejects the same
    glyph moved by one pixel or drawn one pixel bolder (rms 40 or more for nine glyphs in ten).
    RMS rather than MAD, so that a missing serif counts more than faint noise spread everywhere.
    Before changing it, look at the distances to the nearest neighbour
    ([`nearest_neighbours`][notmnist.duplicates.nearest_neighbours]): the threshold belongs in the
    gap below the bulk.

    A threshold in grey levels only tells a copy from another picture when the images vary by much
    more than it: two images of the same mean grey whose pixels' standard deviations are `s` and
    `t` are never more than `s + t` apart, whatever they show.  Two faint images (a pale glyph on
    grey, a dark shape on black) are therefore close whatever letters they are, and
    `skip_near_constant` leaves every [`near_constant`][notmnist.pixels.near_constant] image
    (standard deviation under 16 grey levels) out of the search, on both sides, counted in
    `query_skipped` and `n_reference_skipped`.  Their identical copies are found by hashing
    ([`notmnist.duplicates.exact`][notmnist.duplicates.exact]).

    Parameters
    ----------
    query, reference : ndarray of uint8 or float, shape (Nq, H, W) and (Nr, H, W)
        Images of the same shape; floats are normalised pixels `(p - 127.5) / 255`.
    threshold : float, optional
        Pairs with `distance < threshold` (strictly) are returned, in grey levels.  Default
        [`DEFAULT_THRESHOLDS`][notmnist.duplicates.DEFAULT_THRESHOLDS] of the metric.
    metric : {"rms", "mad"}, default "rms"
    skip_near_constant : bool, default False
        Leave near-constant images out of the search (see above).
    cache : bool, default True
        Reuse the result of an earlier run, keyed by the SHA-256 of both image arrays, the
        metric, the threshold, `skip_near_constant` and this module's source.
    """
    if threshold is None:
        threshold = DEFAULT_THRESHOLDS.get(metric)
    rows_q, rows_r = _checked(query, reference, metric, threshold)
    skip = bool(skip_near_constant)
    if not cache:
        return _near_duplicates(rows_q, rows_r, float(threshold), metric, skip)
    fields = ("query_index", "reference_index", "distance", "nearest", "nearest_index", "query_skipped",
              "n_candidates", "n_reference_skipped")

    def search() -> dict[str, np.ndarray]:
        pairs = _near_duplicates(rows_q, rows_r, float(threshold), metric, skip)
        return {name: np.asarray(getattr(pairs, name)) for name in fields}

    parts = (_cache._fingerprint(rows_q, rows_r), metric, float(threshold), skip, _cache.code_hash(*_CODE))
    arrays, _ = _cache.memo("near", parts, fields, search)
    return NearPairs(
        **{name: arrays[name] for name in fields[:-2]},
        threshold=float(threshold),
        metric=metric,
        n_candidates=int(arrays["n_candidates"]),
        n_reference_skipped=int(arrays["n_reference_skipped"]),
        skip_near_constant=bool(skip),
    )


def _searched(rows: np.ndarray, classes, skip: bool):
    """The classes searched (indices) and, per image, whether it was skipped as near-constant."""
    order, starts, sizes = classes
    constant = near_constant(rows)[order[starts]] if skip else np.zeros(len(sizes), bool)
    skipped = np.empty(len(rows), bool)
    skipped[order] = np.repeat(constant, sizes)
    return np.flatnonzero(~constant), skipped


def _near_duplicates(
    rows_q: np.ndarray, rows_r: np.ndarray, threshold: float, metric: str, skip: bool = False
) -> NearPairs:
    """`near_duplicates` on checked rows, without the cache."""
    # distinct images only, then expanded to every copy (blank images repeat thousands of times)
    class_q, class_r = _classes(rows_q), _classes(rows_r)
    cq, query_skipped = _searched(rows_q, class_q, skip)
    cr, reference_skipped = _searched(rows_r, class_r, skip)
    qd = _grey(rows_q, "query", class_q[0][class_q[1][cq]])  # first image of each class searched
    rd = _grey(rows_r, "reference", class_r[0][class_r[1][cr]])
    n_pixels = qd.shape[1]
    limit = threshold**2 * n_pixels if metric == "rms" else threshold * n_pixels  # on the sum statistic
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
    qi, ri, dist = _expand(class_q, class_r, cq[qi[keep]], cr[ri[keep]], dist[keep])
    order = np.lexsort((ri, qi, dist))
    qi, ri, dist = qi[order], ri[order], dist[order]
    nearest = np.full(len(rows_q), np.inf)
    nearest_index = np.full(len(rows_q), -1, np.int64)
    by_query = np.lexsort((ri, dist, qi))
    first = by_query[np.r_[True, qi[by_query][1:] != qi[by_query][:-1]]] if len(qi) else by_query
    nearest[qi[first]] = dist[first]
    nearest_index[qi[first]] = ri[first]
    log.info(
        "near duplicates (%s < %g): %d pairs, %d candidates checked for %d x %d images (%d and %d skipped)",
        metric, threshold, len(qi), n_candidates, len(rows_q), len(rows_r), query_skipped.sum(),
        reference_skipped.sum(),
    )
    return NearPairs(qi, ri, dist, nearest, nearest_index, float(threshold), metric, n_candidates,
                     query_skipped, int(reference_skipped.sum()), bool(skip))


def nearest_neighbours(
    query: np.ndarray,
    reference: np.ndarray,
    *,
    k: int = 1,
    metric: str = DEFAULT_METRIC,
    cache: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The `k` nearest references of each query, exactly: `(distance, index)`, shape (Nq, k) each.

    Distances are in grey levels, ascending along each row (the lowest index first on ties).  Meant
    for a sample of queries; exact, with the bound of
    [`near_duplicates`][notmnist.duplicates.near_duplicates].

    Parameters
    ----------
    query, reference : ndarray of uint8 or float, shape (Nq, H, W) and (Nr, H, W)
    k : int, default 1
        Neighbours per query (at most `Nr`).
    metric : {"rms", "mad"}, default "rms"
    cache : bool, default True
        Reuse the result of an earlier run.
    """
    rows_q, rows_r = _checked(query, reference, metric, 1.0)
    if not 1 <= k <= len(rows_r):
        raise ValueError(f"k must be between 1 and the number of references ({len(rows_r)}), got {k}")
    if not cache:
        return _nearest_neighbours(rows_q, rows_r, k, metric)

    def search() -> dict[str, np.ndarray]:
        return dict(zip(("distance", "index"), _nearest_neighbours(rows_q, rows_r, k, metric)))

    parts = (_cache._fingerprint(rows_q, rows_r), k, metric, _cache.code_hash(*_CODE))
    arrays, _ = _cache.memo("neighbours", parts, ("distance", "index"), search)
    return arrays["distance"], arrays["index"]


def _nearest_neighbours(rows_q: np.ndarray, rows_r: np.ndarray, k: int, metric: str):
    """`nearest_neighbours` on checked rows, without the cache."""
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
