"""Tests for notmnist.duplicates: exact groups and overlaps (exact), near duplicates and neighbours (near)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from notmnist import duplicates as dup
from notmnist.duplicates import near


def _images(n: int, seed: int = 0) -> np.ndarray:
    """n distinct random uint8 images, shape (n, 28, 28)."""
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def _normalised(images: np.ndarray) -> np.ndarray:
    return ((images.astype(np.float32) - 127.5) / 255).astype(np.float32)


def _brute_pairs(q, r, metric, threshold):
    """Reference answer: all pairs under the threshold, by scipy's cdist on grey levels."""
    gq = q.reshape(len(q), -1).astype(np.float64)
    gr = r.reshape(len(r), -1).astype(np.float64)
    if metric == "rms":
        d = np.sqrt(cdist(gq, gr, "sqeuclidean") / gq.shape[1])
    else:
        d = cdist(gq, gr, "cityblock") / gq.shape[1]
    qi, ri = np.nonzero(d < threshold)
    return d, set(zip(qi.tolist(), ri.tolist(), strict=True))


def _near_set(q_base, r_base, rng, n_near=40, max_amp=30):
    """Queries: copies of references plus noise of varied amplitude, and unrelated images."""
    src = rng.integers(0, len(r_base), n_near)
    amp = rng.integers(1, max_amp, n_near)[:, None, None]
    noise = rng.integers(-1, 2, (n_near, 28, 28)) * amp
    near = np.clip(r_base[src].astype(int) + noise, 0, 255).astype(np.uint8)
    return np.concatenate([near, q_base])


def test_exact_groups_counts():
    """Groups of identical images are found with the right members and counts."""
    a, b, c, d = _images(4)
    g = dup.exact_groups(np.stack([a, b, a, c, b, a, d]))
    assert g.group.tolist() == [0, 1, 0, -1, 1, 0, -1]
    assert g.first.tolist() == [0, 1]
    assert g.sizes.tolist() == [3, 2]
    assert (g.n_groups, g.n_images_in_groups, g.n_redundant) == (2, 5, 3)


def test_exact_groups_none_and_float():
    """A set without repeats has no groups; float images are grouped like their pixels."""
    x = _images(50)
    assert dup.exact_groups(x).n_groups == 0
    xf = _normalised(np.concatenate([x, x[:3]]))
    g = dup.exact_groups(xf)
    assert (g.n_groups, g.n_redundant) == (3, 3)


def test_one_pixel_difference_is_another_image():
    """Images differing in a single pixel are never grouped, as uint8 or normalised floats."""
    x = np.repeat(_images(1), 28 * 28 + 1, axis=0)
    for k in range(28 * 28):  # image k + 1 differs from image 0 in pixel k only
        x[k + 1].flat[k] ^= 1
    for images in (x, _normalised(x)):
        assert dup.exact_groups(images).n_groups == 0
        again = dup.exact_groups(np.concatenate([images, images[:1]]))
        assert np.flatnonzero(again.group == 0).tolist() == [0, len(x)] and again.n_groups == 1


def test_overlap_both_directions_with_inner_duplicates():
    """Overlap marks every copy in both directions, with first matching indices."""
    a0, a1, a2, b0, b1 = _images(5)
    a = np.stack([a0, a1, a0, a2])  # a0 twice inside a
    b = np.stack([b0, a0, b1, a2, a0, a2])
    ov = dup.overlap(_normalised(a), _normalised(b))
    assert ov.a_in_b.tolist() == [True, False, True, True]
    assert ov.match_in_b.tolist() == [1, -1, 1, 3]
    assert ov.b_in_a.tolist() == [False, True, False, True, True, True]
    assert ov.match_in_a.tolist() == [-1, 0, -1, 3, 0, 3]
    assert (ov.n_a_in_b, ov.n_b_in_a) == (3, 4)


def test_overlaps_all_pairs_match_overlap():
    """overlaps() gives the same answer as overlap() for every pair of named sets."""
    rng = np.random.default_rng(3)
    pool = _images(30, seed=3)
    sizes = {"train": 40, "valid": 15, "test": 12}
    sets = {k: pool[rng.integers(0, 30, n)] for k, n in sizes.items()}
    result = dup.overlaps(sets)
    assert list(result) == [("train", "valid"), ("train", "test"), ("valid", "test")]
    for (ka, kb), ov in result.items():
        ref = dup.overlap(sets[ka], sets[kb])
        assert np.array_equal(ov.a_in_b, ref.a_in_b) and np.array_equal(ov.b_in_a, ref.b_in_a)
        assert np.array_equal(ov.match_in_b, ref.match_in_b)
        assert np.array_equal(ov.match_in_a, ref.match_in_a)


