"""Tests for notmnist.baseline: logistic-regression fits, learning curve, confusion matrix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from notmnist import baseline


def _problem(n: int, seed: int = 0, noise: float = 0.9):
    """An easy 10-class problem: one random prototype per class plus pixel noise."""
    rng = np.random.default_rng(seed)
    prototypes = np.random.default_rng(99).uniform(-0.5, 0.5, (10, 28, 28))
    labels = rng.integers(0, 10, n).astype(np.int64)
    images = prototypes[labels] + rng.normal(0, noise, (n, 28, 28))
    return images.astype(np.float32), labels


def test_learning_curve_sizes_and_more_data_helps():
    """Points come back per size (None = all) with accuracies in [0, 1] that grow with data."""
    x, y = _problem(2_000)
    xt, yt = _problem(500, seed=1)
    points = baseline.learning_curve(
        x, y, {"test": (xt, yt), "half": (xt[:250], yt[:250])}, sizes=(20, 200, None, 10**6)
    )
    assert [p.n_train for p in points] == [20, 200, 2_000, 2_000]
    for p in points:
        assert set(p.accuracy) == {"test", "half"}
        assert all(0.0 <= a <= 1.0 for a in p.accuracy.values())
        assert p.seconds >= 0 and p.n_iter >= 1
    acc = [p.accuracy["test"] for p in points]
    assert acc[0] + 0.1 < acc[2], acc
    assert acc[2] > 0.9


def test_learning_curve_hands_back_each_fitted_model(monkeypatch):
    """Each point carries its model; the whole split's is fit_logistic's own, read from its cache."""
    x, y = _problem(400)
    xt, yt = _problem(200, seed=1)
    points = baseline.learning_curve(x, y, {"test": (xt, yt)}, sizes=(50, None))
    assert [p.model.coef_.shape for p in points] == [(10, 28 * 28)] * 2
    for p in points:
        assert baseline.accuracy(p.model, xt, yt) == p.accuracy["test"]
    monkeypatch.setattr(baseline, "_fit", lambda *a: pytest.fail("the full split was fitted again"))
    model, _ = baseline.fit_logistic(x, y)
    np.testing.assert_array_equal(model.coef_, points[-1].model.coef_)


def test_fit_is_deterministic():
    """Two fits on the same data give identical coefficients."""
    x, y = _problem(300)
    m1, _ = baseline.fit_logistic(x, y)
    m2, _ = baseline.fit_logistic(x, y)
    assert np.array_equal(m1.coef_, m2.coef_) and np.array_equal(m1.intercept_, m2.intercept_)


def test_uint8_images_are_normalised():
    """uint8 images give the same model as their normalised float32 version."""
    rng = np.random.default_rng(2)
    raw = rng.integers(0, 256, (200, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 200)
    norm = ((raw.astype(np.float32) - 127.5) / 255).astype(np.float32)
    assert np.array_equal(baseline.features(raw), norm.reshape(200, -1))
    m_raw, _ = baseline.fit_logistic(raw, y, max_iter=20)
    m_norm, _ = baseline.fit_logistic(norm, y, max_iter=20)
    assert np.array_equal(m_raw.coef_, m_norm.coef_)


def test_no_convergence_warning_escapes():
    """A fit stopped by max_iter emits no ConvergenceWarning and reports converged=False."""
    x, y = _problem(300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        points = baseline.learning_curve(x, y, {"train": (x, y)}, sizes=(None,), max_iter=2)
    assert points[0].converged is False and points[0].n_iter == 2


def test_bad_labels_are_refused():
    """Labels that do not match the images, or a single class, give a clear error."""
    x, y = _problem(50)
    with pytest.raises(ValueError, match="labels must have shape"):
        baseline.fit_logistic(x, y[:10])
    with pytest.raises(ValueError, match="single class"):
        baseline.fit_logistic(x, np.zeros(50, np.int64))
    with pytest.raises(ValueError, match="dtype"):
        baseline.features(np.zeros((3, 28, 28), np.int32))


def test_fit_is_reused_from_the_cache(monkeypatch):
    """A second fit on the same pixels, labels and settings is restored, not recomputed."""
    x, y = _problem(300)
    xt, yt = _problem(100, seed=1)
    model, seconds = baseline.fit_logistic(x, y)
    monkeypatch.setattr(baseline, "_fit", lambda *a: pytest.fail("fit not reused"))
    again, seconds_again = baseline.fit_logistic(x, y)
    assert seconds_again == seconds
    np.testing.assert_array_equal(again.coef_, model.coef_)
    np.testing.assert_array_equal(baseline.predict(again, xt), baseline.predict(model, xt))
    assert baseline.accuracy(again, xt, yt) == baseline.accuracy(model, xt, yt)
    np.testing.assert_array_equal(again.n_iter_, model.n_iter_)
    again.coef_[0, 0] += 1  # the restored model is an ordinary, writeable estimator


def test_other_data_or_settings_fit_again(monkeypatch):
    """Changed pixels, labels or settings never reuse a fit."""
    x, y = _problem(300)
    baseline.fit_logistic(x, y)
    calls = []
    real = baseline._fit
    monkeypatch.setattr(baseline, "_fit", lambda *a: calls.append(1) or real(*a))
    changed = x.copy()
    changed[0, 0, 0] += 0.25
    relabelled = y.copy()
    relabelled[0] = (y[0] + 1) % 10
    baseline.fit_logistic(changed, y)
    baseline.fit_logistic(x, relabelled)
    baseline.fit_logistic(x, y, C=0.5)
    baseline.fit_logistic(x, y, cache=False)
    assert len(calls) == 4


def test_cached_estimator_fits_as_the_page_writes_it(monkeypatch):
    """`cached(LogisticRegression(...)).fit(x, y)` fits once, then restores; other settings refit."""
    from sklearn.linear_model import LogisticRegression

    x, y = _problem(300, seed=5)
    xt = baseline.features(_problem(100, seed=6)[0])
    model = baseline.cached(LogisticRegression(**baseline.SETTINGS))
    assert model.fit(x, y) is model and model.fit_seconds_ >= 0
    monkeypatch.setattr(baseline, "_fit", lambda *a: pytest.fail("fit not reused"))
    again = baseline.cached(LogisticRegression(**baseline.SETTINGS)).fit(x, y)
    assert again.fit_seconds_ == model.fit_seconds_
    np.testing.assert_array_equal(again.predict(xt), model.predict(xt))
    with pytest.raises(pytest.fail.Exception, match="fit not reused"):  # other settings: a refit
        baseline.cached(LogisticRegression(**baseline.SETTINGS | {"C": 0.5})).fit(x, y)
    fit_again, _ = baseline.fit_logistic(x, y)  # the package's own entry point shares the cache
    np.testing.assert_array_equal(fit_again.coef_, model.coef_)


def test_overlap_gap_is_raw_minus_sanitised_with_its_noise():
    """The gap equals raw minus sanitised accuracy; its interval says noise or not, also for few copies."""
    rng = np.random.default_rng(0)
    keep = rng.random(1000) < 0.85
    same = rng.random(1000) < 0.8  # copies no easier than the others
    gap = baseline.overlap_gap(same, keep)
    assert gap.difference == pytest.approx(same.mean() - same[keep].mean())
    assert gap.low < gap.difference < gap.high
    assert gap.n_kept + gap.n_dropped == 1000
    assert gap.verdict == "within noise"
    assert baseline.overlap_gap(same | ~keep, keep).verdict == "raw higher"  # every copy right
    assert baseline.overlap_gap(same & keep, keep).verdict == "raw lower"  # every copy wrong
    assert baseline.overlap_gap(same, np.ones(1000, bool)).verdict == "nothing to compare"
    # 9 copies all right against 78 % on 391 others: Fisher's exact test gives p = 0.78 ** 9 = 0.11
    few = np.r_[np.ones(9, bool), np.arange(391) < 305]
    kept = np.r_[np.zeros(9, bool), np.ones(391, bool)]
    assert baseline.overlap_gap(few, kept).verdict == "within noise"
    # 40 copies all right against 78 %: p = 0.78 ** 40 < 1e-4
    many = np.r_[np.ones(40, bool), np.arange(391) < 305]
    assert baseline.overlap_gap(many, np.r_[np.zeros(40, bool), np.ones(391, bool)]).verdict == "raw higher"
    with pytest.raises(ValueError, match="one length"):
        baseline.overlap_gap(same, keep[:10])
