"""MkDocs hooks of the notMNIST workbook: fresh results, placeholders, the data page.

What a build does, in order (``mkdocs build`` and every rebuild of ``mkdocs serve``; serve reloads
``mkdocs.yml`` and so runs all of this again each time)::

    on_config       (this file; mkdocs runs hooks after the plugins listed in mkdocs.yml)
        - empty docs/generated/results/ and point NOTMNIST_RESULTS_DIR at it
        - forget imported ``notmnist`` modules, so the scripts run the package as it is now
        - check the gallery settings that keep results fresh, and make a failing script a
          one-line build error naming the script
    on_pre_build    (mkdocs-gallery) run every problems/plot_*.py; each prints its results and
                    calls notmnist.results.record(...) -> docs/generated/results/<page>.json
    on_page_markdown (this file) replace ``{{ results.<page>.<key> }}`` (optionally with a format
                    spec, ``{{ results.problem6.acc_full:.3f }}``) by the recorded value, and the
                    data page's ``{{ data.source }}``, ``{{ data.provenance }}`` and
                    ``{{ data.fidelity }}`` by text and tables; check that every problem page
                    names the data it ran on

Never stale
    mkdocs-gallery skips a script whose md5 matches the ``.md5`` file left by an earlier run, and
    writes that file even for a script that failed.  Its md5 covers the script only, not the
    ``notmnist`` package or the data, so a skipped script can show results older than the code or
    data they claim.  We therefore force re-execution: ``run_stale_examples: true`` in mkdocs.yml
    (checked here) makes the gallery execute every script on every build, ``mkdocs serve``
    included, whatever its md5 files say; ``abort_on_example_error: true`` stops the build at the
    first failing script before its md5 is written; and ``make site`` deletes docs/generated
    anyway.  Re-running every problem is cheap because the package caches its own work
    (:mod:`notmnist.cache`: letters, splits, searches, model fits) keyed by the data and the
    source code that produce it.  The results folder is emptied before the scripts
    run, so a placeholder can only be filled by a script of the same build; a missing value fails
    the build naming the placeholder and the page.

The data page
    Its provenance table is what the problem scripts recorded (``results.data.provenance``, a
    :meth:`notmnist.dataset.Provenance.to_dict`), or, when they recorded only ``source`` and
    ``summary``, what :func:`notmnist.dataset.locate` reports for the same settings; the stand-in's
    fidelity table is computed during the build by :func:`notmnist.fidelity.markdown`
    (cached in the data folder, keyed by the archives' SHA-256 and the code).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import gallery_pages  # docs/gallery_pages.py: mkdocs puts this folder on sys.path for hooks
from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.plugins.notmnist")

RESULTS_SUBDIR = Path("generated") / "results"  # inside docs_dir

PLACEHOLDER = re.compile(
    r"\{\{\s*results\.(?P<page>[a-z0-9_]+)\.(?P<key>[A-Za-z0-9_]+)"
    r"(?:\s*:\s*(?P<spec>[^}\s]+))?\s*\}\}"
)
BLOCK = re.compile(r"\{\{\s*data\.(?P<name>[a-z_]+)\s*\}\}")
LOOSE = re.compile(r"\{\{\s*(?:results|data)\.[^}]*\}\}")

_state: dict[str, Any] = {"results_dir": None, "results": None, "provenance": None}


# --------------------------------------------------------------------------- on_config


def on_config(config):
    """Fresh results folder, fresh package imports, and gallery settings that keep pages fresh."""
    folder = Path(config["docs_dir"]) / RESULTS_SUBDIR
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    os.environ["NOTMNIST_RESULTS_DIR"] = str(folder)
    _state.update(results_dir=folder, results=None, provenance=None)

    for name in [m for m in sys.modules if m == "notmnist" or m.startswith("notmnist.")]:
        del sys.modules[name]

    # Matplotlib's Agg backend warns on plt.show(); the gallery collects figures itself.
    warnings.filterwarnings("ignore", message=".*non-interactive, and thus cannot be shown")
    # A warning a problem prints is shown on its page: without the build machine's file path.
    warnings.formatwarning = _formatwarning

    import mkdocs_gallery

    if mkdocs_gallery.__version__ != gallery_pages.GALLERY_VERSION:
        raise PluginError(
            f"mkdocs-gallery {mkdocs_gallery.__version__} is installed, but docs/gallery_pages.py and "
            f"docs/hooks.py patch the pages and internals of {gallery_pages.GALLERY_VERSION}: install "
            "the pinned version (make site does) or update both files"
        )

    gallery = config["plugins"].get("gallery")
    if gallery is None:
        raise PluginError("mkdocs.yml: the 'gallery' plugin (mkdocs-gallery) is not configured")
    for option in ("run_stale_examples", "abort_on_example_error"):
        if not gallery.config.get(option):
            raise PluginError(
                f"mkdocs.yml: the gallery plugin needs '{option}: true' (see docs/hooks.py: "
                "without it a rebuild can show stale results or hide a failing problem)"
            )
    _name_failing_script(config["plugins"], gallery)
    _free_each_script_after_its_page()
    return config


def _formatwarning(message, category, filename, lineno, line=None) -> str:
    """``Category: message``, without the file and line of the machine that built the site."""
    return f"{category.__name__}: {message}\n"


def _free_each_script_after_its_page() -> None:
    """Let go of a problem's variables once its page is written.

    mkdocs-gallery keeps every executed script's globals on its script object
    until the whole gallery is done, so at full scale the six problems' arrays
    would pile up (9 GB measured).  Clearing them after each page keeps the
    build's peak at that of the largest problem.
    """
    from mkdocs_gallery import gen_single

    original = gen_single.generate_file_md
    if getattr(original, "frees_globals", False):
        return

    def generate_file_md(script, *args, **kwargs):
        try:
            return original(script, *args, **kwargs)
        finally:
            if script.run_vars is not None and script.run_vars.example_globals is not None:
                script.run_vars.example_globals.clear()  # the next script's gc.collect() frees cycles

    generate_file_md.frees_globals = True
    gen_single.generate_file_md = generate_file_md


def _name_failing_script(plugins, gallery) -> None:
    """Turn an exception raised by a problem script into a build error naming the script."""
    events = plugins.events["pre_build"]
    for i, method in enumerate(events):
        if getattr(method, "__self__", None) is gallery and not hasattr(method, "_notmnist"):

            def guarded(*args, _run=method, **kwargs):
                try:
                    return _run(*args, **kwargs)
                except Exception as exc:
                    script, lineno = _script_of(exc)
                    if script is None:
                        raise
                    at = f" at line {lineno}" if lineno else ""
                    raise PluginError(
                        f"problem script {script} failed{at}: {type(exc).__name__}: {exc}\n"
                        f"(traceback above; reproduce with: python {script})"
                    ) from exc

            guarded._notmnist = True
            guarded.mkdocs_priority = getattr(method, "mkdocs_priority", 0)
            events[i] = guarded


def _script_of(exc: BaseException) -> tuple[str | None, int | None]:
    """Path (relative to the project) and line of the gallery script an exception came from."""
    script = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        candidate = frame.f_locals.get("script")
        if hasattr(candidate, "src_py_file"):
            script = Path(candidate.src_py_file)
    if script is None:
        return None, None
    lineno = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        if Path(frame.f_code.co_filename) == script:
            lineno = line
    try:
        shown = script.relative_to(Path.cwd()).as_posix()
    except ValueError:
        shown = script.as_posix()
    return shown, lineno


# --------------------------------------------------------------------------- files and serve


def on_files(files, config):
    """Keep the results JSON out of the site: it is build state, not content."""
    prefix = RESULTS_SUBDIR.as_posix() + "/"
    for file in [f for f in files if f.src_uri.startswith(prefix)]:
        files.remove(file)
    return files


def on_serve(server, config, builder):
    """Ignore files the build writes itself (docs/generated, __pycache__) when serving."""
    generated = (Path(config["docs_dir"]) / "generated").resolve()

    def wrap(callback):
        def on_any_event(event):
            path = Path(os.fsdecode(event.src_path)).resolve()
            if path.is_relative_to(generated) or "__pycache__" in path.parts:
                return None
            return callback(event)

        return on_any_event

    # No public API for this in mkdocs 1.6: wrap the handlers watching docs/ and mkdocs.yml, and
    # those `mkdocs serve --watch problems --watch notmnist` adds after this hook has run.
    for handlers in server.observer._handlers.values():
        for handler in handlers:
            handler.on_any_event = wrap(handler.on_any_event)
    schedule = server.observer.schedule

    def schedule_wrapped(handler, *args, **kwargs):
        handler.on_any_event = wrap(handler.on_any_event)
        return schedule(handler, *args, **kwargs)

    server.observer.schedule = schedule_wrapped
    return server


# --------------------------------------------------------------------------- placeholders


def _results() -> dict[str, dict[str, Any]]:
    if _state["results"] is None:
        from notmnist.results import load

        _state["results"] = load(_state["results_dir"]) if _state["results_dir"] else {}
    return _state["results"]


def lookup(results: dict[str, dict[str, Any]], page: str, key: str, where: str) -> Any:
    """The recorded ``results.<page>.<key>``, or a build error naming placeholder and page."""
    name = f"{{{{ results.{page}.{key} }}}}"
    if page not in results:
        recorded = ", ".join(sorted(results)) or "none"
        raise PluginError(
            f"{where}: placeholder {name} has no value: nothing was recorded for '{page}' "
            f"(pages recorded: {recorded}); the problem script must call "
            f"notmnist.results.record({page!r}, {key}=...)"
        )
    if key not in results[page]:
        raise PluginError(
            f"{where}: placeholder {name} has no value: '{page}' recorded only "
            f"{', '.join(sorted(results[page])) or 'nothing'}"
        )
    return results[page][key]


def fill(markdown: str, results: dict[str, dict[str, Any]], where: str) -> str:
    """Replace every ``{{ results.page.key[:spec] }}`` in ``markdown`` by its recorded value.

    Values are written with ``format(value, spec)`` (``str(value)`` without a spec); a value
    recorded as ``None`` (not applicable) is shown as a dash.  A missing value, a spec that does
    not fit the value, or a malformed placeholder raises ``PluginError``.
    """

    def replace(match: re.Match) -> str:
        value = lookup(results, match["page"], match["key"], where)
        if value is None:  # recorded as not applicable, e.g. 5,000 samples from a smaller split
            return "—"
        spec = match["spec"] or ""
        try:
            return format(value, spec)
        except (TypeError, ValueError) as exc:
            raise PluginError(
                f"{where}: placeholder {match[0]} cannot format {value!r} with '{spec}': {exc}"
            ) from exc

    out = PLACEHOLDER.sub(replace, markdown)
    leftover = LOOSE.search(out)
    if leftover and not BLOCK.fullmatch(leftover[0]):
        raise PluginError(
            f"{where}: malformed placeholder {leftover[0]}; write "
            "{{ results.<page>.<key> }} or {{ results.<page>.<key>:<format spec> }}"
        )
    return out


def on_page_markdown(markdown, page, config, files):
    """Fill the placeholders of every page and the blocks of the data page."""
    where = page.file.src_uri
    try:
        if re.fullmatch(r"generated/problems/plot_[^/]*\.md", where):
            _check_shows_data(markdown, where)
            script = f"problems/{Path(where).stem}.py"
            markdown = gallery_pages.problem_page(markdown, script, where)
        elif where == "generated/problems/index.md":
            markdown = gallery_pages.gallery_index(markdown, where)
        elif where == "generated/problems/mg_execution_times.md":
            problems = Path(config["config_file_path"]).parent / "problems"
            markdown = gallery_pages.execution_times(markdown, problems, where)
    except gallery_pages.GalleryChanged as exc:
        raise PluginError(str(exc)) from exc
    _footer_names_the_data(config)
    if BLOCK.search(markdown):
        markdown = BLOCK.sub(lambda m: _block(m["name"], where), markdown)
    if "{{" not in markdown:
        return markdown
    return fill(markdown, _results(), where)


def _footer_names_the_data(config) -> None:
    """Every page's footer (reference and 404 pages included) names the data this build ran on."""
    summary = _results().get("data", {}).get("summary")
    if summary:
        config["copyright"] = f"This build ran on: {summary.removeprefix('Data: ')}"


