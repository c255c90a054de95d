"""Helpers shared by the site tests (test_site.py, test_browser.py): build the site and read it.

``build_once`` copies mkdocs.yml, docs/ and problems/ to a folder and runs ``properdocs build
--strict`` there, on a small stand-in rendered into a data folder of its own; conftest.py's
``built_site`` fixture builds it once per test session.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted(p.stem for p in (ROOT / "problems").glob("plot_*.py"))
STANDIN_SCALE = "0.03"  # the smallest scale whose training split exceeds 5,000 images
BUILD_TIMEOUT = 900  # seconds; the build takes well under 3 minutes on 2 cores


class _MkDocsLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose ``!ENV [NAME, default]`` tags plain YAML does not know."""


def _env(loader: yaml.SafeLoader, node: yaml.Node):
    name, *default = loader.construct_sequence(node)
    return os.environ.get(name, default[-1] if default else None)


_MkDocsLoader.add_constructor("!ENV", _env)


def read_mkdocs_yml(path: Path) -> dict:
    """mkdocs.yml as a dict, ``!ENV`` tags resolved as mkdocs would."""
    return yaml.load(path.read_text(), Loader=_MkDocsLoader)


@dataclass
class Page:
    """What the tests need from one built HTML page."""

    path: Path
    text: str = ""  # the article's text
    outputs: list[str] = field(default_factory=list)  # printed output blocks, in order
    images: list[str] = field(default_factory=list)  # <img src> inside the article
    links: list[str] = field(default_factory=list)  # <a href> inside the article
    assets: list[str] = field(default_factory=list)  # <script src>, <link href>, <img src>: all
    tables: list[list[list[str]]] = field(default_factory=list)  # article tables: rows of cells

    @property
    def output(self) -> str:
        return "\n".join(self.outputs)


class _Parser(HTMLParser):
    """Collect article text, printed output blocks, images, links and asset URLs."""

    def __init__(self, page: Page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.depth = 0  # element depth inside <article>, 0 outside
        self.out_depth = 0  # element depth inside an output block, 0 outside
        self.text: list[str] = []
        self.out: list[str] = []
        self.cell: list[str] | None = None  # text of the table cell being read

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.page.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href") and attrs.get("rel") in ("stylesheet", "icon"):
            self.page.assets.append(attrs["href"])
        void = tag in ("img", "br", "hr", "input", "meta", "link", "source")
        if self.depth == 0 and tag == "article":
            self.depth = 1
            return
        if self.depth == 0:
            return
        if tag == "img":
            self.page.images.append(attrs.get("src", ""))
        if tag == "a" and attrs.get("href"):
            self.page.links.append(attrs["href"])
        if tag == "table":
            self.page.tables.append([])
        elif tag == "tr" and self.page.tables:
            self.page.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []
        if void:
            return
        self.depth += 1
        if self.out_depth:
            self.out_depth += 1
        elif "mkd-glr-script-out-disp" in (attrs.get("class") or ""):
            self.out_depth = 1
            self.out = []

    def handle_endtag(self, tag):
        if self.depth == 0 or tag in ("img", "br", "hr", "input", "meta", "link", "source"):
            return
        self.depth -= 1
        if tag in ("td", "th") and self.cell is not None and self.page.tables:
            self.page.tables[-1][-1].append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        if self.out_depth:
            self.out_depth -= 1
            if self.out_depth == 0:
                self.page.outputs.append("".join(self.out))

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)
        if self.out_depth:
            self.out.append(data)


def parse_page(path: Path) -> Page:
    """Parse a built HTML page."""
    page = Page(path)
    parser = _Parser(page)
    parser.feed(path.read_text(encoding="utf-8"))
    page.text = re.sub(r"\s+", " ", "".join(parser.text))
    return page


