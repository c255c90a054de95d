"""Tests of notmnist.archive: streaming PNG members into arrays, and every kind of bad member."""

from __future__ import annotations

import gzip
import subprocess
import sys
import tarfile

import numpy as np
import pytest
from conftest import LETTERS, font_name, glyph, png_bytes, traced

from notmnist import _decode, _workers, archive
from notmnist.archive import ArchiveError, read_archive


def test_reads_every_image_with_its_label(archive_factory):
    """Every PNG of every letter folder comes back once, with the right pixels and label."""
    path = archive_factory(per_letter=3)
    letters = read_archive(path, n_jobs=1)
    assert letters.images.shape == (30, 28, 28) and letters.images.dtype == np.uint8
    assert letters.labels.dtype == np.int64
    assert letters.counts == {letter: 3 for letter in LETTERS}
    for image, label, name in zip(letters.images, letters.labels, letters.names):
        variant = [v for v in range(3) if font_name(label, v).encode() == name]
        assert variant, name
        np.testing.assert_array_equal(image, glyph(label, variant[0]))
    assert len(letters.skipped) == 0 and list(letters.skipped) == []


def test_order_is_deterministic_and_parallel_equals_serial(archive_factory, monkeypatch):
    """Results are sorted by (letter, name) and identical with 1 or 2 worker processes."""
    monkeypatch.setattr(archive, "_BATCH", 8)  # several batches, so the worker pool is used
    path = archive_factory(per_letter=7)
    serial = read_archive(path, n_jobs=1)
    parallel = read_archive(path, n_jobs=2)
    np.testing.assert_array_equal(serial.images, parallel.images)
    np.testing.assert_array_equal(serial.labels, parallel.labels)
    assert list(serial.names) == list(parallel.names)
    keys = list(zip(serial.labels.tolist(), serial.names.tolist()))
    assert keys == sorted(keys)


def test_bad_members_are_skipped_and_named(archive_factory):
    """Zero-byte, junk, wrong-size, RGB and 16-bit PNGs are skipped with a reason each."""
    top = "notMNIST_small"
    rgb = png_bytes(np.zeros((28, 28, 3), np.uint8), mode="RGB")
    wide = png_bytes(np.zeros((28, 30), np.uint8))
    deep = png_bytes(np.zeros((28, 28), np.uint16) + 4000, mode="I;16")
    extra = [
        (f"{top}/A/empty.png", b""),
        (f"{top}/B/junk.png", b"this is not an image"),
        (f"{top}/C/wide.png", wide),
        (f"{top}/D/rgb.png", rgb),
        (f"{top}/E/deep.png", deep),
        (f"{top}/F/truncated.png", png_bytes(glyph(5, 99))[:40]),
    ]
    letters = read_archive(archive_factory(per_letter=2, extra=extra), n_jobs=1)
    reasons = {s.member.rsplit("/", 1)[-1]: s.reason for s in letters.skipped}
    assert set(reasons) == {"empty.png", "junk.png", "wide.png", "rgb.png", "deep.png", "truncated.png"}
    assert "0 bytes" in reasons["empty.png"]
    assert "not a PNG" in reasons["junk.png"]
    assert "28x30" in reasons["wide.png"] or "30x28" in reasons["wide.png"]
    assert "RGB" in reasons["rgb.png"]
    assert "I;16" in reasons["deep.png"] or "16" in reasons["deep.png"]
    assert "unreadable" in reasons["truncated.png"]
    assert len(letters) == 20


def test_stray_files_and_folders_are_listed(archive_factory):
    """.DS_Store, files beside A..J and unknown folders are ignored and listed in skipped."""
    top = "notMNIST_small"
    extra = [
        (f"{top}/.DS_Store", b"\0\0\0\1Bud1"),
        (f"{top}/README.txt", b"hello"),
        (f"{top}/K/x.png", png_bytes(glyph(0, 1))),
        (f"{top}/A/.DS_Store", b"\0\0\0\1Bud1"),
        ("other_top/A/y.png", png_bytes(glyph(0, 2))),
    ]
    letters = read_archive(archive_factory(per_letter=2, extra=extra), n_jobs=1)
    skipped = {s.member for s in letters.skipped}
    assert skipped == {name for name, _ in extra}
    assert len(letters) == 20


