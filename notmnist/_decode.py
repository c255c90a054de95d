"""PNG members in batches: how the walk of an archive fills a batch, and how a worker decodes one.

A batch is one bytes object and a few arrays (start, size, label, name of each member), so sending
one to a worker is one copy.  A bulk run of the tar joins the batch being filled as a compact copy
of its members' contents, so a batch never keeps the inflated tar alive.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._png import TOO_MUCH_DATA, decode_grey
from .registry import IMAGE_SIZE

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Why a member is not decoded: fixed texts, so members are counted per reason exactly whatever the
# archive holds; what varies (an image's size, the decoder's own words) is the failure's detail.
EMPTY = "empty file (0 bytes)"
NOT_PNG = "not a PNG file (cannot identify image file)"
WRONG_SIZE = f"image is not {IMAGE_SIZE}x{IMAGE_SIZE} pixels"
NOT_GREY = "image is not 8-bit greyscale"
UNREADABLE = "unreadable PNG"
REASONS = (EMPTY, NOT_PNG, TOO_MUCH_DATA, WRONG_SIZE, NOT_GREY, UNREADABLE)
"""Every reason a member is not decoded."""


@dataclass
class Batch:
    """Members to decode: their contents in `data`, at `starts` (int64), of `sizes`, with `labels`.

    `names` holds the member names (UTF-8 bytes); `exact` those NumPy would not keep exactly
    (ending in NUL), by position.
    """

    data: bytes | memoryview
    starts: np.ndarray
    sizes: np.ndarray
    labels: np.ndarray
    names: np.ndarray
    exact: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sizes)

    def name(self, i: int) -> str:
        """The member name of position `i`."""
        return self.exact.get(i) or self.names[i].decode("utf-8", "surrogateescape")

    def split(self, n: int) -> tuple[Batch, Batch]:
        """The first `n` members, and the others."""
        first = {i: v for i, v in self.exact.items() if i < n}
        rest = {i - n: v for i, v in self.exact.items() if i >= n}
        part = (self.starts, self.sizes, self.labels, self.names)
        return Batch(self.data, *(a[:n] for a in part), first), Batch(self.data, *(a[n:] for a in part), rest)


def batch_of(members: list[tuple[int, str, bytes]]) -> Batch:
    """A batch of `(label, name, data)` members."""
    sizes = np.array([len(data) for _, _, data in members], np.int64)
    starts = np.cumsum(sizes) - sizes
    names = [name for _, name, _ in members]
    encoded = [name.encode("utf-8", "surrogateescape") for name in names]
    exact = {i: name for i, (name, raw) in enumerate(zip(names, encoded)) if raw.endswith(b"\0")}
    labels = np.array([label for label, _, _ in members], np.int64)
    raw_names = np.array(encoded, "S") if members else np.empty(0, "S1")
    return Batch(b"".join(data for _, _, data in members), starts, sizes, labels, raw_names, exact)


def compact(batch: Batch) -> Batch:
    """`batch` with only its members' contents, back to back, in a bytes object of its own."""
    data = batch.data
    size = int(batch.sizes.sum())
    starts = np.cumsum(batch.sizes) - batch.sizes
    if isinstance(data, bytes) and len(data) == size and np.array_equal(batch.starts, starts):
        return batch
    chunks = [data[s : s + n] for s, n in zip(batch.starts.tolist(), batch.sizes.tolist())]
    return Batch(b"".join(chunks), starts, batch.sizes, batch.labels, batch.names, batch.exact)


def concatenate(parts: list[Batch]) -> Batch:
    """One compact batch of compact `parts`."""
    if len(parts) == 1:
        return parts[0]
    exact, count = {}, 0
    for part in parts:
        exact.update({i + count: v for i, v in part.exact.items()})
        count += len(part)
    sizes = np.concatenate([p.sizes for p in parts])
    labels, names = np.concatenate([p.labels for p in parts]), np.concatenate([p.names for p in parts])
    return Batch(b"".join(p.data for p in parts), np.cumsum(sizes) - sizes, sizes, labels, names, exact)


