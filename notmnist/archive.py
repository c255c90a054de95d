"""Read a notMNIST ``.tar.gz`` straight into arrays, without extracting it.

The archive is streamed once, member by member; nothing is written to disk, so
a member's path (``..``, absolute, link) can never escape anywhere.  PNG
members of the letter folders (``<top>/A/`` ... ``<top>/J/``) are decoded in
batches by a small pool of worker processes (:mod:`notmnist._workers`).  Every member that is not used
becomes a :class:`Skipped` entry with the reason, so the caller can count and
name them.  The result is sorted by (letter, member name): deterministic
whatever the order inside the archive or the decoding schedule.

Memory is bounded whatever the archive holds: a member larger than
:data:`MAX_MEMBER` is passed over unread (no notMNIST image comes near it), a
batch is sent off once it holds :data:`BATCH_BYTES`, only a few batches are in
flight, and a PNG's image data is never inflated beyond what a 28x28 image
holds.  The whole gzip stream is read, so its CRC and length are checked.
macOS metadata (``__MACOSX/``, ``._*``) and members whose name is not UTF-8
are skipped with a reason (such a name is shown with backslash escapes).
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from . import _workers
from ._png import decode_grey
from ._tarstream import DIRECTORY, HARDLINK, REGULAR, SYMLINK, TarStreamError, members
from .errors import NotMNISTError
from .registry import IMAGE_SIZE, LETTERS

log = logging.getLogger(__name__)

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_BATCH = 4096  # members per decoding task
BATCH_BYTES = 1 << 24
"""A decoding task holds at most about this many bytes of PNG files."""
MAX_MEMBER = 1 << 20
"""Members larger than this (bytes) are skipped unread; a notMNIST PNG is under 1 KB."""
_LABEL = {letter: i for i, letter in enumerate(LETTERS)}


class ArchiveError(NotMNISTError):
    """An archive cannot be read as a notMNIST archive (truncated, not gzip, bad layout).

    ``str(error)`` is the whole message for a user; ``error.reason`` says only
    what is wrong with the file (for a record of it), without the path or advice.
    """

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


@dataclass(frozen=True)
class Skipped:
    """A member of the archive that was not used, and why."""

    member: str
    reason: str


@dataclass
class Letters:
    """Images read from one archive.

    Attributes
    ----------
    images : ndarray of uint8, shape (N, 28, 28)
        Raw pixels, 0 is black (background), 255 white (ink).
    labels : ndarray of int64, shape (N,)
        Class of each image, 0 to 9 for ``A`` to ``J``.
    names : ndarray of bytes, shape (N,)
        Member name of each image, relative to its letter folder (``b"Um9tYW5h....png"``).
    skipped : list of Skipped
        Every member that was not used, with the reason.
    path : Path
        The archive that was read.
    provenance : Provenance or None
        Where the archive came from, when loaded through :mod:`notmnist.dataset`.
    """

    images: np.ndarray
    labels: np.ndarray
    names: np.ndarray
    skipped: list[Skipped] = field(default_factory=list)
    path: Path | None = None
    provenance: object = None  # set by notmnist.dataset

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def counts(self) -> dict[str, int]:
        """Number of readable images per letter, ``{"A": ..., ..., "J": ...}``."""
        per_label = np.bincount(self.labels, minlength=len(LETTERS))
        return {letter: int(n) for letter, n in zip(LETTERS, per_label)}


def read_archive(path: str | os.PathLike, *, n_jobs: int | None = None) -> Letters:
    """Stream the PNG members of a notMNIST archive into arrays.

    Parameters
    ----------
    path : path-like
        A ``.tar.gz`` whose single top folder holds folders ``A`` ... ``J`` of
        28x28 8-bit greyscale PNG files.
    n_jobs : int, optional
        Worker processes that decode PNGs; default: all cores.  ``1`` decodes
        in this process.

    Returns
    -------
    Letters
        Images sorted by (letter, member name), and the skipped members.

    Raises
    ------
    ArchiveError
        If the file is not a gzip-compressed tar, is truncated or corrupt
        (header checksum, gzip CRC or length), or holds no image at all for
        some letter.
    """
    path = Path(path)
    _check_gzip(path)
    n_jobs = n_jobs or os.cpu_count() or 1
    skipped: list[Skipped] = []
    results = []  # (labels, names, images, failures) per batch

    pool = None
    try:
        pending = []
        batch: list[tuple[int, str, bytes]] = []
        batch_bytes = 0
        for label, name, data, reason in _walk(path):
            if reason is not None:
                skipped.append(Skipped(name, reason))
                continue
            batch.append((label, name, data))
            batch_bytes += len(data)
            if len(batch) == _BATCH or batch_bytes >= BATCH_BYTES:
                # Workers only pay off from the second batch on: small archives stay in-process.
                if pool is None and pending:
                    pool = _workers.start(n_jobs, __name__)
                pending.append(_submit(pool, batch))
                batch, batch_bytes = [], 0
                # Bound memory: never hold more than a few batches in flight.
                while len(pending) > 2 * n_jobs:
                    results.append(_result(pending.pop(0)))
        if batch:
            pending.append(_submit(pool, batch))
        results.extend(_result(task) for task in pending)
    finally:
        _workers.stop(pool)

    labels = np.concatenate([r[0] for r in results] or [np.empty(0, np.int64)])
    names = np.concatenate([r[1] for r in results] or [np.empty(0, "S1")])
    images = np.concatenate([r[2] for r in results] or [np.empty((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)])
    for r in results:
        skipped.extend(r[3])
    order = np.lexsort((names, labels))
    letters = Letters(images[order], labels[order], names[order], skipped, path)

    missing = [letter for letter, n in letters.counts.items() if n == 0]
    if missing:
        raise ArchiveError(
            f"{path.name}: no readable image for letter(s) {', '.join(missing)} "
            f"(counts: {_format_counts(letters.counts)}); a notMNIST archive holds one "
            "top folder with folders A to J of PNG files"
        )
    log.info("read %d images from %s, skipped %d members", len(letters), path, len(skipped))
    return letters


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items())


def _check_gzip(path: Path) -> None:
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except FileNotFoundError:
        raise ArchiveError(f"{path}: no such file") from None
    if head[:2] != b"\x1f\x8b":
        what = (
            "an HTML page"
            if b"<html" in head.lower() or b"<!doctype" in head.lower()
            else ("empty" if not head else "not gzip-compressed")
        )
        raise ArchiveError(
            f"{path}: {what}, not a notMNIST .tar.gz; delete it and fetch the archive again", what
        )


def _escaped(name: str) -> str:
    """``name`` printable: bytes that are not UTF-8 become backslash escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _parts(name: str) -> tuple[str, ...]:
    """``PurePosixPath(name).parts`` for a relative name, at a fraction of the cost."""
    parts = name.split("/")
    if "" in parts or "." in parts:
        return PurePosixPath(name).parts
    return tuple(parts)