def test_unsafe_members_are_never_followed(archive_factory, tmp_path):
    """'..', absolute paths, symlinks and hardlinks are skipped with a reason and nothing is written."""
    top = "notMNIST_small"
    extra = [
        (f"{top}/A/../../escape.png", png_bytes(glyph(0, 5))),
        ("/abs/A/x.png", png_bytes(glyph(0, 6))),
        (f"{top}/B/link.png", b"", tarfile.SYMTYPE, "/etc/passwd"),
        (f"{top}/C/hard.png", b"", tarfile.LNKTYPE, f"{top}/A/{font_name(0, 0)}"),
    ]
    before = set(tmp_path.rglob("*"))
    letters = read_archive(archive_factory(per_letter=2, extra=extra), n_jobs=1)
    reasons = {s.member: s.reason for s in letters.skipped}
    assert "unsafe" in reasons[f"{top}/A/../../escape.png"]
    assert "unsafe" in reasons["/abs/A/x.png"]
    assert "link" in reasons[f"{top}/B/link.png"]
    assert "link" in reasons[f"{top}/C/hard.png"]
    assert len(letters) == 20
    after = set(tmp_path.rglob("*"))
    assert after - before == {tmp_path / "notMNIST_small.tar.gz"}


def test_missing_letter_folder_is_a_clear_error(archive_factory):
    """An archive without letter C fails with a message naming C and the counts."""
    path = archive_factory(letters="ABDEFGHIJ")
    with pytest.raises(ArchiveError, match=r"for letter C .*A 5"):
        read_archive(path, n_jobs=1)


def test_truncated_archive_is_a_clear_error(archive_factory):
    """A tar.gz cut short fails with an ArchiveError naming the file, not a traceback from tarfile."""
    path = archive_factory(per_letter=20)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="notMNIST_small.tar.gz: truncated or corrupt"):
        read_archive(path, n_jobs=1)


def test_html_page_under_the_archive_name_is_a_clear_error(tmp_path):
    """An HTML error page saved as the archive is recognised as such."""
    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_text("<!DOCTYPE html><html><body>Quota exceeded</body></html>")
    with pytest.raises(ArchiveError, match="HTML page"):
        read_archive(path)


@pytest.mark.parametrize(
    ("head", "problem"),
    [
        (b"", "it is empty"),
        (b"<!DOCTYPE html><html><body>Quota exceeded</body></html>", "it is an HTML page, not a gzip file"),
        (b"\n  <html><head><title>404</title></head></html>", "it is an HTML page, not a gzip file"),
        (b"<?xml version='1.0'?><Error>AccessDenied</Error>", "it is an HTML page, not a gzip file"),
        (b"PK\x03\x04 a zip file", "it is not a gzip file"),
    ],
    ids=["empty", "html", "html-after-blanks", "xml-error-page", "zip"],
)
def test_reader_and_verifier_say_alike_what_a_file_that_is_not_gzip_is(tmp_path, head, problem):
    """read_archive and verify.file_problem give one answer, in one wording, from one rule."""
    from notmnist import verify

    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_bytes(head)
    assert archive.gzip_problem(head) == problem
    with pytest.raises(ArchiveError) as error:
        read_archive(path, n_jobs=1)
    assert str(error.value) == f"{path}: {problem}; delete it and fetch the archive again"
    assert error.value.reason == problem
    assert verify.file_problem(path, len(head)) == problem  # the right size: the first bytes alone
    assert archive.gzip_problem(gzip.compress(head)) is None


def test_gzip_of_something_else_is_a_clear_error(tmp_path):
    """A gzip file that is not a tar is reported as corrupt."""
    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_bytes(gzip.compress(b"x" * 5000))
    with pytest.raises(ArchiveError, match="corrupt"):
        read_archive(path, n_jobs=1)


def test_missing_file_is_a_clear_error(tmp_path):
    """A path that does not exist fails with ArchiveError, not FileNotFoundError."""
    with pytest.raises(ArchiveError, match="no such file"):
        read_archive(tmp_path / "nope.tar.gz")


