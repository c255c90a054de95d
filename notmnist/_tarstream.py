"""A minimal, fast, read-only walk over the members of a ``.tar.gz``.

Python's :mod:`tarfile` spends about 100 microseconds per member, which is a
minute for the 529,119 members of ``notMNIST_large.tar.gz``.  This reader
inflates the gzip stream in large chunks and parses the 512-byte headers
itself (ustar, GNU long names and pax ``path``/``linkpath``/``size`` records),
at a few microseconds per member.  It never writes anything: it only yields
``(name, type, linkname, data)``, so callers decide what a member is worth.

Hostile input is bounded, never trusted:

- memory: the gzip stream is inflated at most :data:`OUT_CHUNK` bytes at a
  time, whatever its compression ratio; a regular member larger than
  ``max_size`` is passed over in those chunks and yielded with ``data=None``,
  never held whole; long-name and pax records larger than :data:`MAX_RECORD`
  are an error;
- time: every header either advances the stream or is an error (a pax record
  of length 0 is refused, not looped on);
- integrity: header checksums are verified, the whole gzip stream is read to
  its end so its CRC and length are checked (concatenated gzip members and
  trailing zero padding are accepted, as ``gzip -d`` accepts them), and a
  stream that ends early is an error.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from .errors import NotMNISTError

BLOCK = 512
_CHUNK = 1 << 20  # compressed bytes read from the file at a time
OUT_CHUNK = 1 << 23
"""Most bytes inflated in one step: the buffer never holds much more than this."""
MAX_RECORD = 1 << 20
"""Largest GNU long-name or pax record accepted, in bytes."""

REGULAR, DIRECTORY, SYMLINK, HARDLINK, OTHER = "file", "dir", "symlink", "hardlink", "other"
_TYPES = {b"0": REGULAR, b"\0": REGULAR, b"7": REGULAR, b"5": DIRECTORY, b"2": SYMLINK, b"1": HARDLINK}
_GZIP_MAGIC = b"\x1f\x8b"


class TarStreamError(NotMNISTError):
    """The stream is not a complete, well-formed tar.gz."""


class _Inflater:
    """Decompressed bytes of a gzip file, served in exact-size reads, inflated in bounded steps."""

    def __init__(self, path: Path):
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""  # compressed bytes not yet given to the decompressor
        self._buf = b""
        self._pos = 0
        self._eof = False

    def read(self, n: int) -> bytes:
        while len(self._buf) - self._pos < n and not self._eof:
            self._refill()
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def skip(self, n: int) -> int:
        """Pass over ``n`` bytes without keeping them; return how many there were."""
        done = 0
        while done < n:
            if self._pos == len(self._buf):
                if self._eof:
                    break
                self._buf, self._pos = b"", 0
                self._refill()
                continue
            take = min(n - done, len(self._buf) - self._pos)
            self._pos += take
            done += take
        return done

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
        """Read to the end of the gzip stream, in bounded steps, so its length and CRC are checked."""
        while not self._eof:
            self._buf, self._pos = b"", 0
            self._refill()

    def close(self) -> None:
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
    """Records ``"<len> key=value\\n"`` of a pax extended header of ``member``."""
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


def members(path: str | Path, *, max_size: int | None = None) -> Iterator[tuple[str, str, str, bytes | None]]:
    """Yield ``(name, type, linkname, data)`` for each member of a tar.gz, in order.

    Parameters
    ----------
    path : path-like
        The ``.tar.gz``.
    max_size : int, optional
        Regular members larger than this are passed over unread and yielded
        with ``data=None``.  Default: no limit.

    Yields
    ------
    name, type, linkname, data
        ``type`` is one of ``"file"``, ``"dir"``, ``"symlink"``, ``"hardlink"``,
        ``"other"``; ``data`` is the content of regular files (None when over
        ``max_size``), else ``b""``.  Names that are not UTF-8 keep their bytes
        as surrogate escapes.

    Raises
    ------
    TarStreamError
        If the gzip stream or a tar header is corrupt, or the archive ends
        before its end-of-archive marker.
    """
    stream = _Inflater(Path(path))
    long_name = long_link = None
    pax_data = b""
    try:
        while True:
            header = stream.read(BLOCK)
            if len(header) < BLOCK:
                raise TarStreamError("the archive ends in the middle of a member (truncated?)")
            if header == bytes(BLOCK):  # end-of-archive marker
                stream.finish()
                return
            # Checksum: all header bytes, with the checksum field counted as 8 spaces.
            checksum = _number(header[148:156])
            if checksum != sum(header) - sum(header[148:156]) + 256 and (
                checksum not in tarfile.calc_chksums(header)  # old tars sum signed bytes
            ):
                raise TarStreamError("a tar header fails its checksum (corrupt archive)")
            size = _number(header[124:136])
            kind = header[156:157]
            padded = size + (-size % BLOCK)
            if kind in (b"L", b"K", b"x", b"g"):
                if size > MAX_RECORD:
                    raise TarStreamError(
                        f"a {size:,}-byte name or pax record near {_field_name(header)!r} (corrupt archive)"
                    )
                data = stream.read(padded)
                if len(data) < size:
                    raise TarStreamError("the archive ends in the middle of a member (truncated?)")
                data = data[:size]
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
            long_name = long_link = None
            pax_data = b""
            kind = _TYPES.get(kind, OTHER)
            if kind == REGULAR and max_size is not None and size > max_size:
                if stream.skip(padded) < size:
                    raise TarStreamError("the archive ends in the middle of a member (truncated?)")
                yield name, kind, link, None
                continue
            if kind != REGULAR:  # the data of other kinds is never used
                if stream.skip(padded) < size:
                    raise TarStreamError("the archive ends in the middle of a member (truncated?)")
                yield name, kind, link, b""
                continue
            data = stream.read(padded)
            if len(data) < size:
                raise TarStreamError("the archive ends in the middle of a member (truncated?)")
            yield name, kind, link, data[:size]
    finally:
        stream.close()
