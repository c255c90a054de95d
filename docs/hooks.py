"""MkDocs hooks of the notMNIST workbook: they wire mkdocs to the package, and compute nothing.

What a build does, in order (``mkdocs build`` and every rebuild of ``mkdocs serve``)::

    on_config        empty docs/generated/results/ and point NOTMNIST_RESULTS_DIR at it; forget
                     imported ``notmnist`` modules, so the scripts run the package as it is now;
                     check the gallery settings that keep results fresh; patch mkdocs-gallery
                     (docs/gallery.py: pinned version checked, failing script named in one line)
    on_pre_build     (mkdocs-gallery) run every problems/plot_*.py; each prints its results and
                     calls notmnist.results.record(...) -> docs/generated/results/<page>.json
    on_page_markdown tidy the gallery's pages for readers (docs/gallery.py); keep the text marked
                     ``<!-- standin -->`` or ``<!-- real -->`` only on a build of that data; fill
                     ``{{ results.<page>.<key>[:spec] }}`` and the data page's ``{{ data.* }}``
                     blocks (notmnist.results, notmnist.fidelity); check that every problem page
                     names the data it ran on; name that data in every page's footer
    on_post_build    link the package's names in the problems' code to the reference

Never stale: mkdocs-gallery would skip a script whose md5 it has seen, although its results also
depend on the ``notmnist`` package and the data.  ``run_stale_examples: true`` (checked here)
makes it run every script on every build, and ``abort_on_example_error: true`` stops the build at
the first failing script; re-running is cheap because the package caches its own work, keyed by
the data and the code.  The results folder is emptied before the scripts run, so a placeholder
can only be filled by a script of the same build.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import gallery  # docs/gallery.py: mkdocs puts this folder on sys.path while it loads hooks
from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.plugins.notmnist")

RESULTS_SUBDIR = Path("generated") / "results"  # inside docs_dir

# mkdocs-gallery's static files for what the site does not use: binder badges, pandas tables,
# HTML reprs (capture_repr is empty), and the pictures of failed or figure-less examples (a
# failing problem stops the build; every problem draws a figure).
GALLERY_UNUSED = frozenset({
    "binder_badge_logo.svg",
    "broken_stamp.svg",
    "broken_example.png",
    "no_image.png",
    "sg_gallery-binder.css",
    "sg_gallery-dataframe.css",
    "sg_gallery-rendered-html.css",
})
FIGURE_TEXT = gallery.FIGURE_TEXT
# Search ranks the problem pages, the lessons, above a page that only mentions a word, and the
# reference (found by its headings, which weigh a thousand times more than text) below both.
PROBLEM_BOOST = 2.0
REFERENCE_BOOST = 0.5
# Text kept only on a build of that source: <!-- standin --> ... <!-- /standin -->, same for real.
ONLY = re.compile(r"<!-- (?P<kind>standin|real) -->(?P<text>.*?)<!-- /(?P=kind) -->", re.S)

_state: dict[str, Any] = {"results_dir": None, "results": None}


def on_config(config):
    """Fresh results folder, fresh package imports, gallery settings that keep pages fresh."""
    folder = Path(config["docs_dir"]) / RESULTS_SUBDIR
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    os.environ["NOTMNIST_RESULTS_DIR"] = str(folder)
    _state.update(results_dir=folder, results=None)

    for name in [m for m in sys.modules if m == "notmnist" or m.startswith("notmnist.")]:
        del sys.modules[name]

    # Matplotlib's Agg backend warns on plt.show(); the gallery collects figures itself.
    warnings.filterwarnings("ignore", message=".*non-interactive, and thus cannot be shown")
    # A warning a problem prints is shown on its page: without the build machine's file path.
    warnings.formatwarning = _formatwarning

    plugin = config["plugins"].get("gallery")
    if plugin is None:
        raise PluginError("mkdocs.yml: the 'gallery' plugin (mkdocs-gallery) is not configured")
    for option in ("run_stale_examples", "abort_on_example_error"):
        if not plugin.config.get(option):
            raise PluginError(
                f"mkdocs.yml: the gallery plugin needs '{option}: true' (see docs/hooks.py: "
                "without it a rebuild can show stale results or hide a failing problem)"
            )
    try:
        gallery.patch()
    except gallery.GalleryChanged as exc:
        raise PluginError(str(exc)) from exc
    return config


def _formatwarning(message, category, filename, lineno, line=None) -> str:
    """``Category: message``, without the file and line of the machine that built the site."""
    return f"{category.__name__}: {message}\n"


def on_files(files, config):
    """Keep out of the site what no page uses: the results JSON (build state), the figures'
    text-size records, and mkdocs-gallery's static files for features the site does not use."""
    prefix = RESULTS_SUBDIR.as_posix() + "/"
    for file in [f for f in files if f.src_uri.startswith(prefix) or f.src_uri.endswith(FIGURE_TEXT)]:
        files.remove(file)
    for file in [f for f in files if f.src_uri in GALLERY_UNUSED]:
        files.remove(file)
    return files