def test_workers_do_not_rerun_an_unguarded_main(archive_factory, tmp_path):
    """A script without a main guard (a problem page) decodes in parallel and runs once."""
    path = archive_factory(per_letter=7)
    script = tmp_path / "page.py"
    script.write_text(
        "from notmnist import archive\n"
        "print('page ran')\n"
        "archive._BATCH = 8  # several batches, so the worker pool starts\n"
        f"letters = archive.read_archive({str(path)!r}, n_jobs=2)\n"
        "print(len(letters), len(letters.skipped))\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["page", "ran", "70", "0"]


def test_starting_workers_restores_the_main_module(monkeypatch):
    """While workers start, __main__ hides its file; afterwards it is back as it was."""
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "__file__", "/somewhere/page.py", raising=False)
    pool = _workers.start(2, "notmnist.archive")
    try:
        assert list(pool.map(len, ["abc", "de"])) == [3, 2]
    finally:
        _workers.stop(pool)
    assert main.__file__ == "/somewhere/page.py"
    assert _workers.start(1, "notmnist.archive") is None


# hostile archives ------------------------------------------------------------------------------


def _raw_member(name: bytes, data: bytes, prefix: bytes = b"") -> bytes:
    """A ustar header for ``name`` (any bytes, and a ustar ``prefix``) with ``data``, padded."""
    info = tarfile.TarInfo("placeholder")
    info.size = len(data)
    header = bytearray(info.tobuf(tarfile.USTAR_FORMAT))
    header[0:100] = name.ljust(100, b"\0")
    header[345:500] = prefix.ljust(155, b"\0")
    header[148:156] = b" " * 8
    header[148:156] = f"{sum(header):06o}\0 ".encode()
    return bytes(header) + data + bytes(-len(data) % 512)


def _letters_tar(top: str = "notMNIST_small", per_letter: int = 2) -> bytes:
    """Uncompressed members of a valid notMNIST layout, without the end marker."""
    return b"".join(
        _raw_member(f"{top}/{letter}/{font_name(label, v)}".encode(), png_bytes(glyph(label, v)))
        for label, letter in enumerate(LETTERS)
        for v in range(per_letter)
    )


def test_macos_metadata_is_skipped_and_never_chooses_the_top_folder(archive_factory, tmp_path):
    """__MACOSX/ and ._* members written first by macOS's archiver are skipped with a reason."""
    meta = b"\0\5\26\7\0\2\0\0Mac OS X        "
    path = tmp_path / "notMNIST_small.tar.gz"
    body = _raw_member(b"__MACOSX/notMNIST_small/._A", meta)
    body += _raw_member(b"__MACOSX/notMNIST_small/A/._x.png", meta)
    body += _raw_member(b"notMNIST_small/A/._y.png", meta)
    path.write_bytes(gzip.compress(body + _letters_tar() + bytes(1024)))
    letters = read_archive(path, n_jobs=1)
    assert len(letters) == 20
    reasons = {s.member: s.reason for s in letters.skipped}
    assert "__MACOSX" in reasons["__MACOSX/notMNIST_small/._A"]
    assert "__MACOSX" in reasons["__MACOSX/notMNIST_small/A/._x.png"]
    assert "._*" in reasons["notMNIST_small/A/._y.png"]


def test_member_name_that_is_not_utf8_is_skipped_and_named_escaped(tmp_path):
    """A Latin-1 member name is one skipped member, shown with a \\x escape; the rest is read."""
    path = tmp_path / "notMNIST_small.tar.gz"
    odd = _raw_member(b"notMNIST_small/A/caf\xe9.png", png_bytes(glyph(0, 50)))
    path.write_bytes(gzip.compress(_letters_tar() + odd + bytes(1024)))
    letters = read_archive(path, n_jobs=1)
    assert len(letters) == 20
    assert [(s.member, s.reason) for s in letters.skipped] == [
        ("notMNIST_small/A/caf\\xe9.png", "member name is not UTF-8: not read")
    ]


def test_pax_record_of_length_zero_is_a_one_line_error(tmp_path):
    """The 10 KB archive that used to hang: an ArchiveError naming the member, at once."""
    record = b"0 path=x\n"
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type, pax.size = tarfile.XHDTYPE, len(record)
    body = pax.tobuf(tarfile.USTAR_FORMAT) + record + bytes(-len(record) % 512)
    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_bytes(gzip.compress(body + _letters_tar() + bytes(1024)))
    with pytest.raises(ArchiveError, match=r"bad pax record .*notMNIST_small/A/"):
        read_archive(path, n_jobs=1)


