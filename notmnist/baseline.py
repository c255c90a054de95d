"""The off-the-shelf baseline: scikit-learn's logistic regression on raw pixels.

Problem 6 fits the estimator itself with [`SETTINGS`][notmnist.baseline.SETTINGS];
[`cached`][notmnist.baseline.cached] makes a fit reusable and timed.  `ConvergenceWarning` never
reaches the pages: it is logged, and reported as `CurvePoint.converged`.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import cache as _cache
from .pixels import _as_rows, normalise

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

log = logging.getLogger(__name__)

SIZES: tuple[int | None, ...] = (50, 100, 1_000, 5_000, None)
"""Training-set sizes of the course's learning curve; `None` is the whole split."""

SETTINGS: dict = {"solver": "lbfgs", "tol": 1e-3, "max_iter": 300, "C": 1.0, "random_state": 0}
"""Keyword arguments of scikit-learn's `LogisticRegression` for the learning curve.

Chosen for speed on the whole training split: `tol=1e-3` stops `lbfgs` once the loss has all but
stopped falling (scikit-learn's defaults ask for more precision than an accuracy needs, and stop on
`max_iter` first); `lbfgs` keeps float32 input in float32.  `benchmarks/run.py --rows fit` compares.
"""

_BLAS_THREADS = 1  # scikit-learn runs the loss on every core already: more threads contend
_FITTED = ("coef", "intercept", "classes", "n_iter")  # what a cached fit stores
_CODE = (sys.modules[__name__],)  # with every package module it imports (cache.code_hash)


@dataclass(frozen=True)
class CurvePoint:
    """One point of the learning curve.

    The fit on the first `n_train` images of the split took `seconds` and `n_iter` solver
    iterations, `converged` (met its tolerance before `max_iter`), and scored `accuracy`, in [0, 1]
    by test set name.  `model` is the fitted estimator (not compared, not shown by `repr`).
    """

    n_train: int
    seconds: float
    accuracy: dict[str, float] = field(default_factory=dict)
    n_iter: int = 0
    converged: bool = True
    model: LogisticRegression | None = field(default=None, compare=False, repr=False)


def features(images: np.ndarray) -> np.ndarray:
    """Flatten images into the model's input: float32 normalised pixels, shape (N, H * W).

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W) or (N, H * W)
        `uint8` grey levels are normalised as `(p - 127.5) / 255`; floats are
        taken as already normalised.
    """
    rows = _as_rows(images)
    if len(rows) == 0:
        raise ValueError("expected a non-empty array of images (N, H, W), got none")
    return normalise(rows) if rows.dtype == np.uint8 else rows.astype(np.float32, copy=False)


