"""Tests of notmnist.plots: glyph grids and saving figures when a problem runs without a display."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from notmnist import plots


def test_glyph_grid_draws_each_image_with_its_caption_and_marks():
    """One panel per image, captions below, red frames only where marked, no ticks."""
    images = np.random.default_rng(0).integers(0, 256, (7, 28, 28), dtype=np.uint8)
    fig = plots.glyph_grid(images, list("ABCDEFG"), ncols=4, marked=[True] + [False] * 6, title="t")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 7
    assert [ax.get_xlabel() for ax in shown] == list("ABCDEFG")
    assert all(not ax.get_xticks().size for ax in shown)
    first, second = shown[0], shown[1]
    assert matplotlib.colors.to_hex(first.spines["top"].get_edgecolor()) == "#ff0000"
    assert not second.spines["top"].get_visible()
    assert fig._suptitle.get_text() == "t"
    plt.close(fig)


def test_letter_grid_has_one_row_per_letter():
    """letter_grid draws per_letter samples of each letter, captioned with that letter."""
    labels = np.repeat(np.arange(10), 6)
    images = np.repeat(np.arange(10, dtype=np.uint8), 6)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    fig = plots.letter_grid(images, labels, per_letter=3, seed=1)
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_xlabel() for ax in shown] == [c for c in "ABCDEFGHIJ" for _ in range(3)]
    for ax, letter in zip(shown, np.repeat(np.arange(10), 3)):
        assert ax.images[0].get_array().max() == letter  # each panel shows its own letter's image
    plt.close(fig)


def test_problem_script_without_display_saves_its_figures(tmp_path):
    """A plot_*.py run from a terminal with no display saves its figures and says where."""
    script = tmp_path / "plot_demo.py"
    script.write_text(textwrap.dedent("""
        import matplotlib.pyplot as plt
        import numpy as np
        from notmnist import plots
        plots.glyph_grid(np.zeros((3, 28, 28), np.uint8))
        plt.show()
        fig, ax = plt.subplots()
        ax.plot([1, 2])
        plt.show()
    """))
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["MPLBACKEND"] = "Agg"
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "2 figure(s) saved as figures/plot_demo_*.png" in run.stdout
    assert (tmp_path / "figures" / "plot_demo_1.png").stat().st_size > 0
    assert (tmp_path / "figures" / "plot_demo_2.png").stat().st_size > 0
    assert "non-interactive" not in run.stderr
