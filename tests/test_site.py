"""Tests of the site: docs/hooks.py, and whole builds of mkdocs.yml + docs/ + problems/.

The whole build (``built_site``) copies mkdocs.yml, docs/ and problems/ to a temporary folder and
runs ``mkdocs build --strict`` there, on a small stand-in rendered into a temporary data folder;
it is built once per test session and shared with tests/test_browser.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sitebuild import (
    PROBLEMS,
    ROOT,
    STANDIN_SCALE,
    Page,
    copy_project,
    mkdocs_build,
    parse_page,
    read_mkdocs_yml,
)

# --------------------------------------------------------------------------- helpers


def number(text: str) -> float:
    """``"1,324"`` -> 1324.0, ``"0.851"`` -> 0.851."""
    return float(text.replace(",", ""))


def decimals(text: str) -> int:
    """Digits after the decimal point of a printed number."""
    return len(text.split(".")[1]) if "." in text else 0


def printed_numbers(text: str) -> list[str]:
    """Every number printed in ``text`` (``1,324``, ``0.8512``, ``12``), as written."""
    return re.findall(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])\d+(?:\.\d+)?", text)


def shown_equal(shown: str, printed: str) -> bool:
    """``shown`` (home page) equals ``printed`` (problem page) at the precision of the coarser."""
    places = min(decimals(shown), decimals(printed))
    return round(number(shown), places) == round(number(printed), places)


# --------------------------------------------------------------------------- hooks, unit tests


def test_config_forces_fresh_runs():
    """mkdocs.yml makes the gallery re-run every script and stop at the first failing one."""
    config = read_mkdocs_yml(ROOT / "mkdocs.yml")
    plugins = {k: v for p in config["plugins"] if isinstance(p, dict) for k, v in p.items()}
    gallery = plugins["gallery"]
    assert gallery["run_stale_examples"] is True
    assert gallery["abort_on_example_error"] is True
    assert config["theme"]["font"] is False
    assert "docs/hooks.py" in config["hooks"]


@pytest.mark.filterwarnings("ignore:warning_filter:DeprecationWarning")  # mkdocs-gallery's import
def test_config_hook_starts_every_build_fresh(tmp_path, monkeypatch):
    """on_config empties the results folder, points the env var at it and forgets notmnist."""
    from mkdocs.config import load_config

    import notmnist.results  # noqa: F401  (imported, so there is something to forget)

    project = copy_project(tmp_path / "project")
    results_dir = project / "docs" / "generated" / "results"
    results_dir.mkdir(parents=True)
    (results_dir / "problem6.json").write_text('{"acc_full": 0.1}')  # from an earlier build
    monkeypatch.chdir(project)
    monkeypatch.setenv("NOTMNIST_RESULTS_DIR", "elsewhere")
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "notmnist"}
    try:
        config = load_config(str(project / "mkdocs.yml"))
        config = config.plugins.on_config(config)
        assert not [k for k in sys.modules if k.split(".")[0] == "notmnist"]
    finally:
        sys.modules.update(saved)
    assert os.environ["NOTMNIST_RESULTS_DIR"] == str(results_dir)
    assert list(results_dir.iterdir()) == []
    from mkdocs_gallery import gen_single

    assert getattr(gen_single.generate_file_md, "notmnist_wrapped", False)  # failures named, globals freed


def test_gallery_log_drops_its_settings_recital_and_unmeasured_memory():
    """docs/gallery.py's filter of mkdocs-gallery's log: no closing recital of settings, no "0.0 MB"."""
    import logging

    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import gallery
    finally:
        sys.path.remove(str(ROOT / "docs"))

    def record(message: str, *args) -> logging.LogRecord:
        return logging.LogRecord("mkdocs.plugins.mkdocs-gallery", logging.INFO, "", 0, message, args, None)

    quiet = gallery.QuietGallery()
    recital = record("\nmkdocs-gallery successfully executed %d out of %d files subselected by:\n", 6, 6)
    assert not quiet.filter(recital)
    timing = record("    - problems/plot_1_raw_glyphs.py:   %s   %s", "2.54 sec", "0.0 MB")
    assert quiet.filter(timing) and timing.getMessage() == "    - problems/plot_1_raw_glyphs.py:   2.54 sec"
    other = record("generating gallery...")
    assert quiet.filter(other) and other.getMessage() == "generating gallery..."


# --------------------------------------------------------------------------- building


# --------------------------------------------------------------------------- small builds

MINI_INDEX = """# Mini

