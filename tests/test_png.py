"""Tests of notmnist._png: bulk decoding agrees with Pillow and refuses what it does not handle."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from conftest import traced
from PIL import Image, UnidentifiedImageError

from notmnist._decode import UNREADABLE, batch_of, decode_batch
from notmnist._png import TOO_MUCH_DATA, decode_grey


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _filtered(p: np.ndarray, filters) -> bytearray:
    """Scanlines of ``p`` (int array), row ``r`` filtered with ``filters[r % len(filters)]``."""
    h, w = p.shape
    raw = bytearray()
    for r in range(h):
        f = int(filters[r % len(filters)])
        raw.append(f)
        for c in range(w):
            a = p[r, c - 1] if c else 0
            b = p[r - 1, c] if r else 0
            cc = p[r - 1, c - 1] if r and c else 0
            pred = [0, a, b, (a + b) // 2, _paeth(a, b, cc)][f]
            raw.append((p[r, c] - pred) % 256)
    return raw


ADAM7 = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1)]
"""Adam7 passes: (first row, first column, row step, column step)."""


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with its CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode_with_filters(
    pixels: np.ndarray,
    filters,
    *,
    chunks: int = 1,
    interlace: int = 0,
    level: int = 6,
    ancillary: tuple[bytes, ...] = (),
) -> bytes:
    """A PNG of ``pixels`` whose row ``r`` uses PNG filter ``filters[r]``, IDAT split in ``chunks``.

    ``interlace=1`` writes the seven Adam7 passes; ``ancillary`` chunks go between IHDR and IDAT.
    """
    h, w = pixels.shape
    p = pixels.astype(int)
    if interlace:
        raw = bytearray()
        for y0, x0, dy, dx in ADAM7:
            sub = p[y0::dy, x0::dx]
            if sub.size:
                raw += _filtered(sub, filters)
    else:
        raw = _filtered(p, filters)
    data = zlib.compress(bytes(raw), level)
    parts = [data[k * len(data) // chunks : (k + 1) * len(data) // chunks] for k in range(chunks)]
    idat = b"".join(chunk(b"IDAT", part) for part in parts)
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, interlace))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(ancillary) + idat + chunk(b"IEND", b"")


GAMA = chunk(b"gAMA", struct.pack(">I", 45455))
TEXT = chunk(b"tEXt", b"Comment\0rendered for a test")
PHYS = chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1))


def test_every_filter_type_decodes_exactly():
    """Rows filtered with None, Sub, Up, Average and Paeth decode to the original pixels."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    images[:10] = (images[:10] // 64) * 64  # some flat areas, as glyphs have
    blobs = [
        encode_with_filters(img, rng.integers(0, 5, 28), chunks=1 + i % 3) for i, img in enumerate(images)
    ]
    decoded, ok, refused = decode_grey(blobs)
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
    decoded, ok, refused = decode_grey(blobs)
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
    decoded, ok, refused = decode_grey(blobs)
    assert ok.tolist() == [False] * 7 + [True]
    assert (decoded[7] == 7).all() and not decoded[:7].any()
    assert refused == {}


def _pillow(blob: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(blob)) as im:
        assert im.mode == "L" and im.size == (28, 28)
        return np.asarray(im)


