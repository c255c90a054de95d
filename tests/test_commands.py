"""Every command the pages, the README and CONTRIBUTING.md show runs as written, from the project's folder.

The commands are collected from the built site's HTML (inline code and shell blocks) and from the
two Markdown files, then run verbatim with bash in a folder that looks like a fresh clone after `make site`
(links to the project's files and its `.venv`), on the test session's small stand-in.  The few
that cannot run here are skipped by rule, each with its reason.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
COMMAND = re.compile(r"^(?:\.venv/bin/\S+|make(?:\s|$)|python3?\s+\S)")  # `python` alone names a program
PATTERN = re.compile(r"…|\bCOMMAND\b|\bSITE_[AB]\b|/path/to/")  # a form to fill in, not a command
TIMEOUT = 300  # seconds per command; each takes a few seconds on the small stand-in

# Commands not run, by their start, with the reason.
NOT_RUN = {
    "make site": "rebuilds the whole site on the default data (minutes); built_site runs the same "
    "`mkdocs build --strict` on the test's stand-in",
    "make test-fast": "runs the fast part of this test suite",
    "make test": "runs this test suite",
    ".venv/bin/python -m pytest": "runs this test suite",
    "make clean": "deletes the virtual environment the other commands use",
    "make serve": "a live-reloading server that runs until stopped",
    "make bench": "times every benchmark row at the default scale and renders three stand-ins for the "
    "fidelity table (tens of minutes)",
    ".venv/bin/python -m notmnist fetch": "downloads from the internet; tests never touch the network",
    ".venv/bin/python -m notmnist standin --report": "tests/test_main.py runs it as the README shows it, "
    "on a smaller stand-in, and checks the rows it prints",
    ".venv/bin/python docs/gallery.py gh-deploy": "publishes the site: pushes to the repository's remote",
    ".venv/bin/python docs/gallery.py build": "builds the whole site on the default data (minutes): "
    "built_site builds it the same way",
    ".venv/bin/mkdocs build": "builds the whole site on the default data (minutes): built_site builds it",
    ".venv/bin/python benchmarks/fidelity.py": "renders eight stand-ins, each timed (tens of minutes)",
    ".venv/bin/python benchmarks/run.py --scale 1.0": "every benchmark at the real archives' size (an hour)",
    ".venv/bin/python benchmarks/real_glyphs.py": "reads the real-glyph sample beside the project, which "
    "the copy has not got, and rewrites a package file; tests/test_fidelity.py checks its figures",
}
SERVERS = ("python3 -m http.server",)  # run until stopped: started, checked alive, stopped


def _code_texts(markup: str) -> list[str]:
    """Text of every <code> element of an HTML page, tags removed, entities decoded.

    Code blocks keep their lines; inline code is one line however the HTML source wraps it.
    """
    texts = []
    for pre, text in re.findall(r"(<pre[^>]*>(?:<span></span>)?)?<code[^>]*>(.*?)</code>", markup, re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
        texts.append(text if pre else " ".join(text.split()))
    return texts


def _markdown_code(markdown: str) -> list[str]:
    """Inline code spans and fenced-block lines of a Markdown file."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, re.S | re.M)
    rest = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    return blocks + [" ".join(code.split()) for code in re.findall(r"`([^`]+)`", rest)]


def shown_commands(site: Path) -> dict[str, set[str]]:
    """``{command: {where it is shown}}`` for the built site's pages, the README and CONTRIBUTING.md."""
    texts = [(p.relative_to(site).as_posix(), p.read_text(encoding="utf-8")) for p in site.rglob("*.html")]
    found: dict[str, set[str]] = {}
    sources = [(name, _code_texts(text)) for name, text in texts if name != "404.html"]
    for name in ("README.md", "CONTRIBUTING.md"):
        sources.append((name, _markdown_code((ROOT / name).read_text(encoding="utf-8"))))
    for where, codes in sources:
        for code in codes:
            for line in code.splitlines():
                line = re.sub(r"\s+#.*$", "", line).strip()  # a trailing shell comment
                if COMMAND.match(line) and not line.startswith("python -c"):
                    found.setdefault(line, set()).add(where)
    return found