def test_overlap_rejects_mixed_dtypes():
    """Comparing uint8 with float images is refused with a clear message."""
    x = _images(3)
    with pytest.raises(ValueError, match="same image shape and dtype"):
        dup.overlap(x, _normalised(x))
    with pytest.raises(ValueError, match="shape"):
        dup.exact_groups(np.zeros(5, np.uint8))


@pytest.mark.parametrize(
    "metric,threshold", [("rms", 12.0), ("rms", 3.0), ("mad", 3.25), ("mad", 9.0)]
)
@pytest.mark.parametrize("seed", [0, 1])
def test_near_duplicates_equal_brute_force(metric, threshold, seed):
    """near_duplicates finds exactly the pairs that brute-force cdist finds, with distances."""
    rng = np.random.default_rng(seed)
    r = _images(300, seed=seed + 10)
    r[50:60] = r[0]  # repeated references are expanded to every copy
    q = _near_set(_images(20, seed=seed + 20), r, rng)
    q[-3:] = q[0]
    d, expected = _brute_pairs(q, r, metric, threshold)
    res = dup.near_duplicates(_normalised(q), _normalised(r), threshold=threshold, metric=metric)
    got = set(zip(res.query_index.tolist(), res.reference_index.tolist(), strict=True))
    assert got == expected and len(expected) > 0
    assert np.allclose(res.distance, d[res.query_index, res.reference_index])
    assert np.all(np.diff(res.distance) >= 0)
    has = (d < threshold).any(axis=1)
    assert np.array_equal(res.query_has_near, has)
    assert np.allclose(res.nearest[has], d[has].min(axis=1))
    assert np.all(res.nearest_index[~has] == -1)



def test_skip_near_constant_leaves_faint_images_out_and_counts_them():
    """Faint images of different shapes are within the threshold of each other; skipped, they pair
    with nothing (counted on both sides), and every other pair is still found, as brute force finds it."""
    rng = np.random.default_rng(3)
    shapes = _images(6, seed=30) > 128  # six different random shapes
    faint = (200 + 16 * shapes).astype(np.uint8)  # pale shapes on grey: std about 8 grey levels
    r = np.concatenate([_images(200, seed=31), faint[:3], faint[:1]])  # the last: a copy of a faint one
    q = np.concatenate([_near_set(_images(10, seed=32), r[:200], rng), faint[3:]])
    n_faint_q, n_faint_r = 3, 4
    d, _ = _brute_pairs(q, r, "rms", 12.0)
    assert (d[-n_faint_q:, -n_faint_r:] < 12).all()  # different shapes, yet "near copies"
    plain = dup.near_duplicates(q, r)
    assert plain.query_has_near[-n_faint_q:].all() and not plain.query_skipped.any()
    assert plain.n_reference_skipped == 0
    res = dup.near_duplicates(_normalised(q), _normalised(r), skip_near_constant=True)
    assert res.query_skipped.tolist() == [False] * (len(q) - n_faint_q) + [True] * n_faint_q
    assert res.n_reference_skipped == n_faint_r
    assert not res.query_has_near[-n_faint_q:].any() and res.nearest_index.max() < 200
    _, expected = _brute_pairs(q[:-n_faint_q], r[:-n_faint_r], "rms", 12.0)
    got = set(zip(res.query_index.tolist(), res.reference_index.tolist(), strict=True))
    assert got == expected and len(expected) > 0
    assert np.allclose(res.distance, d[res.query_index, res.reference_index])
    again = dup.near_duplicates(_normalised(q), _normalised(r), skip_near_constant=True)  # from the cache
    assert np.array_equal(again.query_skipped, res.query_skipped)
    assert again.n_reference_skipped == n_faint_r

def test_near_duplicates_threshold_is_strict():
    """A pair exactly at the threshold is excluded, a hair below it is included."""
    r = _images(5)
    r[0] = 100
    q = r[:1] + np.uint8(16)  # every pixel 16 grey levels brighter: rms = mad = 16
    for metric in dup.METRICS:
        assert len(dup.near_duplicates(q, r, threshold=16.0, metric=metric).distance) == 0
        res = dup.near_duplicates(q, r, threshold=16.0001, metric=metric)
        assert res.reference_index.tolist() == [0] and res.distance[0] == pytest.approx(16.0)


def test_near_duplicates_bad_arguments():
    """Unknown metrics and non-positive thresholds are refused."""
    x = _images(3)
    with pytest.raises(ValueError, match="unknown metric"):
        dup.near_duplicates(x, x, metric="l3")
    with pytest.raises(ValueError, match="threshold"):
        dup.near_duplicates(x, x, threshold=0)


