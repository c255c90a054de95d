"""Rendering one design of one letter into a 28x28 glyph, and many in parallel.

A *design* is one fake font file: a real font (drawn with the chances of
[`font_weights`][notmnist.standin.font_weights], so that no one collection of fonts dominates)
plus a target ink share (the glyph is made bolder towards it, never thinner, measured on the
design's `E` so that letters keep their natural differences; a long bold tail, since real glyphs
are often bold letters stretched to fill the box; a slanted design aims bolder in proportion to
its slant, which widens the box its glyph is stretched from), a slant (shear), a small rotation,
outline or shadow strokes, and rarely an inversion, a near-blank, solid or padded picture.  The fewer the
fonts, the more each design departs from its font (`_variety`: sizes, slants, warps, blur, more
inversions).  The letter is drawn large (48 px), cropped at the edge of its ink (with a sub-pixel
jitter and, for its greys, a slight gamma, so two designs never coincide by chance), resized to
28x28 with a Lanczos filter ignoring the aspect ratio as the real set does, and given a little
more contrast.  A design is a tuple of plain numbers, cheap to send to worker processes; a glyph
is a pure function of the design, the letter and the font list.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .. import _workers
from ..registry import IMAGE_SIZE, LETTERS
from .fonts import _bundled_font

_RENDER_PX = 48  # font size of the large rendering, before the resize to 28x28
_CHUNK = 1024  # glyphs per worker task
# Pictures drawn instead of a letter (label noise, "odd glyphs"), all in DejaVu Sans.
_SYMBOLS = "☯☺☻♞♠♣♥♦♪♫☀☂☃★☎✈⚓⚑☘♚♛♜♝♟✿❀✪✚⌘⚙⚡☢☣✂✉✌✍✎✏"
_FAINT = 0.006  # near-blank designs
_SOLID = 0.006  # near-solid designs
_PADDED = 0.004  # glyph not stretched to the border (real: 99.5 % span the box)
_INVERT = 0.01  # inverted (filled) designs
_INVERT_FEW = 0.015  # more of them when fonts are few: a linear model cannot learn them away
_SHEAR, _ROTATE = 0.15, 0.10  # slanted (up to 0.35) and rotated (up to 8 degrees) designs
_OUTLINE, _SHADOW = 0.04, 0.03  # outlined and shadowed designs
# Share of bright pixels each design aims at, on its stretched E: a beta distribution with a long
# bold tail, tuned with benchmarks/fidelity.py so that "mostly bright" comes near the real figure.
_INK_A, _INK_B = 2.2, 4.5
_SLANT_BOLD = 1.5  # a design slanted by s aims (1 + 1.5 |s|) times bolder
_MAX_STEPS = 4  # most 3x3 dilations of the 48 px drawing (never erosions: they would cut hairlines)
_TONE = 0.04  # greys of every design moved by a gamma within exp(+-0.04): no two designs coincide by chance
_CONTRAST_GAIN = 1.4  # steepens grey edges: real glyphs have fewer mid-greys than a Lanczos resize
_CONTRAST = np.clip((np.arange(256) - 127.5) * _CONTRAST_GAIN + 127.5, 0, 255).round().astype(np.uint8)
_CONTRAST[1:] = np.maximum(_CONTRAST[1:], 1)  # faint edges stay ink: the glyph still fills the box

# A design: (font, weight, shear, angle, outline, shadow, invert, kind, symbol, px, warp, crop, blur, tone)
# weight: bright share aimed at; outline: stroke width or 0; shadow: offset in px or 0; kind: 0 glyph,
# 1 faint, 2 solid, 3 padded (pad in symbol); symbol: index into _SYMBOLS (-1: the letter); px: font
# size; warp: keystone corner displacement, a share of the size; crop: amplitude of the crop's jitter
# in px; blur: Gaussian radius on the 28x28 glyph; tone: log of a gamma on the finished glyph (further
# for a near copy).  Directions of warp and crop come from a hash of the design (`_jitter`).
_KIND_GLYPH, _KIND_FAINT, _KIND_SOLID, _KIND_PADDED = 0, 1, 2, 3
_SIZES = (36, 40, 44, 48, 52, 56, 60)  # font sizes drawn from when fonts are few


def _variety(n_fonts: int) -> float:
    """How much each design departs from its font: 1 with a few dozen fonts, 0 with a thousand.

    With few fonts every font must yield clearly different designs, or the stand-in is full of
    near copies and too easy to classify (amounts tuned with matplotlib's 24 fonts alone).
    """
    v = np.log(_PLAIN_FONTS / max(n_fonts, 1)) / np.log(_PLAIN_FONTS / _VARIETY_FONTS)
    return float(np.clip(v, 0.0, 1.0))


_VARIETY_FONTS, _PLAIN_FONTS = 30, 1000


def _random_designs(
    rng: np.random.Generator, n: int, n_fonts: int, odd_rate: float, font_weights: np.ndarray | None = None
) -> list[tuple]:
    """Draw `n` designs from `n_fonts` fonts (their variety set by `_variety`).

    `font_weights` (summing to 1) is the chance of each font, uniform if not given.
    """
    v = _variety(n_fonts)
    font = rng.choice(n_fonts, n, p=font_weights) if font_weights is not None else rng.integers(0, n_fonts, n)
    weight = np.clip(rng.beta(_INK_A, _INK_B, n), 0.08, 0.92)
    shear = np.where(rng.random(n) < _SHEAR + 0.6 * v, rng.uniform(-0.35, 0.35, n), 0.0)
    angle = np.where(rng.random(n) < _ROTATE + 0.5 * v, rng.uniform(-8, 8, n), 0.0)
    weight = np.minimum(weight * (1 + _SLANT_BOLD * np.abs(shear)), 0.92)
    effect = rng.random(n)
    outline_rate = _OUTLINE + 0.04 * v
    outline = np.where(effect < outline_rate, rng.integers(1, 4, n), 0)
    shadow = np.where((effect >= outline_rate) & (effect < outline_rate + _SHADOW), rng.integers(3, 8, n), 0)
    invert = rng.random(n) < _INVERT + _INVERT_FEW * v
    u = rng.random(n)
    kind = np.select(
        [u < _FAINT, u < _FAINT + _SOLID, u < _FAINT + _SOLID + _PADDED],
        [_KIND_FAINT, _KIND_SOLID, _KIND_PADDED], _KIND_GLYPH,
    )
    pad = rng.integers(1, 5, n)
    odd = rng.random(n) < odd_rate
    symbol = np.where(odd, rng.integers(0, len(_SYMBOLS), n), -1)
    px = np.where(rng.random(n) < v, np.array(_SIZES)[rng.integers(0, len(_SIZES), n)], _RENDER_PX)
    warp = rng.uniform(0, 0.12, n) * v
    crop = 0.6 + rng.uniform(0, 2.0, n) * v
    blur = np.where(rng.random(n) < 0.3 * v, rng.uniform(0.4, 1.0, n), 0.0)
    tone = rng.uniform(-_TONE, _TONE, n)
    return [
        (int(font[i]), round(float(weight[i]), 3), round(float(shear[i]), 4), round(float(angle[i]), 3),
         int(outline[i]), int(shadow[i]), bool(invert[i]), int(kind[i]),
         int(pad[i]) if kind[i] == _KIND_PADDED else int(symbol[i]),
         int(px[i]), round(float(warp[i]), 4), round(float(crop[i]), 3), round(float(blur[i]), 3),
         round(float(tone[i]), 4))
        for i in range(n)
    ]


@lru_cache(maxsize=1024)
def _font(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def _render_glyph(design: tuple, letter: int, fonts: Sequence[str]) -> np.ndarray:
    """The 28x28 uint8 glyph of letter 0-9 of a design, its font `fonts[design[0]]`."""
    from PIL import Image, ImageFilter

    font_i, weight, shear, angle, outline, shadow, invert, kind, extra, px, warp, crop, blur, tone = design
    symbol = _symbol(design)
    if symbol >= 0:
        # A picture instead of the letter: one of DejaVu's symbols, varying with the letter.
        text = _SYMBOLS[(symbol + 7 * letter) % len(_SYMBOLS)]
        font_path = str(_bundled_font("DejaVuSans.ttf"))
    else:
        text = LETTERS[letter]
        font_path = fonts[font_i]
    im = _draw(text, font_path, outline, shadow, px)
    if im is None:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    steps = _weight_steps(fonts[font_i], outline, shadow, weight, px) if symbol < 0 else 0
    im = _dilate(im, steps)
    j = _jitter(design)
    if shear or angle or warp:
        im = _distort(im, shear, angle, warp, j[4:])
    box = _crop_box(np.asarray(im))
    if box is None:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    # Jitter of the crop, so that no two designs render alike by chance (and, when fonts are few,
    # a glyph a little off-centre or clipped, as some real ones are).
    # Beyond +-0.6 px only inwards: the glyph still fills the box.
    # In proportion to the glyph's width and height: a narrow I keeps its solid block when stretched.
    fit = np.minimum(1.0, np.array([box[2] - box[0], box[3] - box[1]] * 2)[[0, 1, 0, 1]] / (0.7 * px))
    j = (j[:4] * 0.6 + np.abs(j[:4]) * (crop - 0.6)) * px / _RENDER_PX * fit
    left, right = (box[0] + j[0], box[2] - j[2]) if box[2] - box[0] > 2 + 2 * crop else (box[0], box[2])
    top, bottom = (box[1] + j[1], box[3] - j[3]) if box[3] - box[1] > 2 + 2 * crop else (box[1], box[3])
    box = (max(left, 0.0), max(top, 0.0), min(right, im.size[0]), min(bottom, im.size[1]))
    size = IMAGE_SIZE - 2 * extra if kind == _KIND_PADDED else IMAGE_SIZE
    im = im.resize((size, size), Image.Resampling.LANCZOS, box=box)
    if blur:
        im = im.filter(ImageFilter.GaussianBlur(blur))
    arr = _CONTRAST[np.asarray(im, np.uint8)]
    if kind == _KIND_PADDED:
        arr = np.pad(arr, extra)
    if invert:
        arr = 255 - arr
    if kind == _KIND_FAINT:
        arr = (arr.astype(np.uint16) * 24 // 255).astype(np.uint8)
    elif kind == _KIND_SOLID:
        arr = (255 - (255 - arr.astype(np.uint16)) * 24 // 255).astype(np.uint8)
    if tone:
        arr = _gamma(tone)[arr]
    return np.ascontiguousarray(arr)


def _symbol(design: tuple) -> int:
    """Index into `_SYMBOLS` of the picture a design draws instead of its letter, or -1."""
    return design[8] if design[7] != _KIND_PADDED else -1


@lru_cache(maxsize=256)
def _gamma(tone: float) -> np.ndarray:
    """Lookup table of the gamma `exp(tone)`: black and white stay, greys move a little."""
    return np.round(255 * (np.arange(256) / 255) ** math.exp(tone)).astype(np.uint8)


def _distort(im, shear: float, angle: float, warp: float, corners: np.ndarray):
    """Shear, rotate (degrees) and keystone-warp `im` in one resampling, on a canvas grown to fit."""
    from PIL import Image

    w, h = im.size
    grow = 1.0 + abs(shear) + (0.25 if angle else 0.0) + 2 * warp
    out_w, out_h = int(w * grow) + 2, int(h * grow) + 2
    # Corners of the output (upper left, lower left, lower right, upper right), centred, mapped back
    # into the source by the inverse rotation and shear, then moved by the warp.
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    src = []
    for k, (x, y) in enumerate(((-out_w, -out_h), (-out_w, out_h), (out_w, out_h), (out_w, -out_h))):
        x, y = (cos * x - sin * y) / 2, (sin * x + cos * y) / 2
        src += [x - shear * y + corners[2 * k] * warp * w + w / 2, y + corners[2 * k + 1] * warp * h + h / 2]
    return im.transform((out_w, out_h), Image.Transform.QUAD, tuple(src), Image.Resampling.BILINEAR)


def _draw(text: str, font_path: str, outline: int, shadow: int, px: int = _RENDER_PX):
    """The glyph drawn at size `px`, cropped to its ink plus a margin; None if it has no ink."""
    from PIL import Image, ImageDraw

    font = _font(font_path, px)
    side = 3 * px
    im = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(im)
    at = (side // 2, side // 2)
    if shadow:
        draw.text((at[0] + shadow, at[1] + shadow), text, font=font, fill=140, anchor="mm")
    if outline:
        draw.text(at, text, font=font, fill=0, anchor="mm", stroke_width=outline, stroke_fill=255)
    else:
        draw.text(at, text, font=font, fill=255, anchor="mm")
    box = im.getbbox()
    return None if box is None else im.crop((box[0] - 4, box[1] - 4, box[2] + 4, box[3] + 4))


def _weight_steps(font_path: str, outline: int, shadow: int, target: float, px: int = _RENDER_PX) -> int:
    """Dilations that bring the bright share of the design's `E`, inside its box, nearest `target`.

    Every letter then gets the same, so letters keep their natural differences.
    """
    return int(np.argmin(np.abs(np.array(_step_shares(font_path, outline, shadow, px)) - target)))


@lru_cache(maxsize=4096)
def _step_shares(font_path: str, outline: int, shadow: int, px: int) -> tuple[float, ...]:
    """Bright share of `E` after 0 to `_MAX_STEPS` dilations."""
    im = _draw("E", font_path, outline, shadow, px)
    if im is None:
        return (0.0,) * (_MAX_STEPS + 1)
    shares = [_bright_share(im)]
    for _ in range(_MAX_STEPS):
        im = _dilate(im, 1)
        shares.append(_bright_share(im))
    return tuple(shares)


def _bright_share(im) -> float:
    arr = np.asarray(im)
    box = _ink_box(arr, 127)
    return 0.0 if box is None else float((arr[box[1]:box[3], box[0]:box[2]] > 127).mean())


def _dilate(im, steps: int):
    """`steps` 3x3 dilations, on a canvas grown to fit."""
    from PIL import ImageFilter, ImageOps

    if steps:
        im = ImageOps.expand(im, border=steps, fill=0)
    for _ in range(steps):
        im = im.filter(ImageFilter.MaxFilter(3))
    return im


def _jitter(design: tuple) -> np.ndarray:
    """Twelve numbers in [-1, 1), a pure function of the design: 4 crop offsets, 8 warp offsets.

    The tone (last field) is left out: a near copy keeps its original's shape.
    """
    digest = hashlib.blake2b(repr(design[:-1]).encode(), digest_size=24).digest()
    return (np.frombuffer(digest, np.uint16) / 65536.0 - 0.5) * 2


def _crop_box(arr: np.ndarray) -> tuple[int, int, int, int] | None:
    """Where to crop a drawing: at the edge of its ink, not its faint fringe.

    Each side is that of the pixels brighter than 127 unless fainter ink (> 40)
    reaches more than 2 px beyond it (a thin or faint stroke, which must not be
    cut off).  A stretched stroke stays sharp, and a plain I becomes a solid block.
    """
    outer, inner = _ink_box(arr), _ink_box(arr, 127)
    if inner is None:
        return outer
    return tuple(i if abs(i - o) <= 2 else o for i, o in zip(inner, outer))


def _ink_box(arr: np.ndarray, level: int = 40) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the pixels brighter than `level`, or None."""
    ink = arr > level
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    if not len(rows):
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _png(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr, "L").save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def _render_task(args) -> list[bytes] | np.ndarray:
    jobs, fonts, as_png = args
    glyphs = [_render_glyph(design, letter, fonts) for design, letter in jobs]
    return [_png(g) for g in glyphs] if as_png else np.stack(glyphs)


def _render_designs(jobs, fonts, *, as_png: bool = False, n_jobs: int | None = None, progress=False):
    """`(design, letter)` jobs rendered by `n_jobs` processes (default: one per core), in order:
    uint8 array (len(jobs), 28, 28), or PNG bytes when `as_png`."""
    fonts = [str(f) for f in fonts]
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i][0][0], i))  # font by font: cache hits
    ordered = [jobs[i] for i in order]
    n_jobs = n_jobs or os.cpu_count() or 1
    chunk = min(_CHUNK, max(64, -(-len(jobs) // (4 * n_jobs))))  # a few tasks per worker
    tasks = [(ordered[i:i + chunk], fonts, as_png) for i in range(0, len(jobs), chunk)]
    pool = _workers.start(min(n_jobs, len(tasks)), __name__)
    results = map(_render_task, tasks) if pool is None else pool.map(_render_task, tasks)
    try:
        if progress:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(tasks), desc="rendering", unit="chunk")
        out = list(results)
    finally:
        _workers.stop(pool)
    inverse = np.argsort(np.array(order, dtype=np.int64))
    if as_png:
        flat = [png for chunk in out for png in chunk]
        return [flat[i] for i in inverse]
    if not out:
        return np.empty((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    return np.concatenate(out)[inverse]

