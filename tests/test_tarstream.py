"""Tests of notmnist._tarstream: the fast tar walk agrees with Python's tarfile on every format."""

from __future__ import annotations

import gzip
import io
import tarfile

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
