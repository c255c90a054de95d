"""Figure helpers the problem pages share: glyph grids, pairs, bars.

Glyphs are drawn in grey with no ticks, white ink on black as in the archives.
Every helper returns the :class:`~matplotlib.figure.Figure` so a page can add
to it; pages call ``plt.show()`` at the end of a figure cell.

When a problem script runs from a terminal with no display (matplotlib's
non-interactive Agg backend) and not under mkdocs-gallery, importing this
module arranges for the open figures to be saved as PNG files under
``./figures/`` when the script ends, and says where.
"""

from __future__ import annotations

import atexit
import sys
import warnings
from pathlib import Path

import numpy as np

from .registry import LETTERS


def glyph_grid(
    images: np.ndarray,
    captions=None,
    *,
    ncols: int = 10,
    title: str | None = None,
    marked=None,
    size: float = 1.0,
):
    """Draw images in a grid.

    Parameters
    ----------
    images : ndarray, shape (n, 28, 28)
        uint8 pixels or normalised floats.
    captions : sequence of str, optional
        One short caption under each image.
    ncols : int
        Images per row.
    title : str, optional
        Figure title.
    marked : sequence of bool, optional
        Draw a red frame around the images where True (mistakes, duplicates).
    size : float
        Inches per image.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    extra = 0.25 if captions is not None else 0.0
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * size, nrows * (size + extra) + (0.5 if title else 0)), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        vmin, vmax = (0, 255) if images[i].dtype == np.uint8 else (-0.5, 0.5)
        ax.imshow(images[i], cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        if captions is not None:
            ax.set_xlabel(str(captions[i]), fontsize=8, labelpad=2)
        for spine in ax.spines.values():
            if marked is not None and marked[i]:
                spine.set_edgecolor("red")
                spine.set_linewidth(2.5)
            else:
                spine.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def letter_grid(images, labels, *, per_letter: int = 10, seed: int = 0, title: str | None = None):
    """One row per letter A-J with ``per_letter`` random samples of that letter.

    Parameters
    ----------
    images : ndarray, shape (n, 28, 28)
    labels : ndarray of int, shape (n,)
    per_letter : int
    seed : int
        Seed of the sample.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rng = np.random.default_rng(seed)
    picks, captions = [], []
    for label, letter in enumerate(LETTERS):
        where = np.flatnonzero(labels == label)
        chosen = rng.choice(where, size=min(per_letter, len(where)), replace=False)
        chosen = np.pad(chosen, (0, per_letter - len(chosen)), constant_values=-1)
        picks.extend(chosen)
        captions.extend([letter] * per_letter)
    blank = np.zeros_like(images[0])
    grid = np.stack([images[i] if i >= 0 else blank for i in picks])
    return glyph_grid(grid, captions, ncols=per_letter, title=title, size=0.8)


def pair_grid(left, right, captions, *, title: str | None = None, ncols: int = 6):
    """Pairs of images side by side (left above right), one caption per pair.

    Parameters
    ----------
    left, right : ndarray, shape (n, 28, 28)
    captions : sequence of str, length n
    """
    import matplotlib.pyplot as plt

    n = len(left)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(2 * nrows, ncols, figsize=(1.3 * ncols, 2.7 * nrows + 0.4), squeeze=False)
    for i in range(nrows * ncols):
        top, bottom = axes[2 * (i // ncols), i % ncols], axes[2 * (i // ncols) + 1, i % ncols]
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
        if i >= n:
            top.axis("off")
            bottom.axis("off")
            continue
        for ax, img in ((top, left[i]), (bottom, right[i])):
            vmin, vmax = (0, 255) if img.dtype == np.uint8 else (-0.5, 0.5)
            ax.imshow(img, cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        bottom.set_xlabel(captions[i], fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- headless runs


def _running_in_gallery() -> bool:
    return "mkdocs_gallery" in sys.modules or "sphinx_gallery" in sys.modules


def _save_open_figures() -> None:
    import matplotlib.pyplot as plt

    numbers = plt.get_fignums()
    if not numbers:
        return
    stem = Path(sys.argv[0]).stem or "figure"
    folder = Path("figures")
    folder.mkdir(exist_ok=True)
    for k, num in enumerate(numbers, 1):
        path = folder / f"{stem}_{k}.png"
        plt.figure(num).savefig(path, dpi=100)
    print(
        f"\nNo display: {len(numbers)} figure(s) saved as {folder / stem}_*.png "
        "(the rendered site shows them too)."
    )


def _arrange_headless_saving() -> None:
    # Only for a problem script (plot_*.py) run from a terminal.
    if _running_in_gallery() or not Path(sys.argv[0]).name.startswith("plot_"):
        return
    import matplotlib

    if matplotlib.get_backend().lower() in ("agg", "pdf", "svg", "ps", "cairo", "template"):
        warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown")
        atexit.register(_save_open_figures)


_arrange_headless_saving()
