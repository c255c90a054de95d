"""Batch decoding of small 8-bit greyscale PNGs with NumPy.

Every notMNIST image is the same simple kind of PNG, so a whole batch is decoded at once: each
file's image data inflated with `zlib`, then the row filters undone for all images together with
NumPy.  Anything else is left to the caller, who asks Pillow.  Image data that inflates to more
than the image holds is refused (`TOO_MUCH_DATA`), never inflated much beyond it.
"""

from __future__ import annotations

import functools
import re
import struct
import zlib

import numpy as np

_MAGIC = b"\x89PNG\r\n\x1a\n"
_ONE_SHOT = 4096  # image data up to this many bytes is inflated in one call (deflate expands <= 1032x)
# Chunk types Pillow accepts before the image data: four of [A-Za-z0-9_] (its ``is_cid``, rb"\w\w\w\w").
_CHUNK_TYPE = re.compile(rb"[A-Za-z0-9_]{4}")
TOO_MUCH_DATA = "image data inflates to more than a 28x28 image holds (decompression bomb?)"


@functools.lru_cache(maxsize=4)
def _header(size: int) -> bytes:
    """Signature and IHDR chunk of a `size` x `size` 8-bit greyscale, non-interlaced PNG."""
    body = b"IHDR" + struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return _MAGIC + struct.pack(">I", 13) + body + struct.pack(">I", zlib.crc32(body))


def _scanlines(data: bytes, size: int) -> bytes | str | None:
    """Inflated image data of a plain `size` x `size` greyscale PNG, the reason to refuse it, or None
    (not decoded here: ask Pillow)."""
    if data[:33] != _header(size):  # signature, then IHDR exactly as it must be (its CRC included)
        return None
    pos, idat, end = 33, [], len(data)
    while pos + 12 <= end:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        stop = pos + 8 + length
        if stop + 4 > end:
            return None  # truncated
        if kind == b"IDAT":
            idat.append(data[pos + 8 : stop])
        elif idat or kind == b"IEND":  # image data is one run of IDAT chunks
            break
        elif not _CHUNK_TYPE.fullmatch(kind):
            return None  # Pillow refuses a chunk type that is not four word characters
        elif zlib.crc32(data[pos + 4 : stop]) != int.from_bytes(data[stop : stop + 4], "big"):
            return None  # Pillow checks the CRC of every chunk before the image data
        pos = stop + 4
    expected = size * (size + 1)
    stream = idat[0] if len(idat) == 1 else b"".join(idat)
    try:
        if len(stream) <= _ONE_SHOT:  # inflates to at most ~1,000 times as much: a few MB
            raw = zlib.decompress(stream)  # raises on a stream that is cut short
        else:  # bounded: never more than one byte past what the image holds
            inflate = zlib.decompressobj()
            raw = inflate.decompress(stream, expected + 1)
            if len(raw) == expected and not inflate.eof:
                return None
    except zlib.error:
        return None
    if len(raw) > expected:
        return TOO_MUCH_DATA
    return raw if len(raw) == expected else None


def decode_grey(blobs: list[bytes], size: int = 28) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Decode PNG files that are `size` x `size` 8-bit greyscale.

    Returns the images (uint8, zero where not decoded), which were decoded (bool), and the files
    no decoder should read, with the reason (`TOO_MUCH_DATA`); the others need a general decoder.
    """
    n = len(blobs)
    rows = np.zeros((n, size, size + 1), np.uint8)
    ok = np.zeros(n, bool)
    refused = {}
    for i, blob in enumerate(blobs):
        raw = _scanlines(blob, size)
        if isinstance(raw, bytes):
            rows[i] = np.frombuffer(raw, np.uint8).reshape(size, size + 1)
            ok[i] = True
        elif raw is not None:
            refused[i] = raw
    filters = rows[:, :, 0]
    if np.any(filters[ok] > 4):  # invalid filter byte: leave those to the fallback
        ok &= ~np.any(filters > 4, axis=1)
    out = np.zeros((n, size, size), np.uint8)
    prev = np.zeros((n, size), np.uint8)
    for r in range(size):
        line = rows[:, r, 1:].copy()
        f = filters[:, r]
        up = f == 2
        line[up] += prev[up]
        sub = f == 1
        if sub.any():
            line[sub] = np.cumsum(line[sub], axis=1, dtype=np.uint8)
        for kind in (3, 4):
            sel = f == kind
            if not sel.any():
                continue
            x, b = line[sel].astype(np.int16), prev[sel].astype(np.int16)
            for c in range(size):
                a = x[:, c - 1] if c else np.zeros(len(x), np.int16)
                if kind == 3:
                    pred = (a + b[:, c]) // 2
                else:
                    cc = b[:, c - 1] if c else np.zeros(len(x), np.int16)
                    p = a + b[:, c] - cc
                    pa, pb, pc = np.abs(p - a), np.abs(p - b[:, c]), np.abs(p - cc)
                    pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b[:, c], cc))
                x[:, c] = (x[:, c] + pred) & 0xFF
            line[sel] = x.astype(np.uint8)
        out[:, r] = line
        prev = line
    out[~ok] = 0
    return out, ok, refused
