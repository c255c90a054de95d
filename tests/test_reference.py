"""The package reference: rendered from docstrings in one markup, cross-references real links.

The site tests build the site once per session (``built_site``); these read its reference pages.
The docstring checks at the end read the package's source and need no build.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRIVATE = ("_tarstream", "_decode", "_workers", "_sidefile", "_io", "_png", "_imports", "_random_designs")
RAW_MARKUP = {
    "Sphinx role": re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj):"),
    "tilde role target": re.compile(r"~(?:notmnist|pooch|numpy|matplotlib|sklearn)\."),
    "RST table rule": re.compile(r"(?m)^\s*={4,}(?:\s+={4,})*\s*$"),
    "double backticks": re.compile(r"(?<!`)``(?!`)"),
    "RST literal block": re.compile(r"\w::(?:\s|$)"),
}


def reference_pages(built_site) -> list[Path]:
    pages = sorted((built_site.site / "reference").glob("*.html"))
    assert len(pages) > 10
    return pages


def article(path: Path) -> str:
    """The HTML of a page's article (what the docstrings became)."""
    html = path.read_text(encoding="utf-8")
    return html[html.index("<article") : html.index("</article>")]


@pytest.mark.slow
def test_reference_shows_no_raw_markup(built_site):
    """No reference page shows RST roles, table rules, double backticks or literal-block markers."""
    from sitebuild import parse_page

    found = []
    for path in reference_pages(built_site):
        text = parse_page(path).text
        lines = re.sub(r"<[^>]+>", "", article(path))  # keeps line breaks, for the table rules
        for what, pattern in RAW_MARKUP.items():
            for match in pattern.finditer(lines if what == "RST table rule" else text):
                found.append(f"{path.name}: {what}: {match[0]!r}")
    assert found == []


@pytest.mark.slow
def test_reference_names_no_private_module(built_site):
    """The reference documents the public API: no private module or helper is named."""
    from sitebuild import parse_page

    for path in reference_pages(built_site):
        text = parse_page(path).text
        named = sorted({m[0] for m in re.finditer(rf"\b(?:{'|'.join(PRIVATE)})\b", text)})
        assert named == [], f"{path.name} names {named}"


@pytest.mark.slow
def test_reference_names_are_links(built_site):
    """Every fully qualified ``notmnist.*`` name the reference documents is a link where it is named."""
    ids = set()
    for path in reference_pages(built_site):
        ids.update(re.findall(r'id="(notmnist(?:\.\w+)+)"', path.read_text(encoding="utf-8")))
    assert "notmnist.duplicates.DEFAULT_THRESHOLD" in ids  # used by problem 5: documented
    assert "notmnist.errors.ConfigError" in ids
    unlinked, links = [], 0
    for path in reference_pages(built_site):
        html = re.sub(r"<h1.*?</h1>", "", article(path), flags=re.S)  # the page's own title
        for match in re.finditer(r"(<a [^>]*>)?<code>(notmnist(?:\.\w+)+)(?:\(\))?</code>", html):
            if match[2] in ids:
                if match[1] is None:
                    unlinked.append(f"{path.name}: {match[2]}")
                else:
                    links += 1
        links += html.count("autorefs-internal")
    assert unlinked == []
    assert links > 50


def _public_functions():
    """(where, name, arguments, docstring) of every public function and method of the package."""
    for path in sorted((ROOT / "notmnist").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if any(p.startswith("_") and p != "__init__" for p in parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        todo = [(tree.body, "")]
        while todo:
            body, prefix = todo.pop()
            for node in body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    todo.append((node.body, f"{prefix}{node.name}."))
                elif isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                    if any(getattr(d, "id", "") == "property" for d in node.decorator_list):
                        continue
                    a = node.args
                    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
                    names = [x for x in names if x not in ("self", "cls")]
                    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    yield where, prefix + node.name, names, ast.get_docstring(node) or ""


def test_public_functions_document_their_parameters():
    """Every public function with arguments has a numpydoc Parameters section naming each one."""
    problems = []
    for where, name, args, doc in _public_functions():
        if not args:
            continue
        if "Parameters\n----------" not in doc:
            problems.append(f"{where} {name}: no Parameters section")
            continue
        section = re.split(r"\n\w[\w ]*\n-+\n", doc.split("Parameters\n----------", 1)[1])[0]
        described = set()
        for line in section.splitlines():
            if line and not line[0].isspace():  # "name : type" or "a, b : type" (numpydoc)
                described.update(n.strip().lstrip("*") for n in line.split(" : ")[0].split(","))
        problems += [f"{where} {name}: parameter {arg} not described" for arg in args if arg not in described]
    assert problems == [], "\n".join(problems)


def test_docstrings_use_one_markup():
    """Docstrings are Markdown for mkdocstrings: no RST roles, double backticks or literal blocks."""
    found = []
    for path in sorted((ROOT / "notmnist").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                if not isinstance(node.value.value, str):
                    continue
                for what, pattern in RAW_MARKUP.items():
                    if pattern.search(node.value.value):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {what}")
    assert found == [], "\n".join(found)


# --------------------------------------------------------------------------- what the site publishes

GALLERY_LEFTOVERS = ("broken_stamp.svg", "binder_badge_logo.svg", "broken_example.png", "no_image.png",
                     "sg_gallery-binder.css", "sg_gallery-dataframe.css", "sg_gallery-rendered-html.css")


@pytest.mark.slow
def test_site_ships_no_gallery_leftovers(built_site):
    """mkdocs-gallery's files for unused features are neither published nor linked from a page."""
    published = sorted(p.name for p in built_site.site.rglob("*") if p.name in GALLERY_LEFTOVERS)
    assert published == []
    assert list(built_site.site.rglob("*.text.json")) == []  # the figures' text records: build state
    for page in built_site.site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not [name for name in GALLERY_LEFTOVERS if name in text], page


def test_repository_link_is_set_at_build_time(monkeypatch):
    """NOTMNIST_REPO_URL sets repo_url (unset: no link), drawn without material's GitHub API call."""
    from sitebuild import read_mkdocs_yml

    monkeypatch.delenv("NOTMNIST_REPO_URL", raising=False)
    assert not read_mkdocs_yml(ROOT / "mkdocs.yml")["repo_url"]
    monkeypatch.setenv("NOTMNIST_REPO_URL", "https://example.org/workbook")
    config = read_mkdocs_yml(ROOT / "mkdocs.yml")
    assert config["repo_url"] == "https://example.org/workbook"
    template = ROOT / config["theme"]["custom_dir"] / "partials" / "source.html"
    assert "config.repo_url" in template.read_text()
    assert 'data-md-component="source"' not in template.read_text()  # would fetch api.github.com
