"""Read a notMNIST `.tar.gz` straight into arrays, without extracting it.

The archive is streamed once by the package's own tar reader and nothing is written to disk, so a
member's path (`..`, absolute, link) can never escape anywhere.  PNG members of the letter folders
(`<top>/A/` ... `<top>/J/`) are decoded in batches, here and by a small pool of worker processes.
Members not used are counted per reason, the first few of each named
([`Skips`][notmnist.archive.Skips]); the result is sorted by (letter, member name), whatever the
order inside the archive.

Memory is bounded whatever the archive holds: a member over [`MAX_MEMBER`][notmnist.archive.MAX_MEMBER]
is passed over unread, a batch holds about [`BATCH_BYTES`][notmnist.archive.BATCH_BYTES], a few
batches are in flight, a PNG is never inflated beyond what a 28x28 image holds, and only a few
skipped members per reason are named.  The archive is read once, in order, so it may be a pipe; a
folder is refused.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from . import _decode, _tarstream, _workers
from ._io import NotAFile, open_regular
from ._tarstream import DIRECTORY, HARDLINK, REGULAR, SPARSE, SYMLINK, Block, TarStreamError
from .errors import NotMNISTError
from .registry import IMAGE_SIZE, LETTERS

log = logging.getLogger(__name__)

_BATCH = 4096  # members per decoding task
BATCH_BYTES = 1 << 24
"""A decoding task holds at most about this many bytes of PNG files."""
MAX_MEMBER = 1 << 20
"""Members larger than this (bytes) are skipped unread; a notMNIST PNG is under 1 KB."""
MAX_NAME = 255
"""Members whose name is longer than this (bytes, UTF-8) are skipped: names are kept in arrays as wide
as the longest one, so one long name would multiply their memory."""
_GZIP_MAGIC = b"\x1f\x8b"
_SHOWN = 100  # characters of a skipped member's name (or link) kept for its report
_EAGER_BYTES = 1 << 22  # archives this large start their workers at once, smaller ones at the second batch
_LABEL = {letter: i for i, letter in enumerate(LETTERS)}
_LETTER_BYTES = np.frombuffer("".join(LETTERS).encode(), np.uint8)
_LABEL_OF_BYTE = np.full(256, -1, np.int64)
_LABEL_OF_BYTE[_LETTER_BYTES] = np.arange(len(LETTERS))


class ArchiveError(NotMNISTError):
    """An archive cannot be read as a notMNIST archive; `reason`: what is wrong, without path or advice."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


@dataclass(frozen=True)
class Skipped:
    """A member of the archive that was not used, and why."""

    member: str
    reason: str


class Skips:
    """The members of an archive that were not used: how many for each reason, the first few by name.

    Iterating gives the named ones ([`Skipped`][notmnist.archive.Skipped] entries, grouped by reason
    in the order met); `len()` counts them all.  Memory stays bounded whatever the archive holds: at
    most `KEEP` members are named per reason, and at most `REASONS` reasons are told apart; members
    skipped for any further reason are counted under `OTHER` (those named keep their own reason).

    Parameters
    ----------
    named : iterable of Skipped, optional
        Members to add, in order.
    counts : dict of str to int, optional
        Members per reason, when `named` are only the named ones (a `Skips` restored from `counts`
        and its iteration).
    """

    KEEP = 20
    REASONS = 50
    OTHER = "other reasons"

    def __init__(self, named: Iterable[Skipped] = (), counts: dict[str, int] | None = None):
        self.counts: dict[str, int] = {}  # members per reason, in the order met
        self._named: dict[str, list[Skipped]] = {}
        for s in named:
            self.add(s.member, s.reason)
        if counts is not None:
            self.counts = dict(counts)

    def add(self, member: str, reason: str) -> None:
        """Count one more member skipped for `reason`; name it if it is among the first of its reason.

        Parameters
        ----------
        member : str
            The member's name, printable.
        reason : str
            Why it was skipped.
        """
        key = self._key(reason)
        self.counts[key] = self.counts.get(key, 0) + 1
        named = self._named.setdefault(key, [])
        if len(named) < self.KEEP:
            named.append(Skipped(member, reason))

    def update(self, other: Skips) -> None:
        """Add the members of `other`, after these (as if added one by one, while no more than
        `REASONS` reasons are met).

        Parameters
        ----------
        other : Skips
            The members skipped later in the archive.
        """
        for key, count in other.counts.items():
            named = other._named.get(key, [])
            for s in named:
                self.add(s.member, s.reason)
            if count > len(named):
                key = self._key(key)
                self.counts[key] = self.counts.get(key, 0) + count - len(named)

    def _key(self, reason: str) -> str:
        """The reason members are counted under: their own, or OTHER once REASONS reasons are met."""
        return reason if reason in self.counts or len(self.counts) < self.REASONS else self.OTHER

    def groups(self) -> Iterator[tuple[str, list[Skipped], int]]:
        """`(reason, named members, how many more)` for each reason, in the order met."""
        for key, count in self.counts.items():
            named = self._named.get(key, [])
            yield key, named, count - len(named)

    def __iter__(self) -> Iterator[Skipped]:
        return (s for named in self._named.values() for s in named)

    def __len__(self) -> int:
        return sum(self.counts.values())

    def __eq__(self, other) -> bool:
        return isinstance(other, Skips) and (self.counts, self._named) == (other.counts, other._named)

    def __repr__(self) -> str:
        return f"Skips({len(self):,} members, {len(self.counts)} reasons)"


