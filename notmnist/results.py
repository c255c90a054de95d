"""Headline numbers a problem page hands to the site's home page.

A problem script calls `record("problem5", test_in_train=1324)`, which lands in
`$NOTMNIST_RESULTS_DIR/problem5.json`; during `mkdocs build`, `docs/hooks.py` empties that folder
before the scripts run, then [`fill`][notmnist.results.fill]s `{{ results.problem5.test_in_train }}`
in the pages, so they can only show numbers that the same build computed.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import config
from ._io import atomic_write
from ._text import plural  # public here: the pages' words for counts
from .errors import NotMNISTError

__all__ = ["PlaceholderError", "fill", "load", "plural", "provenance_markdown", "record", "record_provenance"]

logger = logging.getLogger(__name__)

def _plain(value: Any, where: str) -> Any:
    """Return `value` as plain JSON types (NumPy scalars and arrays become numbers and lists)."""
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
    """Refuse a page name that a placeholder could not name."""
    if not re.fullmatch("[a-z0-9_]+", page):
        raise ValueError(
            f"page name {page!r} is not valid; use lower-case letters, digits and '_' "
            "(e.g. 'problem5'), so that it can appear in a placeholder"
        )


def record(page: str, **values: Any) -> dict[str, Any]:
    """Record headline numbers of one page for the site's home page.

    The values are merged into `<NOTMNIST_RESULTS_DIR>/<page>.json` (existing keys of that page
    are kept unless given again), written atomically; when `NOTMNIST_RESULTS_DIR` is unset, as
    when a script runs from a terminal, nothing is written.  Returns the values as plain Python types.

    Parameters
    ----------
    page : str
        Page key, lower-case letters, digits and `_` (e.g. `"problem5"`); the values appear in
        the site as `{{ results.<page>.<key> }}`.
    **values
        Numbers, strings, booleans, `None`, and lists or dicts of them; NumPy scalars and arrays
        are converted.
    """
    _check_page(page)
    plain = {key: _plain(value, f"{page}.{key}") for key, value in values.items()}
    folder = config.results_dir()
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


def record_provenance(provenance: Any) -> dict[str, Any]:
    """Record which data the site's pages ran on (the home and data pages show it).

    Parameters
    ----------
    provenance : notmnist.dataset.Provenance
        The provenance of the splits the pages show.
    """
    summary = provenance.summary()
    return record("data", source=provenance.source, summary=summary, provenance=provenance.to_dict())


def _read(path: Path) -> dict[str, Any]:
    """One page's recorded results, with a clear error for a damaged file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"results file {path} is not valid JSON ({exc}); delete it and rebuild") from exc
    if not isinstance(data, dict):
        raise ValueError(f"results file {path} does not hold a JSON object; delete it and rebuild")
    return data


