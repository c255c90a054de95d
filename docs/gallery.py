"""Everything that depends on mkdocs-gallery's internals and output, in one place.

mkdocs-gallery is unmaintained and pinned (pyproject.toml); :func:`check_version` stops the build
with a clear message when another version is installed, since the rewrites and patches below
match exactly the text and functions of :data:`GALLERY_VERSION`.

Patches of its internals, installed by :func:`patch` from ``docs/hooks.py``:

- a wrapper of ``gen_single.generate_file_md``, which receives each problem script: it frees the
  script's globals once its page is written (the six problems' arrays would otherwise pile up,
  9 GB at full scale), and turns an exception of a problem into a one-line build error naming the
  script and line;
- :func:`ignore_own_writes`: ``mkdocs serve`` ignores the files the build writes itself;
- :func:`patch_python_314`: the Python 3.14 shim, the gallery's docstring parser without the
  ``ast`` names 3.14 removed (``tests/test_toolchain.py`` runs it with them deleted);
- a wrapper of ``plugin.generate_gallery_md``, which runs every problem: once they have run, the
  terminal says which data the build used;
- :class:`QuietGallery`: no closing recital of the gallery's settings, no memory column it never
  measured.

:func:`main` runs ProperDocs as ``make site`` does (``python docs/gallery.py build``), without the
one deprecation notice mkdocs-gallery triggers on import, before any hook could filter it.

Rewrites of the pages it generates, pure functions of text (tested in ``tests/test_gallery.py``):

- :func:`problem_page` tidies a problem page's Markdown: printed output as plain text, no "click
  here to download the full example code" note above the introduction (search previews show the
  introduction instead), a short "Run it yourself" section, and download buttons that download.
- :func:`gallery_index` and :func:`execution_times` name the data the build ran on; the latter
  also turns mkdocs-gallery's ASCII grid into a real table: problem, time, share of the build.
- :func:`link_code` links names of the ``notmnist`` package in highlighted code to the package
  reference pages.

A rewrite that finds nothing to rewrite raises :class:`GalleryChanged` (see :func:`check`)
instead of quietly doing nothing.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import traceback
import warnings
from pathlib import Path

if __name__ == "__main__":  # the build command (main): mkdocs.* resolves to ProperDocs, as under its CLI
    import properdocs.replacement  # noqa: F401

from mkdocs.exceptions import PluginError

GALLERY_VERSION = "0.10.4"
"""The mkdocs-gallery version whose output these rewrites match (pinned in pyproject.toml)."""

DATA_NOTE = '!!! info "Data behind this build"\n\n    {{ results.data.summary }}\n\n'
"""An admonition naming the data; the placeholder is filled in by the hooks."""

_OUTPUT_FENCE = "```{.shell .mkd-glr-script-out-disp }"
_NOTE = re.compile(
    r"!!! note\s*\n\s*\n\s*Click \[here\]\(#download_links\)\s*\n\s*to download the full example code\s*\n"
)
_DOWNLOAD = re.compile(
    r"\[:fontawesome-solid-download: Download (?P<what>Python source code|Jupyter notebook): "
    r"(?P<file>[\w.-]+)\]\((?P<href>[^)]+)\)\{ \.md-button \.center\}"
)
_DOWNLOAD_ALL = re.compile(
    r"\[:fontawesome-solid-download: Download all examples in "
    r"(?P<what>Python source code|Jupyter notebooks): "
    r"(?P<file>[\w.-]+)\]\((?P<href>[^)]+)\)\{ \.md-button \.center\}"
)
_LINKS_DIV = '<div id="download_links"></div>'
_THUMB = re.compile(
    r'(?P<img><img alt="[^"]*" src="images/thumb/[^"]*" />)(?P<between>.*?)href="(?P<stem>plot_\w+)"', re.S
)
_SRCSET = re.compile(r'\bsrc(?:set)?="[^"]*"')
_LIGHTBOX_HREF = re.compile(r'<a class="glightbox"[^>]*? href="(?P<stem>images/[\w.-]+?)\.png"')
_TIME_ROW = re.compile(
    r"^\| \[(?P<stem>[\w-]+)\]\((?P<href>[^)]+)\) \((?P<source>[^)]+)\)\s*\|\s*"
    r"(?P<min>\d+):(?P<sec>\d+(?:\.\d+)?)\s*\|[^|\n]*\|\s*$",
    re.M,
)


class GalleryChanged(RuntimeError):
    """mkdocs-gallery is not the version, or did not write the text, that this module expects."""


class ProblemFailed(PluginError):
    """A problem script raised while mkdocs-gallery ran it; the message names script and line.

    A :class:`~mkdocs.exceptions.PluginError`, so mkdocs stops with this one line.
    """


def check_version() -> None:
    """Raise :class:`GalleryChanged` unless the installed mkdocs-gallery is :data:`GALLERY_VERSION`."""
    import mkdocs_gallery

    if mkdocs_gallery.__version__ != GALLERY_VERSION:
        raise GalleryChanged(
            f"mkdocs-gallery {mkdocs_gallery.__version__} is installed, but docs/gallery.py patches "
            f"the internals and pages of {GALLERY_VERSION}: install the pinned version (make site "
            "does) or update docs/gallery.py"
        )


# --------------------------------------------------------------------------- patches


def patch() -> None:
    """Wrap ``gen_single.generate_file_md`` (once per process; mkdocs serve rebuilds in-process).

    Also installs the Python 3.14 shim (:func:`patch_python_314`), the data line after the gallery
    has run, and :class:`QuietGallery`.
    """
    check_version()
    patch_python_314()
    from mkdocs_gallery import gen_single, plugin

    gallery_log = logging.getLogger("mkdocs.plugins.mkdocs-gallery")
    if not any(isinstance(f, QuietGallery) for f in gallery_log.filters):
        gallery_log.addFilter(QuietGallery())
    if not getattr(plugin.generate_gallery_md, "notmnist_wrapped", False):
        plugin.generate_gallery_md = _saying_the_data(plugin.generate_gallery_md)
    original = gen_single.generate_file_md
    if getattr(original, "notmnist_wrapped", False):
        return

    def generate_file_md(script, *args, **kwargs):
        try:
            return original(script, *args, **kwargs)
        except Exception as exc:
            raise ProblemFailed(failure_message(exc, Path(script.src_py_file))) from exc
        finally:
            if script.run_vars is not None and script.run_vars.example_globals is not None:
                script.run_vars.example_globals.clear()  # the next script's gc.collect() frees cycles

    generate_file_md.notmnist_wrapped = True
    gen_single.generate_file_md = generate_file_md


def _saying_the_data(generate_gallery_md):
    """``generate_gallery_md`` that, once every problem has run, logs the data line they recorded."""

    def wrapped(*args, **kwargs):
        result = generate_gallery_md(*args, **kwargs)
        folder = os.environ.get("NOTMNIST_RESULTS_DIR")
        if folder:
            from notmnist.results import load

            data = load(Path(folder)).get("data")
            if data:
                logging.getLogger("mkdocs.plugins.notmnist").info(data["summary"])
        return result

    wrapped.notmnist_wrapped = True
    return wrapped


class QuietGallery(logging.Filter):
    """mkdocs-gallery's log, minus its closing recital of settings and the memory it never measured.

    The build already ends with "Documentation built"; the memory column is ``0.0 MB`` unless
    ``show_memory`` is set, which the site does not.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "successfully executed" in message and "subselected by" in message:
            return False
        if message.endswith(" 0.0 MB"):
            record.msg, record.args = message.removesuffix(" 0.0 MB").rstrip(), ()
        return True


