"""An offline stand-in for the notMNIST archives, rendered with Pillow from fonts.

:func:`write_standin` writes ``notMNIST_large.tar.gz`` and
``notMNIST_small.tar.gz`` in exactly the real layout (one top folder, folders
``A`` ... ``J``, file names that are base64 of a font file name, 28x28 8-bit
greyscale PNG, white ink on black, each glyph stretched to fill the box), so
that :func:`notmnist.archive.read_archive` and everything after it run
unchanged on them.

How a glyph is made
-------------------
A *design* is one fake font file: a real font from :func:`find_fonts` plus a
target ink share (the glyph is eroded or dilated towards it, measured on the
design's ``E`` so that letters keep their natural differences), a slant
(shear), a small rotation, outline or shadow strokes, and rarely an
inversion, a near-blank, solid or padded picture.  Each design yields one
image per letter, like a font file of the real set.  The letter is drawn
large (48 px), cropped to its ink (with a sub-pixel jitter, so two designs
never coincide by chance), resized to 28x28 with a Lanczos filter ignoring
the aspect ratio as the real set does, and given a little more contrast.

Planted quirks, so that every problem page has something real to find:

* the real unreadable files, as zero-byte PNGs: large 3 in ``A``, 1 in ``B``,
  1 in ``D``; small 1 in ``A``, 1 in ``F`` (at every scale);
* exact duplicates: the same design under two or more file names within each
  archive, and small-set designs copied from the large set, at rates tuned
  so that the course split (train and valid from large, test from small)
  shows about 13 % of test and 10.7 % of valid images with a copy in train,
  and about 2 % of distinct test images occurring more than once;
* odd glyphs: symbol pictures drawn instead of the letter (label noise, 3 %
  in the large set, 0.5 % in the small set), symbol fonts kept on purpose by
  :func:`find_fonts`, near-blank and solid images (about 1.2 %).

Scale
-----
``scale=1.0`` reproduces the real per-letter counts (529,114 + 18,724
readable images).  ``DEFAULT_SCALE = 0.1`` (52,910 + 1,870 readable images)
gives the course split train 20,000 / valid 1,000 / test 1,000.  It renders
about 47,000 distinct glyphs, about 1.3 ms of CPU each: 24 s on this
two-core machine.  On that split logistic regression behaves like the real
data, a few points lower: test accuracy .48 / .66 / .78 / .81 at 50 / 100 /
1,000 / 5,000 samples (real .51 / .70 / .83 / .85) and .85 on all 20,000
(real .89 on 200,000), so full-set training still clearly beats 5,000
samples, and its fit takes a few seconds.  At 0.05 the 500-image test split
could no longer tell 5,000 from 10,000 training images apart (its standard
error is near 1.5 points); larger scales only slow the site down.

Determinism
-----------
Every random choice comes from ``np.random.default_rng(seed)`` in the calling
process, before any rendering; workers are pure functions of their input.
Tar members are written in sorted order with fixed mtime, uid, gid and owner
names, and the gzip header carries mtime 0 and no file name.  The same seed,
font list and Pillow/FreeType versions give byte-identical archives.

The folder holds a manifest, ``standin.json``, written last: a folder with a
manifest is complete, and :func:`write_standin` reuses it when scale, seed and
font-list hash match.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import _workers
from ._io import atomic_write
from .dataset import normalise
from .duplicates import near_constant
from .registry import ARCHIVES, IMAGE_SIZE, LETTERS

log = logging.getLogger(__name__)

DEFAULT_SCALE: float = 0.1
"""Share of the real per-letter counts rendered by default (see the module docstring)."""

MANIFEST = "standin.json"
"""Name of the manifest written last into the output folder."""

ZERO_BYTE: dict[str, dict[str, int]] = {
    "large": {"A": 3, "B": 1, "D": 1},
    "small": {"A": 1, "F": 1},
}
"""Unreadable (zero-byte) files planted per archive and letter, as in the real set."""

REAL_STATS: dict[str, float] = {
    "mean": -0.073,
    "std": 0.459,
    "letter_mean_min": -0.153,
    "letter_mean_max": 0.065,
    "bbox_fills_box": 0.97,
    "median_bright_share": 0.40,
    "mostly_bright": 0.14,
    "near_constant": 0.014,
    "repeated_distinct": 0.02,
    "lr_50": 0.65,
    "lr_100": 0.78,
    "lr_1000": 0.86,
    "lr_5000": 0.87,
}
"""Statistics of 10,000 real glyphs from notMNIST_small (see REFERENCE.md).