Value: {{ results.mini.value }}.
"""

MINI_SCRIPT = '''"""
Mini problem
============

Prints and records a value read from the environment.
"""

# %%
# The value
import os

from notmnist import results

archive = {"subset": "small", "name": "mini.tar.gz", "size": 1, "sha256": "feedbeef" * 8}
results.record("data", source="standin", summary="mini data", provenance={"archives": [archive]})
if os.environ.get("MINI_SHOW_DATA", "1") == "1":
    print(f"Data: mini.tar.gz, sha256 {archive['sha256'][:12]}")
value = int(os.environ["MINI_VALUE"])
print(f"mini value: {value}")
results.record("mini", value=value)
'''

FAILING_SCRIPT = '''"""
Failing problem
===============

Divides by zero in its second cell.
"""

# %%
# Fine so far
print("first cell")

# %%
# Then it fails
ratio = 1 / 0
'''


@pytest.mark.slow
def test_rebuild_never_shows_stale_results(tmp_path):
    """A rebuild re-runs an unchanged script: page and home page show the new value, not the old."""
    project = copy_project(
        tmp_path / "mini", problems={"plot_1_mini.py": MINI_SCRIPT}, index=MINI_INDEX
    )
    for value in ("111", "222"):  # docs/generated (and the gallery's md5 files) kept in between
        proc = mkdocs_build(project, env={"MINI_VALUE": value}, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        problem = parse_page(project / "site/generated/problems/plot_1_mini.html")
        assert f"mini value: {value}" in problem.output
        home = parse_page(project / "site" / "index.html")
        assert f"Value: {value}." in home.text


@pytest.mark.slow
def test_failing_problem_fails_the_build(tmp_path):
    """A problem script that raises fails `mkdocs build` with a message naming script and line."""
    project = copy_project(
        tmp_path / "failing",
        problems={"plot_1_mini.py": MINI_SCRIPT, "plot_2_fails.py": FAILING_SCRIPT},
        index=MINI_INDEX,
    )
    proc = mkdocs_build(project, env={"MINI_VALUE": "1"}, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (
        "problem script problems/plot_2_fails.py failed at line 14: "
        "ZeroDivisionError: division by zero" in log
    ), log[-3000:]
    assert not (project / "docs" / "generated" / "problems" / "plot_2_fails.py.md5").exists()


@pytest.mark.slow
def test_problem_page_must_show_its_data(tmp_path):
    """A problem page whose output does not name the data it ran on fails the strict build."""
    project = copy_project(
        tmp_path / "nodata", problems={"plot_1_mini.py": MINI_SCRIPT}, index=MINI_INDEX
    )
    proc = mkdocs_build(project, env={"MINI_VALUE": "1", "MINI_SHOW_DATA": "0"}, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "plot_1_mini.md does not show which data it ran on" in log, log[-3000:]


# --------------------------------------------------------------------------- the whole site


@pytest.mark.slow
def test_build_terminal_names_its_data_and_reads_cleanly(built_site):
    """The build's terminal names the data it ran on (the pages' data line), and shows no warning of
    the docs toolchain, no recital of the gallery's settings and no memory column it never measured."""
    summary = built_site.results["data"]["summary"]
    [line] = [line for line in built_site.log.splitlines() if summary in line]
    assert line.startswith("INFO"), line
    assert "stand-in" in summary  # offline, it says so
    assert "DeprecationWarning" not in built_site.log, built_site.log[-3000:]
    assert "subselected by" not in built_site.log
    assert not re.search(r" MB$", built_site.log, re.M)


@pytest.mark.slow
def test_every_problem_page_has_figures_and_output(built_site):
    """Each problem page has printed output, figures whose files are not empty, and downloads."""
    assert len(PROBLEMS) == 6, PROBLEMS
    for stem in PROBLEMS:
        page = built_site.problem(stem)
        assert page.outputs, f"{stem}: no printed output"
        assert page.images, f"{stem}: no figures"
        for src in page.images:
            image = (page.path.parent / src).resolve()
            assert image.is_file() and image.stat().st_size > 0, f"{stem}: {src} missing or empty"
        for ext in (".py", ".ipynb"):
            download = built_site.site / "generated" / "problems" / f"{stem}{ext}"
            assert download.stat().st_size > 0, f"{stem}: no {ext} download"
            assert f"{stem}{ext}" in page.links, f"{stem}: no link to the {ext} download"
        notebook = json.loads((built_site.site / f"generated/problems/{stem}.ipynb").read_text())
        assert len(notebook["cells"]) > 2


