"""Tests of docs/gallery.py: the pinned version, the patches, and the page rewrites."""

# ruff: noqa: E501  (the sample pages keep mkdocs-gallery's long lines as it writes them)

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "docs" / "gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gp = _load()

# What mkdocs-gallery 0.10.4 writes for a problem page (abridged, same markup).
PROBLEM_MD = """
!!! note

    Click [here](#download_links)
    to download the full example code


Problem 9: a title
==================

The introduction.

```{.python }
print(1)
```

Out:
{: .mkd-glr-script-out }

```{.shell .mkd-glr-script-out-disp }
1
```

![A figure](./images/mkd_glr_plot_9_x_001.png){: .mkd-glr-single-img srcset="../images/mkd_glr_plot_9_x_001.png, ../images/mkd_glr_plot_9_x_001_2_0x.png 2.0x"}

<div id="download_links"></div>



[:fontawesome-solid-download: Download Python source code: plot_9_x.py](./plot_9_x.py){ .md-button .center}

[:fontawesome-solid-download: Download Jupyter notebook: plot_9_x.ipynb](./plot_9_x.ipynb){ .md-button .center}
"""

TIMES_MD = """
# Computation times

**00:03.000** total execution time for **generated_problems** files:

+------------------------------------------------------------------------+-----------+--------+
| [plot_2_b](./plot_2_b.md) (problems/plot_2_b.py)                       | 00:01.000 | 0.0 MB |
+------------------------------------------------------------------------+-----------+--------+
| [plot_1_a](./plot_1_a.md) (problems/plot_1_a.py)                       | 00:02.000 | 0.0 MB |
+------------------------------------------------------------------------+-----------+--------+
"""


def test_problem_page_puts_the_introduction_first_and_says_how_to_run_it():
    """The download note goes, output is plain text, a 'Run it yourself' section names the script."""
    md = gp.problem_page(PROBLEM_MD, "problems/plot_9_x.py", "x.md")
    assert "Click [here]" not in md
    assert md.lstrip().startswith("Problem 9: a title")
    assert "```{.text .mkd-glr-script-out-disp }" in md and ".shell" not in md
    run = md.index("## Run it yourself")
    assert run < md.index('<div id="download_links">')
    assert ".venv/bin/python problems/plot_9_x.py" in md[run:]


def test_problem_page_buttons_download_and_say_problem():
    """Download buttons carry a download attribute and say 'problem', not 'example'."""
    md = gp.problem_page(PROBLEM_MD, "problems/plot_9_x.py", "x.md")
    assert 'download="plot_9_x.py"' in md and 'download="plot_9_x.ipynb"' in md
    assert "Download this problem as a Python script" in md
    assert "example" not in md.lower()


def test_problem_page_srcset_points_beside_the_page():
    """The HiDPI srcset names the images folder beside the page, as the src does."""
    md = gp.problem_page(PROBLEM_MD, "problems/plot_9_x.py", "x.md")
    assert "../images/" not in md
    assert 'srcset="images/mkd_glr_plot_9_x_001.png, images/mkd_glr_plot_9_x_001_2_0x.png 2.0x"' in md


def test_unrecognised_gallery_output_fails_loudly():
    """A page without the markup of the pinned gallery version raises, naming the page."""
    with pytest.raises(gp.GalleryChanged, match="x.md: expected"):
        gp.problem_page("# Just a page\n", "problems/plot_9_x.py", "x.md")
    with pytest.raises(gp.GalleryChanged, match="rows of computation times"):
        gp.execution_times("# Computation times\n", ROOT / "problems", "t.md")


def test_execution_times_become_a_table_in_problem_order(tmp_path):
    """The ASCII grid becomes problem / time / share rows in problem order, titled by docstring."""
    for stem, title in (("plot_1_a", "Problem 1: first"), ("plot_2_b", "Problem 2: second")):
        (tmp_path / f"{stem}.py").write_text(f'"""\n{title}\n=====\n\nText.\n"""\n')
    md = gp.execution_times(TIMES_MD, tmp_path, "t.md")
    rows = [line for line in md.splitlines() if line.startswith("| [")]
    assert rows == [
        "| [Problem 1: first](./plot_1_a.md) | 2.00 | 67 % |",
        "| [Problem 2: second](./plot_2_b.md) | 1.00 | 33 % |",
    ]
    assert "| **all six** | **3.00** | 100 % |" in md
    assert "{{ results.data.summary }}" in md and "MB" not in md


