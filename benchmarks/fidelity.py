"""How close the stand-in comes to notMNIST, averaged over several stand-ins.

One stand-in's fidelity table (the data page, or ``python -m notmnist standin
--report``) is one draw: at the default scale its test set holds only a few
hundred designs, so its learning curve moves by a few hundredths from one seed
to the next.  Tuning the rendering needs the average, so this script renders a
stand-in per seed into a scratch folder, computes :func:`notmnist.fidelity.report`
for each and prints a Markdown table of mean, standard deviation, standard error of the mean
(sd / sqrt(seeds): how far the mean may be off) and range next to the real figure; progress
goes to stderr.  The real glyphs' figures are those of the 2,000-glyph real
sample, :data:`notmnist.fidelity.REAL_GLYPHS`; the transfer rows, a model trained on the
stand-in scored on that sample, appear where the sample is present (``../shared/data/`` beside
the project folder)::

    python benchmarks/fidelity.py                              # matplotlib's fonts, scale 0.1, seeds 0-4
    python benchmarks/fidelity.py --fonts all --seeds 0-7
    python benchmarks/fidelity.py --scale 0.35 --seeds 0,1
    python benchmarks/fidelity.py --fonts all --sample 60     # 60 fonts drawn from all of them

Run by hand (a stand-in at scale 0.1 takes about 20 s to render and measure on
two cores); nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        out += list(range(int(first), int(last or first) + 1))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fonts", default="matplotlib", choices=("matplotlib", "all"), help="font set")
    p.add_argument("--scale", type=float, default=0.1, help="stand-in scale (default 0.1)")
    p.add_argument("--seeds", type=_seeds, default=_seeds("0-4"), help="e.g. 0-4 or 0,3,7")
    p.add_argument("--sample", type=int, metavar="K", help="render from K fonts drawn from the set (seed 0)")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="notmnist-fidelity-") as scratch:
        os.environ["NOTMNIST_DATA_DIR"] = str(Path(scratch) / "data")  # caches, before the import
        sys.path.insert(0, str(ROOT))
        import warnings

        import numpy as np

        from notmnist import fidelity
        from notmnist.standin import find_fonts, write_standin

        warnings.filterwarnings("ignore", message="the offline stand-in is rendered from only")
        fonts = find_fonts(args.fonts)
        if args.sample:
            pick = np.random.default_rng(0).choice(len(fonts), min(args.sample, len(fonts)), replace=False)
            fonts = [fonts[i] for i in sorted(pick)]
        values: dict[str, list[float]] = {}
        rows = []
        for seed in args.seeds:
            started = time.perf_counter()
            out = Path(scratch) / f"seed-{seed}"
            paths = write_standin(out, scale=args.scale, seed=seed, fonts=fonts)
            rows = fidelity.report(paths)
            for row in rows:
                if isinstance(row.standin, (int, float)):
                    values.setdefault(row.key, []).append(float(row.standin))
            curve = " / ".join(fidelity.cell(r.standin, r.key) for r in rows if r.key.startswith("lr_"))
            seconds = time.perf_counter() - started
            print(f"seed {seed}: learning curve {curve} ({seconds:.0f} s)", file=sys.stderr)

    n = len(args.seeds)
    print(f"\n{len(fonts)} of {args.fonts} fonts, scale {args.scale:g}, {n} stand-ins (seeds {args.seeds})\n")
    print("| statistic | real | mean | sd | se of the mean | range |\n|---|---:|---:|---:|---:|---|")
    for row in rows:
        v = values.get(row.key)
        if not v:
            continue
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        cell = fidelity.cell
        print(
            f"| {row.label} | {cell(row.real, row.key)} | {cell(statistics.mean(v), row.key)} "
            f"| {sd:.3f} | {sd / len(v) ** 0.5:.3f} | {cell(min(v), row.key)} to {cell(max(v), row.key)} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
