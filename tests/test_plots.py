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


def _starts(drawn: np.ndarray) -> np.ndarray:
    """Where each run of True begins."""
    return np.flatnonzero(drawn & ~np.r_[False, drawn[:-1]])


def _cells(fig, n, ncols):
    """The first n glyph cells, row by row, of a grid figure's single picture.

    Cells are found from the picture itself: padding and captions' room are left
    undrawn (NaN, shown white), every glyph cell is a 28x28 block of pixels.
    """
    (ax,) = fig.axes
    mosaic = np.asarray(ax.images[0].get_array(), dtype=float)
    drawn = np.isfinite(mosaic)
    rows, cols = _starts(drawn.any(axis=1)), _starts(drawn.any(axis=0))
    assert len(cols) == ncols, f"expected {ncols} columns of cells, found {len(cols)}"
    return [mosaic[r : r + 28, c : c + 28] for r in rows for c in cols][:n]


def test_glyph_grid_draws_each_image_with_its_caption_and_marks():
    """Each image appears in its cell, captions sit under it, red frames only where marked."""
    images = np.random.default_rng(0).integers(0, 256, (7, 28, 28), dtype=np.uint8)
    fig = plots.glyph_grid(
        images, list("ABCDEFG"), ncols=4, marked=[True, False, False, True, False, False, False], title="t"
    )
    for cell, image in zip(_cells(fig, 7, 4), images):
        np.testing.assert_allclose(cell, image / 255, atol=1e-6)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.texts] == list("ABCDEFG")
    frames = [p for p in ax.patches if matplotlib.colors.to_hex(p.get_edgecolor()) == "#ff0000"]
    assert len(frames) == 2
    assert ax.get_title() == "t"
    plt.close(fig)


def test_letter_grid_has_one_row_per_letter():
    """letter_grid draws per_letter samples of each letter, captioned with that letter."""
    labels = np.repeat(np.arange(10), 6)
    images = np.repeat(np.arange(10, dtype=np.uint8) * 20, 6)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    fig = plots.letter_grid(images, labels, per_letter=3, seed=1)
    assert [t.get_text() for t in fig.axes[0].texts] == [c for c in "ABCDEFGHIJ" for _ in range(3)]
    for cell, letter in zip(_cells(fig, 30, 3), np.repeat(np.arange(10), 3)):
        assert np.allclose(cell, letter * 20 / 255)  # each cell shows its own letter's image
    plt.close(fig)


