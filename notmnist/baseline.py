"""The off-the-shelf baseline: scikit-learn's logistic regression on raw pixels.

A model sees each image as a flat vector of 784 normalised pixels.  The
solver settings are chosen for speed on the whole training split (see
[`fit_logistic`][notmnist.baseline.fit_logistic]; `benchmarks/run.py` measures them against
scikit-learn's defaults).  `ConvergenceWarning` never reaches the pages: it is caught, logged, and
reported as `CurvePoint.converged`.

scikit-learn is imported inside the functions that need it.
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
from .pixels import normalise
from .registry import LETTERS

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

log = logging.getLogger(__name__)

SIZES: tuple[int | None, ...] = (50, 100, 1_000, 5_000, None)
"""Training-set sizes of the course's learning curve; `None` is the whole split."""

SOLVER = "lbfgs"
TOL = 1e-3
MAX_ITER = 300
C = 1.0
BLAS_THREADS = 1

_CODE = (sys.modules[__name__],)  # with every package module it imports (cache.code_hash)
"""Modules whose source keys the cached fits."""


@dataclass(frozen=True)
class CurvePoint:
    """One point of the learning curve.

    Attributes
    ----------
    n_train : int
        Training images actually used (the first `n_train` of the split).
    seconds : float
        Wall-clock time of the fit.
    accuracy : dict of str to float
        Accuracy in [0, 1] on each named test set.
    n_iter : int
        Solver iterations used.
    converged : bool
        The solver met its tolerance before `max_iter`.
    model : sklearn.linear_model.LogisticRegression or None
        The fitted model, to predict with or look inside (not compared, not shown by `repr`).
    """

    n_train: int
    seconds: float
    accuracy: dict[str, float] = field(default_factory=dict)
    n_iter: int = 0
    converged: bool = True
    model: LogisticRegression | None = field(default=None, compare=False, repr=False)


def features(images: np.ndarray) -> np.ndarray:
    """Flatten images into the model's input: float32 normalised pixels.

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W) or (N, H * W)
        `uint8` grey levels are normalised as `(p - 127.5) / 255`; floats are
        taken as already normalised.

    Returns
    -------
    ndarray of float32, shape (N, H * W)
    """
    images = np.asarray(images)
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(
            f"expected a non-empty array of images (N, H, W), got shape {images.shape}"
        )
    flat = images.reshape(len(images), -1)
    if flat.dtype == np.uint8:
        return normalise(flat)
    if flat.dtype.kind != "f":
        raise ValueError(f"images must be uint8 or normalised floats, got dtype {flat.dtype}")
    return np.ascontiguousarray(flat, dtype=np.float32)


