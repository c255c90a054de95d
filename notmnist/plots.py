"""Figure helpers the problem pages share: glyph grids and pairs of glyphs.

Glyphs are drawn in grey with no ticks, white ink on black as in the archives.  Every helper
returns the `Figure` so a page can add to it; pages call `plt.show()` at the end of a figure cell
and [`save_if_headless`][notmnist.plots.save_if_headless] at the end of the script.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import numpy as np

from ._text import plural
from .registry import LETTERS

_PAD = 5  # pixels between glyphs (each glyph also gets a thin grey frame, so white tiles never merge)
_CAPTION = 13  # pixels under a glyph for its caption
_FRAME = "0.55"  # grey of the frame around every glyph

_PAIR_SIZE = 1.2  # inches per image of a pair grid
_HEADLESS = ("agg", "pdf", "svg", "ps", "cairo", "template")  # matplotlib backends with no window
_CHAR_WIDTH = 0.62  # average width of a character of matplotlib's font, in ems

# On a phone a figure's text shrinks by _PHONE_COLUMN / (width * dpi), whatever the dpi: matplotlib's
# default sizes (10 points and up) suit figures up to about 5.3 inches wide.
_PHONE_COLUMN = 345  # CSS pixels a figure gets on a 390 px phone (the column less its margins)
_MIN_TEXT = 9  # smallest text, in CSS pixels, a figure may show on that phone


def _readable_size(width: float) -> float:
    """Smallest font size (points) still `_MIN_TEXT` pixels tall when a `width`-inch figure fills a phone."""
    return _MIN_TEXT * 72 / _PHONE_COLUMN * width


def glyph_grid(
    images: np.ndarray,
    captions=None,
    *,
    ncols: int = 10,
    title: str | None = None,
    marked=None,
    empty=None,
    size: float = 1.0,
):
    """Draw images in a grid, as one picture (fast even for hundreds of glyphs).

    Parameters
    ----------
    images : ndarray, shape (n, 28, 28)
        uint8 pixels or normalised floats.
    captions : sequence of str, optional
        One short caption under each image ("" for none).
    ncols : int
        Images per row, at most: fewer when the captions would not fit under the images at a
        size legible on a phone.
    title : str, optional
        Figure title, wrapped to the figure's width.
    marked : sequence of bool, optional
        Draw a red frame around the images where True (mistakes, duplicates).
    empty : sequence of bool, optional
        Slots left blank where True (the image there is ignored): no glyph, frame or caption, so
        a grid's filler never passes for an all-black glyph.
    size : float
        Inches per image.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    images = np.asarray(images)
    n, h, w = images.shape
    ncols = _fit_columns(max(1, min(ncols, n)), size, captions)
    nrows = max(1, -(-n // ncols))
    below = _CAPTION if captions is not None else 0
    cell_h, cell_w = h + _PAD + below, w + _PAD
    mosaic = np.full((nrows * cell_h + _PAD, ncols * cell_w + _PAD), np.nan, np.float32)
    pixels = images.astype(np.float32) / 255 if images.dtype == np.uint8 else images.astype(np.float32) + 0.5
    shown = np.ones(n, bool) if empty is None else ~np.asarray(empty, bool)
    for i in np.flatnonzero(shown):
        y, x = _PAD + (i // ncols) * cell_h, _PAD + (i % ncols) * cell_w
        mosaic[y : y + h, x : x + w] = pixels[i]
    width = ncols * size + 0.2
    title_size = max(12.0, _readable_size(width))
    if title:
        title = textwrap.fill(title, max(20, int(72 * width / (_CHAR_WIDTH * title_size))))
    top = (title.count("\n") + 1) * 1.3 * title_size / 72 + 0.2 if title else 0.05
    height = nrows * size * cell_h / cell_w + top + 0.05
    fig, ax = plt.subplots(figsize=(width, height))
    # the mosaic fills the figure but for fixed margins (tight_layout would measure every caption)
    fig.subplots_adjust(left=0.1 / width, right=1 - 0.1 / width, bottom=0.05 / height, top=1 - top / height)
    cmap = plt.get_cmap("gray").with_extremes(bad="white")
    ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    fontsize = max(11 * min(1.0, size / 0.9), _readable_size(width))
    for i in np.flatnonzero(shown):
        y, x = _PAD + (i // ncols) * cell_h, _PAD + (i % ncols) * cell_w
        if captions is not None and captions[i]:
            ax.text(x + w / 2, y + h + 1, str(captions[i]), ha="center", va="top", fontsize=fontsize)
        if marked is not None and marked[i]:
            frame = Rectangle((x - 2, y - 2), w + 3, h + 3, fill=False, edgecolor="red", linewidth=2.5)
        else:
            frame = Rectangle((x - 1, y - 1), w + 1, h + 1, fill=False, edgecolor=_FRAME, linewidth=0.6)
        ax.add_patch(frame)
    if title:
        ax.set_title(title, fontsize=title_size)
    return fig


def _fit_columns(ncols: int, size: float, captions) -> int:
    """At most `ncols` columns of `size` inches, fewer if the longest caption would not fit."""
    longest = max((len(str(c)) for c in captions), default=0) if captions is not None else 0
    while ncols > 1 and longest * _CHAR_WIDTH * _readable_size(ncols * size + 0.2) > 72 * size:
        ncols -= 1
    return ncols


def shown_distance(distance: float, decimals: int = 1) -> str:
    """A distance for a caption, rounded *down* so that it stays on its side of a threshold.

    11.97 under a threshold of 12 shows as `11.9`, never as `12.0`.

    Parameters
    ----------
    distance : float
    decimals : int
        Decimals shown.
    """
    scale = 10**decimals
    return f"{np.floor(float(distance) * scale) / scale:.{decimals}f}"


def letter_grid(images, labels, *, per_letter: int = 10, seed: int = 0, title: str | None = None):
    """One row per letter A-J with `per_letter` random samples of that letter.

    Parameters
    ----------
    images : ndarray, shape (n, 28, 28)
    labels : ndarray of int, shape (n,)
    per_letter : int
        Samples per letter (one row each).
    seed : int
        Seed of the sample.
    title : str, optional
    """
    rng = np.random.default_rng(seed)
    picks, captions = [], []
    for label, letter in enumerate(LETTERS):
        where = np.flatnonzero(labels == label)
        chosen = rng.choice(where, size=min(per_letter, len(where)), replace=False)
        chosen = np.pad(chosen, (0, per_letter - len(chosen)), constant_values=-1)  # -1: an empty slot
        picks.extend(chosen)
        captions.extend([letter] * per_letter)
    picks = np.array(picks)
    grid = images[np.maximum(picks, 0)]
    return glyph_grid(grid, captions, ncols=per_letter, title=title, empty=picks < 0, size=0.8)


def pair_grid(left, right, captions, *, title: str | None = None, ncols: int = 6):
    """Pairs of images, `left[i]` above `right[i]`, one caption under each pair.

    Parameters
    ----------
    left, right : ndarray, shape (n, 28, 28)
    captions : sequence of str, length n
    title : str, optional
    ncols : int
        Pairs per row, at most (fewer when the captions need the room, as in `glyph_grid`).
    """
    left, right = np.asarray(left), np.asarray(right)
    n = len(left)
    ncols = _fit_columns(max(1, min(ncols, n)), _PAIR_SIZE, captions)
    rows, labels, empty = [], [], []
    for start in range(0, n, ncols):
        stop = min(start + ncols, n)
        pad = ncols - (stop - start)
        filler = np.zeros((pad, *left.shape[1:]), left.dtype)  # drawn as empty slots
        rows += [np.concatenate([left[start:stop], filler]), np.concatenate([right[start:stop], filler])]
        labels += [""] * ncols + list(captions[start:stop]) + [""] * pad
        empty += 2 * ([False] * (stop - start) + [True] * pad)
    grid = np.concatenate(rows) if rows else left
    return glyph_grid(grid, labels, ncols=ncols, title=title, empty=empty, size=_PAIR_SIZE)


def save_if_headless() -> None:
    """Save the figures a problem script left open when nothing could show them, and say where.

    Each problem script ends with this call.  Without a display (a non-interactive backend such
    as Agg) the open figures are saved as `figures/<script>_<n>.png`; with a display, or under
    the site build (mkdocs-gallery collects the figures), there is nothing to do.  When they cannot
    be saved (a file named `figures` in the way) it ends the script with a one-line error.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    numbers = plt.get_fignums()
    if not numbers or "mkdocs_gallery" in sys.modules or matplotlib.get_backend().lower() not in _HEADLESS:
        return
    stem = Path(sys.argv[0]).stem or "figure"
    folder = Path("figures")
    try:
        folder.mkdir(exist_ok=True)
        for k, num in enumerate(numbers, 1):
            plt.figure(num).savefig(folder / f"{stem}_{k}.png", dpi=100)
    except OSError as exc:  # the end of a script: one line, no traceback (SystemExit prints it)
        where = folder.absolute()
        what = (
            f"{where} is a file, not a folder; move it aside"
            if os.path.lexists(folder) and not folder.is_dir()
            else f"cannot write in {where} ({exc.strerror or exc}); make room or fix its permissions"
        )
        message = f"notmnist: error: figures not saved: {what}, or run the script from another folder"
        raise SystemExit(message) from None
    print(
        f"\nNo display: {plural(len(numbers), 'figure')} saved as {folder / stem}_*.png "
        f"(the rendered site shows {'it' if len(numbers) == 1 else 'them'} too)."
    )
