"""Measure the real glyphs the stand-in is compared with, and store the figures in the package.

Reads the sample of 2,000 real notMNIST_small glyphs (`../shared/data/notMNIST_small_sample.tar.gz`
beside the project folder, `notmnist.fidelity.REAL_SAMPLE`), computes
`notmnist.fidelity.glyph_stats` and `notmnist.fidelity.neighbour_stats` on it (defined by
`notmnist.fidelity.GLYPH_DEFINITIONS`) and, with every font of this machine
(`notmnist.standin.find_fonts("all")`, so run it where CI's fonts are installed),
`notmnist.fidelity.font_matches` on the half of the sample not `notmnist.fidelity.held_out`
for the transfer, and writes them into `notmnist/_real_glyphs.py` (about a minute):

    .venv/bin/python benchmarks/real_glyphs.py

The figures in `notmnist.fidelity.REAL_GLYPHS` come from here, never typed in.
Run again when a definition in `notmnist.fidelity` (or the near-duplicate threshold) changes;
`tests/test_fidelity.py` checks that the stored figures are those of the sample.
"""

from __future__ import annotations

import hashlib
import pprint
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notmnist" / "_real_glyphs.py"

HEADER = '''"""Statistics of real notMNIST glyphs, the stand-in's reference (generated: do not edit).

Written by `.venv/bin/python benchmarks/real_glyphs.py` from the sample named below, with the
definitions of [`notmnist.fidelity`][notmnist.fidelity]; the sample is never part of the package.
`FONT_COUNTS`: for each font file name, how many real glyphs have it among their nearest fonts
([`notmnist.fidelity.font_matches`][]), which the stand-in draws its fonts by.
"""

'''


def measure(path: Path) -> dict:
    """The figures of the real glyphs in ``path``, with what they are, and the font counts."""
    from notmnist import duplicates, fidelity
    from notmnist.archive import read_archive
    from notmnist.standin import find_fonts, fonts_hash

    letters = read_archive(path, n_jobs=1)
    fonts = find_fonts("all")
    weigh = ~fidelity.held_out(letters.labels)  # the other half scores the transfer
    glyphs = fidelity.glyph_stats(letters.images, letters.labels)
    neighbours = fidelity.neighbour_stats(letters.images, seed=0)
    n_q, n_r = fidelity._nn_sizes(len(letters.labels))
    return {
        "sample": {
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "glyphs": len(letters.labels),
            "what": "real notMNIST_small glyphs drawn at random, 200 per letter",
        },
        "glyphs": {k: round(v, 4) for k, v in glyphs.items()},
        "neighbours": {k: round(v, 4) for k, v in neighbours.items()},
        "neighbour_protocol": {
            "queries": n_q, "references": n_r, "seed": 0, "threshold": duplicates.DEFAULT_THRESHOLD,
        },
        "fonts": {"fonts": len(fonts), "fonts_hash": fonts_hash(fonts), **_MATCHING},
    }, fidelity.font_matches(letters.images[weigh], letters.labels[weigh], fonts, **_MATCHING)


_MATCHING = {"designs": 3, "top": 20, "seed": 0}


def _wrapped(items, width: int = 104) -> str:
    """Items on lines of at most `width` characters, indented by four spaces."""
    lines, line = [], ""
    for item in items:
        if line and len(line) + 1 + len(item) > width:
            lines.append(line)
            line = ""
        line = f"{line} {item}" if line else item
    return "".join(f"    {x}\n" for x in lines + [line] if x)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from notmnist import fidelity

    path = fidelity.REAL_SAMPLE
    if not path.is_file():
        print(f"no real sample at {path}: nothing measured", file=sys.stderr)
        return 1
    figures, counts = measure(path)
    text = HEADER + "FIGURES = " + pprint.pformat(figures, width=108, sort_dicts=False) + "\n"
    text += "\nFONT_COUNTS = {\n" + _wrapped(f"{k!r}: {v}," for k, v in counts.items()) + "}\n"
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(OUT)
    print(f"wrote {OUT.relative_to(ROOT)} from {figures['sample']['glyphs']:,} glyphs of {path.name}")
    for key, value in figures["glyphs"].items():
        print(f"  {key:22s} {value:8.4f}   {fidelity.GLYPH_DEFINITIONS[key]}")
    for key, value in figures["neighbours"].items():
        print(f"  {key:22s} {value:8.4f}")
    found = sum(v > 0 for v in counts.values())
    print(f"  fonts: {found:,} of {len(counts):,} names among the real glyphs' nearest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