def main(argv: list[str] | None = None) -> None:
    """Run ProperDocs with ``argv`` (``build --strict -f mkdocs.yml``, ``serve``, ``gh-deploy``).

    mkdocs-gallery imports MkDocs' no-op ``warning_filter`` when the plugin is loaded, before any
    hook runs, and ProperDocs prints that DeprecationWarning with its stack.  Here the gallery is
    imported first with that one notice silenced; every other warning shows as under
    ``properdocs`` itself.

    Parameters
    ----------
    argv : list of str, optional
        ProperDocs' arguments; default: the command line's.
    """
    from properdocs.__main__ import cli

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "warning_filter", DeprecationWarning)
        import mkdocs_gallery.mkdocs_compatibility  # noqa: F401

    cli(argv, prog_name="properdocs")


# --------------------------------------------------------------------------- Python 3.14 shim
# mkdocs-gallery 0.10.4 (its last release) reads a script's docstring with ``ast.Str`` and the
# constant's ``.s``, deprecated since Python 3.8, warning since 3.12, removed in 3.14, in one
# function: ``py_source_parser._get_docstring_and_rest``.  The shim replaces that function by the
# same logic on ``ast.Constant``; everything else the gallery does with ``ast`` works on 3.14.


def patch_python_314() -> None:
    """Replace ``py_source_parser._get_docstring_and_rest`` by a copy that uses ``ast.Constant``.

    Only for :data:`GALLERY_VERSION` (:func:`check_version` first); its callers look the function
    up as a module global, so replacing it there is enough.  Idempotent.
    """
    check_version()
    from mkdocs_gallery import py_source_parser

    if getattr(py_source_parser._get_docstring_and_rest, "notmnist_wrapped", False):
        return
    py_source_parser._get_docstring_and_rest = get_docstring_and_rest


