"""Find or download the notMNIST archives, verified, in the data folder.

A file copied into the data folder is used without any network once it passes the same check as
a download ([`notmnist.verify`][notmnist.verify]).  Otherwise the mirrors are tried in turn; each
download goes to a temporary file beside the target and is renamed only once checked.  A wrong file
found there is moved aside to `<name>.invalid`; a folder, fifo or device is refused and left alone.
When nothing works, [`DataUnavailable`][notmnist.fetch.DataUnavailable] names every URL tried.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import _sidefile, config
from ._io import PART_SUFFIX, file_mode, is_temporary, kind, remove_stale, temporary_file
from .errors import NotMNISTError
from .registry import archive_info
from .verify import contents_check, file_problem

log = logging.getLogger(__name__)

TIMEOUT: tuple[float, float] = (10.0, 60.0)
"""Seconds to wait for a connection, and for the next bytes of a download."""

_UNCHECKED = "size matches, contents not yet checked"
_STANDIN_HINT = "or use the offline stand-in with NOTMNIST_SOURCE=standin"


class DataUnavailable(NotMNISTError, OSError):
    """The archive is not in the data folder and could not be downloaded (`found`: a wrong file was)."""

    found = False


class ArchiveMismatch(DataUnavailable):
    """A file under the archive's name is not the published archive."""

    found = True


def _not_regular(path: Path) -> str | None:
    """What `path` is when it exists but is not a regular file (nor a link to one), else None."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    return None if stat.S_ISREG(mode) else kind(mode)


@dataclass(frozen=True)
class _ArchiveStatus:
    """What the data folder holds for one archive, and if it is not verified, the `problem`."""

    subset: str
    path: Path
    present: bool
    size: int | None
    expected_size: int
    verified: bool
    problem: str | None


def _archive_status(subset: str, *, data_home: str | os.PathLike[str] | None = None) -> _ArchiveStatus:
    """Describe the archive of `subset` in the data folder, without any network."""
    info = archive_info(subset)
    path = config.data_home(data_home) / info.filename
    other = _not_regular(path)
    if other:
        return _ArchiveStatus(subset, path, True, None, info.size, False, f"a {other}, not a regular file")
    if not path.is_file():
        return _ArchiveStatus(subset, path, False, None, info.size, False, "not in the data folder")
    problem = file_problem(path, info.size)
    if problem is None:
        checked = _sidefile.verification(path)
        if checked is None:
            problem = _UNCHECKED
        elif not checked[0]:
            problem = f"contents failed verification: {checked[1]}"
    return _ArchiveStatus(subset, path, True, path.stat().st_size, info.size, problem is None, problem)


def fetch(
    subset: str,
    *,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
    verify: Callable[[Path], str | None] | None = None,
) -> Path:
    """Return the path of the verified archive of `subset`, downloading it if needed.

    Parameters
    ----------
    subset : {"large", "small"}
        Which archive: `notMNIST_large.tar.gz` or `notMNIST_small.tar.gz`.
    data_home : str or PathLike, optional
        Data folder; see [`data_home`][notmnist.config.data_home].
    download_if_missing : bool, default True
        Download the archive when the data folder does not hold it.
    verify : callable, optional
        `verify(path)` checks a file of the right size (a download before it is kept, a file
        found before its first use): None, or what is wrong (a download is then deleted and the
        next mirror tried; a file found is moved aside).  Default:
        [`notmnist.verify.contents_check`][notmnist.verify.contents_check].

    Raises
    ------
    ArchiveMismatch
        A wrong file sits under the archive's name and `download_if_missing` is False, or a
        folder, fifo or device does.
    DataUnavailable
        The archive is absent and downloading is off or failed on every mirror.
    """
    info = archive_info(subset)
    folder = config.data_home(data_home)
    target = folder / info.filename
    urls = tuple(info.urls)
    verify = verify or contents_check(subset, folder)
    moved = ""
    other = _not_regular(target)
    if other:
        raise ArchiveMismatch(
            f"{target} is a {other}, not the archive: it is left alone; move it out of the data "
            f"folder, {_STANDIN_HINT}"
        )
    if target.exists():
        problem = file_problem(target, info.size)
        checked = _sidefile.verification(target) if problem is None else None
        if problem is None and checked is None:  # never checked: as a download is, before any use
            log.info("verifying %s", target)
            why = verify(target)
            _sidefile.update(target, verified=why is None, problem=why)
            checked = (why is None, why)
        if checked is not None and not checked[0]:
            problem = f"its contents failed verification ({checked[1]})"
        if problem is None:
            log.debug("using %s", target)
            return target
        if not download_if_missing:
            raise ArchiveMismatch(
                f"{target} is not the published {info.filename}: {problem}. Delete it and "
                f"call again with download_if_missing=True, or replace it with the right file "
                f"({info.size:,} bytes, from {' or '.join(urls)})"
            )
        aside = _sidefile.aside(target)
        moved = f" (a wrong file found there was moved to {aside})"
        log.warning("%s is not the published archive: %s; moved it to %s", target, problem, aside)
    elif not download_if_missing:
        raise DataUnavailable(
            f"{info.filename} is not in {folder} and downloading is off "
            f"(download_if_missing=False). Copy it ({info.size:,} bytes, from "
            f"{' or '.join(urls)}) to {target}, allow downloads, {_STANDIN_HINT}."
        )

    # A live download writes at least every TIMEOUT[1] seconds: only a killed one's file is stale.
    parts = folder.glob(f".{info.filename}.*{PART_SUFFIX}")
    remove_stale([p for p in parts if is_temporary(p.name, info.filename)], "download")
    failures = []
    downloader = _downloader()
    for url in urls:
        error = _download(downloader, url, target, info.size, verify)
        if error is None:
            return target
        log.info("could not download %s: %s", url, error)
        failures.append(f"{url}: {error}")
    error = DataUnavailable(
        f"{info.filename} is not in {folder} and could not be downloaded{moved} "
        f"(tried: {'; '.join(failures)}). Download it on a machine with internet and copy "
        f"it to {target}, {_STANDIN_HINT}."
    )
    error.found = bool(moved)
    raise error


def _downloader() -> Callable[..., object]:
    """Pooch's HTTP downloader with a progress bar and finite timeouts."""
    import pooch

    # "identity": the bytes as published, never a body requests would gunzip into a bare tar.
    return pooch.HTTPDownloader(progressbar=True, timeout=TIMEOUT, headers={"Accept-Encoding": "identity"})


