"""Pixels: normalised floats and grey levels, and the helpers every stage uses.

The archives hold 8-bit grey levels (0 black background, 255 white ink); the splits hold them
normalised as the course did, `(p - 127.5) / 255` in float32.  Every function accepts either
kind: `uint8` arrays are grey levels, float arrays are normalised pixels.
"""

from __future__ import annotations

import numpy as np

from .registry import PIXEL_DEPTH

_CHUNK = 2048  # images per block when converting: the temporaries stay small and in cache


def normalise(images: np.ndarray) -> np.ndarray:
    """Map uint8 pixels to float32 `(p - 127.5) / 255`, as the course did.

    Parameters
    ----------
    images : ndarray of uint8
        Grey levels 0 to 255, any shape.
    """
    return (images.astype(np.float32) - np.float32(PIXEL_DEPTH / 2)) / np.float32(PIXEL_DEPTH)


def denormalise(images: np.ndarray) -> np.ndarray:
    """Undo [`normalise`][notmnist.pixels.normalise]: float pixels back to the nearest uint8 grey levels.

    Parameters
    ----------
    images : ndarray of float
        Normalised pixels, any shape.
    """
    images = np.asarray(images)
    out = np.empty(images.shape, np.uint8)
    for start in range(0, len(images), _CHUNK):
        grey = images[start : start + _CHUNK] * np.float32(PIXEL_DEPTH) + np.float32(PIXEL_DEPTH / 2)
        out[start : start + _CHUNK] = np.clip(np.rint(grey), 0, PIXEL_DEPTH)
    return out


def _as_rows(images: np.ndarray, name: str = "images") -> np.ndarray:
    """Images as a C-contiguous `(N, pixels)` array, with a clear error naming `name` for bad input."""
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(
            f"{name} must be an array of images with shape (N, height, width), got shape {images.shape}"
        )
    if not (images.dtype == np.uint8 or images.dtype.kind == "f"):
        raise ValueError(f"{name} must be uint8 grey levels or normalised floats, got dtype {images.dtype}")
    return np.ascontiguousarray(images.reshape(len(images), -1))


def _grey_levels(images: np.ndarray, name: str = "images", index: np.ndarray | None = None) -> np.ndarray:
    """Rows `index` (default all) as float32 grey levels, shape `(n, pixels)`; normalised 8-bit ones exact."""
    rows = _as_rows(images, name)
    index = np.arange(len(rows)) if index is None else np.asarray(index)
    out = np.empty((len(index), rows.shape[1]), np.float32)
    if rows.dtype == np.uint8:
        for start in range(0, len(index), _CHUNK):
            out[start : start + _CHUNK] = rows[index[start : start + _CHUNK]]
        return out
    worst = 0.0
    for start in range(0, len(index), _CHUNK):
        g = out[start : start + _CHUNK]
        np.multiply(rows[index[start : start + _CHUNK]], np.float32(PIXEL_DEPTH), out=g)
        g += np.float32(PIXEL_DEPTH / 2)
        worst = max(worst, float(np.abs(g - np.rint(g)).max(initial=0.0)))
    if worst < 1e-3:  # normalised 8-bit pixels: recover the integers
        np.rint(out, out=out)
    return out


def near_constant(images: np.ndarray, *, max_std: float = 16.0) -> np.ndarray:
    """Which images are nearly constant (blank, or a solid block).

    Parameters
    ----------
    images : ndarray of uint8 or float, shape (N, H, W)
    max_std : float, default 16.0
        An image whose pixels have a standard deviation below this many grey
        levels is near-constant.
    """
    rows = _as_rows(images)
    scale = 1.0 if rows.dtype == np.uint8 else PIXEL_DEPTH
    variance = np.empty(len(rows))
    for start in range(0, len(rows), _CHUNK):  # one pass: mean square minus squared mean
        x = rows[start : start + _CHUNK].astype(np.float32) * np.float32(scale)
        mean = x.mean(axis=1)
        variance[start : start + _CHUNK] = np.einsum("ij,ij->i", x, x) / x.shape[1] - mean**2
    return variance < max_std**2
