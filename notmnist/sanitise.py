"""Sanitised validation and test sets: none of their images repeats training.

A validation or test image that also sits in the training split lets a model score by memory.
Sanitising drops every such image, identical copies and near copies, and keeps the rest.  Test
images that also occur in validation are kept by default: both are held out from training.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass

import numpy as np

from . import cache
from .dataset import Splits
from .duplicates.exact import overlaps
from .duplicates.near import DEFAULT_THRESHOLD, NearPairs, near_duplicates

_CODE = (sys.modules[__name__],)  # with every package module it imports (cache.code_hash)


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
        Test images with an exact copy in valid (dropped only when `drop_test_in_valid`).
    valid_near, test_near : int
        Images dropped *in addition* because a near duplicate is in train (0 without `near`).
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


def held_out(splits: Splits) -> np.ndarray:
    """Validation then test images as one array: the queries of the near-duplicate search.

    Query `i < n_valid` is validation image `i`, query `n_valid + j` is test image `j`.

    Parameters
    ----------
    splits : Splits
    """
    return np.concatenate([splits.valid_images, splits.test_images])


def sanitise(
    train: np.ndarray,
    valid: np.ndarray,
    test: np.ndarray,
    *,
    near: NearPairs | None = None,
    drop_test_in_valid: bool = False,
) -> Sanitised:
    """Decide which validation and test images to keep so that none repeats training.

    Dropped: every validation and test image with an exact copy in `train`, each copy counted
    (the convention of the course's published solutions), and with `near`, every image with a
    near duplicate in train.

    Parameters
    ----------
    train, valid, test : ndarray of uint8 or float, shape (N, H, W)
        The three splits, same image shape and dtype.
    near : NearPairs, optional
        Near duplicates of `np.concatenate([valid, test])` against `train`
        ([`near_duplicates`][notmnist.duplicates.near_duplicates]).
    drop_test_in_valid : bool, default False
        Also drop test images that have an exact copy in `valid`.
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
    counts = int(valid_in.sum()), int(test_in.sum()), int(in_valid.sum())
    return Sanitised(valid_keep, test_keep, *counts, valid_near, test_near)


def sanitised(splits: Splits, *, near: NearPairs | None = None, threshold: float | None = None) -> Sanitised:
    """[`sanitise`][notmnist.sanitise.sanitise] the splits with their near duplicates, cached.

    Problem 5 computes this and problem 6 reuses it, whichever runs first.

    Parameters
    ----------
    splits : Splits
        From [`notmnist.dataset.load_splits`][notmnist.dataset.load_splits] (its provenance keys the cache).
    near : NearPairs, optional
        Near duplicates of [`held_out`][notmnist.sanitise.held_out] against train, if already computed,
        with near-constant images skipped as problem 5 skips them (`skip_near_constant=True`).
    threshold : float, optional
        Near-duplicate threshold (grey levels); default
        [`notmnist.duplicates.DEFAULT_THRESHOLD`][notmnist.duplicates.DEFAULT_THRESHOLD].
    """
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if near is not None:  # the cache below is keyed as if sanitised() had searched itself
        searched = (near.threshold, near.metric, near.skip_near_constant, len(near.nearest))
        expected = (threshold, "rms", True, len(splits.valid_labels) + len(splits.test_labels))
        if searched != expected:
            raise ValueError(
                "near pairs must be those of near_duplicates(held_out(splits), splits.train_images, "
                f"threshold={threshold:g}, skip_near_constant=True); these were found with threshold "
                f"{near.threshold:g}, metric {near.metric!r}, skip_near_constant={near.skip_near_constant}, "
                f"for {len(near.nearest):,} queries"
            )
    prov = splits.provenance
    if prov is None or prov.sizes is None:
        raise ValueError(
            "splits without provenance cannot be sanitised with a cache: pass the splits from "
            "load_splits(), or call sanitise(train, valid, test, near=...) on the arrays"
        )
    names = [f.name for f in dataclasses.fields(Sanitised)]

    def compute() -> dict[str, np.ndarray]:
        pairs = near
        if pairs is None:
            pairs = near_duplicates(held_out(splits), splits.train_images, threshold=threshold,
                                    skip_near_constant=True)
        result = sanitise(splits.train_images, splits.valid_images, splits.test_images, near=pairs)
        return {k: np.asarray(getattr(result, k)) for k in names}

    parts = (*(a.sha256 for a in prov.archives), prov.seed, sorted(prov.sizes.items()), threshold)
    parts += (cache.code_hash(*_CODE),)
    arrays, _ = cache.memo("sanitised", parts, names, compute, data_home=splits.data_home)
    return Sanitised(**{k: (v if v.ndim else v.item()) for k, v in arrays.items()})