def on_pre_build(config):
    """mkdocs-gallery links its binder, dataframe and HTML-repr styles into every page: unused here."""
    config["extra_css"] = [css for css in config["extra_css"] if css not in GALLERY_UNUSED]


def on_serve(server, config, builder):
    """Ignore files the build writes itself (docs/generated, __pycache__) when serving."""
    try:
        gallery.ignore_own_writes(server, Path(config["docs_dir"]) / "generated")
    except gallery.GalleryChanged as exc:
        raise PluginError(str(exc)) from exc
    return server


# --------------------------------------------------------------------------- pages


def _results() -> dict[str, dict[str, Any]]:
    if _state["results"] is None:
        from notmnist.results import load

        _state["results"] = load(_state["results_dir"]) if _state["results_dir"] else {}
    return _state["results"]


def on_page_markdown(markdown, page, config, files):
    """Tidy gallery pages, fill placeholders and data blocks, name the data in the footer."""
    from notmnist import results

    where = page.file.src_uri
    try:
        if re.fullmatch(r"generated/problems/plot_[^/]*\.md", where):
            _check_shows_data(markdown, where)
            markdown = gallery.problem_page(markdown, f"problems/{Path(where).stem}.py", where)
            if config.get("repo_url"):  # NOTMNIST_REPO_URL: "Run it yourself" links the repository
                markdown = markdown.replace(
                    "the workbook's repository", f"[the workbook's repository]({config['repo_url']})", 1
                )
            page.meta.setdefault("search", {}).setdefault("boost", PROBLEM_BOOST)
            markdown = warnings_as_admonitions(markdown)
        elif where == "generated/problems/index.md":
            markdown = gallery.gallery_index(markdown, where)
        elif where == "reference/index.md":
            markdown = _modules_in_import_order(markdown, where)
        elif where == "generated/problems/mg_execution_times.md":
            problems = Path(config["config_file_path"]).parent / "problems"
            markdown = gallery.execution_times(markdown, problems, where)
    except gallery.GalleryChanged as exc:
        raise PluginError(str(exc)) from exc
    if where.startswith("reference/"):
        page.meta.setdefault("search", {}).setdefault("boost", REFERENCE_BOOST)
    summary = _results().get("data", {}).get("summary")
    if summary:  # every page's footer, reference and 404 pages included
        config["copyright"] = f"This build ran on: {summary.removeprefix('Data: ')}"
    if ONLY.search(markdown):
        markdown = only_for(markdown, _provenance(where).get("source"))
    if "{{" not in markdown:
        return markdown
    try:
        return results.fill(markdown, _results(), where, data=lambda name: _block(name, where))
    except results.PlaceholderError as exc:
        raise PluginError(str(exc)) from exc


def only_for(markdown: str, source: str) -> str:
    """Keep the text marked ``<!-- standin -->`` or ``<!-- real -->`` only on a build of that source."""
    return ONLY.sub(lambda m: m["text"] if m["kind"] == source else "", markdown)