def get_docstring_and_rest(file: Path):
    """mkdocs-gallery 0.10.4's ``_get_docstring_and_rest``, without the names Python 3.14 removed.

    Returns ``(docstring, rest, lineno, node)`` as the original does: the module docstring (with
    a leading newline if the string starts with one), the source after the docstring's last line,
    the number of the line after it, and the parsed module.
    """
    import tokenize
    from io import BytesIO

    from mkdocs_gallery.errors import ExtensionError
    from mkdocs_gallery.py_source_parser import SYNTAX_ERROR_DOCSTRING, parse_source_file

    node, content = parse_source_file(file)
    if node is None:
        return SYNTAX_ERROR_DOCSTRING, content, 1, node
    if not isinstance(node, ast.Module):
        raise ExtensionError(f"This function only supports modules. You provided {type(node).__name__}")
    first = node.body[0].value if node.body and isinstance(node.body[0], ast.Expr) else None
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        raise ExtensionError(
            f'Could not find docstring in file "{file}". A docstring is required by mkdocs-gallery '
            'unless the file is ignored by "ignore_pattern"'
        )
    docstring = ast.get_docstring(node)
    if first.value.startswith("\n"):
        docstring = "\n" + docstring
    lineno = 0
    for token in tokenize.tokenize(BytesIO(content.encode()).readline):
        if token.exact_type == tokenize.STRING:  # the first string ends the docstring
            lineno = token.end[0]
            break
    rest = "\n".join(content.split("\n")[lineno:])
    return docstring, rest, lineno + 1, node


get_docstring_and_rest.notmnist_wrapped = True


# --------------------------------------------------------------------------- end of the shim


def failure_message(exc: BaseException, script: Path) -> str:
    """``problem script problems/x.py failed at line N: Error: message``, and how to reproduce."""
    lineno = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        if Path(frame.f_code.co_filename) == script:
            lineno = line
    try:
        shown = script.relative_to(Path.cwd()).as_posix()
    except ValueError:
        shown = script.as_posix()
    at = f" at line {lineno}" if lineno else ""
    return (
        f"problem script {shown} failed{at}: {type(exc).__name__}: {exc}\n"
        f"(traceback above; reproduce with: python {shown})"
    )