@dataclass
class Letters:
    """Images read from one archive.

    Attributes
    ----------
    images : ndarray of uint8, shape (N, 28, 28)
        Raw pixels, 0 is black (background), 255 white (ink).
    labels : ndarray of int64, shape (N,)
        Class of each image, 0 to 9 for `A` to `J`.
    names : ndarray of bytes, shape (N,)
        Member name of each image, relative to its letter folder (`b"Um9tYW5h....png"`).
    skipped : Skips
        The members that were not used: a count per reason, the first few named.
    path : Path
        The archive that was read.
    provenance : Provenance or None
        Where the archive came from, when loaded through [`notmnist.dataset`][notmnist.dataset].
    """

    images: np.ndarray
    labels: np.ndarray
    names: np.ndarray
    skipped: Skips = field(default_factory=Skips)
    path: Path | None = None
    provenance: object = None  # set by notmnist.dataset

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def counts(self) -> dict[str, int]:
        """Number of readable images per letter, `{"A": ..., ..., "J": ...}`."""
        per_label = np.bincount(self.labels, minlength=len(LETTERS))
        return {letter: int(n) for letter, n in zip(LETTERS, per_label)}


def read_archive(path: str | os.PathLike, *, n_jobs: int | None = None) -> Letters:
    """Stream the PNG members of a notMNIST archive into arrays.

    Parameters
    ----------
    path : path-like
        A `.tar.gz` whose single top folder holds folders `A` ... `J` of 28x28 8-bit greyscale
        PNG files; or a pipe or fifo carrying one (read once).
    n_jobs : int, optional
        Worker processes that decode PNGs; default: all cores.  `1` decodes in this process.

    Raises
    ------
    ArchiveError
        The file is not a gzip-compressed tar, is truncated or corrupt (header checksum, gzip
        CRC or length), or holds no image at all for some letter.
    """
    return _read(Path(path), n_jobs, bulk=True)