@pytest.mark.slow
def test_every_page_shows_its_data(built_site):
    """Every problem prints the stand-in's one-line summary; home and data page show it too."""
    summary = built_site.results["data"]["summary"]
    assert built_site.results["data"]["source"] == "standin"
    assert f"stand-in rendered from fonts (scale {float(STANDIN_SCALE):g})" in summary
    for stem in PROBLEMS:
        first = built_site.problem(stem).outputs[0]
        assert "Data: offline stand-in rendered from fonts" in first, f"{stem}: {first[:200]}"
    assert summary in built_site.page("index.html").text
    assert summary in built_site.page("data.html").text


@pytest.mark.slow
def test_data_page_shows_provenance_and_fidelity(built_site):
    """The data page gives each archive's SHA-256 as built, and the stand-in's fidelity table."""
    text = built_site.page("data.html").text
    archives = sorted(built_site.data_home.rglob("notMNIST_*.tar.gz"))
    assert {a.name for a in archives} == {"notMNIST_large.tar.gz", "notMNIST_small.tar.gz"}
    for archive in archives:
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        assert digest in text, f"{archive.name}: sha256 {digest} not on the data page"
        assert f"{archive.stat().st_size:,}" in text
    assert "seed: 133" in text
    assert "real notMNIST" in text and "this stand-in" in text


@pytest.mark.slow
def test_execution_times_page_is_a_table_of_every_problem(built_site):
    """The execution-times page is a real table: one row per problem, its time and share, then the total."""
    page = built_site.page("generated/problems/mg_execution_times.html")
    [table] = page.tables
    header, *rows, total = table
    assert header == ["problem", "time (s)", "share of the build"]
    assert [row[0].split(":")[0] for row in rows] == [f"Problem {k}" for k in range(1, 7)]
    seconds = [float(row[1]) for row in rows]
    shares = [int(row[2].rstrip(" %")) for row in rows]
    assert total[0] == "all six" and abs(float(total[1]) - sum(seconds)) <= 0.005 * (len(rows) + 1)
    assert abs(sum(shares) - 100) <= 3  # each share rounded to a whole percent
    assert "+----" not in page.text and "0.0 MB" not in page.text
    assert built_site.results["data"]["summary"] in page.text


@pytest.mark.slow
def test_no_external_assets(built_site):
    """No page loads a script, stylesheet, icon or image from another host."""
    for html in built_site.site.rglob("*.html"):
        for url in parse_page(html).assets:
            assert not re.match(r"^(?:[a-z]+:)?//", url), f"{html}: external asset {url}"


# What problem 5 prints, by home-page key: a regex whose group 1 is the number.
PRINTED_5 = {
    "train_within": r"train:\s+[\d,]+ images,.*?\(([\d,]+) redundant cop(?:y|ies)\)",
    "valid_in_train": r"valid images also in train: ([\d,]+) of",
    "test_in_train": r"test images also in train: ([\d,]+) of",
    "valid_in_test": r"valid images also in test: +([\d,]+) of",
    "threshold": r"threshold: < ([\d.]+) grey levels",
    "near_valid": r"valid images with a near \(not identical\) copy in train: ([\d,]+)",
    "near_test": r"test images with a near \(not identical\) copy in train: ([\d,]+)",
    "first_l1": r"first \d+ test images with a copy in train at L1 < 10 \(normalised pixels\): ([\d,]+)",
    "sanitised_valid": r"sanitised valid: ([\d,]+) of",
    "sanitised_test": r"sanitised test: ([\d,]+) of",
}
# The home page's overlap table, by the start of each row's label.
HOME_5 = {
    "exact duplicates within train": "train_within",
    "validation images also in train": "valid_in_train",
    "test images also in train": "test_in_train",
    "validation images also in test": "valid_in_test",
    "near (not identical) copies in train of validation": "near_valid",
    "near (not identical) copies in train of test": "near_test",
    "first ": "first_l1",  # "first 200 test images ...", fewer on a small build
    "sanitised validation set": "sanitised_valid",
    "sanitised test set": "sanitised_test",
}