_OUTPUT = re.compile(
    r"(?P<label>Out:\n\{: \.mkd-glr-script-out \}\n\n)(?P<fence>```\{\.text \.mkd-glr-script-out-disp \}\n)"
    r"(?P<body>.*?)(?P<end>^```)",
    re.S | re.M,
)
_WARNING_LINE = re.compile(r"^(?P<category>[A-Z]\w*Warning): (?P<message>.*)\n?", re.M)


def warnings_as_admonitions(markdown: str) -> str:
    """A warning a problem printed (``UserWarning: ...``) becomes an admonition above its output.

    The terminal keeps the Python warning; a reader of the page sees a box, not a log line.  An
    output block that held nothing but warnings is dropped.
    """

    def code(text: str) -> str:  # names with underscores, as code: Markdown would read _..._ as emphasis
        return re.sub(r"[^\s;,()']*_[^\s;,()']*", lambda m: f"`{m[0]}`", text)

    def block(match: re.Match) -> str:
        found = list(_WARNING_LINE.finditer(match["body"]))
        if not found:
            return match[0]
        texts = [code(w["message"].strip()) for w in found]
        boxes = "".join(f'!!! warning "Warning"\n\n    {t[:1].upper() + t[1:]}\n\n' for t in texts)
        body = _WARNING_LINE.sub("", match["body"])
        if not body.strip():
            return boxes
        return boxes + match["label"] + match["fence"] + body + match["end"]

    return _OUTPUT.sub(block, markdown)


def on_post_build(config):
    """Link the package's names in the problems' code to the reference; sharp lightbox figures."""
    site = Path(config["site_dir"])
    anchors = gallery.reference_anchors(site / "reference")
    if not anchors:
        raise PluginError("the package reference (site/reference/*.html) documents no notmnist names")
    linked = 0
    for page in sorted((site / "generated" / "problems").glob("plot_*.html")):
        html, count = gallery.link_code(page.read_text(encoding="utf-8"), anchors, "../../reference/")
        page.write_text(gallery.lightbox_hidpi(html, page.parent), encoding="utf-8")
        linked += count
    if linked == 0:
        raise PluginError("no name in the problems' code was linked to the package reference")
    log.info(f"linked {linked} names in the problems' code to the package reference")
    not_found = site / "404.html"
    if not_found.exists() and not config.get("site_url"):
        not_found.write_text(root_relative_404(not_found.read_text(encoding="utf-8")), encoding="utf-8")


_ROOT_URL = re.compile(r'(?P<attr>\b(?:href|src)=")/(?!/)')
# Before anything else in <head>: a <base> at the site's root.  From disk the page is opened where it
# lies, at the root; over HTTP the root is the longest prefix of the address that holds the site's
# own stylesheet.
_FIND_ROOT = """<script>(function(){
if(location.protocol==="file:"){document.write('<base href="./">');return;}
var p=location.pathname.split("/").slice(0,-1);
for(var n=p.length;n>0;n--){var b=p.slice(0,n).join("/")+"/";var r=new XMLHttpRequest();
try{r.open("HEAD",b+"assets/extra.css",false);r.send();}catch(e){continue;}
if(r.status===200){document.write('<base href="'+b+'">');return;}}
document.write('<base href="/">');})();</script>"""
# Right after material's configuration, before its bundle reads it: the bundle resolves the site's
# base and the search worker against the address, not the <base>, so both become absolute here.
_ABSOLUTE_CONFIG = """<script>(function(){
var c=document.getElementById("__config"),j=JSON.parse(c.textContent);
j.base=document.baseURI;j.search=new URL(j.search,document.baseURI).href;c.textContent=JSON.stringify(j);
})();</script>"""
_CONFIG = re.compile(r'<script id="__config" type="application/json">.*?</script>', re.S)


