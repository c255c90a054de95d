"""The off-the-shelf baseline: scikit-learn's logistic regression on raw pixels.

A model sees each image as a flat vector of 784 normalised pixels.  The
solver settings are chosen on evidence (see :func:`fit_logistic`): they fit the
whole 200,000-image training split in well under a minute on 2 cores and score
the same as scikit-learn's defaults at every size the course asks for.
``ConvergenceWarning`` never reaches the pages: it is caught, logged, and
reported as :attr:`CurvePoint.converged`.

scikit-learn is imported inside the functions that need it.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import cache as _cache
from .dataset import normalise
from .registry import LETTERS

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

log = logging.getLogger(__name__)

SIZES: tuple[int | None, ...] = (50, 100, 1_000, 5_000, None)
"""Training-set sizes of the course's learning curve; ``None`` is the whole split."""

SOLVER = "lbfgs"
TOL = 1e-3
MAX_ITER = 300
C = 1.0
BLAS_THREADS = 1


@dataclass(frozen=True)
class CurvePoint:
    """One point of the learning curve.

    Attributes
    ----------
    n_train : int
        Training images actually used (the first ``n_train`` of the split).
    seconds : float
        Wall-clock time of the fit.
    accuracy : dict of str to float
        Accuracy in [0, 1] on each named test set.
    n_iter : int
        Solver iterations used.
    converged : bool
        The solver met its tolerance before ``max_iter``.
    """

    n_train: int
    seconds: float
    accuracy: dict[str, float] = field(default_factory=dict)
    n_iter: int = 0
    converged: bool = True


def features(images: np.ndarray) -> np.ndarray:
    """Flatten images into the model's input: float32 normalised pixels.

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W) or (N, H * W)
        ``uint8`` grey levels are normalised as ``(p - 127.5) / 255``; floats are
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

    The defaults (``lbfgs``, ``tol=1e-3``, ``max_iter=300``, float32 input,
    one BLAS thread) were chosen by measurement on 2 cores (a busy machine, so
    read the ratios rather than the seconds):

    * the project's stand-in (20,000 training images), test accuracy, these
      settings against scikit-learn's defaults (``tol=1e-4``, ``max_iter=100``,
      BLAS on every core): 50 images .451 / .444; 100: .639 / .637; 1,000:
      .744 / .743; 5,000: .806 in 1.4 s / .802 in 21 s; 20,000: .841 in 3.3 s /
      .825 in 35 s -- the defaults stop on ``max_iter`` from 1,000 images on;
    * 200,000 font-rendered images: ``tol=1e-3`` converges in 38 iterations
      (16 s of CPU); ``tol=1e-4`` needs 366 (162 s of CPU) for an accuracy
      higher by 0.0006; the defaults took 364 s and did not converge;
    * letting BLAS start its own threads next to scikit-learn's OpenMP loss
      made the same fit 3 to 7 times slower on 2 cores;
    * ``saga`` on 5,000 images ran its 100 epochs without converging (37 s);
      float32 input stays float32 inside ``lbfgs`` (half the memory traffic).

    The fit is deterministic.

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W)
    labels : ndarray of int, shape (N,)
        Classes 0 to 9.
    solver, tol, max_iter, C
        Passed to :class:`sklearn.linear_model.LogisticRegression`.
    blas_threads : int or None, default 1
        BLAS threads during the fit (``None``: leave as is).  scikit-learn's
        loss already runs on every core with OpenMP.
    cache : bool, default True
        Reuse the fit of an earlier run (:mod:`notmnist.cache`): keyed by the
        SHA-256 of the pixels and labels, the settings above, scikit-learn's
        version and this module's source.  The fitted attributes are restored
        onto a new estimator; nothing is unpickled.
    data_home : path-like, optional
        Data folder whose ``cache`` holds the fits.

    Returns
    -------
    model : sklearn.linear_model.LogisticRegression
        The fitted model; ``model.n_iter_[0] < max_iter`` when it converged.
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
        _cache.code_hash("baseline.py", "cache.py"),
    )
    arrays, hit = _cache.memo("logistic", parts, (*_FITTED, "seconds"), fit, data_home=data_home)
    if hit:
        for name in _FITTED:
            setattr(model, f"{name}_", np.array(arrays[name]))
        model.n_features_in_ = x.shape[1]
        log.info("logistic regression on %d images: reused the cached fit", len(y))
    return model, float(arrays["seconds"])


_FITTED = ("coef", "intercept", "classes", "n_iter")
"""The attributes of a fitted LogisticRegression that :func:`fit_logistic` caches."""


def _fit(model: LogisticRegression, x: np.ndarray, y: np.ndarray, blas_threads: int | None) -> float:
    """Fit in place with BLAS limited to ``blas_threads``; report non-convergence; return seconds."""
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
    """Whether a fitted model's solver stopped before its iteration limit."""
    return bool(np.max(model.n_iter_) < model.max_iter)


def predict(model: LogisticRegression, images: np.ndarray) -> np.ndarray:
    """Predicted classes, ndarray of int64, shape (N,)."""
    return model.predict(features(images)).astype(np.int64)


def accuracy(model: LogisticRegression, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of ``images`` whose predicted class equals ``labels``, in [0, 1]."""
    labels = _check_labels(images, labels)
    return float(np.mean(predict(model, images) == labels))


def confusion(model: LogisticRegression, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Confusion matrix: row = true letter, column = predicted letter.

    Returns
    -------
    ndarray of int64, shape (10, 10)
        ``m[i, j]`` images of class ``i`` predicted as class ``j``.
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

    Each subset is the *first* ``n`` images of the training split, which is
    already shuffled, as the course's published solutions did (so the subsets
    are nested).  ``None`` means the whole split; a size larger than the split
    is clipped to it.

    Parameters
    ----------
    train_images : ndarray of uint8 or float, shape (N, H, W)
    train_labels : ndarray of int, shape (N,)
    test_sets : mapping of str to (images, labels)
        E.g. ``{"test": (x, y), "sanitised test": (x[keep], y[keep])}``.
    sizes : sequence of int or None, default (50, 100, 1000, 5000, None)
    **fit_options
        Passed to :func:`fit_logistic` (``solver``, ``tol``, ``max_iter``, ``C``).

    Returns
    -------
    list of CurvePoint
        One per size, in the order given.
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
            )
        )
        log.info("learning curve: %d images, %.2f s, %s", n, seconds, scores)
    return points