def ignore_own_writes(server, ignored: Path) -> None:
    """Make ``mkdocs serve`` ignore changes under ``ignored`` and in ``__pycache__`` folders.

    mkdocs 1.6 has no public API for this: wrap the watchdog handlers it has registered, and those
    ``--watch`` adds later.  Raises :class:`GalleryChanged` if the server has no such handlers.
    """
    observer = getattr(server, "observer", None)
    if observer is None or not hasattr(observer, "_handlers") or not hasattr(observer, "schedule"):
        raise GalleryChanged("mkdocs serve's file watcher has changed; update docs/gallery.py")
    ignored = ignored.resolve()

    def wrap(callback):
        def on_any_event(event):
            path = Path(os.fsdecode(event.src_path)).resolve()
            if path.is_relative_to(ignored) or "__pycache__" in path.parts:
                return None
            return callback(event)

        return on_any_event

    for handlers in observer._handlers.values():
        for handler in handlers:
            handler.on_any_event = wrap(handler.on_any_event)
    schedule = observer.schedule

    def schedule_wrapped(handler, *args, **kwargs):
        handler.on_any_event = wrap(handler.on_any_event)
        return schedule(handler, *args, **kwargs)

    observer.schedule = schedule_wrapped


# --------------------------------------------------------------------------- page rewrites


def check(found: bool, what: str, where: str) -> None:
    """Raise :class:`GalleryChanged` naming ``what`` was not found in ``where``."""
    if not found:
        raise GalleryChanged(
            f"{where}: expected {what} from mkdocs-gallery {GALLERY_VERSION} but found none; "
            "docs/gallery.py must be updated for the installed mkdocs-gallery"
        )


def title_of(script: Path) -> str:
    """First line of a problem script's docstring ("Problem 5: overlap between ...")."""
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or script.stem
    return doc.strip().splitlines()[0].strip()


def problem_page(markdown: str, script: str, where: str) -> str:
    """Tidy a generated problem page (see the module docstring); ``script`` is ``problems/x.py``."""
    check(_OUTPUT_FENCE in markdown or "Out:" not in markdown, "printed-output fences", where)
    markdown = markdown.replace(_OUTPUT_FENCE, "```{.text .mkd-glr-script-out-disp }")
    markdown, notes = _NOTE.subn("", markdown, count=1)
    check(notes == 1, "the 'download the full example code' note", where)

    kinds = ("Python script", "Jupyter notebook")
    markdown = _buttons(markdown, _DOWNLOAD, "this problem as a {}", kinds, where)
    run = (
        "## Run it yourself\n\n"
        f"This page is the output of `{script}`, run when the site was built.  The script imports "
        "the workbook's own `notmnist` package, so run it from a clone of the workbook's "
        "repository: `make site` installs everything and rebuilds every page, and then "
        f"`.venv/bin/python {script}` runs this problem alone and prints the same results "
        "(figures open in windows, or are saved under `figures/` without a display).  It uses "
        "the data folder (`NOTMNIST_DATA_DIR`) and the data source (`NOTMNIST_SOURCE`) you "
        "set, so on another machine it may run on other data than this page.\n\n"
    )
    check(_LINKS_DIV in markdown, "the download links anchor", where)
    markdown = markdown.replace(_LINKS_DIV, run + _LINKS_DIV, 1)
    # mkdocs rewrites a Markdown image's src for the page's URL, but not its srcset, nor the src of
    # the raw <img> tags of a cell with several figures, all of which mkdocs-gallery writes for
    # directory URLs ("../images/..."): point them at the images beside the page.
    return _SRCSET.sub(lambda m: m[0].replace("../images/", "images/"), markdown)


