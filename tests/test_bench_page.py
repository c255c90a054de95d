"""benchmarks/run.py's page of results: written from the run's own output, never typed in."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import run  # noqa: E402

TABLE = ["| row | ours (s) |", "|---|---|", "| exact overlap (214 found) | 0.04 |"]


def test_page_states_date_machine_load_and_data_and_holds_the_table():
    """The page names when, on what machine and load, on which data it ran, then the table as printed."""
    data = "Data: offline stand-in (scale 0.1) · seed 133"
    text = run.page(["--rows", "overlap"], data, TABLE, ("--seeds 0", "| a | b |"), "1.0 at the start")
    assert re.search(r"on \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    assert "`benchmarks/run.py --rows overlap`" in text and "make bench" in text
    assert re.search(r"- machine: \d+ cores \(.+\), Python 3\.\d+\.\d+, NumPy ", text)
    assert "- load: 1.0 at the start" in text
    assert "- data: offline stand-in (scale 0.1) · seed 133" in text
    assert "\n".join(TABLE) in text
    assert "`benchmarks/fidelity.py --seeds 0`" in text and "| a | b |" in text
    assert "fidelity" not in run.page(["--fidelity", "none"], data, TABLE, None, "0.5").split("## Speed")[1]


def test_printed_table_keeps_a_markdown_table_and_its_caption_or_the_whole_output():
    """fidelity.py's output: a Markdown table is kept with the line above it; other output whole."""
    table = "| statistic | real |\n|---|---|\n| x | 1 |"
    printed = f"seed 0: curve .6 / .7\n\n3 stand-ins, scale 0.1\n\n{table}\n"
    assert run.printed_table(printed) == f"3 stand-ins, scale 0.1\n\n{table}"
    assert run.printed_table("statistic  real\nx  1\n") == "```text\nstatistic  real\nx  1\n```"