def home_table(home: Page, header: str) -> list[list[str]]:
    """Rows (without the header) of the home page table whose header starts with ``header``."""
    for table in home.tables:
        if table and table[0] and table[0][0].startswith(header):
            return table[1:]
    raise AssertionError(f"home page has no table headed {header!r}: {home.tables}")


@pytest.mark.slow
def test_home_overlap_equals_problem_5_output(built_site):
    """Every overlap count on the home page equals the number problem 5 printed."""
    output = built_site.problem(next(s for s in PROBLEMS if s.startswith("plot_5"))).output
    printed = {}
    for key, pattern in PRINTED_5.items():
        match = re.search(pattern, output)
        assert match, f"problem 5 printed no {key} ({pattern!r}) in:\n{output}"
        printed[key] = match[1]
    rows = home_table(built_site.page("index.html"), "overlap")
    shown = {}
    for label, value, *_ in rows:
        key = next(k for start, k in HOME_5.items() if label.startswith(start))
        shown[key] = value.split(" of ")[0]  # "111 of 1,000": the count, then this build's set size
        if key.startswith("near_"):
            threshold = re.search(r"threshold ([\d.]+)", label)[1]
            assert shown_equal(threshold, printed["threshold"]), (label, printed["threshold"])
    assert set(shown) == set(HOME_5.values())
    for key, value in shown.items():
        assert shown_equal(value, printed[key]), f"{key}: home {value}, printed {printed[key]}"


def pair_figures_show_distinct_images(output: str) -> None:
    """Problem 5 prints, under each pair figure, how many images its top row shows and how many differ."""
    shown = re.findall(r"(test|query) images shown: (\d+), distinct: (\d+)", output)
    assert [kind for kind, *_ in shown] == ["test", "query"], output
    for kind, n, distinct in shown:
        assert int(n) > 0 and n == distinct, f"{kind} pair figure shows {n} images, {distinct} distinct"


@pytest.mark.slow
def test_problems_5_and_6_show_the_solution_on_the_page(built_site):
    """The learner's lines run on the page: the hash join and brute force of problem 5, the
    estimator and its fit in problem 6, each checked against the package where it takes over."""
    overlap = built_site.problem("plot_5_overlap").text
    for line in ("hashlib.sha256(image.tobytes())", "where[b] for d in digests[a]",
                 "np.sqrt(np.mean((train_pixels", "assert n == ", "assert np.allclose(nn_distance"):
        assert line in overlap, f"problem 5 does not show {line!r}"
    learner = built_site.problem("plot_6_baseline").text
    for line in ("LogisticRegression(**baseline.SETTINGS)", ".fit(x_train[:n], y_train[:n])",
                 ".predict(x_test)"):
        assert line in learner, f"problem 6 does not show {line!r}"


def near_constant_left_out_is_named(output: str) -> None:
    """Problem 5 counts the near-constant images its near search leaves out, the same in both lines."""
    first = re.search(r"near-constant, left out of the near search: ([\d,]+) of ([\d,]+) validation and "
                      r"test images, ([\d,]+) of ([\d,]+) training images", output)
    again = re.search(r"left out as near-constant: ([\d,]+) queries, ([\d,]+) training images", output)
    assert first and again, output
    assert (first[1], first[3]) == (again[1], again[2])
    assert int(first[1].replace(",", "")) <= int(first[2].replace(",", ""))


@pytest.mark.slow
def test_problem_5_names_the_near_constant_images_it_leaves_out(built_site):
    """The near search's exclusion of faint images is counted on the page, never silent."""
    near_constant_left_out_is_named(built_site.problem("plot_5_overlap").output)


@pytest.mark.slow
def test_problem_5_pair_figures_show_distinct_images(built_site):
    """Each pair figure of problem 5 shows every picture once (not one test image per train copy)."""
    pair_figures_show_distinct_images(built_site.problem("plot_5_overlap").output)


def overlap_verdicts_follow_their_numbers(output: str) -> None:
    """Problem 6's verdict on each model's raw-minus-sanitised gap agrees with its printed interval."""
    row = r"^\s*([\d,]+)\s+([+-]\d\.\d+)\s+\[([+-]\d\.\d+), ([+-]\d\.\d+)\]\s+\S+\s+\S+\s+(.+)$"
    rows = re.findall(row, output, re.M)
    assert len(rows) >= 2, output
    for n, gap, low, high, verdict in rows:
        low, high = float(low), float(high)
        assert low <= float(gap) <= high, (n, gap, low, high)
        allowed = {"within noise" if low < 0 < high else "raw higher" if low > 0 else "raw lower"}
        if low == 0:  # an end that rounds to zero: the interval may or may not hold zero
            allowed = {"within noise", "raw higher"}
        elif high == 0:
            allowed = {"within noise", "raw lower"}
        assert verdict.strip() in allowed, (n, low, high, verdict)