def test_pair_grid_puts_each_pair_in_one_column():
    """Left images sit directly above their right partners, with one caption per pair."""
    rng = np.random.default_rng(2)
    left = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    right = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    fig = plots.pair_grid(left, right, [f"p{i}" for i in range(5)], ncols=3)
    cells = _cells(fig, 12, 3)  # rows: left 0-2, right 0-2, left 3-4 + empty slot, right 3-4 + empty slot
    for i in range(5):
        row = 2 * (i // 3)
        np.testing.assert_allclose(cells[row * 3 + i % 3], left[i] / 255, atol=1e-6)
        np.testing.assert_allclose(cells[(row + 1) * 3 + i % 3], right[i] / 255, atol=1e-6)
    assert [t.get_text() for t in fig.axes[0].texts] == [f"p{i}" for i in range(5)]
    plt.close(fig)


def test_grid_filler_slots_are_left_empty_not_drawn_as_black_glyphs():
    """A pair or letter grid's unused slots show nothing (no pixels, no frame), unlike a black glyph."""
    black = np.zeros((5, 28, 28), np.uint8)  # real all-black glyphs must still be drawn
    fig = plots.pair_grid(black, black, [f"p{i}" for i in range(5)], ncols=3)
    cells = _cells(fig, 12, 3)
    assert [np.isnan(c).all() for c in cells] == [False] * 8 + [True] + [False] * 2 + [True]
    assert all(np.all(c == 0) for k, c in enumerate(cells) if k not in (8, 11))
    assert len(fig.axes[0].patches) == 10  # one frame per image, none around the empty slots
    plt.close(fig)
    labels = np.r_[np.repeat(np.arange(10), 3), 0]  # letter A has 4 images, the others 3
    images = np.zeros((31, 28, 28), np.uint8)
    fig = plots.letter_grid(images, labels, per_letter=4)
    empty = [np.isnan(c).all() for c in _cells(fig, 40, 4)]
    assert empty == [False] * 4 + ([False] * 3 + [True]) * 9
    assert [t.get_text() for t in fig.axes[0].texts] == ["A"] * 4 + [c for c in "BCDEFGHIJ" for _ in range(3)]
    assert len(fig.axes[0].patches) == 31
    plt.close(fig)


def test_problem_script_without_display_saves_its_figures(tmp_path):
    """A script run with no display saves its figures where its last call says, and only then."""
    code = textwrap.dedent("""
        import matplotlib.pyplot as plt
        import numpy as np
        from notmnist import plots
        plots.glyph_grid(np.zeros((3, 28, 28), np.uint8))
        plt.show()
        fig, ax = plt.subplots()
        ax.plot([1, 2])
        plt.show()
    """)
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["MPLBACKEND"] = "Agg"
    script = tmp_path / "plot_demo.py"
    script.write_text(code)
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "" and not (tmp_path / "figures").exists()  # importing plots saves nothing
    script.write_text(code + "plots.save_if_headless()\n")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "2 figures saved as figures/plot_demo_*.png" in run.stdout
    assert (tmp_path / "figures" / "plot_demo_1.png").stat().st_size > 0
    assert (tmp_path / "figures" / "plot_demo_2.png").stat().st_size > 0
    assert "non-interactive" not in run.stderr


def test_a_file_named_figures_is_a_one_line_error_and_left_alone(tmp_path):
    """With a file (or a dangling link) named `figures` in the way: one line saying what to do, exit
    status 1, no traceback, and the user's file untouched."""
    script = tmp_path / "plot_demo.py"
    script.write_text(
        "import matplotlib.pyplot as plt\nfrom notmnist import plots\n"
        "plt.subplots()\nplt.show()\nplots.save_if_headless()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["MPLBACKEND"] = "Agg"
    figures = tmp_path / "figures"
    for make in (lambda: figures.write_text("my notes"), lambda: figures.symlink_to(tmp_path / "nowhere")):
        make()
        run = subprocess.run([sys.executable, script], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert run.returncode == 1 and "Traceback" not in run.stderr
        [line] = run.stderr.strip().splitlines()
        assert line.startswith("notmnist: error: ") and f"{figures} is a file, not a folder" in line
        assert "move it" in line
        assert figures.is_symlink() or figures.read_text() == "my notes"
        figures.unlink()


def test_shown_distance_never_rounds_up_to_the_threshold():
    """A caption's distance is rounded down, so one under a threshold never shows as the threshold."""
    assert plots.shown_distance(11.97) == "11.9"
    assert plots.shown_distance(12.0) == "12.0"
    assert plots.shown_distance(12.04) == "12.0"
    assert plots.shown_distance(0.0) == "0.0"
    for d in np.linspace(11.0, 12.0, 1001)[:-1]:
        assert float(plots.shown_distance(d)) < 12.0


def test_a_long_title_fits_a_narrow_grid():
    """A grid of a few glyphs wraps its title to its width instead of cutting it off."""
    images = np.zeros((2, 28, 28), np.uint8)
    title = "Distinct test images (top) and a copy of each in train (bottom)"
    fig = plots.glyph_grid(images, ["a", "b"], ncols=2, title=title)
    fig.canvas.draw()
    shown = fig.axes[0].title
    assert " ".join(shown.get_text().split()) == title
    extent = shown.get_window_extent(fig.canvas.get_renderer())
    assert extent.x0 >= 0 and extent.x1 <= fig.bbox.width, (extent, fig.bbox.width)
    plt.close(fig)