def _walk(path: Path):
    """Yield ``(label, name, data, reason)`` for every member, in archive order.

    ``reason`` is None for a member to decode; otherwise ``data`` is empty and
    the member is skipped for ``reason``.  The top folder is that of the first
    PNG-like member ``<top>/<letter>/<file>`` that is not metadata or hidden.
    """
    top = None
    try:
        for name, kind, link, data in members(path, max_size=MAX_MEMBER):
            if not name.isascii():
                try:
                    name.encode("utf-8")
                except UnicodeEncodeError:
                    yield -1, _escaped(name), b"", "member name is not UTF-8: not read"
                    continue
            parts = _parts(name)
            if name.startswith("/") or ".." in parts:
                yield -1, name, b"", "unsafe path (absolute or '..'): not read"
                continue
            if kind in (SYMLINK, HARDLINK):
                yield -1, name, b"", f"{kind} to {link!r}: not followed"
                continue
            if kind == DIRECTORY:
                continue
            if kind != REGULAR:
                yield -1, name, b"", "not a regular file"
                continue
            if parts and parts[0] == "__MACOSX":
                yield -1, name, b"", "macOS archive metadata (__MACOSX): not an image"
                continue
            if parts and parts[-1].startswith("._"):
                yield -1, name, b"", "macOS metadata file (._*): not an image"
                continue
            if top is None and len(parts) == 3 and not parts[2].startswith("."):
                top = parts[0]
            if len(parts) != 3 or parts[0] != top or parts[1] not in LETTERS:
                yield -1, name, b"", "not in a letter folder <top>/A ... <top>/J"
                continue
            if parts[2].startswith("."):
                yield -1, name, b"", "hidden file"
                continue
            if data is None:
                yield -1, name, b"", f"larger than {MAX_MEMBER:,} bytes: not a notMNIST image, not read"
                continue
            yield _LABEL[parts[1]], name, data, None
    except TarStreamError as exc:
        raise ArchiveError(
            f"{path}: truncated or corrupt archive: {exc}; delete it and fetch it again", str(exc)
        ) from None


def _decode_batch(batch: list[tuple[int, str, bytes]]):
    """Decode a batch of PNG members; return labels, names, images, failures.

    The common case (28x28 8-bit greyscale) is decoded in bulk by
    :func:`notmnist._png.decode_grey`; anything else goes through Pillow, which
    either reads it as 28x28 greyscale or says why it is unusable.
    """
    images, keep, refused = decode_grey([data for _, _, data in batch], IMAGE_SIZE)
    failures = []
    for i in np.flatnonzero(~keep):
        _, name, data = batch[i]
        pixels, reason = (None, refused[i]) if i in refused else _decode_with_pillow(data)
        if reason is None:
            images[i], keep[i] = pixels, True
        else:
            failures.append(Skipped(name, reason))
    labels = np.array([b[0] for b in batch], np.int64)[keep]
    names = np.array([b[1].rsplit("/", 1)[-1].encode() for b in batch])[keep]
    return labels, names, images[keep], failures


def _decode_with_pillow(data: bytes) -> tuple[np.ndarray | None, str | None]:
    """Pixels of a 28x28 8-bit greyscale image, or the reason it is not one."""
    from PIL import Image, PngImagePlugin, UnidentifiedImageError

    if not data:
        return None, "empty file (0 bytes)"
    if not data.startswith(_PNG_MAGIC):
        return None, "not a PNG file (cannot identify image file)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below: not 28x28
            # The PNG plugin itself, not Image.open: its error says what is wrong with the file.
            with PngImagePlugin.PngImageFile(io.BytesIO(data)) as im:
                if im.size != (IMAGE_SIZE, IMAGE_SIZE):
                    return None, f"image is {im.size[0]}x{im.size[1]}, expected 28x28"
                if im.mode != "L":
                    return None, f"image mode {im.mode}, expected 8-bit greyscale (L)"
                return np.asarray(im), None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        return None, f"unreadable PNG ({exc})"
    except MemoryError:
        raise
    except Exception as exc:  # Pillow on hostile bytes: DecompressionBombError, struct.error, ...
        return None, f"unreadable PNG ({type(exc).__name__}: {exc})"


def _submit(pool, batch):
    if pool is None:
        return _decode_batch(batch)
    return pool.submit(_decode_batch, batch)


def _result(item):
    return item if isinstance(item, tuple) else item.result()