def _read(path: Path, n_jobs: int | None, *, bulk: bool) -> Letters:
    """`read_archive`; `bulk=False` walks the tar one member at a time (same result, slower)."""
    n_jobs = n_jobs or os.cpu_count() or 1
    skipped = Skips()
    decoders = _Decoders(n_jobs)
    file = _open(path)  # once: a pipe cannot be opened twice
    try:
        head = file.read(512)
        _check_gzip(path, head)
        if os.fstat(file.fileno()).st_size >= _EAGER_BYTES:  # workers will be needed: start them now
            decoders.start()
        batcher = _decode.Batcher(_BATCH, BATCH_BYTES)
        for item in _walk(path, file, head, bulk=bulk):
            if isinstance(item, Skipped):
                skipped.add(item.member, item.reason)
                continue
            for batch in batcher.add_batch(item) if isinstance(item, _decode.Batch) else batcher.add(*item):
                decoders.add(batch)
        for batch in batcher.rest():
            decoders.add(batch)
        results = decoders.results()  # (labels, names, images, Skips) per batch, in order
    finally:
        decoders.close()
        file.close()

    labels = np.concatenate([r[0] for r in results] or [np.empty(0, np.int64)])
    names = np.concatenate([r[1] for r in results] or [np.empty(0, "S1")])
    for r in results:
        skipped.update(r[3])
    order = np.lexsort((names, labels))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    images = np.empty((len(order), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    start = 0
    for r in results:  # each batch's images straight to their sorted places: one copy, not two
        images[rank[start : start + len(r[2])]] = r[2]
        start += len(r[2])
    letters = Letters(images, labels[order], names[order], skipped, path)

    missing = [letter for letter, n in letters.counts.items() if n == 0]
    if missing:
        raise ArchiveError(
            f"{path.name}: no readable image for {'letter' if len(missing) == 1 else 'letters'} "
            f"{', '.join(missing)} (counts: {', '.join(f'{k} {v:,}' for k, v in letters.counts.items())}); "
            "a notMNIST archive holds one top folder with folders A to J of PNG files"
        )
    log.info("read %d images from %s, skipped %d members", len(letters), path, len(skipped))
    return letters


def _open(path: Path):
    """`path` open for reading: a regular file, or a pipe, fifo or device to read once."""
    try:
        return open_regular(path, streams=True)
    except FileNotFoundError:
        raise ArchiveError(f"{path}: no such file") from None
    except NotAFile as exc:
        raise ArchiveError(str(exc)) from None


def gzip_problem(head: bytes) -> str | None:
    """Why a file starting with `head` is not gzip-compressed, or None if it is.

    The one rule the reader and [`notmnist.verify`][notmnist.verify] both use: an empty file, a web
    page (it starts with `<`, or holds `<html` or `<!doctype`: an error page saved as the archive),
    or anything else without the gzip signature.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (512 are plenty).
    """
    if head.startswith(_GZIP_MAGIC):
        return None
    if not head:
        return "it is empty"
    lower = head.lower()
    if lower.lstrip().startswith(b"<") or b"<html" in lower or b"<!doctype" in lower:
        return "it is an HTML page, not a gzip file"
    return "it is not a gzip file"


def _check_gzip(path: Path, head: bytes) -> None:
    problem = gzip_problem(head)
    if problem:
        raise ArchiveError(f"{path}: {problem}; delete it and fetch the archive again", problem)


def _escaped(name: str) -> str:
    """`name` printable: bytes that are not UTF-8 become backslash escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _shown(text: str) -> str:
    """`text` cut to `_SHOWN` characters for a report, saying how long it was."""
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]}... ({len(text.encode('utf-8', 'surrogateescape')):,} bytes)"


def _parts(name: str) -> tuple[str, ...]:
    """`PurePosixPath(name).parts` for a relative name, at a fraction of the cost."""
    parts = name.split("/")
    if "" in parts or "." in parts:
        return PurePosixPath(name).parts
    return tuple(parts)


class _Rules:
    """What becomes of each member: decoded with a label, skipped for a reason, or ignored (a folder).

    The top folder is that of the first member `<top>/<letter>/<file>` that is not metadata or hidden.
    """

    def __init__(self):
        self.top: str | None = None

    def __call__(self, name: str, kind: str, link: str, data: bytes | None) -> Skipped | tuple | None:
        """A Skipped, `(label, name, data)` to decode, or None (a folder, ignored)."""
        if len(name) > MAX_NAME and len(name.encode("utf-8", "surrogateescape")) > MAX_NAME:
            size = len(name.encode("utf-8", "surrogateescape"))
            return Skipped(_shown(_escaped(name)), f"name of {size:,} bytes, over {MAX_NAME}: not read")
        if not name.isascii():
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                return Skipped(_escaped(name), "member name is not UTF-8: not read")
        parts = _parts(name)
        if name.startswith("/") or ".." in parts:
            return Skipped(name, "unsafe path (absolute or '..'): not read")
        if kind in (SYMLINK, HARDLINK):
            return Skipped(name, f"{kind} to {_shown(link)!r}: not followed")
        if kind == DIRECTORY:
            return None
        if kind == SPARSE:
            return Skipped(name, "GNU sparse file: not a notMNIST image, not read")
        if kind != REGULAR:
            return Skipped(name, "not a regular file")
        if parts and parts[0] == "__MACOSX":
            return Skipped(name, "macOS archive metadata (__MACOSX): not an image")
        if parts and parts[-1].startswith("._"):
            return Skipped(name, "macOS metadata file (._*): not an image")
        if self.top is None and len(parts) == 3 and not parts[2].startswith("."):
            self.top = parts[0]
        if len(parts) != 3 or parts[0] != self.top or parts[1] not in LETTERS:
            return Skipped(name, "not in a letter folder <top>/A ... <top>/J")
        if parts[2].startswith("."):
            return Skipped(name, "hidden file")
        if data is None:
            return Skipped(name, f"larger than {MAX_MEMBER:,} bytes: not a notMNIST image, not read")
        return _LABEL[parts[1]], name, data

    def images(self, block: Block) -> np.ndarray:
        """Which members of `block` are `<top>/<letter>/<file>` images by their name fields alone (the
        rest may be images still: ask `__call__`)."""
        if self.top is None or not self.top.isascii() or len(self.top) + 4 > 100:
            return np.zeros(len(block), bool)
        top = np.frombuffer(self.top.encode() + b"/", np.uint8)
        t = len(top)
        name = block.headers[:, :100]
        file_name = name[:, t + 2 :]
        return (
            block.regular
            & (name < 0x80).all(axis=1)
            & (name[:, :t] == top).all(axis=1)
            & np.isin(name[:, t], _LETTER_BYTES)
            & (name[:, t + 1] == ord("/"))
            & (file_name[:, 0] != 0)
            & (file_name[:, 0] != ord("."))
            & ~(file_name == ord("/")).any(axis=1)
        )


def _walk(path: Path, file, head: bytes, *, bulk: bool):
    """Yield, in archive order, a Skipped per member skipped, and the members to decode.

    Members to decode come as `(label, name, data)`, or many at once as a `_decode.Batch`.  `file`
    is `path` open, `head` the bytes already read from it.
    """
    rules = _Rules()
    try:
        for item in _tarstream.walk(file, max_size=MAX_MEMBER, bulk=bulk, head=head):
            if isinstance(item, Block):
                yield from _block(item, rules)
                continue
            verdict = rules(*item)
            if verdict is not None:
                yield verdict
    except TarStreamError as exc:
        raise ArchiveError(
            f"{path}: truncated or corrupt archive: {exc}; delete it and fetch it again", str(exc)
        ) from None


def _block(block: Block, rules: _Rules):
    """`_walk` for the members of a bulk run: the images by their name fields, the rest one by one."""
    start = 0
    while rules.top is None and start < len(block):  # until the first image names the top folder
        verdict = rules(*block.member(start))
        if verdict is not None:
            yield verdict
        start += 1
    if start == len(block):
        return
    images = rules.images(block)
    images[:start] = False
    labels = np.full(len(block), -1, np.int64)
    labels[images] = _LABEL_OF_BYTE[block.headers[images, len(rules.top) + 1]]
    for i in np.flatnonzero(~images[start:]).tolist():  # anything else, in order
        verdict = rules(*block.member(start + i))
        if isinstance(verdict, Skipped):
            yield verdict
        elif verdict is not None:
            images[start + i], labels[start + i] = True, verdict[0]
    rows = np.flatnonzero(images)
    if len(rows):
        # A Block's names are its name fields, NUL-terminated with nothing after: NumPy keeps them exactly.
        names = np.ascontiguousarray(block.headers[rows, :100]).view("S100").ravel()
        yield _decode.Batch(block.data, block.offsets[rows], block.sizes[rows], labels[rows], names)


def _decode_batch(batch: _decode.Batch) -> tuple:
    """`_decode.decode_batch`, its failures as Skips: what a batch hands back stays small."""
    labels, names, images, failures = _decode.decode_batch(batch)
    return labels, names, images, Skips(Skipped(name, reason) for name, reason in failures)


class _Decoders:
    """Decode batches, in order: in this process, or in worker processes started in the background.

    The first batch is decoded here, so a small archive never starts workers; at the second (or at
    once for a large archive) they start in a background thread, which the walk does not wait for.
    Until they are up, and whenever each has two batches, a batch is decoded here: this process
    never sits idle, and at most `2 * n_jobs` batches are in flight.
    """

    def __init__(self, n_jobs: int):
        self.n_jobs = n_jobs
        self.pool: _workers.Workers | None = None
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._starter: threading.Thread | None = None
        self._results: list = []  # per batch: a result, or the Future of one
        self._busy: list[Future] = []

    def start(self) -> None:
        """Start the workers in the background, if there are to be any and they are not started yet."""
        if self.pool is None and self.n_jobs > 1:
            self.pool = _workers.start(self.n_jobs, __name__)
            self._starter = threading.Thread(target=self._start, name="notmnist-workers", daemon=True)
            self._starter.start()

    def add(self, batch: _decode.Batch) -> None:
        """Decode `batch`, here or in a worker."""
        if self._results:
            self.start()
        if self.ready.is_set():
            if self.error is not None:
                raise self.error
            self._busy = [f for f in self._busy if not f.done()]
            if len(self._busy) < 2 * self.n_jobs:
                self._busy.append(self.pool.submit(_decode_batch, batch))
                self._results.append(self._busy[-1])
                return
        self._results.append(_decode_batch(batch))

    def _start(self) -> None:
        try:
            self.pool.submit(int).result()  # a first task starts the workers
        except BaseException as exc:  # raised in the caller's thread, at the next batch
            self.error = exc
        finally:
            self.ready.set()

    def results(self) -> list:
        """The result of every batch, in the order they were added."""
        return [r.result() if isinstance(r, Future) else r for r in self._results]

    def close(self) -> None:
        """Wait for the workers to start (if they are starting), then stop them."""
        if self._starter is not None:
            self._starter.join()
        _workers.stop(self.pool)