def _download(downloader, url: str, target: Path, size: int, verify) -> str | None:
    """Download `url` to `target` through a temporary file; return None or what went wrong."""
    try:
        fd, part = temporary_file(target)
    except OSError as exc:
        return f"cannot write in {target.parent} ({exc.strerror or exc})"
    os.close(fd)
    try:
        log.info("downloading %s to %s", url, target)
        try:
            downloader(url=url, output_file=str(part), pooch=None)
        except OSError as exc:  # requests' errors are OSErrors, and so are disk errors
            return _describe(exc)
        problem = file_problem(part, size)
        if problem is None:
            log.info("verifying %s", url)
            problem = verify(part)
        if problem is not None:
            return f"received a wrong file: {problem}"
        os.chmod(part, file_mode())  # mkstemp makes 600; like every file the package writes
        os.replace(part, target)
        _sidefile.update(target, verified=True, problem=None)
        log.info("saved %s (%s bytes)", target, f"{size:,}")
        return None
    finally:
        part.unlink(missing_ok=True)


def _describe(exc: OSError) -> str:
    """One short phrase for a download error (requests/urllib3 messages run to 400 characters)."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason}".rstrip()
    if isinstance(exc, requests.ConnectTimeout):
        return f"no connection within {TIMEOUT[0]:g} s"
    if isinstance(exc, requests.ReadTimeout):
        return f"no data for {TIMEOUT[1]:g} s"
    text = str(exc)
    if "NameResolutionError" in text or "Failed to resolve" in text:
        return "host name could not be resolved (offline?)"
    errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if errno:
        return errno.group(1).strip().rstrip(".")
    kind = type(exc).__name__
    text = " ".join(text.split())
    return f"{kind}: {text[:200]}" if text else kind
