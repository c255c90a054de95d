"""Time the stand-in's rendering against another checkout's, in turns.

Renders the stand-in with this checkout's code and with a baseline checkout's
(for instance ``git worktree add /tmp/main main``), one after the other,
``--repeat`` times each, every run in a fresh process and a fresh output folder,
and prints the median wall time of each and their ratio::

    python benchmarks/render_time.py --baseline /tmp/main --scale 0.1 --repeat 3
    python benchmarks/render_time.py --baseline /tmp/main --scale 1.0 --repeat 1

Only :func:`notmnist.standin.write_standin` is timed (rendering, PNG encoding
and the tar files), after the fonts were found; interpreter start and the font
check are not.  Run by hand on an otherwise quiet machine; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys, time, warnings
sys.path.insert(0, {root!r})
warnings.simplefilter("ignore")
from notmnist.standin import find_fonts, write_standin
fonts = find_fonts({fonts!r})
started = time.perf_counter()
write_standin({out!r}, scale={scale!r}, seed={seed!r}, fonts=fonts)
print(json.dumps({{"seconds": time.perf_counter() - started}}))
"""


def _run(root: Path, scratch: Path, tag: str, k: int, args) -> float:
    env = dict(os.environ, NOTMNIST_DATA_DIR=str(scratch / f"data-{tag}"))
    code = _CHILD.format(
        root=str(root), fonts=args.fonts, out=str(scratch / f"{tag}-{k}"), scale=args.scale, seed=args.seed
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", type=Path, required=True, help="root of the checkout to compare with")
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--fonts", default="all", choices=("all", "matplotlib"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    if not (args.baseline / "notmnist" / "standin").is_dir():
        p.error(f"{args.baseline} holds no notmnist/standin: pass the root of a checkout")
    times: dict[str, list[float]] = {"baseline": [], "this": []}
    with tempfile.TemporaryDirectory(prefix="notmnist-render-time-") as tmp:
        scratch = Path(tmp)
        for k in range(args.repeat):
            for tag, root in (("baseline", args.baseline.resolve()), ("this", ROOT)):
                times[tag].append(_run(root, scratch, tag, k, args))
                print(f"run {k}: {tag:8s} {times[tag][-1]:7.1f} s", flush=True)
    old, new = statistics.median(times["baseline"]), statistics.median(times["this"])
    print(f"\nscale {args.scale:g}, {args.fonts} fonts, seed {args.seed}, {args.repeat} runs each, in turns")
    print(f"median: baseline {old:.1f} s, this {new:.1f} s, ratio {new / old:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