@pytest.mark.slow
def test_problem_6_says_whether_the_gap_is_noise(built_site):
    """Every model's gap between raw and sanitised test accuracy comes with its uncertainty and verdict."""
    overlap_verdicts_follow_their_numbers(built_site.problem("plot_6_baseline").output)


@pytest.mark.slow
def test_home_accuracies_equal_problem_6_output(built_site):
    """Every accuracy and the full fit's size and time on the home page equal problem 6's table."""
    output = built_site.problem(next(s for s in PROBLEMS if s.startswith("plot_6"))).output
    printed = {}  # n_train -> (fit seconds, test accuracy, sanitised test accuracy)
    for line in output.splitlines():
        cells = line.split()
        if len(cells) == 4 and all(re.fullmatch(r"[\d,]+(?:\.\d+)?", c) for c in cells):
            printed[int(number(cells[0]))] = tuple(cells[1:])
    assert printed, f"problem 6 printed no accuracy table:\n{output}"
    n_full = max(printed)
    home = built_site.page("index.html")
    rows = home_table(home, "training samples")
    assert len(rows) == 5
    for label, test, sanitised, _published in rows:
        n = n_full if label.startswith("all") else int(number(label))
        if label.startswith("all"):
            assert int(number(label.split()[1])) == n_full, f"home says {label}, printed {n_full:,}"
        if n not in printed:  # a size larger than this build's training split
            assert test == "—" and sanitised == "—", (label, test, sanitised)
            continue
        _seconds, test_printed, sanitised_printed = printed[n]
        assert shown_equal(test, test_printed), f"{label}: home {test}, printed {test_printed}"
        assert shown_equal(sanitised, sanitised_printed), (label, sanitised, sanitised_printed)
    fit = re.search(r"full training split took ([\d.]+) s", home.text)[1]
    assert shown_equal(fit, printed[n_full][0]), f"fit time: home {fit}, printed {printed[n_full][0]}"


@pytest.mark.slow
def test_no_page_shows_the_build_machines_paths(built_site):
    """No page, download or search index carries a path of the machine and folders that built it."""
    paths = {str(built_site.project), str(built_site.data_home), str(Path.home()), str(ROOT)}
    paths |= {str(Path(p).resolve()) for p in list(paths)}
    for file in built_site.site.rglob("*"):
        if file.suffix not in (".html", ".js", ".json", ".py", ".ipynb", ".txt", ".xml"):
            continue
        text = file.read_text(encoding="utf-8", errors="replace")
        for path in paths:
            assert path + "/" not in text and f"{path}\"" not in text, f"{file}: shows {path}"
    warnings = [o for stem in PROBLEMS for o in built_site.problem(stem).outputs if "Warning" in o]
    for output in warnings:
        assert not re.search(r"\.py:\d+: \w*Warning", output), output


@pytest.mark.slow
def test_site_publishes_no_build_code(built_site):
    """The build's own code in docs/ (hooks, gallery patches) is not copied into the site."""
    published = {f.name for f in built_site.site.iterdir()}
    build_code = {f.name for f in (ROOT / "docs").glob("*.py")}
    assert build_code and not build_code & published


@pytest.mark.slow
def test_every_page_names_its_data(built_site):
    """Every HTML page of the site, reference and 404 pages included, names the data of the build."""
    summary = built_site.results["data"]["summary"].removeprefix("Data: ")
    pages = sorted(built_site.site.rglob("*.html"))
    assert len(pages) > 15
    for html in pages:
        text = re.sub(r"\s+", " ", html.read_text(encoding="utf-8"))
        assert summary in text, f"{html.relative_to(built_site.site)} does not name its data"