class Batcher:
    """Gathers members into batches of at most `max_members`, sent once they hold `max_bytes`."""

    def __init__(self, max_members: int, max_bytes: int):
        self.max_members, self.max_bytes = max_members, max_bytes
        self._parts: list[Batch] = []
        self._loose: list[tuple[int, str, bytes]] = []  # members met one at a time, not yet a part
        self._count = self._bytes = 0

    def add(self, label: int, name: str, data: bytes) -> list[Batch]:
        """Add one member; return the batch it filled, if any."""
        self._loose.append((label, name, data))
        self._count += 1
        self._bytes += len(data)
        return [self._take()] if self._full() else []

    def add_batch(self, batch: Batch) -> list[Batch]:
        """Add the members of `batch`, in order; return the batches they filled."""
        self._settle()
        full = []
        while len(batch):
            room = self.max_members - self._count
            # Members up to and including the one that brings the bytes to max_bytes.
            over = int(np.searchsorted(np.cumsum(batch.sizes), self.max_bytes - self._bytes))
            part, batch = batch.split(min(room, over + 1))
            self._parts.append(compact(part))
            self._count += len(part)
            self._bytes += int(part.sizes.sum())
            if self._full():
                full.append(self._take())
        return full

    def rest(self) -> list[Batch]:
        """The last, partly filled batch, if any."""
        return [self._take()] if self._count else []

    def _full(self) -> bool:
        return self._count >= self.max_members or self._bytes >= self.max_bytes

    def _settle(self) -> None:
        if self._loose:
            self._parts.append(batch_of(self._loose))
            self._loose = []

    def _take(self) -> Batch:
        self._settle()
        batch = concatenate(self._parts)
        self._parts, self._count, self._bytes = [], 0, 0
        return batch


def decode_batch(batch: Batch):
    """Decode a batch of PNG members: labels, names (bytes, in their letter folder), images, and
    `(member name, reason, detail)` failures (a reason of `REASONS`; detail: what about it, or "").
    Pillow reads what `_png.decode_grey` does not, or says why not.
    """
    data = batch.data
    blobs = [data[s : s + n] for s, n in zip(batch.starts.tolist(), batch.sizes.tolist())]
    images, keep, refused = decode_grey(blobs, IMAGE_SIZE)
    failures = []
    for i in np.flatnonzero(~keep).tolist():
        pixels, reason, detail = (None, refused[i], "") if i in refused else decode_with_pillow(blobs[i])
        if reason is None:
            images[i], keep[i] = pixels, True
        else:
            failures.append((batch.name(i), reason, detail))
    names = [name.rsplit(b"/", 1)[-1] for name in batch.names.tolist()]
    for i, name in batch.exact.items():
        names[i] = name.rsplit("/", 1)[-1].encode()
    return batch.labels[keep], np.array(names)[keep], images[keep], failures


def decode_with_pillow(data: bytes) -> tuple[np.ndarray | None, str | None, str]:
    """Pixels of a 28x28 8-bit greyscale image; else None, the reason it is not one (of `REASONS`),
    and what about it (its size or mode, the decoder's error; "" when the reason says it all)."""
    if not data:
        return None, EMPTY, ""
    if not data.startswith(_PNG_MAGIC):
        return None, NOT_PNG, ""
    # Imported only now: a worker that meets no odd file never imports Pillow.
    from PIL import Image, PngImagePlugin, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below: not 28x28
            # The PNG plugin itself, not Image.open: its error says what is wrong with the file.
            with PngImagePlugin.PngImageFile(io.BytesIO(data)) as im:
                if im.size != (IMAGE_SIZE, IMAGE_SIZE):
                    return None, WRONG_SIZE, f"it is {im.size[0]}x{im.size[1]}"
                if im.mode != "L":
                    return None, NOT_GREY, f"mode {im.mode}, not L"
                return np.asarray(im), None, ""
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        return None, UNREADABLE, str(exc)
    except MemoryError:
        raise
    except Exception as exc:  # Pillow on hostile bytes: DecompressionBombError, struct.error, ...
        return None, UNREADABLE, f"{type(exc).__name__}: {exc}"