def load(folder: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Read every page's recorded results from `folder`: `{page: {key: value}}` (none if it is missing).

    Parameters
    ----------
    folder : str or path-like
        A results folder written by [`record`][notmnist.results.record].
    """
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {path.stem: _read(path) for path in sorted(folder.glob("*.json"))}


PLACEHOLDER = re.compile(
    r"\{\{\s*results\.(?P<page>[a-z0-9_]+)\.(?P<key>[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)"
    r"(?:\s*/\s*(?P<per>[A-Za-z0-9_]+))?(?:\s*:\s*(?P<spec>[^}\s]+))?\s*\}\}"
)
"""`{{ results.<page>.<key> }}`, with options: an entry of a recorded mapping
(`{{ results.problem6.test.50 }}`), a share of another value of the page
(`{{ results.problem5.test_in_train/n_test }}`), a format spec (`{{ results.problem6.test.50:.3f }}`).
"""
DATA = re.compile(r"\{\{\s*data\.(?P<name>[a-z_]+)\s*\}\}")
"""`{{ data.<name> }}`: a block of Markdown the caller of [`fill`][notmnist.results.fill] provides."""
_LOOSE = re.compile(r"\{\{\s*(?:results|data)\.[^}]*\}\}")


class PlaceholderError(NotMNISTError, ValueError):
    """A placeholder of a page has no recorded value, or is malformed; the message names both."""


def _lookup(results: Mapping[str, Mapping[str, Any]], page: str, key: str, where: str) -> Any:
    """The recorded `results.<page>.<key>` (`None` for an unrecorded entry `table.entry`)."""
    name = f"{{{{ results.{page}.{key} }}}}"
    first, *rest = key.split(".")
    if page not in results:
        recorded = ", ".join(sorted(results)) or "none"
        raise PlaceholderError(
            f"{where}: placeholder {name} has no value: nothing was recorded for '{page}' "
            f"(pages recorded: {recorded}); the problem script must call "
            f"notmnist.results.record({page!r}, {first}=...)"
        )
    if first not in results[page]:
        raise PlaceholderError(
            f"{where}: placeholder {name} has no value: '{page}' recorded only "
            f"{', '.join(sorted(results[page])) or 'nothing'}"
        )
    value = results[page][first]
    for part in rest:
        if not isinstance(value, Mapping):
            raise PlaceholderError(f"{where}: placeholder {name}: {page}.{first} is not a table of entries")
        value = value.get(part)
    return value


def fill(
    markdown: str,
    results: Mapping[str, Mapping[str, Any]],
    where: str,
    data: Callable[[str], str] | None = None,
) -> str:
    """Replace every `{{ results.page.key[/per][:spec] }}` in `markdown` by its recorded value.

    `key/per` is the share `key / per` (a dash when `per` is zero).  Values are written with
    `format(value, spec)` (`str(value)` without a spec); a value recorded as `None` (not
    applicable) is shown as a dash.  A missing value, a spec that does not fit the value or a
    malformed placeholder raises `PlaceholderError`, naming the placeholder and `where`.

    Parameters
    ----------
    markdown : str
        A page's Markdown.
    results : mapping
        Recorded values by page, then by key (as [`load`][notmnist.results.load] returns them).
    where : str
        The page's name, for error messages.
    data : callable, optional
        Called with a block's name, returns the Markdown that replaces `{{ data.<name> }}`
        (first, before the results); without it such blocks are left as they are.
    """

    def replace(match: re.Match) -> str:
        value = _lookup(results, match["page"], match["key"], where)
        if match["per"]:  # a share, not applicable (None) when either is missing or the total is 0
            total = _lookup(results, match["page"], match["per"], where)
            value = None if value is None or not total else value / total
        if value is None:  # recorded as not applicable, e.g. 5,000 samples from a smaller split
            return "—"
        spec = match["spec"] or ""
        try:
            return format(value, spec)
        except (TypeError, ValueError) as exc:
            raise PlaceholderError(
                f"{where}: placeholder {match[0]} cannot format {value!r} with '{spec}': {exc}"
            ) from exc

    if data is not None:
        markdown = DATA.sub(lambda m: data(m["name"]), markdown)
    out = PLACEHOLDER.sub(replace, markdown)
    for leftover in _LOOSE.finditer(out):
        if not DATA.fullmatch(leftover[0]):
            raise PlaceholderError(
                f"{where}: malformed placeholder {leftover[0]}; write "
                "{{ results.<page>.<key> }} or {{ results.<page>.<key>:<format spec> }}"
            )
    return out


def provenance_markdown(prov: Mapping[str, Any]) -> str:
    """A Markdown table of the archives, then the seed, sizes, scale and package version.

    Parameters
    ----------
    prov : mapping
        The provenance, as [`Provenance.to_dict`][notmnist.dataset.Provenance.to_dict] gives it.
    """
    rows = ["| archive | file | bytes | SHA-256 |", "|---|---|---:|---|"]
    for a in prov.get("archives", []):
        rows.append(f"| {a['subset']} | `{a['name']}` | {a['size']:,} | `{a['sha256']}` |")
    facts = []
    if prov.get("sizes"):
        facts.append("split sizes: " + " · ".join(f"{k} {v:,}" for k, v in prov["sizes"].items()))
    if prov.get("seed") is not None:
        facts.append(f"seed: {prov['seed']}")
    if prov.get("source") == "standin":
        facts.append(f"stand-in scale: {prov.get('scale', 1.0):g}")
    facts.append(f"`notmnist` version: {prov.get('version', '?')}")
    out = "\n".join(rows) + "\n\n" + "\n".join(f"- {fact}" for fact in facts) + "\n"
    if prov.get("note"):
        out += f'\n!!! warning "Why the stand-in"\n\n    {prov["note"]}.\n'
    return out