def test_huge_member_is_skipped_without_being_held(tmp_path):
    """A 512 MiB member (outside the letter folders, or inside) is skipped and never held in memory."""
    import zlib

    z = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [_letters_tar()]
    for name in (b"notMNIST_small/big.bin", b"notMNIST_small/B/big.png"):
        info = tarfile.TarInfo(name.decode())
        info.size = 256 << 20
        parts.append(info.tobuf(tarfile.USTAR_FORMAT))
        parts.extend([bytes(1 << 20)] * 256)
    parts.append(bytes(1024))
    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_bytes(b"".join(z.compress(p) for p in parts) + z.flush())
    letters, peak = traced(lambda: read_archive(path, n_jobs=1))
    assert len(letters) == 20
    reasons = {s.member: s.reason for s in letters.skipped}
    assert "letter folder" in reasons["notMNIST_small/big.bin"]
    assert "larger than 1,048,576 bytes" in reasons["notMNIST_small/B/big.png"]
    assert peak < 48 << 20, f"peak {peak / 1e6:.0f} MB"


def test_batches_are_bounded_in_bytes(tmp_path, monkeypatch):
    """Many members just under the size cap are decoded a bounded number of bytes at a time."""
    seen = []
    real = _decode.decode_batch

    def recording(batch):
        seen.append(int(batch.sizes.sum()))
        return real(batch)

    monkeypatch.setattr(_decode, "decode_batch", recording)
    big = [_raw_member(f"notMNIST_small/C/junk{i}.png".encode(), bytes(1000 << 10)) for i in range(40)]
    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_bytes(gzip.compress(_letters_tar() + b"".join(big) + bytes(1024), compresslevel=1))
    letters = read_archive(path, n_jobs=1)
    assert len(letters) == 20 and len(letters.skipped) == 40
    assert max(seen) <= archive.BATCH_BYTES + archive.MAX_MEMBER and len(seen) >= 3


def test_png_bombs_and_impossible_sizes_are_skipped_with_a_reason(tmp_path):
    """A PNG inflating to 64 MiB, and one claiming 100000x100000 pixels, are skipped and named."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    def png(width, height, idat):
        ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        return b"\x89PNG\r\n\x1a\n" + ihdr + chunk(b"IDAT", idat) + chunk(b"IEND", b"")

    bomb = png(28, 28, zlib.compress(bytes(64 << 20), 9))
    huge = png(100_000, 100_000, zlib.compress(bytes(100)))
    extra = _raw_member(b"notMNIST_small/D/bomb.png", bomb) + _raw_member(b"notMNIST_small/E/huge.png", huge)
    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_bytes(gzip.compress(_letters_tar() + extra + bytes(1024)))
    letters = read_archive(path, n_jobs=1)
    reasons = {s.member.rsplit("/", 1)[-1]: s.reason for s in letters.skipped}
    assert "decompression bomb" in reasons["bomb.png"]
    assert "100000x100000" in reasons["huge.png"] or "exceeds limit" in reasons["huge.png"]
    assert len(letters) == 20


# the bulk path and the per-member path ------------------------------------------------------------


def _mixed_letters_tar() -> bytes:
    """A notMNIST-layout tar whose members are ustar, pax and GNU, with one of every kind of skip."""
    top = "notMNIST_small"
    formats = (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT)
    meta = b"\0\5\26\7\0\2\0\0Mac OS X        "
    out = []

    def put(name, data=b"", kind=tarfile.REGTYPE, link="", fmt=tarfile.USTAR_FORMAT):
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, link
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        out.append(info.tobuf(fmt, "utf-8", "surrogateescape") + data + bytes(-len(data) % 512))

    put("__MACOSX/notMNIST_small/._A", meta)  # before the top folder is known
    put(f"{top}/", kind=tarfile.DIRTYPE)
    put(f"{top}/A/._x.png", meta)
    for label, letter in enumerate(LETTERS):
        for v in range(6):
            name = f"{top}/{letter}/{font_name(label, v)}"
            if v == 4:
                name = f"{top}/{letter}/{'L' * 90}{v}.png"  # over 100: GNU or pax record, or a ustar prefix
            put(name, png_bytes(glyph(label, v)), fmt=formats[(label + v) % 3])
    put(f"{top}/B/ünïcode.png", png_bytes(glyph(1, 40)))  # decoded, from a bulk run
    put(f"{top}/B/ünïcode-pax.png", png_bytes(glyph(1, 41)), fmt=tarfile.PAX_FORMAT)
    put(f"{top}/C/empty.png")
    put(f"{top}/C/junk.png", b"not an image")
    put(f"{top}/C/wide.png", png_bytes(np.zeros((28, 30), np.uint8)))
    put(f"{top}/D/.hidden.png", png_bytes(glyph(3, 50)))
    put(f"{top}/K/x.png", png_bytes(glyph(0, 51)))
    put(f"{top}/README.txt", b"hello")
    put(f"{top}/E/../../escape.png", png_bytes(glyph(4, 52)))
    put(f"{top}/F/link.png", kind=tarfile.SYMTYPE, link="/etc/passwd")
    put(f"{top}/G/hard.png", kind=tarfile.LNKTYPE, link=f"{top}/A/{font_name(0, 0)}")
    put(f"{top}/H/fifo.png", kind=tarfile.FIFOTYPE)
    put(f"{top}/I/big.png", bytes(archive.MAX_MEMBER + 1))
    put(f"{top}/J/" + "P" * 150 + ".png", b"", fmt=tarfile.PAX_FORMAT)
    put("other_top/A/y.png", png_bytes(glyph(0, 53)))
    out.append(_raw_member(f"{top}/A/caf\xe9.png".encode("latin-1"), png_bytes(glyph(0, 54))))
    # A name field that reads as an image of A, but the ustar prefix puts it elsewhere ...
    out.append(_raw_member(f"{top}/A/prefixed.png".encode(), png_bytes(glyph(0, 55)), prefix=b"elsewhere"))
    # ... and one whose name field holds bytes after its NUL (ignored: the name ends at the NUL).
    out.append(_raw_member(f"{top}/A/nul.png\0junk".encode(), png_bytes(glyph(0, 56))))
    return b"".join(out) + bytes(1024)


def _letters_both_ways(path, n_jobs=1):
    """read_archive's letters (or error message) on the bulk path, then on the per-member path."""
    out = []
    for bulk in (True, False):
        try:
            out.append(archive._read(path, n_jobs, bulk=bulk))
        except ArchiveError as exc:
            out.append(str(exc))
    return out


