"""Tests of notmnist._tarstream: the fast tar walk agrees with Python's tarfile on every format."""

from __future__ import annotations

import gzip
import io
import tarfile
import tracemalloc
import zlib

import pytest

from notmnist._tarstream import TarStreamError, members

BASE = "U29tZSBWZXJ5IExvbmcgRm9udCBOYW1lIEJvbGQgSXRhbGljIE91dGxpbmUgQ29uZGVuc2Vk"
PREFIXED = "notMNIST_large/A/" + BASE + "QQ.png"  # 107 characters: ustar splits it into prefix + name
LONG = "notMNIST_large/A/" + BASE * 2 + ".png"  # a 150-character file name: GNU and pax records


def _archive(path, fmt, entries):
    with tarfile.open(path, "w:gz", format=fmt) as tar:
        for name, data, kind, link in entries:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, link
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            info.mtime = 1_300_000_000
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return path


ENTRIES = [
    ("notMNIST_large/", b"", tarfile.DIRTYPE, ""),
    ("notMNIST_large/A/", b"", tarfile.DIRTYPE, ""),
    ("notMNIST_large/A/short.png", b"\x89PNG data", tarfile.REGTYPE, ""),
    (PREFIXED, b"p" * 700, tarfile.REGTYPE, ""),
    (LONG, b"x" * 1000, tarfile.REGTYPE, ""),
    ("notMNIST_large/A/empty.png", b"", tarfile.REGTYPE, ""),
    ("notMNIST_large/A/ünïcode.png", b"u", tarfile.REGTYPE, ""),
    ("notMNIST_large/B/link.png", b"", tarfile.SYMTYPE, "../" + "x" * 120),
    ("notMNIST_large/B/hard.png", b"", tarfile.LNKTYPE, "notMNIST_large/A/short.png"),
]


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
def test_members_match_tarfile(tmp_path, fmt):
    """Names (long ones included), types, link targets and contents equal what tarfile reads."""
    ustar = fmt == tarfile.USTAR_FORMAT  # no room for a long file name or link target
    entries = [e for e in ENTRIES if not ustar or (e[0] != LONG and len(e[3]) <= 100)]
    path = _archive(tmp_path / "a.tar.gz", fmt, entries)
    ours = list(members(path))
    with tarfile.open(path) as tar:
        theirs = []
        for m in tar:
            kind = {tarfile.REGTYPE: "file", tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink"}.get(
                m.type, "hardlink" if m.islnk() else "other"
            )
            data = tar.extractfile(m).read() if m.isfile() else b""
            theirs.append((m.name, kind, m.linkname, data))
    assert [(n.rstrip("/"), k, lk, d) for n, k, lk, d in ours] == theirs
    assert PREFIXED in [name for name, *_ in ours]
    assert ustar or LONG in [name for name, *_ in ours]


def test_truncated_stream_is_an_error(tmp_path):
    """An archive cut anywhere raises TarStreamError, never returns a short listing silently."""
    path = _archive(tmp_path / "a.tar.gz", tarfile.GNU_FORMAT, ENTRIES)
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 30):
        path.write_bytes(data[:cut])
        with pytest.raises(TarStreamError):
            list(members(path))


