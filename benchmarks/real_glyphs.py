"""Measure the real glyphs the stand-in is compared with, and store the figures in the package.

Reads the sample of 2,000 real notMNIST_small glyphs (`../shared/data/notMNIST_small_sample.tar.gz`
beside the project folder, `notmnist.fidelity.REAL_SAMPLE`), computes
`notmnist.fidelity.glyph_stats` and `notmnist.fidelity.neighbour_stats` on it,
and writes them into `notmnist/_real_glyphs.py` (defined by `notmnist.fidelity.GLYPH_DEFINITIONS`):

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
"""

'''


def measure(path: Path) -> dict:
    """The figures of the real glyphs in ``path``, with what they are."""
    from notmnist import duplicates, fidelity
    from notmnist.archive import read_archive

    letters = read_archive(path, n_jobs=1)
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
    }


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from notmnist import fidelity

    path = fidelity.REAL_SAMPLE
    if not path.is_file():
        print(f"no real sample at {path}: nothing measured", file=sys.stderr)
        return 1
    figures = measure(path)
    text = HEADER + "FIGURES = " + pprint.pformat(figures, width=108, sort_dicts=False) + "\n"
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(OUT)
    print(f"wrote {OUT.relative_to(ROOT)} from {figures['sample']['glyphs']:,} glyphs of {path.name}")
    for key, value in figures["glyphs"].items():
        print(f"  {key:22s} {value:8.4f}   {fidelity.GLYPH_DEFINITIONS[key]}")
    for key, value in figures["neighbours"].items():
        print(f"  {key:22s} {value:8.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
