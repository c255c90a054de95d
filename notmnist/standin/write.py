"""Writing the stand-in archives: which design goes under which name, then the tar files.

See [`notmnist.standin`][notmnist.standin] for what the archives hold and how they are reused.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import logging
import os
import sys
import tarfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import _sidefile
from .._io import NotAFile, atomic_write, kind, read_json
from ..cache import code_hash
from ..config import DEFAULT_STANDIN_SCALE
from ..errors import NotMNISTError
from ..registry import ARCHIVES, LETTERS
from . import render
from .fonts import _warn_if_few, find_fonts, font_weights, fonts_hash
from .render import _random_designs

log = logging.getLogger(__name__)

MANIFEST = "standin.json"
"""Name of the manifest written last into the output folder."""


class NotOurs(NotMNISTError, FileExistsError):
    """A file under a stand-in archive's name that the stand-in did not write."""

ZERO_BYTE: dict[str, dict[str, int]] = {
    "large": {"A": 3, "B": 1, "D": 1},
    "small": {"A": 1, "F": 1},
}
"""Unreadable (zero-byte) files planted per archive and letter, as in the real set."""


# Planting rates, tuned against the real figures (see _plan).
_LARGE_ALIAS = 0.13  # share of large-set entries that repeat another entry's design
_SMALL_FROM_LARGE = 0.28  # share of small-set entries copying a large-set design
_SMALL_ALIAS = 0.03  # share of small-set entries repeating another small-set design
_SMALL_NEAR_LARGE = 0.4  # times variety: share of small-set entries a faint variant of a large-set design
_ODD_LARGE = 0.065  # pictures instead of letters: the real label noise, 6.5 % in the large set
_ODD_SMALL = 0.005  # and 0.5 % in the hand-cleaned small set

_TAR_MTIME = 1_312_000_000  # a fixed date in 2011, when notMNIST was published

_NAME_WORDS = (
    "Regular Bold Italic Light Black Heavy Condensed Wide Outline Shadow Inline Rounded Stencil Display "
    "Titling Book Medium Thin Extended Oblique Plain Semibold Poster Narrow Expanded Ultra Demi Roman Caps "
    "Std Pro Normal"
).split()
_NAME_EXTS = (".ttf", ".ttf", ".ttf", ".otf", ".pfb", ".TTF")


def _plan(scale: float, seed: int, fonts: Sequence[Path]) -> tuple[list[tuple], dict]:
    """(designs, entries): `entries[subset][letter]` lists `(file name, index into designs)`,
    index -1 for a planted zero-byte file."""
    rng = np.random.default_rng(seed)
    n_fonts = len(fonts)
    weights = font_weights(fonts)
    families = [_family(Path(f)) for f in fonts]
    designs: list[tuple] = []
    plan: dict[str, dict[str, list[tuple[str, int]]]] = {}
    large_ids = np.empty(0, np.int64)
    for subset in ("large", "small"):
        counts = [round(c * scale) for c in ARCHIVES[subset].counts]
        n = max(counts)
        if subset == "large":
            n_alias = int(round(n * _LARGE_ALIAS))
            n_new, n_copy, n_near = n - n_alias, 0, 0
            odd = _ODD_LARGE
        else:
            n_copy = int(round(n * _SMALL_FROM_LARGE))
            n_alias = int(round(n * _SMALL_ALIAS))
            n_near = int(round(n * _SMALL_NEAR_LARGE * render._variety(n_fonts)))
            n_new = n - n_copy - n_alias - n_near
            odd = _ODD_SMALL
        first = len(designs)
        designs += _random_designs(rng, n_new, n_fonts, odd, weights)
        ids = np.arange(first, first + n_new)
        parts = [ids]
        # The small set was cleaned by hand: what it shares with the large set is letters, not pictures.
        letters = large_ids[[render._symbol(designs[i]) < 0 for i in large_ids]]
        if n_copy:
            parts.append(rng.choice(letters, n_copy, replace=False))
        if n_near:
            parts.append(np.arange(len(designs), len(designs) + n_near))
            designs += _near_copies(rng, [designs[i] for i in rng.choice(letters, n_near, replace=False)])
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