def _assert_same(a, b):
    """Two results of _letters_both_ways are the same: one error message, or equal letters."""
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.names.dtype == b.names.dtype and list(a.names) == list(b.names)
    assert a.skipped == b.skipped


@pytest.mark.parametrize("n_jobs,batch", [(1, archive._BATCH), (2, 7)])
def test_bulk_and_per_member_paths_read_the_same_letters(tmp_path, monkeypatch, n_jobs, batch):
    """Mixed ustar, pax and GNU members: the same images, labels, names and skipped members, both ways."""
    monkeypatch.setattr(archive, "_BATCH", batch)  # several batches, cut inside bulk runs
    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_bytes(gzip.compress(_mixed_letters_tar()))
    bulk, per_member = _letters_both_ways(path, n_jobs)
    _assert_same(bulk, per_member)
    assert len(bulk) == 63  # 6 per letter, 2 UTF-8 names, nul.png
    assert b"nul.png" in list(bulk.names)
    reasons = {s.member.rsplit("/", 1)[-1]: s.reason for s in bulk.skipped}
    assert len(bulk.skipped) == len(reasons) == 17 and "not UTF-8" in reasons["caf\\xe9.png"]
    assert "letter folder" in reasons["prefixed.png"]
    assert "0 bytes" in reasons["empty.png"] and "larger than" in reasons["big.png"]