HTML = (
    '<span class="kn">from</span> <span class="nn">notmnist</span> <span class="kn">import</span> '
    '<span class="n">dataset</span><span class="p">,</span> <span class="n">plots</span>\n'
    '<span class="n">dataset</span><span class="o">.</span><span class="n">load_splits</span>\n'
    '<span class="n">dataset</span><span class="o">.</span><span class="n">_private</span>\n'
    '<span class="n">np</span><span class="o">.</span><span class="n">load_splits</span>\n'
)


def test_link_code_links_documented_names_of_imported_modules():
    """Only documented names reached through an imported notmnist module become links."""
    anchors = {
        "notmnist": "index.html",
        "notmnist.dataset": "dataset.html",
        "notmnist.dataset.load_splits": "dataset.html#notmnist.dataset.load_splits",
    }
    html, count = gp.link_code(HTML, anchors, "../../reference/")
    assert count == 2  # the notmnist module in the import, and dataset.load_splits
    assert 'href="../../reference/dataset.html#notmnist.dataset.load_splits"' in html
    assert html.count("<a ") == 2  # not _private (undocumented), not np.load_splits (not imported)


def test_reference_anchors_read_ids_from_pages(tmp_path):
    """Anchors are the notmnist ids found on the reference pages, plus each module's page."""
    (tmp_path / "dataset.html").write_text('<h2 id="notmnist.dataset.load_splits">x</h2>')
    anchors = gp.reference_anchors(tmp_path)
    assert anchors["notmnist.dataset.load_splits"] == "dataset.html#notmnist.dataset.load_splits"
    assert anchors["notmnist.dataset"] == "dataset.html"


def test_lightbox_opens_the_hidpi_figure(tmp_path):
    """A lightbox link points at the 2x image when it exists, else stays on the 1x one."""
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a_2_0x.png").write_bytes(b"png")
    html = '<a class="glightbox" href="images/a.png"><a class="glightbox" href="images/b.png">'
    out = gp.lightbox_hidpi(html, tmp_path)
    assert 'href="images/a_2_0x.png"' in out and 'href="images/b.png"' in out


def test_another_gallery_version_stops_with_a_clear_message(monkeypatch):
    """A mkdocs-gallery other than the pinned one is refused, naming both versions."""
    import mkdocs_gallery

    gp.check_version()  # the installed one is the pinned one
    monkeypatch.setattr(mkdocs_gallery, "__version__", "0.11.0")
    with pytest.raises(gp.GalleryChanged, match=r"0\.11\.0 is installed.*0\.10\.4"):
        gp.check_version()
    with pytest.raises(gp.GalleryChanged):
        gp.patch()


def test_failing_problem_is_named_with_its_line(tmp_path):
    """The message for a failing script names it, the line in it, and the error, in one line."""
    script = tmp_path / "plot_2_fails.py"
    script.write_text("x = 1\nratio = 1 / 0\n")
    try:
        exec(compile(script.read_text(), str(script), "exec"), {})
    except ZeroDivisionError as exc:
        message = gp.failure_message(exc, script)
    first = message.splitlines()[0]
    assert first.endswith("failed at line 2: ZeroDivisionError: division by zero")
    assert "plot_2_fails.py" in first


INDEX_MD = """# The six problems

Intro.

<div class="mkd-glr-thumbcontainer" tooltip="Before trusting any number...">
    <!--div class="figure align-default" id="id1"-->
        <img alt="Problem 1: look at the raw glyphs" src="images/thumb/mkd_glr_plot_1_raw_glyphs_thumb.png" />
        <p class="caption">
            <span class="caption-text">
                <a class="reference internal" href="plot_1_raw_glyphs">
                    <span class="std std-ref">Problem 1: look at the raw glyphs</span>
                </a>
            </span>
        </p>
</div>

[:fontawesome-solid-download: Download all examples in Python source code: problems_python.zip](./problems_python.zip){ .md-button .center}

[:fontawesome-solid-download: Download all examples in Jupyter notebooks: problems_jupyter.zip](./problems_jupyter.zip){ .md-button .center}
"""


def test_gallery_index_links_pages_and_names_the_data():
    """Thumbnails and captions link the problem's .html file; the data note follows the title."""
    md = gp.gallery_index(INDEX_MD, "index.md")
    assert 'href="plot_1_raw_glyphs"' not in md
    assert md.count('href="plot_1_raw_glyphs.html"') == 2
    assert '<a href="plot_1_raw_glyphs.html"><img class="mkd-glr-thumb" alt=' in md
    assert md.index("# The six problems") < md.index("{{ results.data.summary }}") < md.index("Intro.")
    assert "Download all six problems as Python scripts" in md and "examples" not in md