@pytest.mark.slow
def test_problem_code_links_to_the_package_reference(built_site):
    """Package names in every problem's code link to reference anchors that exist; no Sphinx roles show."""
    for stem in PROBLEMS:
        page = built_site.problem(stem)
        refs = [link for link in page.links if "reference/" in link]
        assert refs, f"{stem}: no link to the package reference"
        for link in refs:
            target, _, anchor = link.partition("#")
            html = (page.path.parent / target).resolve()
            assert html.is_file(), f"{stem}: {link} points nowhere"
            if anchor:
                assert f'id="{anchor}"' in html.read_text(encoding="utf-8"), f"{stem}: no anchor {link}"
    for html in (built_site.site / "reference").glob("*.html"):
        text = parse_page(html).text
        assert not re.search(r":(?:func|class|mod|meth):", text), f"{html.name} shows Sphinx roles"


# --------------------------------------------------------------------------- odd data


def _odd_glyphs(rng, n: int, label: int) -> list:
    """``n`` glyphs of one letter: 8 % blank, 4 % solid, a third copies of earlier ones, the rest drawn."""
    import numpy as np

    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.08:
            image = np.zeros((28, 28), np.uint8)
        elif r < 0.12:
            image = np.full((28, 28), 255, np.uint8)
        elif r < 0.45 and out:
            image = out[rng.integers(len(out))].copy()
        else:
            image = np.zeros((28, 28), np.uint8)
            image[4 + label : 12 + label, 3:25] = 255
            image[:, 10 + label] = 200
            image = np.clip(image + rng.integers(0, 60, (28, 28)), 0, 255).astype(np.uint8)
        out.append(image)
    return out


def _plant_odd_archives(folder: Path) -> None:
    """Replace a rendered stand-in's archives by odd ones: blanks, many copies, J short of images.

    The stand-in's manifest is updated to name the new archives, so the package uses them as
    the stand-in (a test of the pages, not of the stand-in).
    """
    import base64
    import tarfile

    import numpy as np
    from conftest import add, png_bytes

    rng = np.random.default_rng(7)
    manifest = json.loads((folder / "standin.json").read_text())
    for subset, per_letter in (("large", {"J": 1400}), ("small", {})):
        top = f"notMNIST_{subset}"
        path = folder / f"{top}.tar.gz"
        with tarfile.open(path, "w:gz") as tar:
            add(tar, top + "/", kind=tarfile.DIRTYPE)
            for label, letter in enumerate("ABCDEFGHIJ"):
                add(tar, f"{top}/{letter}/", kind=tarfile.DIRTYPE)
                n = per_letter.get(letter, 1700 if subset == "large" else 70)
                for k, image in enumerate(_odd_glyphs(rng, n, label)):
                    name = base64.b64encode(f"Odd {k}.ttf".encode()).decode() + ".png"
                    add(tar, f"{top}/{letter}/{name}", png_bytes(image))
            add(tar, f"{top}/A/empty.png", b"")
        data = path.read_bytes()
        manifest["archives"][subset] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / "standin.json").write_text(json.dumps(manifest))


RUN_PROBLEMS = """
import runpy, sys
for script in sys.argv[1:]:
    print(f"=== {script}", flush=True)
    runpy.run_path(script, run_name="__main__")
"""


