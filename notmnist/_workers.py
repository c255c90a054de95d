"""Worker processes that never re-run the caller's script.

The caller is often a problem script without a main guard: `spawn` and `forkserver` would re-run
it in every worker, and `fork` copies the whole caller.  So workers start from a fork server (or
`spawn` where there is none) while the main module's `__file__` and `__spec__` are hidden, and
each exits as soon as the process that started them dies, even by `kill -9` (`_end_with`).
"""

from __future__ import annotations

import multiprocessing
import os
import select
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager


class Workers(ProcessPoolExecutor):
    """A process pool whose workers never re-run the caller's script (they start inside `submit`)."""

    def __init__(self, n_jobs: int, module: str):
        if "forkserver" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([module])
        else:
            context = multiprocessing.get_context("spawn")
        super().__init__(n_jobs, mp_context=context, initializer=_end_with, initargs=(os.getpid(),))

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with _main_hidden():
            return super().submit(fn, *args, **kwargs)


def _end_with(parent: int) -> None:
    """Worker initializer: exit this worker as soon as the process `parent` has ended."""
    try:
        fd = os.pidfd_open(parent)  # Linux: readable once the process has ended (zombie or not)
    except (AttributeError, OSError):
        fd = None

    def watch() -> None:
        if fd is not None:
            select.select([fd], [], [])
        else:
            while _alive(parent):
                time.sleep(0.5)
        os._exit(1)

    if fd is not None or _alive(parent):
        threading.Thread(target=watch, name="notmnist-parent-watch", daemon=True).start()
    else:
        os._exit(1)


def _alive(pid: int) -> bool:
    """Whether the process `pid` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def start(n_jobs: int, module: str) -> Workers | None:
    """Workers for functions of `module`, or None (work in this process) when `n_jobs <= 1`."""
    return Workers(n_jobs, module) if n_jobs > 1 else None


def stop(pool: Workers | None) -> None:
    """Cancel what has not started, wait for what has, and let the workers exit."""
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _main_hidden() -> Iterator[None]:
    """Hide the main module's `__file__` and `__spec__`: workers then have no script to re-run."""
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if hasattr(main, k)}
    try:
        for k in saved:
            if k == "__file__":
                delattr(main, k)
            else:
                setattr(main, k, None)
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)