@pytest.mark.parametrize("interlace", [0, 1])
@pytest.mark.parametrize("level", range(10))
def test_archive_decoding_agrees_with_pillow_bit_for_bit(level, interlace):
    """Filter types 0-4, zlib levels 0-9, interlaced or not, gAMA/tEXt/pHYs: the pixels Pillow reads."""
    rng = np.random.default_rng(level + 10 * interlace)
    images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    images[::3] = (images[::3] // 85) * 85  # flat areas, as glyphs have
    extras = [(), (GAMA,), (TEXT, PHYS), (GAMA, TEXT, PHYS)]
    blobs = []
    for i, img in enumerate(images):
        filters = [i % 5] if i < 5 else rng.integers(0, 5, 28)  # each type alone, then mixed
        blob = encode_with_filters(
            img, filters, level=level, interlace=interlace, chunks=1 + i % 2, ancillary=extras[i % 4]
        )
        blobs.append(blob)
    batch = [(0, f"top/A/{i}.png", blob) for i, blob in enumerate(blobs)]
    _, _, decoded, failures = decode_batch(batch_of(batch))
    assert failures == []
    for blob, ours, img in zip(blobs, decoded, images):
        np.testing.assert_array_equal(ours, _pillow(blob))
        np.testing.assert_array_equal(ours, img)
    _, ok, _ = decode_grey(blobs)
    assert ok.all() if not interlace else not ok.any()  # interlaced files go to Pillow


def test_bad_chunk_checksums_are_refused_as_pillow_does():
    """A wrong CRC in IHDR (or any chunk before the image data): not decoded, skipped with Pillow's reason."""
    good = encode_with_filters(np.full((28, 28), 9, np.uint8), [1])
    bad_ihdr = bytearray(good)
    bad_ihdr[29] ^= 0x01  # first byte of the IHDR CRC
    with_text = encode_with_filters(np.full((28, 28), 9, np.uint8), [1], ancillary=(TEXT,))
    bad_text = bytearray(with_text)
    bad_text[33 + len(TEXT) - 1] ^= 0x01  # last byte of the tEXt CRC
    for blob in (bytes(bad_ihdr), bytes(bad_text)):
        _, ok, refused = decode_grey([blob])
        assert not ok[0] and refused == {}
        _, _, images, failures = decode_batch(batch_of([(0, "top/A/x.png", blob)]))
        assert len(images) == 0 and failures[0][1] == UNREADABLE and "checksum" in failures[0][2]
        with pytest.raises(UnidentifiedImageError):
            Image.open(io.BytesIO(blob))


def test_image_data_that_inflates_too_far_is_refused_in_bounded_memory():
    """A 28x28 PNG whose IDAT inflates to 256 MiB is refused as a bomb, holding a few KB, never 256 MiB."""
    z = zlib.compressobj(9)
    stream = z.compress(bytes(28 * 29)) + b"".join(z.compress(bytes(1 << 20)) for _ in range(256)) + z.flush()
    blob = encode_with_filters(np.zeros((28, 28), np.uint8), [0])
    start = blob.index(b"IDAT") - 4
    blob = blob[:start] + chunk(b"IDAT", stream) + chunk(b"IEND", b"")
    ((_, ok, refused), (_, _, images, failures)), peak = traced(
        lambda: (decode_grey([blob]), decode_batch(batch_of([(0, "top/A/bomb.png", blob)])))
    )
    assert not ok[0] and refused == {0: TOO_MUCH_DATA}
    assert len(images) == 0 and failures[0][1] == TOO_MUCH_DATA
    assert peak < 8 << 20, f"peak {peak / 1e6:.0f} MB"


@pytest.mark.parametrize(
    "kind, pillow_reads",
    [(b"a!b@", False), (b"\0\0\0\0", False), (b"ab c", False), (b"\xff\xfe\xfd\xfc", False),
     (b"a1b_", True), (b"prVt", True)],
)
def test_chunk_types_before_the_image_data_are_judged_as_pillow_does(kind, pillow_reads):
    """A chunk type Pillow refuses (not four of A-Z, a-z, 0-9, _), with a correct CRC: not decoded either."""
    pixels = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    blob = encode_with_filters(pixels, [1], ancillary=(chunk(kind, b"private data"),))
    try:
        with Image.open(io.BytesIO(blob)) as im:
            np.testing.assert_array_equal(np.asarray(im), pixels)
        read = True
    except (SyntaxError, OSError, UnidentifiedImageError):
        read = False
    assert read == pillow_reads
    images, ok, refused = decode_grey([blob])
    assert bool(ok[0]) == pillow_reads and refused == {}
    _, _, decoded, failures = decode_batch(batch_of([(0, "top/A/x.png", blob)]))
    assert len(decoded) == int(pillow_reads)
    if pillow_reads:
        np.testing.assert_array_equal(decoded[0], pixels)
    else:
        assert failures[0][1:] == (UNREADABLE, f"broken PNG file (chunk {kind!r})")
