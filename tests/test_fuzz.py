"""Property-based fuzzing (Hypothesis) of the tar walker, the archive reader and the PNG decoder.

Arbitrary bytes, and valid archives and PNGs with random damage, must each be
read or refused with the package's own error (TarStreamError, ArchiveError, a
named skip), within a time bound (Hypothesis' deadline) and a memory bound
(peak Python allocation, measured with tracemalloc).
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib

import numpy as np
import pytest
from conftest import LETTERS, glyph, png_bytes, traced
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from notmnist import archive
from notmnist._decode import REASONS, batch_of, decode_batch
from notmnist._png import decode_grey
from notmnist._tarstream import TarStreamError, members
from notmnist.archive import ArchiveError, read_archive

MEMORY = 64 << 20  # bytes: far above what these small inputs need, far below a bomb
FUZZ = settings(
    max_examples=150,
    deadline=2000,  # milliseconds per example
    database=None,  # no .hypothesis folder in the worktree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _tar(fmt: int) -> bytes:
    """An uncompressed notMNIST-layout tar: two PNGs per letter, a long name, a link, a stray file."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tar:
        for label, letter in enumerate(LETTERS):
            for v in range(2):
                data = png_bytes(glyph(label, v))
                name = f"notMNIST_small/{letter}/{'F' * (90 * v + 5)}{v}.png"
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("notMNIST_small/A/link.png")
        link.type, link.linkname = tarfile.SYMTYPE, "../../etc/passwd"
        tar.addfile(link)
        tar.addfile(tarfile.TarInfo("notMNIST_small/README"), io.BytesIO(b""))
    return raw.getvalue()


TARS = [_tar(tarfile.GNU_FORMAT), _tar(tarfile.PAX_FORMAT), _tar(tarfile.USTAR_FORMAT)]
PNGS = [png_bytes(glyph(3, 1)), png_bytes(np.zeros((28, 28), np.uint8)), png_bytes(glyph(5, 2))]


def _bounded(func):
    """Run ``func``; fail if Python's peak allocation exceeds MEMORY."""
    result, peak = traced(func)
    assert peak < MEMORY, f"peak {peak / 1e6:.0f} MB"
    return result


@st.composite
def mutated(draw, originals: list[bytes]) -> bytes:
    """One of ``originals`` with random bytes overwritten, inserted or deleted, or cut short."""
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        elif op == "truncate":
            del data[pos:]
    return bytes(data)


def _walk_or_refuse(path) -> None:
    """Walk both ways (bulk and per member): the same members, then the same error if any."""
    outcomes = []
    for bulk in (True, False):
        got = []
        try:
            for name, kind, _, data in members(path, max_size=archive.MAX_MEMBER, bulk=bulk):
                assert isinstance(name, str) and kind in {"file", "dir", "symlink", "hardlink", "other"}
                assert data is None or len(data) <= archive.MAX_MEMBER
                got.append((name, kind, data))
        except TarStreamError as exc:
            assert str(exc)
            got.append(str(exc))
        outcomes.append(got)
    assert outcomes[0] == outcomes[1]


def _read_or_refuse(path) -> None:
    """Read both ways (bulk and per member): the same letters, or the same one-line error."""
    outcomes = []
    for bulk in (True, False):
        try:
            letters = archive._read(path, 1, bulk=bulk)
        except ArchiveError as exc:
            assert "\n" not in str(exc)
            outcomes.append(str(exc))
            continue
        assert letters.images.shape == (len(letters), 28, 28)
        for s in letters.skipped:
            assert s.reason and s.member.encode("utf-8")  # every skip is named, printable
        assert set(letters.skipped.counts) <= set(archive.REASONS)  # what varies is in the details
        names = (letters.names.tolist(), letters.names.dtype)
        outcomes.append((letters.images.tobytes(), letters.labels.tolist(), names, letters.skipped))
    assert outcomes[0] == outcomes[1]


@FUZZ
@given(data=st.binary(max_size=4096), compress=st.booleans())
def test_arbitrary_bytes_are_read_or_refused(tmp_path, data, compress):
    """Any bytes, raw or as the contents of a valid gzip stream: a listing or the package's own error."""
    path = tmp_path / "fuzz.tar.gz"
    path.write_bytes(gzip.compress(data) if compress else data)
    _bounded(lambda: _walk_or_refuse(path))
    _bounded(lambda: _read_or_refuse(path))


@FUZZ
@given(tar=mutated(TARS))
def test_damaged_tar_inside_valid_gzip_is_read_or_refused(tmp_path, tar):
    """A damaged tar (headers, pax records, long names, data) in a valid gzip stream: read or refused."""
    path = tmp_path / "fuzz.tar.gz"
    path.write_bytes(gzip.compress(tar, compresslevel=1))
    _bounded(lambda: _walk_or_refuse(path))
    _bounded(lambda: _read_or_refuse(path))


@FUZZ
@given(data=mutated([gzip.compress(t, mtime=0) for t in TARS]))
def test_damaged_gzip_stream_is_read_or_refused(tmp_path, data):
    """Damage to the compressed bytes themselves: read (CRC permitting) or refused."""
    path = tmp_path / "fuzz.tar.gz"
    path.write_bytes(data)
    _bounded(lambda: _walk_or_refuse(path))
    _bounded(lambda: _read_or_refuse(path))


def _pillow(blob: bytes):
    try:
        with Image.open(io.BytesIO(blob)) as im:
            return np.asarray(im) if im.mode == "L" and im.size == (28, 28) else None
    except Exception:
        return None


@FUZZ
@given(blobs=st.lists(st.one_of(mutated(PNGS), st.binary(max_size=300), st.sampled_from(PNGS)), max_size=8))
def test_png_decoders_never_raise_and_agree_with_pillow(blobs):
    """Damaged PNGs: neither decoder raises, and what they read, Pillow reads alike, pixel for pixel."""
    images, ok, refused = _bounded(lambda: decode_grey(blobs))
    assert images.shape == (len(blobs), 28, 28) and not (set(refused) & set(np.flatnonzero(ok)))
    batch = [(0, f"top/A/{i}.png", blob) for i, blob in enumerate(blobs)]
    labels, names, decoded, failures = _bounded(lambda: decode_batch(batch_of(batch)))
    assert len(decoded) + len(failures) == len(blobs)
    assert all(reason in REASONS for _, reason, _ in failures)
    read = {int(n.decode().split(".")[0]): img for n, img in zip(names, decoded)}
    for i, img in read.items():
        theirs = _pillow(blobs[i])
        assert theirs is not None, f"read {i}, which Pillow refuses"
        np.testing.assert_array_equal(img, theirs)


@pytest.mark.parametrize("level", [0, 9])
def test_fuzz_seeds_are_valid(tmp_path, level):
    """The undamaged inputs the fuzzers start from are read in full (so damage is what is being tested)."""
    path = tmp_path / "notMNIST_small.tar.gz"
    for tar in TARS:
        path.write_bytes(gzip.compress(tar, compresslevel=level))
        assert len(read_archive(path, n_jobs=1)) == 20
    assert decode_grey(PNGS)[1].all()
    assert len({zlib.crc32(tar) for tar in TARS}) == len(TARS)