def root_relative_404(html: str) -> str:
    """The 404 page, working wherever the site is published (no ``site_url`` given).

    A server shows 404.html at any missing address, at any depth, so its links cannot be relative
    to the page; mkdocs makes them root-absolute, which breaks under a sub-path
    (``https://host/workbook/``).  Instead they are made relative to a ``<base>`` that a short
    inline script sets first: the longest prefix of the address under which the site's own
    stylesheet exists (same-origin requests only), or the page's own folder when it is opened
    from disk.  Material's configuration (the site's base, the search worker) is made absolute
    against that ``<base>`` before material reads it.
    """
    html = _ROOT_URL.sub(lambda m: m["attr"], html)
    html = html.replace('__md_scope=new URL("/",location)', '__md_scope=new URL(".",document.baseURI)')
    html = html.replace('"base": "/"', '"base": "."').replace('"search": "/', '"search": "')
    html, configs = _CONFIG.subn(lambda m: m[0] + "\n" + _ABSOLUTE_CONFIG, html, count=1)
    if not configs:
        raise PluginError("404.html: no material configuration (<script id=\"__config\">) to make absolute")
    return html.replace("<head>", "<head>\n" + _FIND_ROOT, 1)


def _check_shows_data(markdown: str, where: str) -> None:
    """A problem page must say which data it ran on: name an archive by its SHA-256 prefix."""
    prefixes = [a["sha256"][:12] for a in _provenance(where).get("archives", [])]
    if not any(prefix in markdown for prefix in prefixes):
        log.warning(
            f"{where} does not show which data it ran on (no archive SHA-256 prefix "
            f"{' or '.join(prefixes)} in its output): print the provenance summary, "
            "e.g. print(splits.provenance.summary())"
        )


_MODULE_ROW = re.compile(r"^\| \[`notmnist\.(?P<name>\w+)`\].*\|$", re.M)


def _modules_in_import_order(markdown: str, where: str) -> str:
    """Order the reference index's module rows so that none imports a later one (as its text says).

    The imports are read from the source by :func:`notmnist._imports.package_imports`, function
    bodies included; a module not in the table (``_io``, ...) passes its imports on to its
    importers.  Among modules free to go first, the table's written order wins.
    """
    import notmnist
    from notmnist._imports import package_imports

    rows = {m["name"]: m[0] for m in _MODULE_ROW.finditer(markdown)}
    package = Path(notmnist.__file__).parent

    def module(path: Path) -> str:  # notmnist/duplicates/near.py -> duplicates
        return path.relative_to(package).with_suffix("").parts[0]

    direct: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        direct.setdefault(module(path), set()).update(module(p) for p in package_imports(path))

    def needs(name: str, seen: set[str]) -> set[str]:  # the listed modules ``name`` imports, at any depth
        out = set()
        for other in direct.get(name, ()) - seen - {name}:
            seen.add(other)
            out |= {other} if other in rows else needs(other, seen)
        return out

    waiting = {name: needs(name, {name}) for name in rows}
    order = []
    while waiting:
        ready = [name for name in rows if name in waiting and not waiting[name] - set(order)]
        if not ready:
            raise PluginError(f"{where}: these modules import each other in a cycle: {sorted(waiting)}")
        order.append(ready[0])
        del waiting[ready[0]]
    table = "\n".join(rows[name] for name in order)
    first, last = (m := list(_MODULE_ROW.finditer(markdown)))[0].start(), m[-1].end()
    if markdown[first:last].count("\n") != len(rows) - 1:
        raise PluginError(f"{where}: the module table must be one row per module, with nothing between rows")
    return markdown[:first] + table + markdown[last:]


# --------------------------------------------------------------------------- the data page


def _provenance(where: str) -> dict[str, Any]:
    """The provenance the problems recorded (``results.record("data", provenance=...)``)."""
    data = _results().get("data", {})
    if "provenance" not in data:
        raise PluginError(
            f"{where}: the problems recorded no provenance of their data; a problem script must "
            "call notmnist.results.record('data', provenance=splits.provenance.to_dict(), ...)"
        )
    return data["provenance"]


def _block(name: str, where: str) -> str:
    """The Markdown of the data page's ``{{ data.<name> }}`` block."""
    from notmnist import fidelity, results

    prov = _provenance(where)
    if name == "source":
        return "the real notMNIST archives" if prov.get("source") == "real" else "the offline stand-in"
    if name == "provenance":
        return results.provenance_markdown(prov)
    if name == "fidelity":
        return fidelity.markdown(prov)
    raise PluginError(f"{where}: unknown block {{{{ data.{name} }}}} (known: source, provenance, fidelity)")
