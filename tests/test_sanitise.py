"""Tests of notmnist.sanitise: which validation and test images to keep, on arrays and on the splits."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import font_name, glyph, png_bytes

from notmnist import dataset, duplicates, sanitise

SCALE = 0.001  # minimum per letter: large 45, small 1
SIZES = {"train": 600, "valid": 50, "test": 50}


def _images(n: int, seed: int = 0) -> np.ndarray:
    """n distinct random uint8 images, shape (n, 28, 28)."""
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def _brighter(image: np.ndarray, by: int = 3) -> np.ndarray:
    return np.clip(image.astype(int) + by, 0, 255).astype(np.uint8)


@pytest.fixture
def splits(archive_factory, monkeypatch):
    """Splits whose large archive holds each design three times: as is, twice, and a little brighter."""
    top = "notMNIST_large"
    copies = [
        (f"{top}/{letter}/{kind}-{font_name(label, v)}", png_bytes(image))
        for label, letter in enumerate("ABCDEFGHIJ")
        for v in range(45)
        for kind, image in (("twin", glyph(label, v)), ("near", _brighter(glyph(label, v))))
    ]
    paths = {
        "large": archive_factory("notMNIST_large.tar.gz", per_letter=45, extra=copies),
        "small": archive_factory("notMNIST_small.tar.gz", per_letter=5),  # designs of large's first 5
    }
    src = dataset.DataSource("real", paths, scale=SCALE)
    monkeypatch.setattr(dataset, "locate", lambda source=None, **kw: src)
    return dataset.load_splits(sizes=SIZES)


def _in(images: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Reference answer: which images have a byte-identical copy in train."""
    seen = {row.tobytes() for row in train}
    return np.array([row.tobytes() in seen for row in images])


def _near(splits):
    """Near duplicates of the held-out images in train, at the default threshold, as problem 5 finds them."""
    return duplicates.near_duplicates(sanitise.held_out(splits), splits.train_images, skip_near_constant=True)


def test_sanitise_drops_copies_of_train():
    """sanitise drops valid/test images found in train, and test-in-valid only on request."""
    pool = _images(12, seed=9)
    train = pool[[0, 1, 2, 3, 0]]
    valid = pool[[4, 1, 5, 6]]  # valid[1] in train
    test = pool[[7, 4, 2, 2, 8]]  # test[1] in valid, test[2:4] in train
    s = sanitise.sanitise(train, valid, test)
    assert s.valid_keep.tolist() == [True, False, True, True]
    assert s.test_keep.tolist() == [True, True, False, False, True]
    assert (s.valid_in_train, s.test_in_train, s.test_in_valid) == (1, 2, 1)
    assert (s.n_valid, s.n_test) == (3, 3)
    s2 = sanitise.sanitise(train, valid, test, drop_test_in_valid=True)
    assert s2.test_keep.tolist() == [True, False, False, False, True]


def test_sanitise_with_near_pairs():
    """Near duplicates of train (queries = valid then test) are dropped and counted."""
    pool = _images(12, seed=11)
    train = pool[:4]
    valid = np.stack([pool[5], _brighter(pool[1], 2)])
    test = np.stack([pool[0], pool[6], _brighter(pool[2], -2)])
    near = duplicates.near_duplicates(np.concatenate([valid, test]), train, threshold=5.0)
    s = sanitise.sanitise(train, valid, test, near=near)
    assert s.valid_keep.tolist() == [True, False]
    assert s.test_keep.tolist() == [False, True, False]
    assert (s.test_in_train, s.valid_near, s.test_near) == (1, 1, 1)
    with pytest.raises(ValueError, match="queries"):
        sanitise.sanitise(train, valid, test, near=duplicates.near_duplicates(valid, train))


def test_sanitised_splits_keep_no_copy_of_train(splits):
    """sanitised(splits) keeps exactly the images with neither an identical nor a near copy in train."""
    clean = sanitise.sanitised(splits)
    queries = sanitise.held_out(splits)
    near = _near(splits).query_has_near & ~_in(queries, splits.train_images)
    n_valid = len(splits.valid_images)
    near_only = {"valid": near[:n_valid], "test": near[n_valid:]}
    for split, keep in (("valid", clean.valid_keep), ("test", clean.test_keep)):
        identical = _in(getattr(splits, f"{split}_images"), splits.train_images)
        assert identical.any() and near_only[split].any(), f"fixture: no copies of train in {split}"
        np.testing.assert_array_equal(keep, ~identical & ~near_only[split])
    assert (clean.valid_in_train, clean.test_in_train) == (
        int(_in(splits.valid_images, splits.train_images).sum()),
        int(_in(splits.test_images, splits.train_images).sum()),
    )
    assert (clean.valid_near, clean.test_near) == (near_only["valid"].sum(), near_only["test"].sum())
    assert clean.n_valid + clean.valid_in_train + clean.valid_near == len(splits.valid_images)
    assert clean.n_test + clean.test_in_train + clean.test_near == len(splits.test_images)


def test_sanitised_is_cached_and_keyed_by_threshold(splits, monkeypatch):
    """A second call reads the cache; another threshold computes again; near pairs must match it."""
    first = sanitise.sanitised(splits)
    with monkeypatch.context() as m:
        m.setattr(sanitise, "sanitise", lambda *a, **k: pytest.fail("sanitised sets not cached"))
        again = sanitise.sanitised(splits, near=_near(splits))
    np.testing.assert_array_equal(first.valid_keep, again.valid_keep)
    np.testing.assert_array_equal(first.test_keep, again.test_keep)
    assert (first.test_in_train, first.test_near) == (again.test_in_train, again.test_near)
    strict = sanitise.sanitised(splits, threshold=1.0)
    assert strict.valid_near + strict.test_near == 0  # the brighter copies are 3 grey levels off
    assert (strict.valid_in_train, strict.test_in_train) == (first.valid_in_train, first.test_in_train)
    with pytest.raises(ValueError, match="threshold"):
        sanitise.sanitised(splits, near=_near(splits), threshold=1.0)
    # Pairs found another way would be cached as if sanitised() had searched itself: refused.
    queries = sanitise.held_out(splits)
    for other in (
        duplicates.near_duplicates(queries, splits.train_images),
        duplicates.near_duplicates(queries[1:], splits.train_images, skip_near_constant=True),
        duplicates.near_duplicates(queries, splits.train_images, metric="mad", skip_near_constant=True),
    ):
        with pytest.raises(ValueError, match="skip_near_constant=True"):
            sanitise.sanitised(splits, near=other)


def test_sanitised_needs_splits_with_provenance(splits):
    """Splits built by hand, without provenance, get a clear error instead of a wrong cache key."""
    bare = dataset.Splits(**{k: v for k, v in vars(splits).items() if k not in ("provenance", "data_home")})
    with pytest.raises(ValueError, match="provenance"):
        sanitise.sanitised(bare)


def test_held_out_numbers_queries_valid_then_test(splits):
    """Query i < n_valid is validation image i, the rest are test images, in order."""
    queries = sanitise.held_out(splits)
    n_valid = len(splits.valid_images)
    np.testing.assert_array_equal(queries[:n_valid], splits.valid_images)
    np.testing.assert_array_equal(queries[n_valid:], splits.test_images)