def test_bulk_and_per_member_paths_fail_alike_on_a_damaged_archive(tmp_path):
    """Cut short or with a flipped byte, both ways give the same letters or the same one-line error."""
    tar = _mixed_letters_tar()
    path = tmp_path / "notMNIST_small.tar.gz"
    errors = set()
    for at in range(0, len(tar), len(tar) // 60):
        for damaged in (tar[:at], tar[:at] + bytes([tar[at] ^ 0x41]) + tar[at + 1 :]):
            path.write_bytes(gzip.compress(damaged, compresslevel=1))
            bulk, per_member = _letters_both_ways(path)
            _assert_same(bulk, per_member)
            errors.add(bulk if isinstance(bulk, str) else None)
    assert len(errors) >= 3  # read, and refused in more than one way


def test_batches_hold_their_members_not_the_chunks_they_came_from(tmp_path, monkeypatch):
    """An image per inflated chunk, for hundreds of chunks: a batch being filled keeps only the images."""

    from notmnist import _tarstream

    monkeypatch.setattr(_tarstream, "OUT_CHUNK", 64 << 10)
    parts = [_letters_tar()]
    for i in range(300):  # each chunk: one image in a bulk run, and 60 KB skipped beside it
        parts.append(_raw_member(f"notMNIST_small/B/extra{i}.png".encode(), png_bytes(glyph(1, 100 + i))))
        parts.append(_raw_member(f"notMNIST_small/junk{i}.bin".encode(), bytes(60 << 10)))
    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_bytes(gzip.compress(b"".join(parts) + bytes(1024)))
    letters, peak = traced(lambda: read_archive(path, n_jobs=1))
    assert len(letters) == 320 and len(letters.skipped) == 300
    assert peak < 8 << 20, f"peak {peak / 1e6:.0f} MB"


# hostile inputs: long names, GNU sparse members, pipes and fifos, names that drive the terminal -----


def test_a_long_member_name_is_skipped_and_memory_stays_bounded(archive_factory, tmp_path):
    """One 600 kB pax name among 300 images: skipped with its reason; memory and cache entry stay small."""
    from notmnist import cache, verify

    long_name = "notMNIST_small/A/" + "x" * 600_000 + ".png"
    path = archive_factory(per_letter=30, extra=[(long_name, png_bytes(glyph(0, 99)))])
    letters, peak = traced(lambda: read_archive(path, n_jobs=1))
    assert len(letters) == 300 and letters.names.itemsize <= archive.MAX_NAME
    [skip] = letters.skipped
    assert skip.reason == f"name of {len(long_name):,} bytes, over {archive.MAX_NAME}: not read"
    assert len(skip.member) < 150 and skip.member.startswith("notMNIST_small/A/xxx")
    assert peak < 30e6, f"peak {peak / 1e6:.0f} MB"  # names as wide as the long one: 180 MB
    verify.read_letters(path, "0" * 64, "small", data_home=tmp_path)
    [(_, size)] = cache._entries(tmp_path)
    assert size < 2e6


def _many_bad_members(tmp_path) -> tuple:
    """An archive of 20 images and 8,030 bad members: 5,000 empty PNGs (decoding fails), 3,000 files
    outside the letter folders, and 30 links, each to its own target (30 distinct reasons)."""
    top = "notMNIST_small"
    parts = [_letters_tar(top)]
    parts += [_raw_member(f"{top}/A/empty{i}.png".encode(), b"") for i in range(5000)]
    parts += [_raw_member(f"{top}/junk{i}.bin".encode(), b"x") for i in range(3000)]
    for i in range(30):
        info = tarfile.TarInfo(f"{top}/B/link{i}.png")
        info.type, info.linkname = tarfile.SYMTYPE, f"target{i}"
        parts.append(info.tobuf(tarfile.USTAR_FORMAT))
    path = tmp_path / "notMNIST_small.tar.gz"
    path.write_bytes(gzip.compress(b"".join(parts) + bytes(1024), compresslevel=1))
    return path, {"empty file (0 bytes)": 5000, "not in a letter folder <top>/A ... <top>/J": 3000}


@pytest.mark.parametrize("n_jobs,batch", [(1, archive._BATCH), (2, 1000)])
def test_skipped_members_are_counted_per_reason_and_only_the_first_few_named(
    tmp_path, monkeypatch, n_jobs, batch
):
    """8,030 bad members: every one counted under its reason, at most KEEP named per reason, the same
    whichever way the archive is read (per member or in bulk, here or in workers)."""
    monkeypatch.setattr(archive, "_BATCH", batch)  # with 2 jobs: several batches, decoded by workers
    path, expected = _many_bad_members(tmp_path)
    bulk, per_member = _letters_both_ways(path, n_jobs)
    _assert_same(bulk, per_member)
    skips = bulk.skipped
    assert len(bulk) == 20 and len(skips) == 8030 and len(skips.counts) == 32
    assert {k: skips.counts[k] for k in expected} == expected
    assert skips.counts["symlink to 'target29': not followed"] == 1
    for reason, members, more in skips.groups():
        assert len(members) == min(skips.counts[reason], archive.Skips.KEEP)
        assert len(members) + more == skips.counts[reason]
        assert all(s.reason == reason for s in members)
    assert len(list(skips)) == 2 * archive.Skips.KEEP + 30
    assert [s.member for s in skips][:2] == ["notMNIST_small/junk0.bin", "notMNIST_small/junk1.bin"]


def test_skips_tell_apart_at_most_REASONS_reasons():
    """Past REASONS distinct reasons, members are counted under OTHER, the first named with their own."""
    skips = archive.Skips()
    for i in range(1000):
        skips.add(f"m{i}", f"reason {i % 200}")
    R, K = archive.Skips.REASONS, archive.Skips.KEEP
    assert len(skips) == 1000 and len(skips.counts) == R + 1
    assert skips.counts["reason 0"] == 5 and skips.counts[archive.Skips.OTHER] == 1000 - 5 * R
    other = [s for s in skips if s.reason not in skips.counts]
    assert [s.reason for s in other] == [f"reason {i}" for i in range(R, R + K)]
    whole, halves = archive.Skips(), (archive.Skips(), archive.Skips())
    for i in range(1000):  # R reasons in all: two records joined are as one
        whole.add(f"m{i}", f"reason {i % R}")
        halves[i >= 500].add(f"m{i}", f"reason {i % R}")
    halves[0].update(halves[1])
    assert halves[0] == whole and len(whole) == 1000


def test_skips_restored_from_the_cache_keep_their_counts(tmp_path):
    """The letters' cache entry keeps the count per reason and the named members of each."""
    from notmnist import cache, dataset

    path, _ = _many_bad_members(tmp_path)
    source = dataset.DataSource("standin", {"small": path}, 1e-9, "")  # scale: no minimum per letter
    fresh = dataset._letters(source, "small", tmp_path).skipped
    [(_, size)] = cache._entries(tmp_path)
    restored = dataset._letters(source, "small", tmp_path).skipped  # from the cache entry
    assert restored == fresh == read_archive(path, n_jobs=1).skipped and len(restored) == 8030
    assert size < 200e3  # a few named members, not 8,030


def _gnu_member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.mtime = kind, len(data), 0
    return info.tobuf(tarfile.GNU_FORMAT) + data + bytes(-len(data) % 512)


def _with_checksum(header: bytearray) -> bytes:
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def test_crafted_gnu_sparse_member_is_skipped_and_the_walk_goes_on(tmp_path):
    """An old-GNU sparse member with an extension header: skipped with a reason, every later member read."""
    before = [_gnu_member(f"top/A/{font_name(0, v)}", png_bytes(glyph(0, v))) for v in range(3)]
    sparse = bytearray(tarfile.TarInfo("top/A/sparse.png").tobuf(tarfile.GNU_FORMAT))
    sparse[156:157] = b"S"
    sparse[124:136] = b"%011o\0" % 1024  # stored bytes
    sparse[482] = 1  # an extension header follows
    extension = bytearray(512)  # its last flag (byte 504) is 0: the last one
    after = [
        _gnu_member(f"top/{letter}/{font_name(label, v)}", png_bytes(glyph(label, v)))
        for label, letter in enumerate(LETTERS)
        for v in range(3 if letter != "A" else 0)
    ]
    tar = b"".join(before) + _with_checksum(sparse) + bytes(extension) + bytes(1024) + b"".join(after)
    path = tmp_path / "sparse.tar.gz"
    path.write_bytes(gzip.compress(tar + bytes(1024)))
    with tarfile.open(path) as check:  # Python's reader agrees on the members
        assert [m.name for m in check.getmembers()][3] == "top/A/sparse.png"
    for bulk in (True, False):
        letters = archive._read(path, 1, bulk=bulk)
        assert letters.counts == dict.fromkeys(LETTERS, 3)
        assert [(s.member, s.reason) for s in letters.skipped] == [
            ("top/A/sparse.png", "GNU sparse file: not a notMNIST image, not read")
        ]


def test_real_gnu_tar_sparse_archive_is_read(tmp_path):
    """`tar --sparse --format=gnu` with a file of many holes: the sparse member skipped, the others read."""
    import shutil

    if shutil.which("tar") is None:
        pytest.skip("no tar command")
    top = tmp_path / "src" / "top"
    names = []
    for label, letter in enumerate(LETTERS):
        (top / letter).mkdir(parents=True)
        for v in range(2):
            (top / letter / font_name(label, v)).write_bytes(png_bytes(glyph(label, v)))
            names.append(f"top/{letter}/{font_name(label, v)}")
    holes = top / "A" / "holes.png"
    with open(holes, "wb") as f:
        for i in range(12):  # 12 data regions: more than the 4 map entries of the header
            f.seek(i * (1 << 16))
            f.write(b"x")
        f.truncate(12 << 16)
    path = tmp_path / "sparse.tar.gz"
    subprocess.run(
        ["tar", "--sparse", "--format=gnu", "-czf", str(path), "-C", str(tmp_path / "src"),
         "top/A/holes.png", *names],
        check=True,
    )
    with tarfile.open(path) as check:
        if not check.getmember("top/A/holes.png").issparse():
            pytest.skip("this file system stores no holes, so tar wrote no sparse member")
    letters = read_archive(path, n_jobs=1)
    assert letters.counts == dict.fromkeys(LETTERS, 2)
    [skip] = letters.skipped
    assert skip.member == "top/A/holes.png" and "sparse" in skip.reason


def _inspect(args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "notmnist", "inspect", "--jobs", "1", *args],
        capture_output=True, text=True, timeout=60, **kwargs,
    )