def lightbox_hidpi(html: str, folder: Path) -> str:
    """Open figures in the lightbox at twice the resolution, where that file exists in ``folder``."""

    def bigger(match: re.Match) -> str:
        hidpi = match["stem"] + "_2_0x.png"
        return match[0].replace(match["stem"] + ".png", hidpi) if (folder / hidpi).exists() else match[0]

    return _LIGHTBOX_HREF.sub(bigger, html)


def gallery_index(markdown: str, where: str) -> str:
    """The problems' index page: the data it ran on first, and buttons that say 'problems'."""

    kinds = ("Python scripts", "Jupyter notebooks")
    markdown = _buttons(markdown, _DOWNLOAD_ALL, "all six problems as {}", kinds, where)

    def thumbnail(match: re.Match) -> str:
        # Raw HTML: mkdocs does not rewrite its links, and the gallery writes them for directory
        # URLs.  Link the page's file, and make the picture a link to it too (not a lightbox).
        page = f"{match['stem']}.html"
        img = match["img"].replace("<img ", '<img class="mkd-glr-thumb" ', 1)
        return f'<a href="{page}">{img}</a>{match["between"]}href="{page}"'

    markdown, thumbs = _THUMB.subn(thumbnail, markdown)
    check(thumbs > 0, "thumbnails", where)
    return _after_title(markdown, DATA_NOTE)


def execution_times(markdown: str, problems: Path, where: str) -> str:
    """Replace mkdocs-gallery's ASCII grid by a table: problem, time, share of the build."""
    rows = [
        (m["stem"], m["href"], 60 * int(m["min"]) + float(m["sec"])) for m in _TIME_ROW.finditer(markdown)
    ]
    check(bool(rows), "rows of computation times", where)
    total = sum(seconds for _, _, seconds in rows) or 1.0
    lines = [
        "# Execution times",
        "",
        DATA_NOTE.rstrip("\n"),
        "",
        "How long each problem script ran in the build that made these pages, and its share of",
        "the time all six took.  The package caches its expensive results (letters, splits,",
        "searches, model fits), so a rebuild on the same data and code takes less than the first",
        "build on a machine.",
        "",
        "| problem | time (s) | share of the build |",
        "|---|---:|---:|",
    ]
    for stem, href, seconds in sorted(rows):
        title = title_of(problems / f"{stem}.py")
        lines.append(f"| [{title}]({href}) | {seconds:.2f} | {100 * seconds / total:.0f} % |")
    lines.append(f"| **all six** | **{total:.2f}** | 100 % |")
    return "\n".join(lines) + "\n"


def _buttons(markdown: str, pattern: re.Pattern, label: str, kinds: tuple[str, str], where: str) -> str:
    """Rewrite the gallery's two download buttons: say what they hold, and download on click."""

    def button(match: re.Match) -> str:
        what = label.format(kinds[0] if match["what"].startswith("Python") else kinds[1])
        return (
            f"[:fontawesome-solid-download: Download {what}: {match['file']}]"
            f'({match["href"]}){{ .md-button .center download="{match["file"]}" }}'
        )

    markdown, buttons = pattern.subn(button, markdown)
    check(buttons == 2, f"two download buttons ({pattern.pattern[:40]}...)", where)
    return markdown


def _after_title(markdown: str, block: str) -> str:
    """Insert ``block`` after the page's first heading (setext or ATX), else at the top."""
    match = re.search(r"^(?:#[^\n]*\n|[^\n]+\n=+\n)", markdown, re.M)
    if match is None:
        return block + markdown
    return markdown[: match.end()] + "\n" + block + markdown[match.end() :]


# --------------------------------------------------------------------------- code links

_ATTR = re.compile(
    r'<span class="n">(?P<module>\w+)</span><span class="o">\.</span><span class="n">(?P<name>\w+)</span>'
)
_MODULE = re.compile(r'<span class="nn">(?P<module>notmnist(?:\.\w+)*)</span>')
_IMPORTED = re.compile(
    r'<span class="kn">import</span>(?P<names>(?:\s*<span class="n">\w+</span>'
    r'(?:<span class="p">,</span>)?)+)'
)


