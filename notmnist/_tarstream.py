"""A minimal, fast, read-only walk over the members of a `.tar.gz`.

The gzip stream is inflated in large chunks and the 512-byte headers are parsed here (ustar, GNU
long names, pax `path`/`linkpath`/`size` records); nothing is written.  Runs of plain members
already inflated come at once as a `Block`, checked with NumPy; any other member goes through the
per-member path, and both give the same members and the same errors at the same member.

Hostile input is bounded: at most `OUT_CHUNK` bytes are inflated at a time, a regular member over
`max_size` is passed over unread, records over `MAX_RECORD` are an error, and every header either
advances the stream or is an error.  The whole gzip stream is read, so its CRC and length are checked
(concatenated members and trailing zero padding are accepted, as `gzip -d` accepts them).
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import NotMNISTError

BLOCK = 512
_CHUNK = 1 << 20  # compressed bytes read from the file at a time
OUT_CHUNK = 1 << 23
"""Most bytes inflated in one step: the buffer never holds much more than this."""
MAX_RECORD = 1 << 20
"""Largest GNU long-name or pax record accepted, in bytes."""

REGULAR, DIRECTORY, SYMLINK, HARDLINK, OTHER = "file", "dir", "symlink", "hardlink", "other"
SPARSE = "sparse"  # a GNU sparse file (old GNU 'S' header, or pax GNU.sparse.* records): never read
_TYPES = {b"0": REGULAR, b"\0": REGULAR, b"7": REGULAR, b"5": DIRECTORY, b"2": SYMLINK, b"1": HARDLINK}
_BULK_TYPES = frozenset(b"0\x0075")  # type flags of a Block's members: regular files and folders
_REGULAR_FLAGS = np.frombuffer(b"0\x007", np.uint8)
_POSIX_MAGIC = np.frombuffer(b"ustar\0", np.uint8)
_GZIP_MAGIC = b"\x1f\x8b"
_TRUNCATED = "the archive ends in the middle of a member (truncated?)"


class TarStreamError(NotMNISTError):
    """The stream is not a complete, well-formed tar.gz."""


class _Inflater:
    """Inflated bytes of a gzip path or stream (`head`: bytes already read from it), in bounded steps."""

    def __init__(self, source, head: bytes = b""):
        self._own = not hasattr(source, "read")
        self._file = open(source, "rb") if self._own else source
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = head  # compressed bytes not yet given to the decompressor
        self._buf = b""
        self._pos = 0
        self._eof = False

    def read(self, n: int, need: int | None = None) -> bytes:
        """The next `n` bytes; TarStreamError if the stream ends before `need` of them (default `n`)."""
        while len(self._buf) - self._pos < n and not self._eof:
            self._refill()
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        if len(out) < (n if need is None else need):
            raise TarStreamError(_TRUNCATED)
        return out

    def skip(self, n: int, need: int) -> None:
        """Pass over `n` bytes without keeping them; TarStreamError if the stream ends before `need`."""
        done = min(n, len(self._buf) - self._pos)
        self._pos += done
        while done < n and not self._eof:
            self._buf, self._pos = b"", 0
            self._refill()
            self._pos = min(n - done, len(self._buf))
            done += self._pos
        if done < need:
            raise TarStreamError(_TRUNCATED)

    def _refill(self) -> None:
        """Append at most OUT_CHUNK inflated bytes to the buffer, or set end of file."""
        while True:
            if not self._pending:
                self._pending = self._file.read(_CHUNK)
                if not self._pending:
                    if not self._inflate.eof:
                        raise TarStreamError("the gzip stream ends early (truncated download?)")
                    self._eof = True
                    return
            if self._inflate.eof:  # a gzip member ended: another member, zero padding, or garbage
                self._pending = self._pending.lstrip(b"\0")
                if not self._pending:
                    continue
                if len(self._pending) < 2:
                    self._pending += self._file.read(1)
                if not self._pending.startswith(_GZIP_MAGIC):
                    raise TarStreamError("unexpected data after the end of the gzip stream")
                self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                more = self._inflate.decompress(self._pending, OUT_CHUNK)
            except zlib.error as exc:
                raise TarStreamError(f"corrupt gzip data ({exc})") from None
            self._pending = self._inflate.unconsumed_tail or self._inflate.unused_data
            if more:
                self._buf = self._buf[self._pos :] + more
                self._pos = 0
                return

    def finish(self) -> None:
        """Read to the end of the gzip stream, so its length and CRC are checked."""
        while not self._eof:
            self._buf, self._pos = b"", 0
            self._refill()

    def close(self) -> None:
        if self._own:
            self._file.close()


def _number(field: bytes) -> int:
    """An octal header field (or GNU base-256, via tarfile); never negative."""
    try:
        if field[0] in (0x80, 0xFF):
            value = tarfile.nti(field)
        else:
            value = int(field.split(b"\0", 1)[0].strip() or b"0", 8)
    except (ValueError, tarfile.InvalidHeaderError):
        value = -1
    if value < 0:
        raise TarStreamError(f"bad number field in a tar header: {field!r}")
    return value


def _pax(data: bytes, member: str) -> dict[str, str]:
    """Records `"<len> key=value\\n"` of a pax extended header of `member`."""
    out, pos = {}, 0
    while pos < len(data):
        if not data[pos : pos + 1].isdigit() and data.count(0, pos) == len(data) - pos:
            break  # NUL padding after the last record
        space = data.find(b" ", pos, pos + 21)
        field = data[pos:space] if space > pos else data[pos : pos + 20]
        length = int(field) if field.isdigit() and len(field) < 19 else 0
        if length <= space - pos + 1 or pos + length > len(data) or data[pos + length - 1] != 0x0A:
            raise TarStreamError(f"bad pax record (length {field[:20]!r}) in the header of {member!r}")
        key, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def _field_name(header: bytes) -> str:
    name = header[0:100].split(b"\0", 1)[0]
    prefix = header[345:500].split(b"\0", 1)[0] if header[257:263] == b"ustar\0" else b""
    return (prefix + b"/" + name if prefix else name).decode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Block:
    """A run of plain members (regular files up to `max_size`, folders) with valid checksums.

    Each is named by its 100-byte name field alone.  `data` holds the run's tar bytes, `headers`
    (n, 512) uint8 the headers, `offsets` and `sizes` (n,) int64 where each content starts in
    `data` and its length.
    """

    data: memoryview
    headers: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray

    def __len__(self) -> int:
        return len(self.sizes)

    @property
    def regular(self) -> np.ndarray:
        """Which members are regular files (the others are folders), bool of shape (n,)."""
        return np.isin(self.headers[:, 156], _REGULAR_FLAGS)

    def member(self, i: int) -> tuple[str, str, str, bytes]:
        """`(name, type, linkname, data)` of member `i`, as `members` yields it."""
        header = self.headers[i].tobytes()
        kind = _TYPES[header[156:157]]
        link = header[157:257].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        offset, size = int(self.offsets[i]), int(self.sizes[i])
        data = bytes(self.data[offset : offset + size]) if kind == REGULAR else b""
        return _field_name(header), kind, link, data


def walk(
    path, *, max_size: int | None = None, bulk: bool = True, head: bytes = b""
) -> Iterator[Block | tuple[str, str, str, bytes | None]]:
    """The members of a tar.gz, in order: runs of plain members as Blocks, any other member alone."""
    stream = _Inflater(path if hasattr(path, "read") else Path(path), head)
    try:
        while True:
            block = _bulk(stream, max_size) if bulk else None
            if block is not None:
                yield block
                continue
            member = _step(stream, max_size)
            if member is None:
                return
            yield member
    finally:
        stream.close()


def members(
    path, *, max_size: int | None = None, bulk: bool = True, head: bytes = b""
) -> Iterator[tuple[str, str, str, bytes | None]]:
    """Yield `(name, type, linkname, data)` for each member of a tar.gz, in order.

    `path` is the `.tar.gz` or a stream of it (read once, not closed here), `head` bytes already
    read from the stream.  `type` is `"file"`, `"dir"`, `"symlink"`, `"hardlink"`, `"sparse"` or
    `"other"`; `data` the content of a regular file (None if over `max_size`: passed over unread),
    else `b""`.  Names that are not UTF-8 keep their bytes as surrogate escapes.  `bulk=False`
    parses every header alone (same result).  TarStreamError if the gzip stream or a header is
    corrupt, or the archive ends before its end marker.
    """
    for item in walk(path, max_size=max_size, bulk=bulk, head=head):
        if isinstance(item, Block):
            yield from (item.member(i) for i in range(len(item)))
        else:
            yield item


def _bulk(stream: _Inflater, max_size: int | None) -> Block | None:
    """The run of plain members wholly in hand at the read position, or None; never inflates more.

    The run stops before the first member not wholly in hand or failing a check; `_step` reads it.
    """
    buf, start = stream._buf, stream._pos
    end = len(buf)
    limit = max_size if max_size is not None else end
    heads, sizes = [], []
    pos = start
    while pos + BLOCK <= end:
        if buf[pos + 156] not in _BULK_TYPES:
            break
        field = buf[pos + 124 : pos + 136]
        if field[0] in (0x80, 0xFF):  # base-256: left to _number
            break
        try:
            size = int(field.split(b"\0", 1)[0].strip() or b"0", 8)
        except ValueError:
            break
        if not 0 <= size <= limit:
            break
        after = pos + BLOCK + size + (-size % BLOCK)
        if after > end:
            break
        heads.append(pos)
        sizes.append(size)
        pos = after
    if not heads:
        return None
    first = (np.array(heads, np.int64) - start) // BLOCK
    blocks = np.frombuffer(buf, np.uint8, count=(pos - start), offset=start).reshape(-1, BLOCK)
    headers = blocks[first]
    good = _plain(headers)
    n = len(heads) if good.all() else int(np.argmin(good))
    if n == 0:
        return None
    stop = heads[n] if n < len(heads) else pos
    stream._pos = stop
    offsets = first[:n] * BLOCK + BLOCK
    data = memoryview(buf)[start:stop]
    return Block(data, headers[:n], offsets, np.array(sizes[:n], np.int64))


def _plain(headers: np.ndarray) -> np.ndarray:
    """Which headers `_step` would read exactly as a Block reads them: checksum, name field, no prefix."""
    # Checksum: a plain octal field ("0012345\0 ") equal to the unsigned sum, the field counted as spaces.
    # (A zero block, the end-of-archive marker, fails here: its field holds no digit.)
    stored, parsed = _octal(headers[:, 148:156])
    total = headers.sum(axis=1, dtype=np.int64) - headers[:, 148:156].sum(axis=1, dtype=np.int64) + 256
    good = parsed & (stored == total)
    # Name: NUL-terminated (or all 100 bytes), nothing but NULs after the first NUL.
    name = headers[:, :100]
    nonzero = name != 0
    length = np.where(nonzero.all(axis=1), 100, np.argmin(nonzero, axis=1))
    good &= nonzero.sum(axis=1) == length
    # No ustar prefix (GNU headers have none: other fields live there).
    posix = (headers[:, 257:263] == _POSIX_MAGIC).all(axis=1)
    good &= ~posix | (headers[:, 345] == 0)
    return good


def _octal(fields: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of octal fields of the form `digits, then only NULs or spaces`, and which have it."""
    digit = (fields >= 0x30) & (fields <= 0x37)
    blank = (fields == 0) | (fields == 0x20)
    # Digits first (at least one), then blanks only: no digit after a non-digit.
    ok = digit[:, 0] & (digit | blank).all(axis=1) & ~(np.diff(digit.view(np.int8), axis=1) > 0).any(axis=1)
    value = np.zeros(len(fields), np.int64)
    for column in range(fields.shape[1]):
        d = digit[:, column]
        value = np.where(d, value * 8 + (fields[:, column].astype(np.int64) - 0x30), value)
    return value, ok