@pytest.mark.parametrize("metric", dup.METRICS)
def test_nearest_neighbours_equal_brute_force(metric):
    """nearest_neighbours returns the k smallest distances, as brute force does."""
    rng = np.random.default_rng(5)
    r = _images(200, seed=6)
    q = _near_set(_images(10, seed=7), r, rng, n_near=10)
    d, _ = _brute_pairs(q, r, metric, 0.0)
    dist, index = dup.nearest_neighbours(q, r, k=3, metric=metric)
    assert dist.shape == index.shape == (len(q), 3)
    assert np.allclose(dist, np.sort(d, axis=1)[:, :3])
    assert np.allclose(np.take_along_axis(d, index, axis=1), dist)


def test_near_duplicates_blocks_and_chunks(monkeypatch):
    """Results do not depend on block and chunk sizes (tiny blocks exercise every edge)."""
    rng = np.random.default_rng(12)
    r = _images(120, seed=13)
    q = _near_set(_images(15, seed=14), r, rng, n_near=30)
    full = dup.near_duplicates(q, r, threshold=10.0)
    monkeypatch.setattr(near, "_Q_BLOCK", 7)
    monkeypatch.setattr(near, "_R_BLOCK", 13)
    monkeypatch.setattr(near, "_CHUNK", 5)
    small = dup.near_duplicates(q, r, threshold=10.0, cache=False)  # else the first result is reused
    _, expected = _brute_pairs(q, r, "rms", 10.0)
    assert set(zip(small.query_index.tolist(), small.reference_index.tolist(), strict=True)) == expected
    for name in ("query_index", "reference_index", "distance", "nearest", "nearest_index"):
        assert np.array_equal(getattr(full, name), getattr(small, name))


def test_default_threshold_follows_metric():
    """Without a threshold each metric uses its own default (mad: the published L1 < 10)."""
    x = _images(4)
    assert dup.near_duplicates(x, x).threshold == dup.DEFAULT_THRESHOLDS["rms"] == 12.0
    res = dup.near_duplicates(x, x, metric="mad")
    assert res.threshold == pytest.approx(10 * 255 / 784)
    assert res.query_index.tolist() == res.reference_index.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("metric", dup.METRICS)
def test_near_duplicates_pairs_at_the_boundary(metric):
    """A pair just under the threshold is never pruned away, even where the bound is tight."""
    rng = np.random.default_rng(21)
    # images spanned by a few patterns: the projection keeps almost all of each
    # distance, so a bound that prunes too eagerly loses pairs at the threshold
    basis = rng.normal(0, 1, (4, 28 * 28))
    coef = rng.normal(0, 12, (160, 4))
    coef[100:] = coef[:60] + rng.normal(0, 1, (60, 4))  # close pairs at many distances
    x = np.clip(np.rint(127 + coef @ basis), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    q, r = x[100:], x[:100]
    d, _ = _brute_pairs(q, r, metric, 0.0)
    for target in np.sort(d.min(axis=1))[5::12]:
        threshold = float(target) * (1 + 1e-9) + 1e-9
        _, expected = _brute_pairs(q, r, metric, threshold)
        res = dup.near_duplicates(q, r, threshold=threshold, metric=metric)
        got = set(zip(res.query_index.tolist(), res.reference_index.tolist(), strict=True))
        assert got == expected and len(expected) >= 1


def test_searches_are_cached_by_content(monkeypatch):
    """A repeated search is read from the cache; other pixels, threshold or k search again."""
    r = _images(60, seed=21)
    q = np.concatenate([r[:5], _images(5, seed=22)])
    pairs = dup.near_duplicates(q, r, threshold=5.0)
    dist, index = dup.nearest_neighbours(q, r, k=2)
    with monkeypatch.context() as m:
        m.setattr(near, "_near_duplicates", lambda *a: pytest.fail("near search not cached"))
        m.setattr(near, "_nearest_neighbours", lambda *a: pytest.fail("neighbour search not cached"))
        again = dup.near_duplicates(q, r, threshold=5.0)
        dist2, index2 = dup.nearest_neighbours(q, r, k=2)
    for name in ("query_index", "reference_index", "distance", "nearest", "nearest_index"):
        np.testing.assert_array_equal(getattr(pairs, name), getattr(again, name))
    assert (again.threshold, again.metric, again.n_candidates) == (5.0, "rms", pairs.n_candidates)
    np.testing.assert_array_equal(dist, dist2)
    np.testing.assert_array_equal(index, index2)

    calls = []
    real = near._near_duplicates
    monkeypatch.setattr(near, "_near_duplicates", lambda *a: calls.append(1) or real(*a))
    changed = q.copy()
    changed[7, 0, 0] ^= 1
    dup.near_duplicates(changed, r, threshold=5.0)
    dup.near_duplicates(q, r, threshold=6.0)
    dup.near_duplicates(q, r, threshold=5.0, metric="mad")
    assert len(calls) == 3
    assert dup.nearest_neighbours(q, r, k=1)[0].shape == (10, 1)