def reference_anchors(reference: Path) -> dict[str, str]:
    """Map every documented ``notmnist.x[.y]`` id to its page (``reference/x.html``) and anchor."""
    anchors: dict[str, str] = {}
    for page in sorted(reference.glob("*.html")):
        for ident in re.findall(r'id="(notmnist(?:\.\w+)+)"', page.read_text(encoding="utf-8")):
            anchors.setdefault(ident, f"{page.name}#{ident}")
        module = f"notmnist.{page.stem}"
        if page.stem != "index":
            anchors.setdefault(module, page.name)
    return anchors


def link_code(html: str, anchors: dict[str, str], to_reference: str) -> tuple[str, int]:
    """Link ``module.name`` and ``notmnist.module`` in highlighted code to the reference.

    ``module`` must be a ``notmnist`` submodule the code imported (``from notmnist import
    dataset``); only documented names (``anchors``) are linked.  ``to_reference`` is the relative
    URL of the reference folder from the page.  Returns the new HTML and the number of links.
    """
    imported = set()
    for match in _IMPORTED.finditer(html):
        imported.update(re.findall(r'<span class="n">(\w+)</span>', match["names"]))
    count = 0

    def link(ident: str, text: str) -> str:
        nonlocal count
        count += 1
        return f'<a class="notmnist-ref" href="{to_reference}{anchors[ident]}" title="{ident}">{text}</a>'

    def attr(match: re.Match) -> str:
        ident = f"notmnist.{match['module']}.{match['name']}"
        if match["module"] not in imported or ident not in anchors:
            return match[0]
        head = match[0][: match.start("name") - match.start(0) - len('<span class="n">')]
        return head + link(ident, f'<span class="n">{match["name"]}</span>')

    def module(match: re.Match) -> str:
        ident = match["module"]
        return link(ident, match[0]) if ident in anchors else match[0]

    html = _ATTR.sub(attr, html)
    html = _MODULE.sub(module, html)
    return html, count


# --------------------------------------------------------------------------- figures on phones

FIGURE_TEXT = ".text.json"
"""Suffix of the record written beside each figure: its width and every text's size, in points."""


def figure_text(fig) -> dict:
    """Width (inches) and the size in points of every text the figure draws, in drawing order.

    The texts are those the renderer draws (hidden ticks and empty labels are not), so a page's
    test can compute the smallest text a reader sees once the figure is scaled to the column.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

    drawn = []
    original = RendererAgg.draw_text

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if str(s).strip():
            drawn.append([str(s)[:40], round(float(prop.get_size_in_points()), 2)])
        return original(self, gc, x, y, s, prop, angle, ismath, mtext)

    RendererAgg.draw_text = draw_text
    try:
        FigureCanvasAgg(fig).draw() if not isinstance(fig.canvas, FigureCanvasAgg) else fig.canvas.draw()
    finally:
        RendererAgg.draw_text = original
    return {"width_in": round(float(fig.get_figwidth()), 3), "texts": drawn}


def _scraper(block, script, **kwargs):
    """mkdocs-gallery's matplotlib scraper, recording each figure's text sizes beside its PNG."""
    import json

    import matplotlib.pyplot as plt
    from mkdocs_gallery.scrapers import matplotlib_scraper

    records = [figure_text(plt.figure(num)) for num in plt.get_fignums()]
    done = len(script.run_vars.image_path_iterator)
    markdown = matplotlib_scraper(block, script, **kwargs)
    for path, record in zip(script.run_vars.image_path_iterator.paths[done:], records):
        Path(str(path) + FIGURE_TEXT).write_text(json.dumps(record), encoding="utf-8")
    return markdown


def _get_sg_image_scraper():
    """Named in mkdocs.yml (`image_scrapers: [gallery]`): mkdocs-gallery imports this module."""
    return _scraper


if __name__ == "__main__":
    main()
