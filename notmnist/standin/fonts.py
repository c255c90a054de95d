"""Fonts the stand-in is rendered from: found on the machine, checked, hashed, weighed."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import warnings
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import _sidefile
from ..config import FONT_SETS, data_home
from ..registry import LETTERS

log = logging.getLogger(__name__)
_UNREADABLE = "font cache {file} is unreadable ({why}); checking the fonts again"

_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts")
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")

FEW_FONTS = 50
"""Below this many usable fonts the stand-in warns that its letters come from few typefaces."""


def find_fonts(which: str = "all") -> list[Path]:
    """Find the fonts the stand-in is rendered from, and remember the verdicts between runs.

    matplotlib's bundled fonts plus, unless `which` is `"matplotlib"`, every TrueType/OpenType
    font of the machine (`fc-list`, else the usual font folders), de-duplicated by content and
    sorted by (file name, content hash).  Fonts that cannot render A-J (missing glyphs, `.notdef`
    boxes, ten identical glyphs) are dropped; symbol fonts are kept, at most `max(2, 1 %)` of the
    list, as the real set's odd glyphs.

    Parameters
    ----------
    which : {"all", "matplotlib"}
        Every font found, or matplotlib's bundled fonts alone (the same on every machine).

    Returns
    -------
    list of Path
        Usable font files, in a deterministic order.
    """
    import matplotlib

    if which not in FONT_SETS:
        raise ValueError(f"unknown font set {which!r}: choose one of {', '.join(FONT_SETS)}")
    candidates = sorted((Path(matplotlib.get_data_path()) / "fonts" / "ttf").glob("*.ttf"))
    if which == "all":
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
    if ordered and all(cache.get(d) == "unusable" for d, _ in ordered):
        cache = {}  # a cache that rules out every font is not believed: check them again
    usable, odd = [], []
    for digest, path in ordered:
        if digest not in cache:
            cache[digest] = _font_verdict(path)
        verdict = cache[digest]
        if verdict == "letters":
            usable.append((digest, path))
        elif verdict == "symbols":
            odd.append((digest, path))
    _sidefile.save(cache_file, cache)
    _sidefile.save(_hash_cache_file(), _known_hashes())
    keep_odd = max(2, len(usable) // 100)
    fonts = sorted(usable + odd[:keep_odd], key=lambda kv: (kv[1].name.lower(), kv[0]))
    log.info(
        "found %d usable fonts (%d symbol fonts kept of %d) among %d files",
        len(fonts), min(keep_odd, len(odd)), len(odd), len(candidates),
    )
    return [path for _, path in fonts]


_warned: set[int] = set()


def _warn_if_few(n_fonts: int) -> bool:
    """Warn, once per process, that `n_fonts` is below `FEW_FONTS`; return whether it is."""
    if n_fonts >= FEW_FONTS:
        return False
    if not _warned:
        _warned.add(n_fonts)
        warnings.warn(
            f"the offline stand-in is rendered from only {n_fonts} fonts (fewer than {FEW_FONTS}), "
            "so its glyphs come from a few typefaces; install more fonts for a closer stand-in "
            "(the data page's 'Fonts' section says how)",
            stacklevel=3,
        )
    return True


def font_weights(fonts: Sequence[str | os.PathLike]) -> np.ndarray:
    """The chance of drawing each font for a design (summing to 1): `1 / sqrt(n)` in a folder of `n`.

    A folder is usually one font package, and one large collection would otherwise make most of
    the stand-in: with the square root, 400 fonts of one folder count like 20 single fonts.

    Parameters
    ----------
    fonts : sequence of str or PathLike
        Font files.
    """
    if not fonts:
        raise ValueError("no fonts to weigh")
    weights = np.array(_folder_sizes(fonts)) ** -0.5
    return weights / weights.sum()


def _folder_sizes(fonts: Sequence[str | os.PathLike]) -> list[int]:
    """For each font, how many of `fonts` share its folder."""
    size = Counter(str(Path(f).parent) for f in fonts)
    return [size[str(Path(f).parent)] for f in fonts]


def fonts_hash(fonts: Sequence[str | os.PathLike]) -> str:
    """SHA-256 over the file names, contents and folder sizes (which set the weights) of `fonts`.

    Parameters
    ----------
    fonts : sequence of str or PathLike
        Font files, in the order the designs index them.
    """
    h = hashlib.sha256()
    for path, size in zip(fonts, _folder_sizes(fonts)):
        path = Path(path)
        h.update(f"{path.name}\0{_file_hash(path)}\0{size}\n".encode())
    return h.hexdigest()


def _verdict_cache_file() -> Path:
    """Where font verdicts are remembered between runs (checking 1,000 fonts takes seconds)."""
    import PIL

    return data_home() / f"standin-fonts-{PIL.__version__}.json"


def _load_verdicts(path: Path) -> dict[str, str]:
    data = _sidefile.load(path, _UNREADABLE)
    return {k: v for k, v in data.items() if v in ("letters", "symbols", "unusable")}


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
    """SHA-256 of a font file, remembered in a book of hashes (saved by
    [`find_fonts`][notmnist.standin.find_fonts])."""
    return _sidefile.sha256(path, book=_known_hashes())


@lru_cache(maxsize=1)
def _known_hashes() -> dict[str, dict]:
    return _sidefile.load(_hash_cache_file(), _UNREADABLE)


def _hash_cache_file() -> Path:
    return data_home() / "standin-font-hashes.json"


def _font_verdict(path: Path) -> str:
    """`"letters"`, `"symbols"` (usable odd glyphs) or `"unusable"`."""
    from PIL import ImageFont

    try:
        font = ImageFont.truetype(str(path), 32)
        glyphs = [_glyph_mask(font, ch) for ch in LETTERS]
        blanks = [_glyph_mask(font, ch) for ch in ("\ue000", "\U0010fffd", "\uffff")]
    except (OSError, ValueError):
        return "unusable"
    if any(g is None for g in glyphs) or any(
        b is not None and any(np.array_equal(g, b) for g in glyphs) for b in blanks  # a .notdef box
    ):
        return "unusable"
    if len({g.tobytes() + bytes(g.shape) for g in glyphs}) < 8:
        return "unusable"  # identical boxes, or a font of blanks
    return "letters" if _looks_like_letters(glyphs) else "symbols"


def _glyph_mask(font, ch: str) -> np.ndarray | None:
    """Ink of `ch` cropped to its bounding box, as a binary array; None if no ink."""
    mask = font.getmask(ch, mode="L")
    arr = np.asarray(mask, np.uint8).reshape(mask.size[1], mask.size[0]) > 96
    rows, cols = np.flatnonzero(arr.any(1)), np.flatnonzero(arr.any(0))
    return arr[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] if len(rows) else None


def _looks_like_letters(glyphs: list[np.ndarray]) -> bool:
    """Whether any glyph stretched to 12x12 is nearest its own DejaVu template (else: symbols)."""
    templates = _templates()
    return any(np.argmin(((templates - _to_grid(g)) ** 2).sum(axis=1)) == i for i, g in enumerate(glyphs))


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