def _near_copies(rng: np.random.Generator, originals: list[tuple]) -> list[tuple]:
    """Faint variants of designs, their gamma moved by 5 to 20 % (most stay under L1 < 10)."""
    shift = rng.choice([-1.0, 1.0], len(originals)) * rng.uniform(0.05, 0.2, len(originals))
    return [d[:-1] + (round(d[-1] + float(t), 4),) for d, t in zip(originals, shift)]


def _family(path: Path) -> str:
    return " ".join(path.stem.replace("_", " ").replace("-", " ").split()[:2]) or "Font"


def _fake_names(rng: np.random.Generator, families: list[str]) -> list[str]:
    """Distinct font file names, base64-encoded + `.png`, one per entry, without `/`."""
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


def write_standin(
    out_dir: str | os.PathLike,
    *,
    scale: float = DEFAULT_STANDIN_SCALE,
    seed: int = 0,
    fonts: Sequence[str | os.PathLike] | str | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
) -> dict[str, Path]:
    """Render the stand-in archives into `out_dir`.

    Parameters
    ----------
    out_dir : path-like
        Folder for the two archives and the manifest; created if missing.
    scale : float
        Readable images per letter are `round(real_count * scale)`.
    seed : int
        Seed of every random choice.
    fonts : sequence of path-like, or {"all", "matplotlib"}, optional
        Font files to render from, or the font set [`find_fonts`][notmnist.standin.find_fonts] should
        look for (default `"all"`: every font of the machine plus matplotlib's).
    progress : bool
        Show a tqdm progress bar while rendering.
    n_jobs : int, optional
        Rendering processes; default: all cores.  The output does not depend on it.

    Returns
    -------
    dict
        `{"large": path, "small": path}`.  A complete stand-in in `out_dir` with the same
        scale, seed, fonts and rendering code
        ([`notmnist.cache.code_hash`][notmnist.cache.code_hash]), whose archives still have the
        size and SHA-256 of its manifest, is returned as is, without rendering.

    Raises
    ------
    ValueError
        If `scale` is not in (0, 1] or no font is usable.
    NotOurs
        `out_dir` has no stand-in manifest and holds a file under an archive's name: it is
        never overwritten.  In a stand-in folder, an archive unlike its manifest's record
        is moved aside to `<name>.invalid` and rendered again.
    """
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale!r}: use 1.0 for the real size")
    out_dir = Path(out_dir)
    font_set = fonts if isinstance(fonts, str) or fonts is None else "given"
    if font_set != "given":  # a name; find_fonts refuses one that is not a font set
        fonts = find_fonts(font_set or "all")
    fonts = [Path(f) for f in fonts]
    if not fonts:
        raise ValueError("no usable font found: install some fonts (see .ci/fonts.txt) or pass fonts=")
    missing = [str(f) for f in fonts if not f.is_file()]
    if missing:
        raise ValueError(f"font file not found: {missing[0]}; pass existing font files in fonts=")
    _warn_if_few(len(fonts))
    paths = {s: out_dir / ARCHIVES[s].filename for s in ARCHIVES}
    key = {
        "scale": float(scale),
        "seed": int(seed),
        "fonts_hash": fonts_hash(fonts),
        "code": code_hash(sys.modules[__name__]),  # the rendering code and all it imports
    }
    recorded = _manifest(out_dir)
    existing = recorded if recorded and not recorded.get("writing") else None
    if existing is not None and all(existing.get(k) == v for k, v in key.items()):
        damaged = _damaged(paths, existing.get("archives"))
        if not damaged:
            log.info("stand-in in %s is complete and current, reusing it", out_dir)
            return paths
        log.warning("stand-in archive %s is %s; rendering the stand-in again", *damaged)
    _claim(paths, recorded)

    import PIL

    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    # Incomplete from now on; the archives under these names are the stand-in's to replace.
    with atomic_write(out_dir / MANIFEST) as f:
        f.write(json.dumps({"writing": True, **key}).encode())
    designs, plan = _plan(scale, seed, fonts)
    jobs = sorted({(d, li) for s in plan for li, L in enumerate(LETTERS) for _, d in plan[s][L] if d >= 0})
    log.info("rendering %d glyphs from %d fonts (scale %g, seed %d)", len(jobs), len(fonts), scale, seed)
    pngs = render._render_designs(
        [(designs[d], li) for d, li in jobs], fonts, as_png=True, n_jobs=n_jobs, progress=progress
    )
    rendered = dict(zip(jobs, pngs))
    for subset, path in paths.items():
        _write_tar(path, ARCHIVES[subset].top_folder, plan[subset], rendered)
    manifest = {
        **key,
        "fonts": len(fonts),
        "font_set": font_set or "all",
        "archives": {s: {"size": p.stat().st_size, "sha256": _sidefile.sha256(p)} for s, p in paths.items()},
        "counts": {s: {L: sum(d >= 0 for _, d in plan[s][L]) for L in LETTERS} for s in plan},
        "zero_byte": {
            s: [f"{ARCHIVES[s].top_folder}/{L}/{n}" for L in LETTERS for n, d in plan[s][L] if d < 0]
            for s in plan
        },
        "duplicates": _duplicate_summary(plan),
        "pillow": PIL.__version__,
        "generation_seconds": round(time.perf_counter() - started, 1),
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with atomic_write(out_dir / MANIFEST) as f:
        f.write((json.dumps(manifest, indent=2) + "\n").encode())
    log.info("wrote stand-in to %s in %.1f s", out_dir, manifest["generation_seconds"])
    return paths


def _damaged(paths: dict[str, Path], recorded) -> tuple[str, str] | None:
    """`(archive, what is wrong)` for the first archive unlike its size and SHA-256 on record, else None."""
    for subset, path in paths.items():
        record = recorded.get(subset) if isinstance(recorded, dict) else None
        if not isinstance(record, dict):
            return path.name, "not described by its manifest (written by an older version)"
        try:
            size = path.stat().st_size
        except OSError:
            return path.name, "missing"
        if size != record.get("size"):
            return path.name, f"{size:,} bytes instead of {record.get('size')!r} (truncated or replaced)"
        if _sidefile.sha256(path) != record.get("sha256"):
            return path.name, "changed since it was written (SHA-256 differs)"
    return None


def read_manifest(out_dir: str | os.PathLike) -> dict | None:
    """The manifest of a complete stand-in folder, or None if there is none (or it is unreadable).

    Parameters
    ----------
    out_dir : str or PathLike
        A stand-in folder.
    """
    data = _manifest(Path(out_dir))
    return None if data is None or data.get("writing") else data


def _manifest(out_dir: Path) -> dict | None:
    """The manifest, complete or not; None if there is none, `{}` (with a warning) if it is not one."""
    path = out_dir / MANIFEST
    try:
        data = read_json(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        warnings.warn(f"{path} is unreadable ({exc}); the stand-in is rendered again", stacklevel=4)
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("scale"), (int, float)):
        warnings.warn(f"{path} is not a stand-in manifest; the stand-in is rendered again", stacklevel=4)
        return {}
    return data


def _claim(paths: dict[str, Path], recorded: dict | None) -> None:
    """Refuse a file under an archive's name without a manifest (`NotOurs`); move one unlike its
    record aside to `<name>.invalid`, unless the manifest says it was being written."""
    for subset, path in paths.items():
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if not os.path.isfile(path) or path.is_symlink():
            raise NotAFile(
                f"{path} is a {kind(mode)}, not a stand-in archive: it is never replaced; "
                "remove it or choose another folder"
            )
        if recorded is None:
            raise NotOurs(
                f"{path} was not written by the stand-in (its folder has no {MANIFEST}): it is never "
                "overwritten; choose another --out folder, or move the file away"
            )
        records = recorded.get("archives")
        record = records.get(subset) if isinstance(records, dict) else None
        if recorded.get("writing") or (
            isinstance(record, dict) and _sidefile.sha256(path) == record.get("sha256")
        ):
            continue
        moved = _sidefile.aside(path)
        log.warning("%s is not the stand-in its manifest describes; moved it to %s", path, moved)


def _duplicate_summary(plan: dict) -> dict:
    ids = {subset: [d for _, d in letters["A"] if d >= 0] for subset, letters in plan.items()}
    out = {f"{subset}_repeated_designs": len(i) - len(set(i)) for subset, i in ids.items()}
    large = set(ids["large"])
    out["small_designs_also_in_large"] = sum(d in large for d in ids["small"])
    return out


def _write_tar(path: Path, top: str, letters: dict, rendered: dict) -> None:
    """Write one archive, deterministically, via a temporary file and `os.replace`."""
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
    info.type, info.mode = (tarfile.DIRTYPE, 0o755) if data is None else (tarfile.REGTYPE, 0o644)
    info.size = len(data or b"")
    return info