def test_inspect_reads_a_pipe_once(archive_factory):
    """`cat a.tar.gz | python -m notmnist inspect /dev/stdin`: read once, all images, not "truncated"."""
    path = archive_factory(per_letter=3)
    done = subprocess.run(  # through a real pipe: /dev/stdin cannot be opened twice
        f"cat {path} | {sys.executable} -m notmnist inspect --jobs 1 /dev/stdin",
        shell=True, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "30 readable images, 0 skipped" in done.stdout


def test_inspect_reads_a_fifo_with_a_writer_and_refuses_one_without(archive_factory, tmp_path):
    """A fifo fed by a writer is read like a file; a fifo nobody writes to is an empty file, not a hang."""
    import os
    import threading

    path = archive_factory(per_letter=3)
    fifo = tmp_path / "archive.fifo"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as f:
            f.write(path.read_bytes())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    done = _inspect([str(fifo)])
    writer.join(10)
    assert done.returncode == 0, done.stderr
    assert "30 readable images" in done.stdout
    alone = _inspect([str(fifo)])
    assert alone.returncode == 1 and alone.stderr.count("\n") == 1 and "empty" in alone.stderr


def test_inspect_of_a_folder_is_one_line(tmp_path):
    """A folder named like an archive: one line saying what it is."""
    folder = tmp_path / "notMNIST_small.tar.gz"
    folder.mkdir()
    done = _inspect([str(folder)])
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "is a folder" in done.stderr


def test_inspect_escapes_control_characters_in_member_names(archive_factory):
    """A member name carrying an escape sequence and a newline cannot retitle the terminal or forge a line."""
    evil = "notMNIST_small/A/\x1b]0;pwned\x07\nexact duplicates: 0 groups.png"
    path = archive_factory(per_letter=3, extra=[(evil, b"not a png")])
    done = _inspect([str(path)])
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "\\x1b]0;pwned\\x07\\nexact duplicates: 0 groups.png" in done.stdout
    report = [line for line in done.stdout.splitlines() if line.startswith("exact duplicates")]
    assert len(report) == 1 and "groups holding" in report[0]  # no forged line


def _descendants(pid: int) -> set[int]:
    """Processes started by ``pid``, and by them, from /proc."""
    import os

    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for task in os.listdir(f"/proc/{p}/task") if os.path.isdir(f"/proc/{p}/task") else []:
            try:
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = {int(k) for k in f.read().split()}
            except OSError:
                continue
            todo += sorted(kids - found)
            found |= kids
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed(tmp_path):
    """kill -9 of the process that started workers: workers, fork server and resource tracker all end."""
    import os
    import signal
    import time

    script = tmp_path / "pool.py"
    script.write_text(
        "import os, time\n"
        "from notmnist import _workers\n"
        "pool = _workers.start(2, 'notmnist._decode')\n"
        "pids = {pool.submit(os.getpid).result() for _ in range(8)}\n"
        "pool.submit(time.sleep, 600)\n"
        "print('up', flush=True)\n"
        "time.sleep(600)\n"
    )
    main = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    started: set[int] = set()
    try:
        assert main.stdout.readline().strip() == "up"
        started = _descendants(main.pid)
        assert len(started) >= 3  # fork server, resource tracker, workers
        os.kill(main.pid, signal.SIGKILL)
        main.wait(10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_running(p) for p in started):
            time.sleep(0.2)
        assert not [p for p in started if _running(p)], "processes outlived their killed parent"
    finally:  # whatever this test started and is still running (only those pids)
        main.kill()
        for p in started | _descendants(main.pid):
            if _running(p):
                os.kill(p, signal.SIGKILL)
