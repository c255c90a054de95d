"""Tests for notmnist.fetch: data folder, drop-in files, mirrors, verification, clean failures.

No test touches the network: the registry entry of "small" is replaced by one
whose size is that of a tiny tar.gz built here, and the mirrors point at an HTTP
server on 127.0.0.1 started by a fixture (or at a closed or silent port).
"""

from __future__ import annotations

import importlib
import io
import os
import socket
import tarfile
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import font_name, glyph, png_bytes

from notmnist import _sidefile, registry
from notmnist._io import STALE_AFTER, atomic_write, is_temporary
from notmnist.fetch import ArchiveMismatch, DataUnavailable, _archive_status, fetch
from notmnist.registry import LETTERS

# `notmnist.fetch` the attribute is the function (re-exported by the package); this is the module.
fetch_module = importlib.import_module("notmnist.fetch")

NAME = "notMNIST_small.tar.gz"


def _tiny_archive() -> bytes:
    """A valid tar.gz with the notMNIST layout and one image per letter (the tiny registry's counts)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for label, letter in enumerate(LETTERS):
            payload = png_bytes(glyph(label, 0))
            member = tarfile.TarInfo(f"notMNIST_small/{letter}/{font_name(label, 0)}")
            member.size = len(payload)
            tar.addfile(member, io.BytesIO(payload))
    return buffer.getvalue()


ARCHIVE = _tiny_archive()
HTML = b"<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>\n"


class _Server:
    """Loopback HTTP server: ``routes`` maps a path to (status, body); every GET is logged."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                status, body = server.routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def mirror(self, name: str, status: int = 200, body: bytes = ARCHIVE) -> str:
        """Serve ``body`` as the archive under ``/<name>/`` and return that mirror's base URL."""
        self.routes[f"/{name}/{NAME}"] = (status, body)
        return f"{self.url}/{name}/"


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1, stopped after the test."""
    srv = _Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(5)


@pytest.fixture
def refused():
    """Base URL of a loopback port that refuses connections (bound, not listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/refused/"


@pytest.fixture(autouse=True)
def small(monkeypatch):
    """Make the registry's "small" archive the tiny one, and keep the user's env out."""
    monkeypatch.delenv("NOTMNIST_DATA_DIR", raising=False)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    info = replace(registry.ARCHIVES["small"], size=len(ARCHIVE), counts=(1,) * len(LETTERS))
    monkeypatch.setitem(registry.ARCHIVES, "small", info)
    return info


def use_mirrors(monkeypatch, *mirrors: str) -> None:
    """Point the registry at ``mirrors``, in that order."""
    monkeypatch.setattr(registry, "MIRRORS", tuple(mirrors))


def leftovers(folder: Path) -> list[str]:
    """Names in ``folder`` but the archive, its record (verdict, SHA-256) and the cache of its letters."""
    return sorted(p.name for p in folder.iterdir() if p.name not in (NAME, NAME + _sidefile.SUFFIX, "cache"))


# fetch: what is already there -----------------------------------------------------------------


def test_unknown_subset_names_the_choices(tmp_path):
    """A typo in the subset is a ValueError listing the valid subsets."""
    with pytest.raises(ValueError, match="'smal'.*large, small"):
        fetch("smal", data_home=tmp_path)


@pytest.mark.parametrize("download_if_missing", [True, False])
def test_dropped_in_file_is_used_without_network(
    tmp_path, server, monkeypatch, download_if_missing
):
    """An archive of the right size copied in by hand is returned and nothing is downloaded."""
    use_mirrors(monkeypatch, server.mirror("m1", body=ARCHIVE[::-1]))
    (tmp_path / NAME).write_bytes(ARCHIVE)
    path = fetch("small", data_home=tmp_path, download_if_missing=download_if_missing)
    assert path == tmp_path / NAME
    assert path.read_bytes() == ARCHIVE
    assert server.requests == []


def test_missing_with_downloads_off_explains_the_fix(tmp_path, server, monkeypatch):
    """download_if_missing=False and no file: DataUnavailable with the drop-in path, no network."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    with pytest.raises(DataUnavailable) as caught:
        fetch("small", data_home=tmp_path, download_if_missing=False)
    message = str(caught.value)
    assert not isinstance(caught.value, ArchiveMismatch)
    assert str(tmp_path / NAME) in message
    assert "download_if_missing" in message and server.url in message
    assert "\n" not in message
    assert server.requests == []


def test_wrong_file_with_downloads_off_is_refused_and_kept(tmp_path, server, monkeypatch):
    """download_if_missing=False and an HTML page under the name: ArchiveMismatch, file kept."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    (tmp_path / NAME).write_bytes(HTML)
    with pytest.raises(ArchiveMismatch) as caught:
        fetch("small", data_home=tmp_path, download_if_missing=False)
    message = str(caught.value)
    assert str(tmp_path / NAME) in message
    assert f"{len(HTML):,} bytes, expected {len(ARCHIVE):,}" in message
    assert "HTML page" in message and "Delete it" in message
    assert (tmp_path / NAME).read_bytes() == HTML
    assert server.requests == []


def test_bad_file_is_moved_aside_and_downloaded_again(tmp_path, server, monkeypatch, caplog):
    """A truncated archive under the name goes to .invalid, with a warning, and is replaced."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    (tmp_path / NAME).write_bytes(ARCHIVE[:-10])
    path = fetch("small", data_home=tmp_path)
    assert path.read_bytes() == ARCHIVE
    assert (tmp_path / (NAME + ".invalid")).read_bytes() == ARCHIVE[:-10]
    assert leftovers(tmp_path) == [NAME + ".invalid"]
    assert any("moved it to" in r.message and r.levelname == "WARNING" for r in caplog.records)


# fetch: downloading ---------------------------------------------------------------------------


def test_download_saves_the_verified_archive(tmp_path, server, monkeypatch):
    """With an empty data folder the archive is downloaded once, and later calls reuse it."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    path = fetch("small", data_home=tmp_path)
    assert path == tmp_path / NAME and path.read_bytes() == ARCHIVE
    assert leftovers(tmp_path) == []
    fetch("small", data_home=tmp_path)
    assert server.requests == [f"/m1/{NAME}"]


@pytest.mark.parametrize("first", ["404", "refused"])
def test_failing_first_mirror_falls_back_to_second(tmp_path, server, refused, monkeypatch, first):
    """A first mirror that answers 404 or refuses connections is skipped for the second one."""
    bad = server.mirror("gone", status=404, body=b"no such file") if first == "404" else refused
    use_mirrors(monkeypatch, bad, server.mirror("m2"))
    path = fetch("small", data_home=tmp_path)
    assert path.read_bytes() == ARCHIVE
    assert leftovers(tmp_path) == []
    assert server.requests[-1] == f"/m2/{NAME}"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (ARCHIVE[: len(ARCHIVE) // 2], f"{len(ARCHIVE) // 2:,} bytes, expected {len(ARCHIVE):,}"),
        (HTML, "HTML page"),
        (HTML.ljust(len(ARCHIVE), b" "), "HTML page, not a gzip file"),  # right size, still HTML
    ],
    ids=["truncated", "html", "html-of-the-right-size"],
)
def test_wrong_download_is_rejected_and_not_kept(tmp_path, server, monkeypatch, body, why):
    """A mirror serving a wrong file with status 200 fails, and no file of it stays behind."""
    use_mirrors(monkeypatch, server.mirror("bad", body=body))
    with pytest.raises(DataUnavailable, match=why):
        fetch("small", data_home=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_wrong_download_falls_back_to_next_mirror(tmp_path, server, monkeypatch):
    """An HTML page served with 200 by the first mirror is dropped and the second mirror used."""
    use_mirrors(monkeypatch, server.mirror("bad", body=HTML), server.mirror("m2"))
    assert fetch("small", data_home=tmp_path).read_bytes() == ARCHIVE
    assert leftovers(tmp_path) == []


def test_all_mirrors_failing_names_every_url_and_the_drop_in_path(
    tmp_path, server, refused, monkeypatch
):
    """When every mirror fails, the one-line error lists each URL with its reason and the target."""
    gone = server.mirror("gone", status=404, body=b"")
    use_mirrors(monkeypatch, gone, refused)
    with pytest.raises(DataUnavailable) as caught:
        fetch("small", data_home=tmp_path)
    message = str(caught.value)
    assert f"{gone}{NAME}: HTTP 404" in message
    assert f"{refused}{NAME}: Connection refused" in message
    assert f"copy it to {tmp_path / NAME}" in message
    assert "NOTMNIST_SOURCE=standin" in message and "\n" not in message
    assert list(tmp_path.iterdir()) == []


def test_silent_mirror_times_out_and_next_is_used(tmp_path, server, monkeypatch):
    """A mirror that accepts the connection but never answers is abandoned after the timeout."""
    monkeypatch.setattr(fetch_module, "TIMEOUT", (2.0, 0.3))
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # never accepted: the connection opens, no reply ever comes
        stalled = f"http://127.0.0.1:{silent.getsockname()[1]}/stalled/"
        use_mirrors(monkeypatch, stalled)
        with pytest.raises(DataUnavailable, match=f"{stalled}{NAME}: no data for 0.3 s"):
            fetch("small", data_home=tmp_path)
        use_mirrors(monkeypatch, stalled, server.mirror("m2"))
        assert fetch("small", data_home=tmp_path).read_bytes() == ARCHIVE


def test_interrupted_download_leaves_nothing_and_next_call_works(tmp_path, server, monkeypatch):
    """Ctrl-C midway leaves neither the final file nor a temp file; the next fetch succeeds."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    written = []

    def interrupted(url, output_file, pooch):
        with open(output_file, "wb") as f:
            f.write(ARCHIVE[:20])
        written.append(Path(output_file))
        raise KeyboardInterrupt

    real = fetch_module._downloader
    monkeypatch.setattr(fetch_module, "_downloader", lambda: interrupted)
    with pytest.raises(KeyboardInterrupt):
        fetch("small", data_home=tmp_path)
    assert written and written[0].parent == tmp_path and written[0].name != NAME
    assert is_temporary(written[0].name, NAME)  # the one scheme that info and clear-cache know
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(fetch_module, "_downloader", real)
    assert fetch("small", data_home=tmp_path).read_bytes() == ARCHIVE
    assert leftovers(tmp_path) == []


def test_temp_files_of_killed_downloads_are_never_the_archive(tmp_path, server, monkeypatch):
    """A complete-looking temp file is not used; stale ones are removed, a live one is kept, and an
    old file of the user's not named as the package names its temporary files is left alone."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    stale = tmp_path / f".{NAME}.killed_1.part"
    live = tmp_path / f".{NAME}.running.part"
    mine = tmp_path / f"{NAME}.mine.part"
    for part in (stale, live, mine):
        part.write_bytes(ARCHIVE)
    old = time.time() - STALE_AFTER - 60
    os.utime(stale, (old, old))
    os.utime(mine, (old, old))
    with pytest.raises(DataUnavailable):
        fetch("small", data_home=tmp_path, download_if_missing=False)
    assert fetch("small", data_home=tmp_path).read_bytes() == ARCHIVE
    assert server.requests == [f"/m1/{NAME}"]
    assert leftovers(tmp_path) == sorted([live.name, mine.name])


def test_a_stalled_mirror_is_given_up_for_the_next(tmp_path, server, monkeypatch):
    """A mirror that sends its headers and then nothing is abandoned after the read timeout."""
    release = threading.Event()

    class Stalling(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Length", str(len(ARCHIVE)))
            self.end_headers()
            self.wfile.flush()
            release.wait(20)  # never sends the body

        def log_message(self, *args) -> None:
            pass

    stalled = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    threading.Thread(target=stalled.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(fetch_module, "TIMEOUT", (2.0, 0.5))
        use_mirrors(monkeypatch, f"http://127.0.0.1:{stalled.server_address[1]}/s/", server.mirror("m2"))
        start = time.monotonic()
        assert fetch("small", data_home=tmp_path).read_bytes() == ARCHIVE
        assert time.monotonic() - start < 10
        assert server.requests == [f"/m2/{NAME}"]
        assert leftovers(tmp_path) == []
    finally:
        release.set()
        stalled.shutdown()
        stalled.server_close()


# archive_status -------------------------------------------------------------------------------


def test_archive_status_reports_each_state_without_network(tmp_path, server, monkeypatch):
    """archive_status says absent, present but wrong (and why), or verified, and never downloads."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    target = tmp_path / NAME

    absent = _archive_status("small", data_home=tmp_path)
    assert (absent.present, absent.verified, absent.size) == (False, False, None)
    assert absent.path == target and absent.expected_size == len(ARCHIVE)
    assert absent.problem == "not in the data folder"

    target.write_bytes(HTML)
    wrong = _archive_status("small", data_home=tmp_path)
    assert (wrong.present, wrong.verified, wrong.size) == (True, False, len(HTML))
    assert "expected" in wrong.problem and "HTML page" in wrong.problem

    target.write_bytes(ARCHIVE)
    unchecked = _archive_status("small", data_home=tmp_path)
    assert (unchecked.present, unchecked.verified) == (True, False)
    assert unchecked.problem == "size matches, contents not yet checked"
    assert unchecked.size == len(ARCHIVE)

    _sidefile.update(target, verified=True, problem=None)
    good = _archive_status("small", data_home=tmp_path)
    assert (good.present, good.verified, good.problem) == (True, True, None)

    _sidefile.update(target, verified=False, problem="counts differ")
    failed = _archive_status("small", data_home=tmp_path)
    assert not failed.verified and failed.problem == "contents failed verification: counts differ"
    assert server.requests == []


def test_verified_record_does_not_survive_a_replaced_file(tmp_path):
    """Another file of the same size and mtime put in place is "not yet checked", not verified."""
    target = tmp_path / NAME
    target.write_bytes(ARCHIVE)
    _sidefile.update(target, verified=True, problem=None)
    stat = target.stat()
    replacement = tmp_path / "other"
    replacement.write_bytes(b"\x1f\x8b" + bytes(len(ARCHIVE) - 2))
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, target)
    assert target.stat().st_size == stat.st_size and target.stat().st_mtime_ns == stat.st_mtime_ns
    assert _archive_status("small", data_home=tmp_path).problem == "size matches, contents not yet checked"


# contents verification of downloads, .invalid copies, file modes ----------------------------------


def test_download_failing_verification_is_deleted_and_next_mirror_tried(tmp_path, server, monkeypatch):
    """A right-size download whose contents fail ``verify`` is not kept; the next mirror's file is."""
    wrong = b"\x1f\x8b" + bytes(len(ARCHIVE) - 2)  # gzip magic, then zeros: the right size
    use_mirrors(monkeypatch, server.mirror("zeros", body=wrong), server.mirror("m2"))
    checked = []

    def verify(path):
        checked.append(path.read_bytes() == ARCHIVE)
        return None if path.read_bytes() == ARCHIVE else "corrupt gzip data"

    path = fetch("small", data_home=tmp_path, verify=verify)
    assert path.read_bytes() == ARCHIVE and checked == [False, True]
    assert leftovers(tmp_path) == []
    assert _archive_status("small", data_home=tmp_path).verified
    use_mirrors(monkeypatch, server.mirror("zeros", body=wrong))
    (tmp_path / NAME).unlink()
    with pytest.raises(DataUnavailable, match="received a wrong file: corrupt gzip data"):
        fetch("small", data_home=tmp_path, verify=verify)
    assert leftovers(tmp_path) == []


def test_file_that_failed_verification_is_moved_aside(tmp_path, server, monkeypatch):
    """An archive of the right size whose contents were found wrong is replaced by a download."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    target = tmp_path / NAME
    target.write_bytes(b"\x1f\x8b" + ARCHIVE[2:][::-1])
    _sidefile.update(target, verified=False, problem="counts differ")
    assert fetch("small", data_home=tmp_path).read_bytes() == ARCHIVE
    assert (tmp_path / (NAME + ".invalid")).read_bytes() == b"\x1f\x8b" + ARCHIVE[2:][::-1]


def test_second_wrong_drop_in_keeps_the_first_invalid_copy(tmp_path, server, monkeypatch):
    """Each wrong file moved aside gets its own numbered .invalid name; none is overwritten."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    for body in (b"first wrong file", b"second wrong file", b"third"):
        (tmp_path / NAME).write_bytes(body)
        fetch("small", data_home=tmp_path)
    assert (tmp_path / f"{NAME}.invalid").read_bytes() == b"first wrong file"
    assert (tmp_path / f"{NAME}.2.invalid").read_bytes() == b"second wrong file"
    assert (tmp_path / f"{NAME}.3.invalid").read_bytes() == b"third"


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_downloaded_archive_has_the_mode_of_every_file_the_package_writes(
    tmp_path, server, monkeypatch, umask
):
    """A download is saved 0666 less the umask (0644, 0640), like the package's other files."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    old = os.umask(umask)
    try:
        path = fetch("small", data_home=tmp_path)
        with atomic_write(tmp_path / "other.json", "w") as f:
            f.write("{}")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "other.json").stat().st_mode & 0o777 == 0o666 & ~umask


# verification of every archive, whoever asks; files that are not files ------------------------------


def test_library_fetch_verifies_a_download_without_being_asked(tmp_path, server, monkeypatch):
    """fetch() without verify= still reads a right-size download before keeping it; a wrong one goes."""
    wrong = b"\x1f\x8b" + bytes(len(ARCHIVE) - 2)  # the right size, the gzip signature, nothing inside
    use_mirrors(monkeypatch, server.mirror("zeros", body=wrong))
    with pytest.raises(DataUnavailable, match="received a wrong file: .*gzip"):
        fetch("small", data_home=tmp_path)
    assert not (tmp_path / NAME).exists() and leftovers(tmp_path) == []
    use_mirrors(monkeypatch, server.mirror("m1"))
    assert fetch("small", data_home=tmp_path).read_bytes() == ARCHIVE
    assert _sidefile.verification(tmp_path / NAME) == (True, None)


def test_dropped_in_file_failing_verification_is_refused_the_first_time(tmp_path, server, monkeypatch):
    """A right-size drop-in with the wrong contents is refused on its first use, not returned unchecked."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    target = tmp_path / NAME
    wrong = b"\x1f\x8b" + bytes(len(ARCHIVE) - 2)
    target.write_bytes(wrong)
    with pytest.raises(ArchiveMismatch, match="contents failed verification"):
        fetch("small", data_home=tmp_path, download_if_missing=False)
    assert target.read_bytes() == wrong  # kept where it was: downloads are off
    assert _archive_status("small", data_home=tmp_path).problem.startswith("contents failed verification")
    assert server.requests == []


@pytest.mark.parametrize("what", ["fifo", "folder"])
def test_a_fifo_or_folder_under_the_archive_name_is_refused_at_once(tmp_path, server, monkeypatch, what):
    """A fifo (no writer: opening it would wait forever) or a folder: one error naming it; kept."""
    use_mirrors(monkeypatch, server.mirror("m1"))
    target = tmp_path / NAME
    os.mkfifo(target) if what == "fifo" else target.mkdir()
    done = []
    worker = threading.Thread(target=lambda: done.append(_outcome(tmp_path)), daemon=True)
    worker.start()
    worker.join(20)
    assert done, "fetch waited on the fifo"
    assert isinstance(done[0], ArchiveMismatch) and f"is a {what}" in str(done[0])
    assert server.requests == [] and (target.is_dir() if what == "folder" else target.is_fifo())
    status = _archive_status("small", data_home=tmp_path)
    assert status.present and not status.verified and f"a {what}" in status.problem


def _outcome(home):
    try:
        return fetch("small", data_home=home)
    except Exception as exc:  # the test looks at it
        return exc