@pytest.mark.slow
def test_problems_hold_on_odd_data(built_site, tmp_path):
    """On archives with blanks, many copies and one short letter, every problem's guards hold.

    The six scripts run in one process, as the gallery runs them, without rendering pages: the
    guards are the scripts' asserts, and what is checked below is their printed output.
    """
    [rendered] = (built_site.data_home / "standin").iterdir()
    folder = tmp_path / "data" / "standin" / rendered.name
    shutil.copytree(rendered, folder)  # the build's manifest, so no stand-in is rendered again
    for fonts in built_site.data_home.glob("standin-font*.json"):  # nor its fonts hashed again
        shutil.copy2(fonts, tmp_path / "data")
    _plant_odd_archives(folder)
    env = {**os.environ, "NOTMNIST_SOURCE": "standin", "NOTMNIST_DATA_DIR": str(tmp_path / "data"),
           "NOTMNIST_STANDIN_SCALE": STANDIN_SCALE, "MPLBACKEND": "Agg"}
    scripts = [str(ROOT / "problems" / f"{stem}.py") for stem in PROBLEMS]
    proc = subprocess.run([sys.executable, "-c", RUN_PROBLEMS, *scripts], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    output = dict(part.split("\n", 1) for part in proc.stdout.split("=== ")[1:])
    balance = output[next(s for s in scripts if "plot_3_" in s)]
    assert "Archives not balanced within 5 %:\nnotMNIST_large.tar.gz." in balance
    assert "Every split is balanced within 5 %" in balance
    overlap = output[next(s for s in scripts if "plot_5_" in s)]
    assert re.search(r"valid images also in train: [1-9][\d,]* of", overlap)


@pytest.mark.slow
def test_every_internal_link_names_an_existing_file(built_site):
    """Every relative link and image of every page opens a file of the site (from disk too) and anchor."""
    from html.parser import HTMLParser
    from urllib.parse import unquote, urlsplit

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.urls, self.ids = [], set()

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("id"):
                self.ids.add(attrs["id"])
            url = attrs.get("href") if tag in ("a", "link") else None
            url = attrs.get("src") if tag in ("img", "script") else url
            if url:
                self.urls.append(url)

    ids: dict[Path, set[str]] = {}

    def read(path: Path) -> Links:
        parser = Links()
        parser.feed(path.read_text(encoding="utf-8"))
        ids[path] = parser.ids
        return parser

    broken = []
    pages = sorted(p for p in built_site.site.rglob("*.html") if p.name != "404.html")
    for page in pages:
        for url in read(page).urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("//", "#", "mailto:")) or not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file():
                broken.append(f"{page.relative_to(built_site.site)}: {url}")
            elif parts.fragment and target.suffix == ".html":
                if target not in ids:
                    read(target)
                if parts.fragment not in ids[target]:
                    broken.append(f"{page.relative_to(built_site.site)}: {url} (no such anchor)")
    assert broken == [], "\n".join(broken[:20])


# --------------------------------------------------------------------------- real glyphs


@pytest.mark.slow
def test_site_holds_on_real_glyphs(real_site):
    """On archives of real glyphs (tests/realsample.py) the whole site builds, so every guard of every
    problem held; every page says the data is real, and the home and data pages say nothing of a
    stand-in (outside the home page's instructions on choosing the data)."""
    summary = real_site.results["data"]["summary"]
    assert real_site.results["data"]["source"] == "real"
    assert summary.startswith("Data: real notMNIST archives · notMNIST_large.tar.gz"), summary
    assert "notMNIST_small.tar.gz" in summary and "seed 133" in summary
    for stem in PROBLEMS:
        page = real_site.problem(stem)
        assert page.outputs and page.outputs[0].splitlines()[0] == summary, f"{stem}: {page.outputs[:1]}"
        assert "stand-in" not in page.output, f"{stem} speaks of a stand-in"
    home, data = real_site.page("index.html"), real_site.page("data.html")
    assert summary in home.text and summary in data.text
    assert "This build ran on the real notMNIST archives" in data.text
    described, _, instructions = home.text.partition("How to run it")
    assert instructions, "the home page has no 'How to run it' section"
    for where, text in (("home page", described), ("data page", data.text)):
        found = re.search(r".{0,80}stand-?in.{0,80}", text, re.I)
        assert not found, f"{where} speaks of a stand-in: {found[0]!r}"
    pair_figures_show_distinct_images(real_site.problem("plot_5_overlap").output)
    near_constant_left_out_is_named(real_site.problem("plot_5_overlap").output)
    overlap_verdicts_follow_their_numbers(real_site.problem("plot_6_baseline").output)


@pytest.mark.slow
def test_real_glyph_pages_describe_their_data(real_site):
    """Problem 1 names near-constant images by their pixels; problem 3 charts equal counts too."""
    import numpy as np

    from notmnist.archive import read_archive
    from notmnist.pixels import near_constant

    small = read_archive(real_site.data_home / "notMNIST_small.tar.gz")
    constant = near_constant(small.images)
    white = constant & (small.images.mean(axis=(1, 2)) > 127)
    output = real_site.problem("plot_1_raw_glyphs").output
    assert f"near-constant images in notMNIST_small.tar.gz: {constant.sum()} of {len(small):,}" in output
    assert re.search(rf"white \(solid\) +{white.sum()} ", output) and re.search(
        rf"dark \(blank\) +{(constant & ~white).sum()} ", output
    )
    assert white.sum() > 0 and "filled or inverted" not in output
    balance = real_site.problem("plot_3_class_balance")
    large = read_archive(real_site.data_home / "notMNIST_large.tar.gz")
    assert all((np.bincount(a.labels) == len(a) // 10).all() for a in (small, large))  # so do the splits
    assert balance.images, "problem 3 drew no chart for equal counts"