def _check_labels(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Labels as int64, one per image."""
    labels = np.asarray(labels)
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},) to match the images, got {labels.shape}")
    return labels.astype(np.int64, copy=False)


def _training_set(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Checked features and labels of a fit (two classes at least)."""
    x = features(images)
    y = _check_labels(x, labels)
    if len(np.unique(y)) < 2:
        raise ValueError("labels hold a single class: a classifier needs at least two")
    return x, y


def cached(model: LogisticRegression, *, blas_threads: int | None = _BLAS_THREADS, data_home=None):
    """Make `model.fit(x, y)` reuse an identical earlier fit, and time the fit; returns `model`.

    The fit is cached ([`notmnist.cache`][notmnist.cache]) under `x`, `y`, the estimator's parameters
    and scikit-learn's version; a hit restores the fitted attributes (nothing is unpickled).  After
    `fit`, `model.fit_seconds_` is the time of the fit (of the original fit, when restored).

    Parameters
    ----------
    model : sklearn.linear_model.LogisticRegression
        An unfitted estimator.
    blas_threads : int or None, default 1
        BLAS threads during the fit (`None`: leave as is).
    data_home : path-like, optional
        Data folder whose `cache` holds the fits.
    """
    import sklearn

    own_fit = type(model).fit.__get__(model)

    def fit(x, y):
        x, y = _training_set(x, y)

        def compute() -> dict[str, np.ndarray]:
            seconds = _fit(own_fit, x, y, blas_threads)
            return {name: getattr(model, f"{name}_") for name in _FITTED} | {"seconds": np.float64(seconds)}

        params = sorted((k, repr(v)) for k, v in model.get_params().items())
        parts = (_cache._fingerprint(x, y), params, sklearn.__version__, _cache.code_hash(*_CODE))
        arrays, hit = _cache.memo("logistic", parts, (*_FITTED, "seconds"), compute, data_home=data_home)
        if hit:
            for name in _FITTED:
                setattr(model, f"{name}_", np.array(arrays[name]))
            model.n_features_in_ = x.shape[1]
            log.info("logistic regression on %d images: reused the cached fit", len(y))
        model.fit_seconds_ = float(arrays["seconds"])
        return model

    model.fit = fit
    return model


def fit_logistic(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    blas_threads: int | None = _BLAS_THREADS,
    cache: bool = True,
    data_home=None,
    **settings,
) -> tuple[LogisticRegression, float]:
    """Fit a multinomial logistic regression on flattened pixels: `(model, seconds)` of the fit.

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W)
    labels : ndarray of int, shape (N,)
        Classes 0 to 9.
    blas_threads : int or None, default 1
        BLAS threads during the fit (`None`: leave as is).
    cache : bool, default True
        Reuse the fit of an earlier run ([`cached`][notmnist.baseline.cached]).
    data_home : path-like, optional
        Data folder whose `cache` holds the fits.
    **settings
        Changes to [`SETTINGS`][notmnist.baseline.SETTINGS] (`solver`, `tol`, `max_iter`, `C`).
    """
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(**SETTINGS | settings)
    if cache:
        model = cached(model, blas_threads=blas_threads, data_home=data_home).fit(images, labels)
        return model, model.fit_seconds_
    return model, _fit(model.fit, *_training_set(images, labels), blas_threads)


def _fit(fit, x: np.ndarray, y: np.ndarray, blas_threads: int | None) -> float:
    """`fit(x, y)` with BLAS limited to `blas_threads`; report non-convergence; return seconds."""
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(limits=blas_threads, user_api="blas")
    with limits, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        fit(x, y)
        seconds = time.perf_counter() - start
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            log.warning("logistic regression on %d images did not converge: %s", len(y), w.message)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return seconds


def predict(model: LogisticRegression, images: np.ndarray) -> np.ndarray:
    """Predicted classes, ndarray of int64, shape (N,).

    Parameters
    ----------
    model : fitted LogisticRegression
    images : ndarray, shape (N, 28, 28) or (N, 784)
    """
    return model.predict(features(images)).astype(np.int64)


def accuracy(model: LogisticRegression, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of `images` whose predicted class equals `labels`, in [0, 1].

    Parameters
    ----------
    model : fitted LogisticRegression
    images : ndarray, shape (N, 28, 28) or (N, 784)
    labels : ndarray of int, shape (N,)
    """
    labels = _check_labels(images, labels)
    return float(np.mean(predict(model, images) == labels))


@dataclass(frozen=True)
class OverlapGap:
    """Raw minus sanitised test accuracy, with a 95 % interval.

    The raw test set is the kept (sanitised) images plus the dropped ones (those with a copy
    in train), so raw minus sanitised accuracy is `w * (accuracy_dropped - accuracy_kept)`,
    `w` the dropped share.  The two accuracies are independent samples; the interval is
    Newcombe's for a difference of two proportions (from the Wilson interval of each), scaled
    by `w`.  Unlike `difference ± 2 standard errors`, it stays honest for a handful of
    dropped images that are all right or all wrong.

    `low` and `high` bound the 95 % interval of the `difference` (the dropped share held fixed);
    `accuracy_kept` and `accuracy_dropped`, on `n_kept` and `n_dropped` images, are `nan` for none.
    """

    difference: float
    low: float
    high: float
    accuracy_kept: float
    accuracy_dropped: float
    n_kept: int
    n_dropped: int

    @property
    def verdict(self) -> str:
        """`"within noise"` (interval holds 0), `"raw higher"`, `"raw lower"` or `"nothing to compare"`."""
        if self.n_dropped == 0 or self.n_kept == 0:
            return "nothing to compare"
        if self.low <= 0 <= self.high:
            return "within noise"
        return "raw higher" if self.low > 0 else "raw lower"


_Z95 = 1.959964  # two-sided 95 % normal quantile


def _wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion `k / n` (`(0, 1)` when `n` is 0)."""
    if n == 0:
        return 0.0, 1.0
    z2 = _Z95**2
    centre = (k + z2 / 2) / (n + z2)
    half = _Z95 * np.sqrt(k * (n - k) / n + z2 / 4) / (n + z2)
    return float(centre - half), float(centre + half)


def overlap_gap(correct: np.ndarray, keep: np.ndarray) -> OverlapGap:
    """Compare a model's accuracy on the raw and on the sanitised test set.

    Parameters
    ----------
    correct : ndarray of bool, shape (N,)
        The model got test image `i` right.
    keep : ndarray of bool, shape (N,)
        Test image `i` is in the sanitised test set.
    """
    correct, keep = np.asarray(correct, bool), np.asarray(keep, bool)
    if correct.shape != keep.shape or correct.ndim != 1:
        raise ValueError(f"correct and keep must be 1-d of one length, got {correct.shape} and {keep.shape}")
    n_k, n_d = int(keep.sum()), int((~keep).sum())
    k_k, k_d = int(correct[keep].sum()), int(correct[~keep].sum())
    nan = float("nan")
    p_k, p_d = (k_k / n_k if n_k else nan), (k_d / n_d if n_d else nan)
    if not (n_k and n_d):
        return OverlapGap(0.0 if n_k else nan, nan, nan, p_k, p_d, n_k, n_d)
    (lo_k, hi_k), (lo_d, hi_d) = _wilson(k_k, n_k), _wilson(k_d, n_d)
    d = p_d - p_k
    low = d - np.sqrt((p_d - lo_d) ** 2 + (hi_k - p_k) ** 2)
    high = d + np.sqrt((hi_d - p_d) ** 2 + (p_k - lo_k) ** 2)
    w = n_d / len(keep)  # the dropped share
    return OverlapGap(float(correct.mean() - p_k), float(w * low), float(w * high), p_k, p_d, n_k, n_d)


def learning_curve(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_sets: Mapping[str, tuple[np.ndarray, np.ndarray]],
    sizes: Sequence[int | None] = SIZES,
    **fit_options,
) -> list[CurvePoint]:
    """Fit on growing training subsets and score each fit on every test set: one `CurvePoint` per size.

    Each subset is the *first* `n` images of the (shuffled) split, as the course's published
    solutions did; `None` means the whole split, and a larger size is clipped to it.

    Parameters
    ----------
    train_images : ndarray of uint8 or float, shape (N, H, W)
    train_labels : ndarray of int, shape (N,)
    test_sets : mapping of str to (images, labels)
        E.g. `{"test": (x, y), "sanitised test": (x[keep], y[keep])}`.
    sizes : sequence of int or None, default (50, 100, 1000, 5000, None)
    **fit_options
        Passed to [`fit_logistic`][notmnist.baseline.fit_logistic].
    """
    train_labels = _check_labels(train_images, train_labels)
    points = []
    for size in sizes:
        n = len(train_labels) if size is None else min(int(size), len(train_labels))
        if n < 2:
            raise ValueError(f"training size must be at least 2, got {size}")
        model, seconds = fit_logistic(train_images[:n], train_labels[:n], **fit_options)
        scores = {name: accuracy(model, x, y) for name, (x, y) in test_sets.items()}
        n_iter = int(np.max(model.n_iter_))
        points.append(CurvePoint(n, seconds, scores, n_iter, n_iter < model.max_iter, model))
        log.info("learning curve: %d images, %.2f s, %s", n, seconds, scores)
    return points
