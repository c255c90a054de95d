"""Time the stand-in's rendering against another checkout's, in turns.

Renders the stand-in with this checkout's code and with a baseline checkout's
(for instance ``git worktree add /tmp/main main``), one after the other,
``--repeat`` times each, every run in a fresh process and a fresh output folder,
and prints the median wall time of each and their ratio::

    python benchmarks/render_time.py --baseline /tmp/main --scale 0.1 --repeat 3
    python benchmarks/render_time.py --baseline /tmp/main --scale 1.0 --repeat 1
    python benchmarks/render_time.py --baseline /tmp/main --jobs 1    # CPU time, on a busy machine

Only :func:`notmnist.standin.write_standin` is timed (rendering, PNG encoding
and the tar files), after the fonts were found; interpreter start and the font
check are not.  Wall time needs an otherwise quiet machine; on a busy one,
``--jobs 1`` renders in the timed process alone, so its CPU time measures the
work whatever else runs.  Nothing here is a test.
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
started, cpu = time.perf_counter(), time.process_time()
write_standin({out!r}, scale={scale!r}, seed={seed!r}, fonts=fonts, n_jobs={jobs!r})
print(json.dumps({{"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}}))
"""


def _run(root: Path, scratch: Path, tag: str, k: int, args) -> dict[str, float]:
    env = dict(os.environ, NOTMNIST_DATA_DIR=str(scratch / f"data-{tag}"))
    code = _CHILD.format(
        root=str(root), fonts=args.fonts, out=str(scratch / f"{tag}-{k}"), scale=args.scale, seed=args.seed,
        jobs=args.jobs,
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", type=Path, required=True, help="root of the checkout to compare with")
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--fonts", default="all", choices=("all", "matplotlib"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--jobs", type=int, default=None,
        help="rendering processes (default: all cores); with 1, the CPU time is the work itself, "
        "whatever else the machine runs",
    )
    args = p.parse_args(argv)
    if not (args.baseline / "notmnist" / "standin").is_dir():
        p.error(f"{args.baseline} holds no notmnist/standin: pass the root of a checkout")
    times: dict[str, list[dict[str, float]]] = {"baseline": [], "this": []}
    with tempfile.TemporaryDirectory(prefix="notmnist-render-time-") as tmp:
        scratch = Path(tmp)
        for k in range(args.repeat):
            for tag, root in (("baseline", args.baseline.resolve()), ("this", ROOT)):
                times[tag].append(_run(root, scratch, tag, k, args))
                t = times[tag][-1]
                print(f"run {k}: {tag:8s} {t['seconds']:7.1f} s wall, {t['cpu']:7.1f} s CPU", flush=True)
    print(f"\nscale {args.scale:g}, {args.fonts} fonts, seed {args.seed}, {args.repeat} runs each, in turns,")
    print(f"{args.jobs or 'all'} rendering processes")
    for what in ("seconds", "cpu"):
        old = statistics.median(t[what] for t in times["baseline"])
        new = statistics.median(t[what] for t in times["this"])
        name = "wall" if what == "seconds" else "CPU (this process)"
        print(f"median {name}: baseline {old:.1f} s, this {new:.1f} s, ratio {new / old:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
