"""Compare two built sites (e.g. ``mkdocs build`` against ``properdocs build``), minus build times.

Usage::

    .venv/bin/python benchmarks/compare_sites.py SITE_A SITE_B

Prints the pages, figures and other files only one site has, the files that differ once what
varies from build to build is masked (the generator's name, script and page build times, the
execution times page's times and shares, problem 6's fit times, the timestamps inside the download
zips), the search index entries that differ, and the links of each site that point at no file.
Exits 1 if anything but those masked parts differs.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

MASKS = [
    (re.compile(r'<meta name="generator" content="[^"]*">'), '<meta name="generator" content="X">'),
    (re.compile(r"\( \d+ minutes\s+[\d.]+ seconds\)"), "( TIME )"),
    (re.compile(r"[\d.]+ s\b"), "TIME s"),  # seconds printed by the scripts (fit times etc.)
    # problem 6's learning-curve table: its "fit time (s)" column only, the other columns kept
    (re.compile(r"(training images +fit time \(s\).*\n)((?: *[\d,]+ +[\d.]+ +[\d.]+ +[\d.]+\n)+)"),
     lambda m: m[1] + re.sub(r"(?m)^( *[\d,]+) +[\d.]+", r"\1  TIME", m[2])),
]
TIMES_PAGE = "mg_execution_times.html"
TIMES_PAGE_MASKS = [  # on the execution times page only: elsewhere these numbers are results
    (re.compile(r"<td[^>]*>\s*[\d.]+\s*</td>"), "<td>TIME</td>"),  # each script's time
    (re.compile(r"\*\*[\d.]+\*\*|<strong>[\d.]+</strong>"), "TIME"),  # the total
    (re.compile(r"[\d.]+ %"), "SHARE"),  # each script's share of the build
]


def normalised(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    for pattern, repl in MASKS + (TIMES_PAGE_MASKS if path.name == TIMES_PAGE else []):
        text = pattern.sub(repl, text)
    return text


def zip_listing(path: Path) -> list[tuple[str, int]]:
    with zipfile.ZipFile(path) as z:
        return sorted((i.filename, i.CRC) for i in z.infolist())


def search_docs(path: Path) -> dict[str, str]:
    """The search index's entries, location -> masked title and text."""
    text = path.read_text(encoding="utf-8")
    index = json.loads(text[text.index("{") : text.rindex("}") + 1])
    docs = {}
    for d in index["docs"]:
        entry = d["title"] + "\n" + d["text"]
        for pattern, repl in MASKS:
            entry = pattern.sub(repl, entry)
        if "mg_execution_times" in d["location"]:  # a table of build times
            entry = re.sub(r"\d+(?:\.\d+)?", "N", entry)
        docs[d["location"]] = entry
    return docs


def links(site: Path) -> list[str]:
    broken = []
    for page in site.rglob("*.html"):
        if page.name == "404.html":  # root-absolute links by design: it is served at any depth
            continue
        for href in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            url = urlsplit(href)
            if url.scheme or href.startswith(("#", "mailto:", "data:", "//")) or not url.path:
                continue
            target = (page.parent / unquote(url.path)).resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
    return broken


def main(a: Path, b: Path) -> int:
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    different = 0
    for name, only in ((a, files_a - files_b), (b, files_b - files_a)):
        for path in sorted(only):
            print(f"only in {name}: {path}")
            different += 1
    masked = 0
    for rel in sorted(files_a & files_b):
        pa, pb = a / rel, b / rel
        if pa.read_bytes() == pb.read_bytes():
            continue
        if rel.name in ("search_index.json", "search_index.js"):
            same = search_docs(pa) == search_docs(pb)
        elif rel.suffix == ".zip":
            same = zip_listing(pa) == zip_listing(pb)
        elif rel.suffix in (".html", ".json", ".js", ".md", ".txt", ".xml"):
            same = normalised(pa) == normalised(pb)
        else:
            same = False
        if same:
            masked += 1
            continue
        different += 1
        print(f"differs: {rel}")
        if rel.name.startswith("search_index"):
            da, db = search_docs(pa), search_docs(pb)
            for loc in sorted(set(da) | set(db)):
                if da.get(loc) != db.get(loc):
                    print(f"    search entry {loc}: {da.get(loc, '')[:90]!r} / {db.get(loc, '')[:90]!r}")
        elif rel.suffix in (".html", ".json", ".js"):
            diff = difflib.unified_diff(
                normalised(pa).splitlines(), normalised(pb).splitlines(), lineterm="", n=0
            )
            for line in list(diff)[2:20]:
                print(f"    {line[:200]}")
    index = "search/search_index.json"
    docs_a = {d["location"]: d for d in json.loads((a / index).read_text())["docs"]}
    docs_b = {d["location"]: d for d in json.loads((b / index).read_text())["docs"]}
    pages = sorted(p for p in files_a if p.suffix == ".html")
    figures = sorted(p for p in files_a if p.suffix in (".png", ".svg"))
    print(
        f"{len(files_a)} / {len(files_b)} files, {len(pages)} pages, {len(figures)} figures; "
        f"search index: {len(docs_a)} / {len(docs_b)} entries, "
        f"same locations: {docs_a.keys() == docs_b.keys()}"
    )
    print(f"identical once build times are masked: {masked} files; differing otherwise: {different}")
    for name in (a, b):
        broken = links(name)
        print(f"links to no file in {name}: {len(broken)}")
        for line in broken[:10]:
            print(f"    {line}")
    return 1 if different else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
