"""Headline numbers a problem page hands to the site's home page.

The flow, one way::

    problems/plot_5_overlap.py          record("problem5", test_in_train=1324, ...)
        -> $NOTMNIST_RESULTS_DIR/problem5.json    (merged, written atomically)
        -> docs/hooks.py: load(dir)             during `mkdocs build`
        -> docs/index.md: {{ results.problem5.test_in_train }}  replaced by the recorded value

``mkdocs build`` (through ``docs/hooks.py``) points ``NOTMNIST_RESULTS_DIR`` at a folder it empties
at the start of every build, *before* mkdocs-gallery runs the problem scripts, so the home page can
only show numbers that the same build computed.  A learner running a script from a terminal has no
such variable set: :func:`record` then writes nothing and just hands the values back, so the
scripts need no special case.

Values must be JSON-serialisable (numbers, strings, booleans, ``None``, and lists or dicts of
those); NumPy scalars are converted to Python numbers.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._io import atomic_write

__all__ = ["ENV_VAR", "load", "record", "results_dir"]

logger = logging.getLogger(__name__)

#: Environment variable naming the folder the results are written to.
ENV_VAR = "NOTMNIST_RESULTS_DIR"

_PAGE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def results_dir() -> Path | None:
    """Return the folder named by ``NOTMNIST_RESULTS_DIR``, or ``None`` when unset or empty."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value) if value else None


def _plain(value: Any, where: str) -> Any:
    """Return ``value`` as plain JSON types (NumPy scalars and arrays become numbers and lists)."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # NumPy scalar or 0-d array
        return value.item()
    if hasattr(value, "tolist"):  # NumPy array
        return value.tolist()
    raise TypeError(
        f"result {where} is a {type(value).__name__}, which cannot be stored as JSON; "
        "record numbers, strings or lists/dicts of them"
    )


def _check_page(page: str) -> None:
    if not page or not set(page) <= _PAGE_CHARS:
        raise ValueError(
            f"page name {page!r} is not valid; use lower-case letters, digits and '_' "
            "(e.g. 'problem5'), so that it can appear in a placeholder"
        )


def record(page: str, **values: Any) -> dict[str, Any]:
    """Record headline numbers of one page for the site's home page.

    The values are merged into ``<NOTMNIST_RESULTS_DIR>/<page>.json`` (existing keys of that page
    are kept unless given again).  The file is written to a temporary file in the same folder and
    then renamed, so a reader never sees half a file.  When ``NOTMNIST_RESULTS_DIR`` is unset, as
    when a script runs from a terminal, nothing is written.

    Parameters
    ----------
    page : str
        Page key, lower-case letters, digits and ``_`` (e.g. ``"problem5"``); the values appear in
        the site as ``{{ results.<page>.<key> }}``.
    **values
        JSON-serialisable values (numbers, strings, booleans, lists or dicts of them; NumPy scalars
        are converted).

    Returns
    -------
    dict
        The values given, as plain Python types (not the merged file content).

    Raises
    ------
    ValueError
        If ``page`` is not a valid key.
    TypeError
        If a value cannot be stored as JSON.
    """
    _check_page(page)
    plain = {key: _plain(value, f"{page}.{key}") for key, value in values.items()}
    folder = results_dir()
    if folder is None:
        return plain
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{page}.json"
    merged = _read(target) if target.exists() else {}
    merged.update(plain)
    with atomic_write(target, "w") as fh:
        json.dump(merged, fh, indent=2, sort_keys=True, allow_nan=True)
        fh.write("\n")
    logger.debug("recorded %s into %s", sorted(plain), target)
    return plain


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"results file {path} is not valid JSON ({exc}); delete it and rebuild"
        ) from exc
    if not isinstance(data, dict):
        raise ValueError(f"results file {path} does not hold a JSON object; delete it and rebuild")
    return data


def load(folder: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Read every page's recorded results from ``folder``.

    Parameters
    ----------
    folder : str or path-like
        A results folder written by :func:`record`.  A missing folder holds no results.

    Returns
    -------
    dict of str to dict
        ``{page: {key: value}}`` for every ``<page>.json`` in ``folder`` (temporary files ignored).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {path.stem: _read(path) for path in sorted(folder.glob("*.json"))}