def _check_labels(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (len(images),):
        raise ValueError(
            f"labels must have shape ({len(images)},) to match the images, got {labels.shape}"
        )
    return labels.astype(np.int64, copy=False)


def fit_logistic(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    solver: str = SOLVER,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
    C: float = C,  # noqa: N803 (scikit-learn's name)
    blas_threads: int | None = BLAS_THREADS,
    cache: bool = True,
    data_home=None,
) -> tuple[LogisticRegression, float]:
    """Fit a multinomial logistic regression on flattened pixels.

    The defaults (`lbfgs`, `tol=1e-3`, `max_iter=300`, float32 input,
    one BLAS thread) were chosen for the whole training split on 2 cores, and
    the reasons hold whatever the data:

    * `tol=1e-3` stops `lbfgs` once the loss has all but stopped falling;
      scikit-learn's defaults (`tol=1e-4`, `max_iter=100`) ask for more
      precision than an accuracy needs, and on large training sets they can
      stop on `max_iter` first, with a `ConvergenceWarning`;
    * scikit-learn already runs the loss on every core with OpenMP; letting
      BLAS start its own threads next to it oversubscribes a small machine and
      makes the same fit several times slower;
    * `saga` needs many epochs over the data on dense pixels; `lbfgs` keeps
      float32 input in float32 (half the memory traffic).

    `.venv/bin/python benchmarks/run.py --rows fit` measures these settings against
    scikit-learn's defaults on the current data: time and test accuracy of both.
    Whether each fit converged is reported as `CurvePoint.converged`.

    The fit is deterministic.

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W)
    labels : ndarray of int, shape (N,)
        Classes 0 to 9.
    solver, tol, max_iter, C
        Passed to `sklearn.linear_model.LogisticRegression`.
    blas_threads : int or None, default 1
        BLAS threads during the fit (`None`: leave as is).  scikit-learn's
        loss already runs on every core with OpenMP.
    cache : bool, default True
        Reuse the fit of an earlier run ([`notmnist.cache`][notmnist.cache]): keyed by the
        SHA-256 of the pixels and labels, the settings above, scikit-learn's
        version and this module's source.  The fitted attributes are restored
        onto a new estimator; nothing is unpickled.
    data_home : path-like, optional
        Data folder whose `cache` holds the fits.

    Returns
    -------
    model : sklearn.linear_model.LogisticRegression
        The fitted model; `model.n_iter_[0] < max_iter` when it converged.
    seconds : float
        Wall-clock time of the fit (of the original fit, when reused from the cache).
    """
    import sklearn
    from sklearn.linear_model import LogisticRegression

    x = features(images)
    y = _check_labels(images, labels)
    if len(np.unique(y)) < 2:
        raise ValueError("labels hold a single class: a classifier needs at least two")
    model = LogisticRegression(solver=solver, tol=tol, max_iter=max_iter, C=C, random_state=0)

    def fit() -> dict[str, np.ndarray]:
        seconds = _fit(model, x, y, blas_threads)
        return {name: getattr(model, f"{name}_") for name in _FITTED} | {"seconds": np.float64(seconds)}

    if not cache:
        return model, float(fit()["seconds"])
    parts = (
        _cache.fingerprint(x, y),
        solver,
        tol,
        max_iter,
        C,
        sklearn.__version__,
        _cache.code_hash(*_CODE),
    )
    arrays, hit = _cache.memo("logistic", parts, (*_FITTED, "seconds"), fit, data_home=data_home)
    if hit:
        for name in _FITTED:
            setattr(model, f"{name}_", np.array(arrays[name]))
        model.n_features_in_ = x.shape[1]
        log.info("logistic regression on %d images: reused the cached fit", len(y))
    return model, float(arrays["seconds"])


_FITTED = ("coef", "intercept", "classes", "n_iter")
"""The attributes of a fitted LogisticRegression that [`fit_logistic`][notmnist.baseline.fit_logistic]
caches."""


def _fit(model: LogisticRegression, x: np.ndarray, y: np.ndarray, blas_threads: int | None) -> float:
    """Fit in place with BLAS limited to `blas_threads`; report non-convergence; return seconds."""
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(limits=blas_threads, user_api="blas")
    with limits, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(x, y)
        seconds = time.perf_counter() - start
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            log.warning("logistic regression on %d images did not converge: %s", len(y), w.message)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return seconds


def converged(model: LogisticRegression) -> bool:
    """Whether a fitted model's solver stopped before its iteration limit.

    Parameters
    ----------
    model : LogisticRegression
        A fitted model.
    """
    return bool(np.max(model.n_iter_) < model.max_iter)


def predict(model: LogisticRegression, images: np.ndarray) -> np.ndarray:
    """Predicted classes, ndarray of int64, shape (N,).

    Parameters
    ----------
    model : LogisticRegression
        A fitted model.
    images : ndarray, shape (N, 28, 28) or (N, 784)
        Normalised images.
    """
    return model.predict(features(images)).astype(np.int64)


def accuracy(model: LogisticRegression, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of `images` whose predicted class equals `labels`, in [0, 1].

    Parameters
    ----------
    model : LogisticRegression
        A fitted model.
    images : ndarray, shape (N, 28, 28) or (N, 784)
        Normalised images.
    labels : ndarray of int, shape (N,)
        Their true classes, 0 to 9.
    """
    labels = _check_labels(images, labels)
    return float(np.mean(predict(model, images) == labels))


def confusion(model: LogisticRegression, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Confusion matrix: row = true letter, column = predicted letter.

    Parameters
    ----------
    model : LogisticRegression
        A fitted model.
    images : ndarray, shape (N, 28, 28) or (N, 784)
        Normalised images.
    labels : ndarray of int, shape (N,)
        Their true classes, 0 to 9.

    Returns
    -------
    ndarray of int64, shape (10, 10)
        `m[i, j]` images of class `i` predicted as class `j`.
    """
    labels = _check_labels(images, labels)
    n = len(LETTERS)
    return np.bincount(labels * n + predict(model, images), minlength=n * n).reshape(n, n)


def learning_curve(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_sets: Mapping[str, tuple[np.ndarray, np.ndarray]],
    sizes: Sequence[int | None] = SIZES,
    **fit_options,
) -> list[CurvePoint]:
    """Fit on growing training subsets and score each fit on every test set.

    Each subset is the *first* `n` images of the training split, which is
    already shuffled, as the course's published solutions did (so the subsets
    are nested).  `None` means the whole split; a size larger than the split
    is clipped to it.

    Parameters
    ----------
    train_images : ndarray of uint8 or float, shape (N, H, W)
    train_labels : ndarray of int, shape (N,)
    test_sets : mapping of str to (images, labels)
        E.g. `{"test": (x, y), "sanitised test": (x[keep], y[keep])}`.
    sizes : sequence of int or None, default (50, 100, 1000, 5000, None)
    **fit_options
        Passed to [`fit_logistic`][notmnist.baseline.fit_logistic] (`solver`, `tol`, `max_iter`, `C`).

    Returns
    -------
    list of CurvePoint
        One per size, in the order given, each with its fitted `model`: with
        the default sizes the last one is the model of the whole split.
    """
    train_labels = _check_labels(train_images, train_labels)
    points = []
    for size in sizes:
        n = len(train_labels) if size is None else min(int(size), len(train_labels))
        if n < 2:
            raise ValueError(f"training size must be at least 2, got {size}")
        model, seconds = fit_logistic(train_images[:n], train_labels[:n], **fit_options)
        scores = {name: accuracy(model, x, y) for name, (x, y) in test_sets.items()}
        points.append(
            CurvePoint(
                n_train=n,
                seconds=seconds,
                accuracy=scores,
                n_iter=int(np.max(model.n_iter_)),
                converged=converged(model),
                model=model,
            )
        )
        log.info("learning curve: %d images, %.2f s, %s", n, seconds, scores)
    return points
