"""Tests of notmnist._png: bulk decoding agrees with Pillow and refuses what it does not handle."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

from notmnist._png import decode_grey


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def encode_with_filters(pixels: np.ndarray, filters, *, chunks: int = 1, interlace: int = 0) -> bytes:
    """A PNG of ``pixels`` whose row ``r`` uses PNG filter ``filters[r]``, IDAT split in ``chunks``."""
    h, w = pixels.shape
    p = pixels.astype(int)
    raw = bytearray()
    for r in range(h):
        f = filters[r]
        raw.append(f)
        for c in range(w):
            a = p[r, c - 1] if c else 0
            b = p[r - 1, c] if r else 0
            cc = p[r - 1, c - 1] if r and c else 0
            pred = [0, a, b, (a + b) // 2, _paeth(a, b, cc)][f]
            raw.append((p[r, c] - pred) % 256)
    data = zlib.compress(bytes(raw))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    parts = [data[k * len(data) // chunks : (k + 1) * len(data) // chunks] for k in range(chunks)]
    idat = b"".join(chunk(b"IDAT", part) for part in parts)
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, interlace))
    return b"\x89PNG\r\n\x1a\n" + header + idat + chunk(b"IEND", b"")


def test_every_filter_type_decodes_exactly():
    """Rows filtered with None, Sub, Up, Average and Paeth decode to the original pixels."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    images[:10] = (images[:10] // 64) * 64  # some flat areas, as glyphs have
    blobs = [
        encode_with_filters(img, rng.integers(0, 5, 28), chunks=1 + i % 3) for i, img in enumerate(images)
    ]
    decoded, ok = decode_grey(blobs)
    assert ok.all()
    np.testing.assert_array_equal(decoded, images)
    for blob, img in zip(blobs[:5], images):  # Pillow agrees on our test files
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(blob))), img)


def test_pillow_written_files_decode_like_pillow_reads_them():
    """PNGs saved by Pillow (its own filter choices) decode to what Pillow reads back."""
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    blobs = []
    for img in images:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG", optimize=bool(len(blobs) % 2))
        blobs.append(buf.getvalue())
    decoded, ok = decode_grey(blobs)
    assert ok.all()
    np.testing.assert_array_equal(decoded, images)


def test_other_kinds_are_left_to_the_fallback():
    """RGB, 16-bit, wrong-size, interlaced, truncated, empty and non-PNG data are not decoded here."""

    def save(img, **kw):
        buf = io.BytesIO()
        img.save(buf, format="PNG", **kw)
        return buf.getvalue()

    good = save(Image.fromarray(np.full((28, 28), 7, np.uint8)))
    blobs = [
        save(Image.new("RGB", (28, 28))),
        save(Image.new("I;16", (28, 28))),
        save(Image.new("L", (28, 30))),
        encode_with_filters(np.zeros((28, 28), np.uint8), [0] * 28, interlace=1),
        good[:-30],
        b"",
        b"GIF89a....",
        good,
    ]
    decoded, ok = decode_grey(blobs)
    assert ok.tolist() == [False] * 7 + [True]
    assert (decoded[7] == 7).all() and not decoded[:7].any()
