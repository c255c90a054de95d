"""Tests of notmnist._tarstream: the fast tar walk agrees with Python's tarfile on every format."""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib

import pytest
from conftest import traced

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
    return traced(func)[1]


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


# the bulk path and the per-member path ------------------------------------------------------------


def _mixed_tar() -> bytes:
    """An uncompressed tar whose members are written in ustar, pax and GNU form, with every oddity.

    Runs of plain ustar and GNU members (read in bulk) are broken by pax and GNU long-name
    records, links, a prefix, a v7 header, a signed checksum, a name with bytes after its NUL
    and a member over the size cap (read one at a time).
    """
    out = []

    def add(name, data=b"", kind=tarfile.REGTYPE, fmt=tarfile.USTAR_FORMAT, link="", patch=None):
        info = tarfile.TarInfo(name)
        info.type, info.linkname, info.mtime = kind, link, 1_300_000_000
        info.size = len(data) if kind in (tarfile.REGTYPE, tarfile.CONTTYPE) else 0
        raw = bytearray(info.tobuf(fmt, "utf-8", "surrogateescape"))
        if patch:
            header = raw[-512:]
            patch(header)
            header[148:156] = b" " * 8
            header[148:156] = f"{sum(header):06o}\0 ".encode()
            raw[-512:] = header
        out.append(bytes(raw) + data + bytes(-len(data) % 512))

    for i in range(30):  # a run of plain members, in both headers that carry no prefix
        fmt = (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT)[i % 2]
        add(f"top/A/plain{i}.png", bytes([i]) * (i * 37), fmt=fmt)
    add("top/B/", kind=tarfile.DIRTYPE)
    add("top/B/" + "g" * 120 + ".png", b"gnu", fmt=tarfile.GNU_FORMAT)  # ././@LongLink record
    add("top/B/" + "p" * 120 + ".png", b"pax", fmt=tarfile.PAX_FORMAT)  # pax path record
    add("top/B/ünï.png", b"utf8 in pax", fmt=tarfile.PAX_FORMAT)
    add("top/B/ünï-gnu.png", b"utf8 in the name field", fmt=tarfile.GNU_FORMAT)
    add(PREFIXED.replace("notMNIST_large", "top"), b"prefix", fmt=tarfile.USTAR_FORMAT)
    add("top/C/link.png", kind=tarfile.SYMTYPE, link="../../etc/passwd")
    add("top/C/hard.png", kind=tarfile.LNKTYPE, link="top/A/plain1.png")
    add("top/C/fifo", kind=tarfile.FIFOTYPE)
    add("top/C/contiguous.png", b"type 7", kind=tarfile.CONTTYPE)
    add("top/C/big.png", b"b" * 3000)  # over max_size below
    add("top/C/v7.png", b"v7", patch=lambda h: h.__setitem__(slice(257, 265), bytes(8)))
    add("top/C/after-nul.png", b"x", patch=lambda h: h.__setitem__(slice(60, 64), b"junk"))

    def signed(h):  # a checksum summed over signed bytes, as some old tars did
        h[99] = 0xF0

    info = tarfile.TarInfo("top/C/signed.png")
    info.size = 1
    header = bytearray(info.tobuf(tarfile.USTAR_FORMAT))
    signed(header)
    header[148:156] = b" " * 8
    header[148:156] = f"{tarfile.calc_chksums(bytes(header))[1] & 0o7777777:06o}\0 ".encode()
    out.append(bytes(header) + b"s" + bytes(511))
    out.append(_raw_named(b"top/C/caf\xe9.png", b"latin-1"))
    for i in range(20):  # and plain again
        add(f"top/D/plain{i}.png", bytes([i]) * (i * 53 + 1))
    return b"".join(out) + bytes(1024)


def _raw_named(name: bytes, data: bytes) -> bytes:
    raw = bytearray(_header("placeholder", len(data)))
    raw[0:100] = name.ljust(100, b"\0")
    raw[148:156] = b" " * 8
    raw[148:156] = f"{sum(raw):06o}\0 ".encode()
    return bytes(raw) + data + bytes(-len(data) % 512)


def _outcome(path, *, bulk: bool, max_size: int | None = 2048):
    """Every member, or the error, of one walk."""
    got = []
    try:
        got.extend(members(path, max_size=max_size, bulk=bulk))
    except TarStreamError as exc:
        return got, str(exc)
    return got, None


@pytest.mark.parametrize("out_chunk", [None, 1536, 4096 + 7])
def test_bulk_and_per_member_paths_give_the_same_members(tmp_path, monkeypatch, out_chunk):
    """On ustar, pax and GNU members mixed, both paths give the same members in the same order."""
    from notmnist import _tarstream

    if out_chunk:  # inflate in small steps: runs end, and members straddle the steps, everywhere
        monkeypatch.setattr(_tarstream, "OUT_CHUNK", out_chunk)
    path = tmp_path / "mixed.tar.gz"
    path.write_bytes(gzip.compress(_mixed_tar()))
    bulk, per_member = _outcome(path, bulk=True), _outcome(path, bulk=False)
    assert bulk == per_member and bulk[1] is None
    names = [name for name, *_ in bulk[0]]
    assert "top/B/" + "g" * 120 + ".png" in names and "top/B/ünï.png" in names
    assert "top/C/signed.png" in names and "top/C/v7.png" in names and ("top/C/big.png", None) in [
        (n, d) for n, _, _, d in bulk[0]
    ]
    blocks = [item for item in _tarstream.walk(path, max_size=2048) if isinstance(item, _tarstream.Block)]
    for block in blocks:  # a Block's members are named by their name field alone
        for i in range(len(block)):
            field = block.headers[i, :100].tobytes().rstrip(b"\0")
            assert field == block.member(i)[0].encode("utf-8", "surrogateescape")
    assert sum(len(b) for b in blocks) >= (40 if out_chunk is None else 10), "plain runs are read in bulk"


def test_bulk_and_per_member_paths_fail_alike(tmp_path):
    """Cut short or with a byte flipped anywhere, both paths yield the same members, then the same error."""
    tar = _mixed_tar()
    path = tmp_path / "damaged.tar.gz"
    seen_errors = set()
    for at in range(0, len(tar), 97):
        for damaged in (tar[:at], tar[:at] + bytes([tar[at] ^ 0x41]) + tar[at + 1 :]):
            path.write_bytes(gzip.compress(damaged, compresslevel=1))
            bulk = _outcome(path, bulk=True)
            assert bulk == _outcome(path, bulk=False), at
            seen_errors.add(bulk[1])
    assert len(seen_errors) >= 4  # truncation, checksum, pax and number errors among them
