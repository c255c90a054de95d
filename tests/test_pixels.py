"""Tests of notmnist.pixels: normalising, grey levels, image checks and near-constant images."""

from __future__ import annotations

import numpy as np
import pytest

from notmnist import pixels


def _normalised(images: np.ndarray) -> np.ndarray:
    return ((images.astype(np.float32) - 127.5) / 255).astype(np.float32)


def test_normalisation_is_the_course_formula():
    """(p - 127.5) / 255: 0 -> -0.5, 255 -> +0.5, and exact inversion."""
    levels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    x = pixels.normalise(levels)
    assert x.dtype == np.float32
    assert x.min() == -0.5 and x.max() == 0.5
    np.testing.assert_array_equal(np.rint(x * 255 + 127.5).astype(np.uint8), levels)


def test_denormalise_restores_every_grey_level_exactly():
    """denormalise(normalise(p)) == p for all 256 levels, across block boundaries; out of range clips."""
    levels = np.resize(np.arange(256, dtype=np.uint8), (5000, 2, 3))
    np.testing.assert_array_equal(pixels.denormalise(pixels.normalise(levels)), levels)
    np.testing.assert_array_equal(pixels.denormalise(np.array([[-0.7, 0.9]])), [[0, 255]])
    assert pixels.denormalise(np.zeros((0, 28, 28), np.float32)).shape == (0, 28, 28)


def test_grey_levels_of_normalised_pixels_are_exact_integers():
    """Normalised 8-bit pixels come back as the exact grey levels, uint8 as they are; rows by index."""
    levels = np.resize(np.arange(256, dtype=np.uint8), (5000, 4, 4))
    expected = levels.reshape(len(levels), -1).astype(np.float32)
    for images in (levels, _normalised(levels)):
        grey = pixels._grey_levels(images)
        assert grey.dtype == np.float32 and grey.shape == (5000, 16)
        np.testing.assert_array_equal(grey, expected)
    picked = pixels._grey_levels(_normalised(levels), index=[4999, 3])
    np.testing.assert_array_equal(picked, expected[[4999, 3]])
    off_grid = pixels._grey_levels(np.full((1, 2, 2), 0.001, np.float32))  # not an 8-bit level: not rounded
    assert np.allclose(off_grid, 127.755)


def test_as_rows_refuses_what_is_not_images():
    """A 1-D array or an integer dtype other than uint8 is refused, naming the argument."""
    with pytest.raises(ValueError, match="query must be an array of images"):
        pixels._as_rows(np.zeros(5, np.uint8), "query")
    with pytest.raises(ValueError, match="uint8 grey levels or normalised floats"):
        pixels._as_rows(np.zeros((2, 28, 28), np.int64))
    assert pixels._as_rows(np.zeros((2, 28, 28), np.uint8)).shape == (2, 784)


def test_near_constant():
    """Blank, solid and faintly textured images are near-constant; glyph-like ones are not."""
    x = np.zeros((4, 28, 28), np.uint8)
    x[1] = 255
    x[2] = np.random.default_rng(0).integers(100, 110, (28, 28))
    x[3, :, :14] = 255  # half white: std 127.5
    expected = [True, True, True, False]
    assert pixels.near_constant(x).tolist() == expected
    assert pixels.near_constant(_normalised(x)).tolist() == expected


def test_near_constant_agrees_with_numpy_std_around_the_threshold():
    """The one-pass variance gives numpy's std < max_std answer, for bright and dark images alike."""
    rng = np.random.default_rng(8)
    base = rng.integers(0, 256, (400, 1, 1))
    spread = rng.uniform(0, 40, (400, 1, 1))
    x = np.clip(base + spread * rng.standard_normal((400, 28, 28)), 0, 255).astype(np.uint8)
    std = x.reshape(400, -1).std(axis=1)
    clear = np.abs(std - 16) > 1e-3
    assert 50 < (std < 16).sum() < 350
    np.testing.assert_array_equal(pixels.near_constant(x)[clear], (std < 16)[clear])
    np.testing.assert_array_equal(pixels.near_constant(_normalised(x))[clear], (std < 16)[clear])