def _step(stream: _Inflater, max_size: int | None) -> tuple[str, str, str, bytes | None] | None:
    """Read the next member (and the long-name or pax records before it); None at the end of the archive."""
    long_name = long_link = None
    pax_data = b""
    while True:
        header = stream.read(BLOCK)
        if header == bytes(BLOCK):  # end-of-archive marker
            stream.finish()
            return None
        # Checksum: all header bytes, with the checksum field counted as 8 spaces.
        checksum = _number(header[148:156])
        if checksum != sum(header) - sum(header[148:156]) + 256 and (
            checksum not in tarfile.calc_chksums(header)  # old tars sum signed bytes
        ):
            raise TarStreamError("a tar header fails its checksum (corrupt archive)")
        size = _number(header[124:136])
        kind = header[156:157]
        padded = size + (-size % BLOCK)
        if kind == b"S":  # old GNU sparse: extension headers (map entries) follow while flagged
            extended = header[482]
            while extended:
                extended = stream.read(BLOCK)[504]
        if kind in (b"L", b"K", b"x", b"g"):
            if size > MAX_RECORD:
                raise TarStreamError(
                    f"a {size:,}-byte name or pax record near {_field_name(header)!r} (corrupt archive)"
                )
            data = stream.read(padded, size)[:size]
            if kind == b"L":
                long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            elif kind == b"K":
                long_link = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            elif kind == b"x":
                pax_data = data
            continue
        name = _field_name(header)
        pax = _pax(pax_data, long_name or name) if pax_data else {}
        if "size" in pax:
            if not (pax["size"].isascii() and pax["size"].isdigit() and len(pax["size"]) < 19):
                raise TarStreamError(f"bad pax size {pax['size'][:20]!r} in the header of {name!r}")
            size = int(pax["size"])
            padded = size + (-size % BLOCK)
        link = header[157:257].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        name = pax.get("path", long_name or name)
        link = pax.get("linkpath", long_link or link)
        if kind == b"S" or any(k.startswith("GNU.sparse.") for k in pax):
            kind, name = SPARSE, pax.get("GNU.sparse.name", name)
        else:
            kind = _TYPES.get(kind, OTHER)
        if kind != REGULAR or (max_size is not None and size > max_size):  # passed over unread
            stream.skip(padded, size)
            return name, kind, link, b"" if kind != REGULAR else None
        return name, kind, link, stream.read(padded, size)[:size]