def _check_shows_data(markdown: str, where: str) -> None:
    """A problem page must say which data it ran on: name an archive by its SHA-256 prefix."""
    prefixes = [a["sha256"][:12] for a in _provenance(where).get("archives", [])]
    if not any(prefix in markdown for prefix in prefixes):
        log.warning(
            f"{where} does not show which data it ran on (no archive SHA-256 prefix "
            f"{' or '.join(prefixes)} in its output): print the provenance summary, "
            "e.g. print(splits.provenance.summary())"
        )


_SPHINX_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj):(?=<code>)")


def on_page_content(html, page, config, files):
    """Reference pages: drop the Sphinx roles (``:func:``) that the package's docstrings use."""
    if page.file.src_uri.startswith("reference/"):
        return _SPHINX_ROLE.sub("", html)
    return html


def on_post_build(config):
    """Link the package's names in the problems' code to the reference; sharp lightbox figures."""
    site = Path(config["site_dir"])
    anchors = gallery_pages.reference_anchors(site / "reference")
    if not anchors:
        raise PluginError("the package reference (site/reference/*.html) documents no notmnist names")
    linked = 0
    for page in sorted((site / "generated" / "problems").glob("plot_*.html")):
        html, count = gallery_pages.link_code(page.read_text(encoding="utf-8"), anchors, "../../reference/")
        html = gallery_pages.lightbox_hidpi(html, page.parent)
        page.write_text(html, encoding="utf-8")
        linked += count
    if linked == 0:
        raise PluginError("no name in the problems' code was linked to the package reference")
    log.info(f"linked {linked} names in the problems' code to the package reference")