Normalised pixels are ``(pixel - 127.5) / 255``.  ``letter_mean_min`` and
``letter_mean_max`` are the extreme per-letter means (J and I).  ``lr_N`` is
the test accuracy of logistic regression trained on N small-set glyphs.
"""

STAT_LABELS: dict[str, str] = {
    "mean": "normalised mean",
    "std": "normalised std",
    "letter_mean_min": "lowest per-letter mean",
    "letter_mean_max": "highest per-letter mean",
    "bbox_fills_box": "bounding box spans 28x28",
    "median_bright_share": "median share of pixels > 127",
    "mostly_bright": "share mostly bright",
    "near_constant": "share near-constant",
    "repeated_distinct": "distinct images seen twice or more",
    "lr_50": "logistic regression, 50 training images",
    "lr_100": "logistic regression, 100 training images",
    "lr_1000": "logistic regression, 1,000 training images",
    "lr_5000": "logistic regression, 5,000 training images",
}
"""Human-readable name of each statistic of :data:`REAL_STATS`."""

# Rendering ------------------------------------------------------------------
_RENDER_PX = 48  # font size of the large rendering, before the resize to 28x28
_CHUNK = 1024  # glyphs per worker task
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts")
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
# Pictures drawn instead of a letter (label noise, "odd glyphs"), all in DejaVu Sans.
_SYMBOLS = "☯☺☻♞♠♣♥♦♪♫☀☂☃★☎✈⚓⚑☘♚♛♜♝♟✿❀✪✚⌘⚙⚡☢☣✂✉✌✍✎✏"

# Planting rates, tuned against the real figures (see _plan).
_LARGE_ALIAS = 0.13  # share of large-set entries that repeat another entry's design
_SMALL_FROM_LARGE = 0.28  # share of small-set entries copying a large-set design
_SMALL_ALIAS = 0.03  # share of small-set entries repeating another small-set design
_ODD_LARGE = 0.03  # pictures instead of letters in the large set
_ODD_SMALL = 0.005
_FAINT = 0.006  # near-blank designs
_SOLID = 0.006  # near-solid designs
_PADDED = 0.02  # glyph not stretched to the border
_INVERT = 0.01  # inverted (filled) designs
_SHEAR, _ROTATE = 0.15, 0.10  # slanted (up to 0.35) and rotated (up to 8 degrees) designs
_OUTLINE, _SHADOW = 0.04, 0.03  # outlined and shadowed designs
_INK_MEAN, _INK_SD = 0.48, 0.07  # share of bright pixels each design aims at
_INK_BOLD, _INK_THIN = 0.08, 0.15  # tolerated excess and shortfall of ink before a step
_CONTRAST_GAIN = 1.4  # steepens grey edges: real glyphs have fewer mid-greys than a Lanczos resize
_CONTRAST = np.clip((np.arange(256) - 127.5) * _CONTRAST_GAIN + 127.5, 0, 255).round().astype(np.uint8)
_CONTRAST[1:] = np.maximum(_CONTRAST[1:], 1)  # faint edges stay ink: the glyph still fills the box

_TAR_MTIME = 1_312_000_000  # a fixed date in 2011, when notMNIST was published

_NAME_WORDS = (
    "Regular", "Bold", "Italic", "Light", "Black", "Heavy", "Condensed", "Wide",
    "Outline", "Shadow", "Inline", "Rounded", "Stencil", "Display", "Titling",
    "Book", "Medium", "Thin", "Extended", "Oblique", "Plain", "Semibold", "Poster",
    "Narrow", "Expanded", "Ultra", "Demi", "Roman", "Caps", "Std", "Pro", "Normal",
)
_NAME_EXTS = (".ttf", ".ttf", ".ttf", ".otf", ".pfb", ".TTF")


# -----------------------------------------------------------------------------
# Fonts
# -----------------------------------------------------------------------------


def find_fonts() -> list[Path]:
    """Find the fonts the stand-in is rendered from.

    matplotlib's bundled fonts plus every TrueType/OpenType font of the
    machine (``fc-list`` if present, else the usual font folders), de-duplicated
    by content and sorted by (file name, content hash).  Fonts that cannot
    render A-J (missing glyphs, ``.notdef`` boxes, ten identical glyphs) are
    dropped.  Symbol fonts whose A-J are pictures are kept on purpose, at most
    ``max(2, 1 %)`` of the list, as the real set's odd glyphs.

    Returns
    -------
    list of Path
        Usable font files, in a deterministic order.
    """
    import matplotlib

    candidates = sorted((Path(matplotlib.get_data_path()) / "fonts" / "ttf").glob("*.ttf"))
    candidates += _system_fonts()
    by_hash: dict[str, Path] = {}
    for path in candidates:
        try:
            digest = _file_hash(path)
        except OSError:
            continue
        by_hash.setdefault(digest, path)
    ordered = sorted(by_hash.items(), key=lambda kv: (kv[1].name.lower(), kv[0]))
    cache_file = _verdict_cache_file()
    cache = _load_verdicts(cache_file)
    usable, odd = [], []
    for digest, path in ordered:
        if digest not in cache:
            cache[digest] = _font_verdict(path)
        verdict = cache[digest]
        if verdict == "letters":
            usable.append((digest, path))
        elif verdict == "symbols":
            odd.append((digest, path))
    _save_verdicts(cache_file, cache)
    _save_verdicts(_hash_cache_file(), _known_hashes())
    keep_odd = max(2, len(usable) // 100)
    fonts = sorted(usable + odd[:keep_odd], key=lambda kv: (kv[1].name.lower(), kv[0]))
    log.info(
        "found %d usable fonts (%d symbol fonts kept of %d) among %d files",
        len(fonts), min(keep_odd, len(odd)), len(odd), len(candidates),
    )
    return [path for _, path in fonts]


def fonts_hash(fonts: Sequence[str | os.PathLike]) -> str:
    """SHA-256 over the file names and contents of ``fonts``, in order.

    Two machines with the same fonts under different folders get the same hash.
    """
    h = hashlib.sha256()
    for path in fonts:
        path = Path(path)
        h.update(f"{path.name}\0{_file_hash(path)}\n".encode())
    return h.hexdigest()


def _verdict_cache_file() -> Path:
    """Where font verdicts are remembered between runs (checking 1,000 fonts takes seconds)."""
    import PIL
    import platformdirs

    return Path(platformdirs.user_cache_dir("notmnist")) / f"standin-fonts-{PIL.__version__}.json"


def _load_verdicts(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if v in ("letters", "symbols", "unusable")}


def _save_verdicts(path: Path, cache: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, json.dumps(cache, sort_keys=True).encode())
    except OSError as exc:  # a read-only cache only costs time
        log.debug("cannot save font verdicts to %s: %s", path, exc)


def _system_fonts() -> list[Path]:
    found: set[Path] = set()
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(
                ["fc-list", "--format", "%{file}\n"],
                capture_output=True, text=True, timeout=60, check=True,
            ).stdout
            found.update(Path(line) for line in out.splitlines() if line.strip())
        except (OSError, subprocess.SubprocessError):
            log.warning("fc-list failed; walking the font folders instead")
    if not found:
        for folder in _FONT_DIRS:
            root = Path(folder).expanduser()
            if root.is_dir():
                found.update(p for p in root.rglob("*") if p.is_file())
    return sorted(p for p in found if p.suffix.lower() in _FONT_SUFFIXES and p.is_file())


def _file_hash(path: Path) -> str:
    """SHA-256 of a font file, remembered by path, size and mtime (hashing 1,250 fonts takes 0.35 s)."""
    path = Path(path)
    stat = path.stat()
    stamp = [stat.st_size, stat.st_mtime_ns]
    known = _known_hashes().get(str(path))
    if known is not None and known[:2] == stamp:
        return known[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _known_hashes()[str(path)] = [*stamp, digest]
    return digest


@lru_cache(maxsize=1)
def _known_hashes() -> dict[str, list]:
    """``{path: [size, mtime_ns, sha256]}`` of font files, from the last run (saved by :func:`find_fonts`)."""
    try:
        data = json.loads(_hash_cache_file().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, list) and len(v) == 3}


def _hash_cache_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("notmnist")) / "standin-font-hashes.json"


def _font_verdict(path: Path) -> str:
    """``"letters"``, ``"symbols"`` (usable odd glyphs) or ``"unusable"``."""
    from PIL import ImageFont

    try:
        font = ImageFont.truetype(str(path), 32)
        glyphs = [_glyph_mask(font, ch) for ch in LETTERS]
        blanks = [_glyph_mask(font, ch) for ch in ("\ue000", "\U0010fffd", "\uffff")]
    except (OSError, ValueError):
        return "unusable"
    if any(g is None for g in glyphs):
        return "unusable"
    if any(b is not None and any(np.array_equal(g, b) for g in glyphs) for b in blanks):
        return "unusable"  # a .notdef box stands in for some letter
    if len({g.tobytes() + bytes(g.shape) for g in glyphs}) < 8:
        return "unusable"  # identical boxes, or a font of blanks
    return "letters" if _looks_like_letters(glyphs) else "symbols"


def _glyph_mask(font, ch: str) -> np.ndarray | None:
    """Ink of ``ch`` cropped to its bounding box, as a binary array; None if no ink."""
    mask = font.getmask(ch, mode="L")
    arr = np.asarray(mask, np.uint8).reshape(mask.size[1], mask.size[0]) > 96
    if not arr.any():
        return None
    rows, cols = np.flatnonzero(arr.any(1)), np.flatnonzero(arr.any(0))
    return arr[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _looks_like_letters(glyphs: list[np.ndarray]) -> bool:
    """Crude check that glyphs A-J are the Latin letters, not pictures.

    Each glyph is stretched to 12x12 and matched to the nearest of ten
    templates (DejaVu letters); a font with not even one right is a symbol font.
    """
    templates = _templates()
    right = 0
    for i, g in enumerate(glyphs):
        v = _to_grid(g)
        dist = ((templates - v) ** 2).sum(axis=1)
        right += int(np.argmin(dist) == i)
    return right >= 1


@lru_cache(maxsize=1)
def _templates() -> np.ndarray:
    from PIL import ImageFont

    rows = []
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf"):
        font = ImageFont.truetype(str(_bundled_font(name)), 32)
        rows.append([_to_grid(_glyph_mask(font, ch)) for ch in LETTERS])
    return np.mean(np.array(rows), axis=0)


def _to_grid(g: np.ndarray, n: int = 12) -> np.ndarray:
    r = np.linspace(0, g.shape[0] - 1, n).round().astype(int)
    c = np.linspace(0, g.shape[1] - 1, n).round().astype(int)
    return g[np.ix_(r, c)].astype(np.float32).ravel()


def _bundled_font(name: str) -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


# -----------------------------------------------------------------------------
# Designs and rendering
# -----------------------------------------------------------------------------

# A design is a tuple of plain numbers, cheap to send to workers:
# (font, weight, shear, angle, outline, shadow, invert, kind, symbol)
# weight: share of bright pixels aimed at (erode/dilate towards it); outline: stroke width or 0;
# shadow: offset in px or 0; kind: 0 glyph, 1 faint, 2 solid, 3 padded (pad in symbol);
# symbol: index into _SYMBOLS for pictures (-1 = draw the letter).
_KIND_GLYPH, _KIND_FAINT, _KIND_SOLID, _KIND_PADDED = 0, 1, 2, 3


def _random_designs(rng: np.random.Generator, n: int, n_fonts: int, odd_rate: float) -> list[tuple]:
    """Draw ``n`` designs."""
    font = rng.integers(0, n_fonts, n)
    weight = np.clip(rng.normal(_INK_MEAN, _INK_SD, n), 0.1, 0.75)
    shear = np.where(rng.random(n) < _SHEAR, rng.uniform(-0.35, 0.35, n), 0.0)
    angle = np.where(rng.random(n) < _ROTATE, rng.uniform(-8, 8, n), 0.0)
    effect = rng.random(n)
    outline = np.where(effect < _OUTLINE, rng.integers(1, 4, n), 0)
    shadow = np.where((effect >= _OUTLINE) & (effect < _OUTLINE + _SHADOW), rng.integers(3, 8, n), 0)
    invert = rng.random(n) < _INVERT
    u = rng.random(n)
    kind = np.select(
        [u < _FAINT, u < _FAINT + _SOLID, u < _FAINT + _SOLID + _PADDED],
        [_KIND_FAINT, _KIND_SOLID, _KIND_PADDED], _KIND_GLYPH,
    )
    pad = rng.integers(1, 5, n)
    odd = rng.random(n) < odd_rate
    symbol = np.where(odd, rng.integers(0, len(_SYMBOLS), n), -1)
    return [
        (int(font[i]), round(float(weight[i]), 3), round(float(shear[i]), 4), round(float(angle[i]), 3),
         int(outline[i]), int(shadow[i]), bool(invert[i]), int(kind[i]),
         int(pad[i]) if kind[i] == _KIND_PADDED else int(symbol[i]))
        for i in range(n)
    ]


@lru_cache(maxsize=256)
def _font(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def render_glyph(design: tuple, letter: int, fonts: Sequence[str]) -> np.ndarray:
    """Render one glyph of a design.

    Parameters
    ----------
    design : tuple
        As drawn by ``_random_designs``.
    letter : int
        0 to 9 for A to J.
    fonts : sequence of str
        Font files indexed by ``design[0]``.

    Returns
    -------
    ndarray of uint8, shape (28, 28)
        White ink on black, stretched to fill the box.
    """
    from PIL import Image

    font_i, weight, shear, angle, outline, shadow, invert, kind, extra = design
    symbol = extra if kind != _KIND_PADDED else -1
    if symbol >= 0:
        # A picture instead of the letter: one of DejaVu's symbols, varying with the letter.
        text = _SYMBOLS[(symbol + 7 * letter) % len(_SYMBOLS)]
        font_path = str(_bundled_font("DejaVuSans.ttf"))
    else:
        text = LETTERS[letter]
        font_path = fonts[font_i]
    im = _draw(text, font_path, outline, shadow)
    if im is None:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    steps = _weight_steps(fonts[font_i], outline, shadow, weight) if symbol < 0 else 0
    im = _morph(im, steps)
    if shear:
        w, h = im.size
        extra_w = int(abs(shear) * h) + 1
        im = im.transform(
            (w + extra_w, h), Image.Transform.AFFINE,
            (1, shear, -extra_w / 2 - shear * h / 2, 0, 1, 0),
            resample=Image.Resampling.BILINEAR,
        )
    if angle:
        im = im.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
    box = _ink_box(np.asarray(im))
    if box is None:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    # Sub-pixel jitter of the crop, so that no two designs render alike by chance.
    j = _jitter(design)
    left, right = (box[0] + j[0], box[2] - j[2]) if box[2] - box[0] > 2 else (box[0], box[2])
    top, bottom = (box[1] + j[1], box[3] - j[3]) if box[3] - box[1] > 2 else (box[1], box[3])
    box = (left, top, right, bottom)
    size = IMAGE_SIZE - 2 * extra if kind == _KIND_PADDED else IMAGE_SIZE
    im = im.resize((size, size), Image.Resampling.LANCZOS, box=box)
    arr = _CONTRAST[np.asarray(im, np.uint8)]
    if kind == _KIND_PADDED:
        arr = np.pad(arr, extra)
    if invert:
        arr = 255 - arr
    if kind == _KIND_FAINT:
        arr = (arr.astype(np.uint16) * 24 // 255).astype(np.uint8)
    elif kind == _KIND_SOLID:
        arr = (255 - (255 - arr.astype(np.uint16)) * 24 // 255).astype(np.uint8)
    return np.ascontiguousarray(arr)


def _draw(text: str, font_path: str, outline: int, shadow: int):
    """The glyph drawn large, cropped to its ink plus a margin; None if it has no ink."""
    from PIL import Image, ImageDraw

    font = _font(font_path, _RENDER_PX)
    side = 3 * _RENDER_PX
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
    if box is None:
        return None
    m = 4
    return im.crop((box[0] - m, box[1] - m, box[2] + m, box[3] + m))


@lru_cache(maxsize=4096)
def _weight_steps(font_path: str, outline: int, shadow: int, target: float) -> int:
    """Erosions (< 0) or dilations (> 0) that bring the design's reference letter near ``target``.

    The share of bright pixels is measured on ``E`` inside its bounding box
    (what fills the 28x28 box after the stretch), and the same steps are then
    applied to every letter, so letters keep their natural differences (a
    stretched ``I`` is brighter than a ``J``).  At most three steps; an
    erosion that would wipe the glyph out is not taken.
    """
    im = _draw("E", font_path, outline, shadow)
    steps = 0
    for _ in range(3):
        if im is None:
            break
        share = _bright_share(im)
        if share > target + _INK_BOLD:
            thinner = _morph(im, -1)
            if _bright_share(thinner) < 0.02:
                break
            im, steps = thinner, steps - 1
        elif share < target - _INK_THIN:
            im, steps = _morph(im, 1), steps + 1
        else:
            break
    return steps


def _bright_share(im) -> float:
    arr = np.asarray(im)
    box = _ink_box(arr, 127)
    if box is None:
        return 0.0
    return float((arr[box[1]:box[3], box[0]:box[2]] > 127).mean())


def _morph(im, steps: int):
    """``steps`` 3x3 dilations (> 0) or erosions (< 0)."""
    from PIL import ImageFilter

    for _ in range(abs(steps)):
        im = im.filter(ImageFilter.MaxFilter(3) if steps > 0 else ImageFilter.MinFilter(3))
    return im


def _jitter(design: tuple) -> np.ndarray:
    """Four crop offsets in [-0.6, 0.6) px, a pure function of the design."""
    digest = hashlib.blake2b(repr(design).encode(), digest_size=8).digest()
    return (np.frombuffer(digest, np.uint16) / 65536.0 - 0.5) * 1.2


def _ink_box(arr: np.ndarray, level: int = 40) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the pixels brighter than ``level``, or None."""
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
    glyphs = [render_glyph(design, letter, fonts) for design, letter in jobs]
    if as_png:
        return [_png(g) for g in glyphs]
    return np.stack(glyphs) if glyphs else np.empty((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)


def render_designs(
    jobs: Sequence[tuple[tuple, int]],
    fonts: Sequence[str | os.PathLike],
    *,
    as_png: bool = False,
    n_jobs: int | None = None,
    progress: bool = False,
):
    """Render ``(design, letter)`` jobs, in parallel, in order.

    Returns
    -------
    ndarray of uint8, shape (len(jobs), 28, 28), or list of bytes
        The glyphs, or their PNG encodings when ``as_png``.
    """
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


# -----------------------------------------------------------------------------
# The plan: which design goes under which file name in which archive
# -----------------------------------------------------------------------------


def _plan(scale: float, seed: int, fonts: Sequence[Path]) -> tuple[list[tuple], dict]:
    """Draw every design and every archive entry.

    Returns
    -------
    designs : list of tuple
        Distinct designs; entries refer to them by index.
    entries : dict
        ``entries[subset][letter]`` is a list of ``(file name, design index)``;
        design index -1 marks a planted zero-byte file.
    """
    rng = np.random.default_rng(seed)
    n_fonts = len(fonts)
    families = [_family(Path(f)) for f in fonts]
    designs: list[tuple] = []
    plan: dict[str, dict[str, list[tuple[str, int]]]] = {}
    large_ids = np.empty(0, np.int64)
    for subset in ("large", "small"):
        counts = [round(c * scale) for c in ARCHIVES[subset].counts]
        n = max(counts)
        if subset == "large":
            n_alias = int(round(n * _LARGE_ALIAS))
            n_new, n_copy = n - n_alias, 0
            odd = _ODD_LARGE
        else:
            n_copy = int(round(n * _SMALL_FROM_LARGE))
            n_alias = int(round(n * _SMALL_ALIAS))
            n_new = n - n_copy - n_alias
            odd = _ODD_SMALL
        first = len(designs)
        designs += _random_designs(rng, n_new, n_fonts, odd)
        ids = np.arange(first, first + n_new)
        parts = [ids]
        if n_copy:
            parts.append(rng.choice(large_ids, n_copy, replace=False))
        if n_alias:
            parts.append(rng.choice(ids, n_alias, replace=n_alias > len(ids)))
        entry_ids = np.concatenate(parts)
        rng.shuffle(entry_ids)
        zero = ZERO_BYTE[subset]
        n_zero = max(zero.values(), default=0)
        broken = [families[int(i)] for i in rng.integers(0, n_fonts, n_zero)]
        names = _fake_names(rng, [families[designs[i][0]] for i in entry_ids] + broken)
        all_ids = np.concatenate([entry_ids, np.full(n_zero, -1)])
        by_name = np.argsort(np.array(names))  # members are written in name order
        plan[subset] = {}
        for li, letter in enumerate(LETTERS):
            include = np.zeros(n + n_zero, bool)
            include[rng.choice(n, counts[li], replace=False)] = True
            include[n:n + zero.get(letter, 0)] = True
            picked = by_name[include[by_name]]
            plan[subset][letter] = [(names[k], i) for k, i in zip(picked, all_ids[picked].tolist())]
        if subset == "large":
            large_ids = entry_ids
    return designs, plan


def _family(path: Path) -> str:
    stem = path.stem.replace("_", " ").replace("-", " ")
    words = [w for w in stem.split() if w]
    return " ".join(words[:2]) or "Font"


def _fake_names(rng: np.random.Generator, families: list[str]) -> list[str]:
    """Distinct font file names, base64-encoded + ``.png``, one per entry, without ``/``."""
    n = len(families)
    words = np.array(_NAME_WORDS)
    first = rng.integers(0, len(words), n)
    second = rng.integers(-len(words), len(words), n)  # negative: one word only
    number = rng.integers(0, 100, n)
    ext = rng.integers(0, len(_NAME_EXTS), n)
    seen: set[str] = set()
    out = []
    for i, family in enumerate(families):
        stem = f"{family} {words[first[i]]}"
        if second[i] >= 0 and second[i] != first[i]:
            stem += f" {words[second[i]]}"
        if number[i] < 60:
            stem += f" {number[i]}"
        encoded, k = _b64(stem + _NAME_EXTS[ext[i]]), 1
        while encoded in seen or "/" in encoded:
            encoded, k = _b64(f"{stem} {k}{_NAME_EXTS[ext[i]]}"), k + 1
        seen.add(encoded)
        out.append(encoded + ".png")
    return out


def _b64(name: str) -> str:
    return base64.b64encode(name.encode("utf-8")).decode("ascii")


# -----------------------------------------------------------------------------
# Writing the archives
# -----------------------------------------------------------------------------


def write_standin(
    out_dir: str | os.PathLike,
    *,
    scale: float = DEFAULT_SCALE,
    seed: int = 0,
    fonts: Sequence[str | os.PathLike] | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
) -> dict[str, Path]:
    """Render the stand-in archives into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Folder for ``notMNIST_large.tar.gz``, ``notMNIST_small.tar.gz`` and
        the manifest ``standin.json``; created if missing.
    scale : float
        Readable images per letter are ``round(real_count * scale)``;
        ``1.0`` gives the real 529,114 + 18,724.
    seed : int
        Seed of every random choice.
    fonts : sequence of path-like, optional
        Font files to render from; default :func:`find_fonts`.
    progress : bool
        Show a tqdm progress bar while rendering.
    n_jobs : int, optional
        Rendering processes; default: all cores.  The output does not depend on it.

    Returns
    -------
    dict
        ``{"large": path, "small": path}``.  When ``out_dir`` already holds a
        complete stand-in with the same scale, seed and font list, it is
        returned as is, without rendering.

    Raises
    ------
    ValueError
        If ``scale`` is not in (0, 1] or no font is usable.
    """
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale!r}: use 1.0 for the real size")
    out_dir = Path(out_dir)
    fonts = [Path(f) for f in (find_fonts() if fonts is None else fonts)]
    if not fonts:
        raise ValueError("no usable font found: install some fonts (see .ci/fonts.txt) or pass fonts=")
    missing = [str(f) for f in fonts if not f.is_file()]
    if missing:
        raise ValueError(f"font file not found: {missing[0]}; pass existing font files in fonts=")
    paths = {s: out_dir / ARCHIVES[s].filename for s in ARCHIVES}
    key = {"scale": float(scale), "seed": int(seed), "fonts_hash": fonts_hash(fonts)}
    existing = read_manifest(out_dir)
    if (
        existing is not None
        and all(existing.get(k) == v for k, v in key.items())
        and all(p.is_file() for p in paths.values())
    ):
        log.info("stand-in in %s is complete and current, reusing it", out_dir)
        return paths

    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST).unlink(missing_ok=True)  # incomplete from now on
    designs, plan = _plan(scale, seed, fonts)
    jobs = {(d, li) for s in plan for li, L in enumerate(LETTERS) for _, d in plan[s][L] if d >= 0}
    jobs = sorted(jobs)
    log.info("rendering %d glyphs from %d fonts (scale %g, seed %d)", len(jobs), len(fonts), scale, seed)
    pngs = render_designs(
        [(designs[d], li) for d, li in jobs], fonts, as_png=True, n_jobs=n_jobs, progress=progress
    )
    rendered = dict(zip(jobs, pngs))
    for subset, path in paths.items():
        _write_tar(path, ARCHIVES[subset].top_folder, plan[subset], rendered)
    manifest = {
        **key,
        "fonts": len(fonts),
        "counts": {
            s: {L: sum(d >= 0 for _, d in plan[s][L]) for L in LETTERS} for s in plan
        },
        "zero_byte": {
            s: [f"{ARCHIVES[s].top_folder}/{L}/{n}" for L in LETTERS for n, d in plan[s][L] if d < 0]
            for s in plan
        },
        "duplicates": _duplicate_summary(plan),
        "pillow": _pillow_version(),
        "generation_seconds": round(time.perf_counter() - started, 1),
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _atomic_write(out_dir / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    log.info("wrote stand-in to %s in %.1f s", out_dir, manifest["generation_seconds"])
    return paths


def read_manifest(out_dir: str | os.PathLike) -> dict | None:
    """The manifest of a complete stand-in folder, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((Path(out_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _duplicate_summary(plan: dict) -> dict:
    out = {}
    for subset, letters in plan.items():
        ids = [d for _, d in letters["A"] if d >= 0]
        out[f"{subset}_repeated_designs"] = int(len(ids) - len(set(ids)))
    large = {d for _, d in plan["large"]["A"]}
    out["small_designs_also_in_large"] = int(sum(d in large for _, d in plan["small"]["A"] if d >= 0))
    return out


def _pillow_version() -> str:
    import PIL

    return PIL.__version__


def _write_tar(path: Path, top: str, letters: dict, rendered: dict) -> None:
    """Write one archive, deterministically, via a temporary file and ``os.replace``."""
    with atomic_write(path) as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6
    ) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(_tarinfo(top + "/", None))
        for li, letter in enumerate(LETTERS):
            tar.addfile(_tarinfo(f"{top}/{letter}/", None))
            for name, d in letters[letter]:
                data = rendered[(d, li)] if d >= 0 else b""
                tar.addfile(_tarinfo(f"{top}/{letter}/{name}", data), io.BytesIO(data))


def _tarinfo(name: str, data: bytes | None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name.rstrip("/"))
    info.mtime = _TAR_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.size = len(data)
        info.mode = 0o644
    return info


def _atomic_write(path: Path, data: bytes) -> None:
    with atomic_write(path) as f:
        f.write(data)


# -----------------------------------------------------------------------------
# Fidelity
# -----------------------------------------------------------------------------


def fidelity(images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Statistics of glyphs, comparable with :data:`REAL_STATS`.

    Parameters
    ----------
    images : ndarray of uint8, shape (N, 28, 28)
        Raw glyphs, 0 black, 255 white.
    labels : ndarray of int, shape (N,)
        0 to 9 for A to J.

    Returns
    -------
    dict
        The keys of :data:`REAL_STATS` except the ``lr_*`` ones.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(images) != len(labels):
        raise ValueError(
            f"expected images of shape (N, 28, 28) and N labels, got {images.shape} and {labels.shape}"
        )
    if len(images) == 0:
        raise ValueError("no images: fidelity needs at least one glyph")
    norm = normalise(images)
    means = norm.reshape(len(norm), -1).mean(axis=1)
    letter_means = [float(means[labels == k].mean()) for k in range(len(LETTERS)) if (labels == k).any()]
    ink = images > 0
    fills = ink[:, 0, :].any(1) & ink[:, -1, :].any(1) & ink[:, :, 0].any(1) & ink[:, :, -1].any(1)
    bright = (images > 127).reshape(len(images), -1).mean(axis=1)
    _, counts = np.unique(images.reshape(len(images), -1), axis=0, return_counts=True)
    return {
        "mean": float(norm.mean()),
        "std": float(norm.std()),
        "letter_mean_min": min(letter_means),
        "letter_mean_max": max(letter_means),
        "bbox_fills_box": float(fills.mean()),
        "median_bright_share": float(np.median(bright)),
        "mostly_bright": float((bright > 0.5).mean()),
        "near_constant": float(near_constant(images).mean()),
        "repeated_distinct": float((counts > 1).mean()),
    }


def learning_curve(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    sizes: Iterable[int] = (50, 100, 1000, 5000),
    *,
    seed: int = 0,
) -> dict[int, float]:
    """Test accuracy of logistic regression trained on the first ``n`` of a seeded shuffle.

    Sizes larger than the training set are skipped.

    Returns
    -------
    dict
        ``{n: accuracy}``.
    """
    from sklearn.linear_model import LogisticRegression

    from .baseline import features

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train_labels))
    x = features(train_images)[order]
    y = np.asarray(train_labels)[order]
    xt = features(test_images)
    out = {}
    for n in sizes:
        if n > len(y):
            continue
        model = LogisticRegression(max_iter=1000)
        model.fit(x[:n], y[:n])
        out[int(n)] = float(model.score(xt, test_labels))
    return out


def fidelity_table(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    train_images: np.ndarray | None = None,
    train_labels: np.ndarray | None = None,
    seed: int = 0,
) -> list[tuple[str, float, float | None]]:
    """Rows ``(statistic, real, stand-in)`` comparing glyphs with :data:`REAL_STATS`.

    Parameters
    ----------
    images : ndarray of uint8, shape (N, 28, 28)
        Stand-in small-set glyphs (statistics, and the learning curve's test set).
    labels : ndarray of int, shape (N,)
        Their classes.
    train_images, train_labels : ndarray, optional
        Training glyphs for the learning curve (e.g. the stand-in large set).
        Default: half of ``images`` trains, the other half tests.
    seed : int
        Seed of the shuffles of the learning curve.

    Returns
    -------
    list of tuple
        ``(label, real value, stand-in value)``; the stand-in value is None
        for a learning-curve size larger than the training set.
    """
    stats = fidelity(images, labels)
    if train_images is None:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(labels))
        half = len(order) // 2
        train_images, train_labels = images[order[:half]], np.asarray(labels)[order[:half]]
        images, labels = images[order[half:]], np.asarray(labels)[order[half:]]
    curve = learning_curve(train_images, train_labels, images, labels, seed=seed)
    for n in (50, 100, 1000, 5000):
        stats[f"lr_{n}"] = curve.get(n)
    return [(STAT_LABELS[k], REAL_STATS[k], stats[k]) for k in REAL_STATS]


def fidelity_report(
    paths: dict[str, str | os.PathLike], *, seed: int = 0, n_jobs: int | None = None
) -> list[tuple[str, float, float | None]]:
    """:func:`fidelity_table` of a stand-in folder, as ``python -m notmnist standin --report`` prints it.

    Statistics are measured on the small archive; the learning curve trains on
    the large archive and tests on the small one (at small scales the small
    set alone is too small for 5,000 training images).

    Parameters
    ----------
    paths : dict
        ``{"large": path, "small": path}``, as returned by :func:`write_standin`.
    seed : int
        Seed of the learning curve's shuffle.
    n_jobs : int, optional
        Processes that decode the archives.

    Returns
    -------
    list of tuple
        ``(statistic, real, stand-in)`` rows.
    """
    from .archive import read_archive

    large = read_archive(paths["large"], n_jobs=n_jobs)
    small = read_archive(paths["small"], n_jobs=n_jobs)
    return fidelity_table(
        small.images, small.labels,
        train_images=large.images, train_labels=large.labels, seed=seed,
    )


def standin_letters(
    fonts: Sequence[str | os.PathLike],
    n_designs: int,
    *,
    seed: int = 0,
    odd_rate: float = 0.0,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Render ``n_designs`` random designs of every letter straight into arrays.

    For experiments (e.g. font-disjoint checks) without writing archives.

    Returns
    -------
    images : ndarray of uint8, shape (10 * n_designs, 28, 28)
    labels : ndarray of int64, shape (10 * n_designs,)
    """
    rng = np.random.default_rng(seed)
    designs = _random_designs(rng, n_designs, len(fonts), odd_rate)
    jobs = [(d, li) for d in designs for li in range(len(LETTERS))]
    images = render_designs(jobs, fonts, n_jobs=n_jobs)
    labels = np.tile(np.arange(len(LETTERS), dtype=np.int64), n_designs)
    return images, labels


