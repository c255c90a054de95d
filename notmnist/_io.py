"""Atomic file writes: a reader never sees a half-written file under its final name.

Every cache, archive and result file of the package is written through
`atomic_write`: the data goes to a uniquely named temporary file in the
same folder, which is renamed over the target only once it is complete, and
removed on any error (Ctrl-C included).  Two processes writing the same target
at once both succeed; the last rename wins, and either version is complete.
Every file the package writes gets the same mode, `file_mode` (0644 under
the usual umask 022), and every folder `folder_mode`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode of a new file as `open` would make it: `0o666` less the process's umask."""
    return 0o666 & ~_umask()


def folder_mode() -> int:
    """Mode of a new folder as `mkdir` would make it: `0o777` less the process's umask."""
    return 0o777 & ~_umask()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside `path`; rename it to `path` when the block succeeds.

    Parameters
    ----------
    path : path-like
        Final name of the file.
    mode : {"wb", "w"}
        Binary or text.
    encoding : str, optional
        For text mode (default UTF-8).

    Yields
    ------
    file object
        The temporary file, to write to.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        text = "b" not in mode
        with os.fdopen(fd, mode, encoding=(encoding or "utf-8") if text else None) as f:
            yield f
        os.chmod(tmp, file_mode())  # mkstemp makes 600; these files are meant to be shared
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