# --------------------------------------------------------------------------- the data page


def _block(name: str, where: str) -> str:
    if name == "source":
        kind = _provenance(where).get("source")
        return "the real notMNIST archives" if kind == "real" else "the offline stand-in"
    if name == "provenance":
        return provenance_markdown(_provenance(where))
    if name == "fidelity":
        return fidelity_markdown(_provenance(where))
    raise PluginError(
        f"{where}: unknown block {{{{ data.{name} }}}} (known: source, provenance, fidelity)"
    )


def _provenance(where: str) -> dict[str, Any]:
    """Provenance of the data the problems ran on (recorded, else located for the same settings)."""
    if _state.get("provenance") is None:
        _state["provenance"] = _find_provenance(where)
    return _state["provenance"]


def _find_provenance(where: str) -> dict[str, Any]:
    data = _results().get("data", {})
    if "provenance" in data:
        return data["provenance"]
    source = lookup(_results(), "data", "source", where)
    from notmnist import dataset

    located = dataset.locate()
    if located.kind != source:
        raise PluginError(
            f"{where}: the problems recorded source '{source}' but the build now locates "
            f"'{located.kind}'; rebuild from scratch (make site)"
        )
    prov = located.provenance(
        seed=dataset.DEFAULT_SEED, sizes=dataset.split_sizes(located.scale)
    ).to_dict()
    summary = data.get("summary", "")
    for archive in prov["archives"]:
        if archive["name"] in summary and archive["sha256"][:12] not in summary:
            raise PluginError(
                f"{where}: the problems ran on data whose summary ({summary}) does not name "
                f"{archive['name']} with sha256 {archive['sha256'][:12]}; rebuild (make site)"
            )
    return prov


