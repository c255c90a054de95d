"""benchmarks/compare_sites.py: two builds of the same code compare equal, any other change shows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import compare_sites  # noqa: E402

TABLE = """\
training images  fit time (s)  test accuracy  sanitised test accuracy
             50  {:>12}          0.611                    0.621
          1,000  {:>12}          0.824                    0.820
         20,000  {:>12}          {}                    0.896
test sets: 1,000 images; sanitised: 821 images
"""


def site(folder: Path, fit_seconds: tuple[str, str, str], accuracy: str = "0.893") -> Path:
    """A two-file site whose problem 6 page (and its search entry) prints the learning-curve table."""
    table = TABLE.format(*fit_seconds, accuracy)
    page = folder / "generated" / "problems" / "plot_6_baseline.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<div class="highlight"><pre><code>{table}</code></pre></div>\n', encoding="utf-8")
    index = folder / "search" / "search_index.json"
    index.parent.mkdir(parents=True)
    location = "generated/problems/plot_6_baseline.html#the-learning-curve"
    entry = {"location": location, "title": "t", "text": table}
    index.write_text(json.dumps({"docs": [entry]}), encoding="utf-8")
    return folder


def test_problem_6_fit_times_are_masked(tmp_path, capsys):
    a = site(tmp_path / "a", ("0.04", "0.10", "2.30"))
    b = site(tmp_path / "b", ("0.05", "0.11", "12.75"))  # a wider number too: the columns shift
    assert compare_sites.main(a, b) == 0, capsys.readouterr().out


def test_the_table_s_other_columns_still_count(tmp_path, capsys):
    a = site(tmp_path / "a", ("0.04", "0.10", "2.30"))
    b = site(tmp_path / "b", ("0.04", "0.10", "2.30"), accuracy="0.894")
    assert compare_sites.main(a, b) == 1
    out = capsys.readouterr().out
    assert "differs: generated/problems/plot_6_baseline.html" in out
    assert "differs: search/search_index.json" in out


def _two_sites(tmp_path, page: str, a: str, b: str) -> tuple[Path, Path]:
    """Two otherwise identical sites whose ``page`` holds ``a`` and ``b``."""
    sites = []
    for name, text in (("a", a), ("b", b)):
        folder = site(tmp_path / name, ("0.04", "0.10", "2.30"))
        (folder / page).parent.mkdir(parents=True, exist_ok=True)
        (folder / page).write_text(text, encoding="utf-8")
        sites.append(folder)
    return sites[0], sites[1]


def test_build_times_are_masked_on_the_execution_times_page_only(tmp_path, capsys):
    """The execution times page's times and shares vary; the same kinds of number elsewhere are results."""
    times = "generated/problems/mg_execution_times.html"
    row = '<td style="text-align: right;">{}</td><td>{}</td><strong>{}</strong>'
    before, after = row.format("59.53", "75.6 %", "78.78"), row.format("61.2", "74.1 %", "80.1")
    a, b = _two_sites(tmp_path, times, before, after)
    assert compare_sites.main(a, b) == 0, capsys.readouterr().out
    for page, x, y in (
        ("data.html", "<td>0.177</td>", "<td>0.163</td>"),  # a result in a table
        ("generated/problems/plot_4_shuffled_splits.html", "same label: 9.9 %", "same label: 10.1 %"),
    ):
        a, b = _two_sites(tmp_path / page.replace("/", "_"), page, x, y)
        assert compare_sites.main(a, b) == 1
        assert f"differs: {page}" in capsys.readouterr().out