def _one_member_tar(data: bytes) -> bytes:
    """An uncompressed tar holding ``top/A/x.png`` with ``data``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("top/A/x.png")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def test_tar_without_end_marker_is_an_error(tmp_path):
    """A complete gzip stream holding a tar that stops mid-member is reported as truncated."""
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(gzip.compress(_one_member_tar(b"y" * 5000)[:2048]))
    with pytest.raises(TarStreamError, match="ends in the middle"):
        list(members(path))


def test_corrupt_header_fails_its_checksum(tmp_path):
    """A flipped byte in a header is caught by the header checksum."""
    data = bytearray(_one_member_tar(b"abc"))
    data[10] ^= 0x20
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(TarStreamError, match="checksum"):
        list(members(path))


# hostile archives ------------------------------------------------------------------------------


def _header(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(tarfile.USTAR_FORMAT)


def _pax_member(record: bytes, name: str = "top/A/x.png", data: bytes = b"abc") -> bytes:
    """A pax header holding ``record``, then the member ``name`` with ``data``, then the end marker."""
    pad = -len(record) % 512
    body = _header("././@PaxHeader", len(record), tarfile.XHDTYPE) + record + bytes(pad)
    body += _header(name, len(data)) + data + bytes(-len(data) % 512)
    return body + bytes(1024)


def _gzip_stream(parts, level: int = 1) -> bytes:
    """Gzip the concatenation of ``parts`` (an iterable of bytes) without holding it whole."""
    z = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(z.compress(p) for p in parts) + z.flush()


def _peak(func) -> int:
    """Peak bytes allocated by Python while ``func`` runs."""
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("record", [b"0 path=x\n", b"zz path=x\n", b"3 path=x\n", b"99 path=x\n"])
def test_bad_pax_length_is_an_error_naming_the_member(tmp_path, record):
    """A pax record whose length is 0, not a number, too short or too long is refused, never looped on."""
    path = tmp_path / "pax.tar.gz"
    path.write_bytes(gzip.compress(_pax_member(record)))
    with pytest.raises(TarStreamError, match=r"bad pax record .*'top/A/x\.png'"):
        list(members(path))


def test_negative_size_is_an_error(tmp_path):
    """A base-256 size field holding a negative number is a corrupt header, not a loop backwards."""
    header = bytearray(_header("top/A/x.png", 0))
    header[124:136] = b"\xff" * 12
    header[148:156] = b" " * 8
    header[148:156] = f"{sum(header):06o}\0 ".encode()
    path = tmp_path / "neg.tar.gz"
    path.write_bytes(gzip.compress(bytes(header) + bytes(1024)))
    with pytest.raises(TarStreamError, match="bad number field"):
        list(members(path))


def test_member_over_the_cap_is_passed_over_unbuffered(tmp_path):
    """A 256 MiB member is yielded with data=None and the walk holds only a few MiB at a time."""
    big = 256 << 20
    zeros = bytes(1 << 20)
    parts = [_header("top/A/big.png", big), *([zeros] * (big >> 20)), _one_member_tar(b"tail")]
    path = tmp_path / "bomb.tar.gz"
    path.write_bytes(_gzip_stream(parts))
    got = []
    peak = _peak(lambda: got.extend(members(path, max_size=1 << 20)))
    assert [(n, d) for n, _, _, d in got] == [("top/A/big.png", None), ("top/A/x.png", b"tail")]
    assert peak < 40 << 20, f"peak {peak / 1e6:.0f} MB"


def test_data_after_the_end_marker_is_read_in_bounded_steps(tmp_path):
    """256 MiB of zeros after the end-of-archive marker are inflated (CRC checked) without being held."""
    zeros = bytes(1 << 20)
    path = tmp_path / "tail.tar.gz"
    path.write_bytes(_gzip_stream([_one_member_tar(b"png"), *([zeros] * 256)]))
    got = []
    peak = _peak(lambda: got.extend(members(path)))
    assert [d for *_, d in got] == [b"png"]
    assert peak < 40 << 20, f"peak {peak / 1e6:.0f} MB"


def test_damage_after_the_end_marker_is_still_caught(tmp_path):
    """The gzip CRC covers the bytes after the tar's end marker too: damage there is an error."""
    data = bytearray(gzip.compress(_one_member_tar(b"png") + bytes(4096), mtime=0))
    data[-8] ^= 0xFF  # the CRC32 of the gzip trailer
    path = tmp_path / "crc.tar.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(TarStreamError, match="corrupt gzip data"):
        list(members(path))


@pytest.mark.parametrize("padding", [1, 511, 100_000])
def test_zero_padding_after_the_gzip_stream_is_accepted(tmp_path, padding):
    """Zero bytes after the gzip stream are ignored, as gzip -d and tar do."""
    path = tmp_path / "padded.tar.gz"
    path.write_bytes(gzip.compress(_one_member_tar(b"png")) + bytes(padding))
    assert [d for *_, d in members(path)] == [b"png"]


def test_concatenated_gzip_members_and_garbage_after_them(tmp_path):
    """Two gzip members make one stream (as gzip reads them); other bytes after the stream are an error."""
    tar = _one_member_tar(b"png")
    path = tmp_path / "two.tar.gz"
    path.write_bytes(gzip.compress(tar[:1000]) + bytes(3) + gzip.compress(tar[1000:]))
    assert [d for *_, d in members(path)] == [b"png"]
    path.write_bytes(gzip.compress(tar) + b"\0\0garbage")
    with pytest.raises(TarStreamError, match="after the end of the gzip stream"):
        list(members(path))


def test_non_utf8_names_keep_their_bytes(tmp_path):
    """A member name that is not UTF-8 comes back with surrogate escapes, not an exception."""
    raw = bytearray(_header("top/A/x.png", 3))
    raw[6] = 0xFF  # "top/A/\xff.png"
    raw[148:156] = b" " * 8
    raw[148:156] = f"{sum(raw):06o}\0 ".encode()
    path = tmp_path / "latin.tar.gz"
    path.write_bytes(gzip.compress(bytes(raw) + b"abc" + bytes(509) + bytes(1024)))
    ((name, kind, _, data),) = list(members(path))
    assert name.encode("utf-8", "surrogateescape") == b"top/A/\xff.png"
    assert (kind, data) == ("file", b"abc")