def provenance_markdown(prov: dict[str, Any]) -> str:
    """A Markdown table of the archives, then the seed, sizes, scale and package version."""
    rows = [
        "| archive | file | bytes | SHA-256 |",
        "|---|---|---:|---|",
    ]
    for a in prov.get("archives", []):
        rows.append(f"| {a['subset']} | `{a['name']}` | {a['size']:,} | `{a['sha256']}` |")
    facts = []
    if prov.get("sizes"):
        facts.append(
            "split sizes: " + " · ".join(f"{k} {v:,}" for k, v in prov["sizes"].items())
        )
    if prov.get("seed") is not None:
        facts.append(f"seed: {prov['seed']}")
    if prov.get("source") == "standin":
        facts.append(f"stand-in scale: {prov.get('scale', 1.0):g}")
    facts.append(f"`notmnist` version: {prov.get('version', '?')}")
    out = "\n".join(rows) + "\n\n" + "\n".join(f"- {fact}" for fact in facts) + "\n"
    if prov.get("note"):
        out += f'\n!!! warning "Why the stand-in"\n\n    {prov["note"]}.\n'
    return out


def fidelity_markdown(prov: dict[str, Any]) -> str:
    """The stand-in's statistics next to the real archives' (:func:`notmnist.fidelity.markdown`)."""
    from notmnist import fidelity

    return fidelity.markdown(prov)