@pytest.fixture(scope="module")
def clone(built_site, tmp_path_factory):
    """A folder laid out like a clone after `make site`, and the environment for its commands."""
    folder = tmp_path_factory.mktemp("clone") / "workbook"
    skip = shutil.ignore_patterns(
        ".venv", ".git", "site", "figures", "generated", "__pycache__", "*.egg-info", ".*_cache", "notMNIST*"
    )
    shutil.copytree(ROOT, folder, ignore=skip)  # a copy, not links: `python -m` imports from here
    if (ROOT / ".venv").exists():
        (folder / ".venv").symlink_to(ROOT / ".venv")
    else:  # tests run by another interpreter (CI without make)
        (folder / ".venv" / "bin").mkdir(parents=True)
        (folder / ".venv" / "bin" / "python").symlink_to(sys.executable)
    from sitebuild import STANDIN_SCALE

    env = dict(
        os.environ,
        NOTMNIST_SOURCE="standin",
        NOTMNIST_DATA_DIR=str(built_site.data_home),
        NOTMNIST_STANDIN_SCALE=STANDIN_SCALE,
        MPLBACKEND="Agg",
        NO_MKDOCS_2_WARNING="1",
    )
    env.pop("NOTMNIST_RESULTS_DIR", None)
    return folder, env


def _placeholders(command: str, clone_dir: Path, data_home: Path) -> str:
    """Fill the README's placeholders (ARCHIVE, S, <new folder>) with values that exist here."""
    archive = next(iter(sorted(data_home.rglob("notMNIST_small.tar.gz"))), None)
    command = command.replace("ARCHIVE", str(archive))
    command = command.replace("--scale S", "--scale 0.001").replace("<new folder>", str(clone_dir / "new"))
    return command


def test_pages_show_commands(built_site):
    """The pages show the commands a reader runs: each problem script, the CLI, make site."""
    shown = shown_commands(built_site.site)
    assert "make site" in shown
    assert any(c.startswith(".venv/bin/python problems/plot_") for c in shown)
    assert any(c.startswith(".venv/bin/python -m notmnist") for c in shown)
    bare = [c for c in shown if re.match(r"python3? ", c) and not c.startswith(SERVERS)]
    assert bare == [], f"commands that fail on a fresh clone (no environment): {bare}"


def test_every_shown_command_runs(built_site, clone):
    """Every command shown on a page or in the README runs verbatim and exits 0 (or is skipped by rule)."""
    folder, env = clone
    failures, ran, skipped = [], [], []
    # clear-cache last: the other commands reuse the build's caches
    commands = sorted(shown_commands(built_site.site).items(), key=lambda cw: ("clear-cache" in cw[0], cw))
    for command, where in commands:
        reason = next((why for start, why in NOT_RUN.items() if command.startswith(start)), None)
        if reason or PATTERN.search(command):
            skipped.append(f"{command}: {reason or 'a form with placeholders'}")
            continue
        line = _placeholders(command, folder, built_site.data_home)
        if command.startswith(SERVERS):
            proc = subprocess.Popen(
                ["bash", "-c", line], cwd=folder, env=env, stderr=subprocess.PIPE, text=True
            )
            try:
                code = proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait(timeout=10)
                ran.append(command)
                continue
            error = proc.stderr.read()
            if "Address already in use" in error:
                skipped.append(f"{command}: its port is taken on this machine")
                continue
            failures.append(f"{command} (shown in {sorted(where)}): server exited {code}: {error[-500:]}")
            continue
        proc = subprocess.run(
            ["bash", "-c", line], cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
        ran.append(command)
        if proc.returncode != 0:
            output = (proc.stderr or proc.stdout)[-800:]
            failures.append(f"{command} (shown in {sorted(where)}): exit {proc.returncode}\n{output}")
    print("ran:", *ran, "skipped:", *skipped, sep="\n  ")
    assert failures == [], "\n\n".join(failures)
    assert len(ran) >= 8, ran
    shutil.rmtree(folder / "figures", ignore_errors=True)