def copy_project(dest: Path, problems: dict[str, str] | None = None, index: str | None = None):
    """Copy mkdocs.yml, docs/ and problems/ to ``dest`` (without generated files).

    ``problems`` replaces the problem scripts by ``{file name: source}``; ``index`` replaces
    docs/index.md and drops the data page.
    """
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("generated", "__pycache__", "figures", "*.pyc")
    shutil.copytree(ROOT / "docs", dest / "docs", ignore=ignore)
    shutil.copytree(ROOT / "problems", dest / "problems", ignore=ignore)
    shutil.copy2(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    if problems is not None:
        for old in (dest / "problems").glob("plot_*.py"):
            old.unlink()
        for name, source in problems.items():
            (dest / "problems" / name).write_text(source)
    if index is not None:
        (dest / "docs" / "index.md").write_text(index)
        (dest / "docs" / "data.md").unlink()
        config = read_mkdocs_yml(dest / "mkdocs.yml")
        config["nav"] = [item for item in config["nav"] if "data.md" not in str(item)]
        (dest / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return dest


# The docs toolchain's own modules: a DeprecationWarning raised in one of them fails the test
# builds, so that what the next Python removes (Python 3.12 and 3.13 warn on exactly what 3.14
# removed from ``ast``) is seen here first.  The build runs as `make site` runs it, through
# docs/gallery.py, which silences the one known and harmless notice (mkdocs-gallery's import of
# ``mkdocs.utils.warning_filter``, a no-op that MkDocs 1.6.1 and ProperDocs 1.6.7 keep).
TOOLCHAIN_MODULES = (
    "properdocs|mkdocs|material|mkdocs_gallery|mkdocstrings|mkdocstrings_handlers|mkdocs_autorefs|"
    "mkdocs_glightbox|griffe|_griffe|pymdownx|markdown|jinja2|markupsafe|yaml|pygments|babel|"
    "backrefs|paginate|watchdog|pathspec|mergedeep|ghp_import|yaml_env_tag|gallery|hooks"
)
TOOLCHAIN_WARNINGS_AS_ERRORS = f"""
import sys, warnings
warnings.filterwarnings("error", category=DeprecationWarning, module=r"({TOOLCHAIN_MODULES})(\\..*)?$")
"""
STRICT_BUILD = (
    TOOLCHAIN_WARNINGS_AS_ERRORS
    + """
import runpy
runpy.run_path("docs/gallery.py", run_name="__main__")
"""
)


def mkdocs_build(project: Path, env: dict[str, str] | None = None, timeout: int = BUILD_TIMEOUT):
    """Run ``properdocs build --strict`` in ``project``, the toolchain's DeprecationWarnings errors.

    Returns the completed process.
    """
    full_env = dict(os.environ, MPLBACKEND="Agg", **(env or {}))
    full_env.pop("NOTMNIST_RESULTS_DIR", None)
    return subprocess.run(
        # -W: properdocs leaves the warning filters alone when any is given on the command line
        [sys.executable, "-W", "default::DeprecationWarning", "-c", STRICT_BUILD]
        + ["build", "--strict", "-f", "mkdocs.yml"],
        cwd=project,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class BuiltSite:
    """A site built from the project's own files on a small stand-in."""

    project: Path
    site: Path
    data_home: Path
    log: str

    def page(self, path: str) -> Page:
        """Parse the page at ``path`` in the site (``"index.html"``, ``"data.html"``, ...)."""
        return parse_page(self.site / path)

    def problem(self, stem: str) -> Page:
        return self.page(f"generated/problems/{stem}.html")

    @property
    def results(self) -> dict[str, dict]:
        folder = self.project / "docs" / "generated" / "results"
        return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


@functools.cache
def build_once(base: Path) -> BuiltSite | str:
    """Build the site into ``base`` once per process; a failure is remembered as its log."""
    project = copy_project(base / "project")
    data_home = base / "data"
    proc = mkdocs_build(
        project,
        env={
            "NOTMNIST_SOURCE": "standin",
            "NOTMNIST_DATA_DIR": str(data_home),
            "NOTMNIST_STANDIN_SCALE": STANDIN_SCALE,
        },
    )
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        return f"mkdocs build failed (exit {proc.returncode}):\n{log[-6000:]}"
    return BuiltSite(project, project / "site", data_home, log)
