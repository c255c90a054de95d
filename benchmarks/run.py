"""Time the workbook's pipeline against the course's and the published solutions' ways.

Each row runs our code and a baseline on the same data in the same run and
prints both times (median of ``--repeat`` runs) and their ratio::

    python benchmarks/run.py                      # default stand-in scale
    python benchmarks/run.py --scale 1.0          # the real set's size
    python benchmarks/run.py --source real        # the real archives, if present
    python benchmarks/run.py --rows read,overlap  # some rows only
    python benchmarks/run.py --write benchmarks/README.md  # also the page of results (make bench)

Rows: ``read`` (archive -> arrays vs plain extraction into a throwaway folder then
read each PNG file, the course's path; also with ``filter="data"``; both as whole
processes, interpreter start and imports included, run in turns; and the tar walk
alone, runs of plain members in bulk vs one header at a time), ``overlap`` (exact
overlap of valid+test with train: hashing join vs sha256 per image then a search
per image), ``near`` (near duplicates of valid+test against train: pruned exact
search vs brute force on a subsample, extrapolated), ``fit`` (logistic regression on the full training
split: our settings vs scikit-learn's defaults), ``site`` (the whole site
built cold, in a scratch data folder with no package caches, then built again
with nothing changed: absolute times and peak memory).  Our rows bypass the
package's result cache (``cache=False``) so they time the work itself.
Speed targets live here, not in the tests.

``--write PATH`` also writes the results as a Markdown page: the date, the machine and the data,
this method, the table, and the table of ``benchmarks/fidelity.py`` (run as a command with
``--fidelity ARGS``; ``--fidelity none`` leaves it out).  Every word and number of that page comes
from this script and the commands it runs.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ROWS = ("read", "overlap", "near", "fit", "site")


def timed(func, repeat: int = 1):
    """Median wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# ----------------------------------------------------------------------------- baselines


def course_read(archive: Path, *, data_filter: bool = False) -> np.ndarray:
    """The course's path: extract the archive to disk, then open every PNG file one by one.

    The course called a plain ``tar.extractall``; that is only safe on a trusted
    archive, which the benchmark's is (our own or the verified real one), and it
    extracts into a throwaway folder.  ``data_filter=True`` adds Python's
    ``filter="data"`` checks (1.7x slower extraction on Python 3.11).
    """
    from PIL import Image

    with tempfile.TemporaryDirectory(dir=archive.parent) as tmp:
        with tarfile.open(archive) as tar:
            if data_filter:
                tar.extractall(tmp, filter="data")
            else:  # as the course ran it, on a trusted archive, into a throwaway folder
                tar.extractall(tmp, filter="fully_trusted")
        images = []
        top = next(p for p in Path(tmp).iterdir() if p.is_dir())
        for folder in sorted(p for p in top.iterdir() if p.is_dir()):
            for path in sorted(folder.iterdir()):
                try:
                    images.append(np.asarray(Image.open(path), dtype=np.uint8))
                except OSError:
                    pass  # the course printed "Could not read" and went on
        return np.stack([im for im in images if im.shape == (28, 28)])


def loop_overlap(train: np.ndarray, others: np.ndarray) -> int:
    """Published solutions: sha256 of every image, then a search of the other set per image."""
    import hashlib

    train_hashes = [hashlib.sha256(x.tobytes()).hexdigest() for x in train]
    count = 0
    for x in others:
        if hashlib.sha256(x.tobytes()).hexdigest() in train_hashes:
            count += 1
    return count


def brute_near(query: np.ndarray, reference: np.ndarray, sample: int) -> float:
    """Published solutions: L1 distance of each query to every reference (< 10 on normalised pixels).

    Runs ``sample`` queries and returns the seconds extrapolated to all of ``query``.
    """
    q = query[:sample].reshape(sample, -1)
    r = reference.reshape(len(reference), -1)
    start = time.perf_counter()
    for x in q:
        d = np.abs(r - x).sum(axis=1)
        np.flatnonzero(d < 10)
    return (time.perf_counter() - start) * len(query) / sample


# ----------------------------------------------------------------------------- rows


def row_read(args, src, splits):
    archive = args.archive or src.paths["large"]
    from notmnist._tarstream import members, walk
    from notmnist.archive import MAX_MEMBER, read_archive

    ours, letters = timed(lambda: read_archive(archive), args.repeat)
    base, images = timed(lambda: course_read(archive), 1)
    assert len(images) == len(letters), (len(images), len(letters))
    filtered, _ = timed(lambda: course_read(archive, data_filter=True), 1)
    label = f"read {archive.name} ({len(letters):,} images) -> arrays"
    rows = [
        (label, ours, base, "plain extract (as the course), then read each PNG"),
        (label, ours, filtered, "extract with filter='data', then read each PNG"),
    ]
    # What a user waits for: a fresh interpreter, imports included, for both ways, run in turns
    # (the machine's load changes over the minutes the course's way takes), medians of each.
    code_ours = f"from notmnist.archive import read_archive; read_archive({str(archive)!r})"
    here = str(Path(__file__).parent)
    code_base = (
        f"import sys; sys.path.insert(0, {here!r}); from run import course_read; "
        f"from pathlib import Path; course_read(Path({str(archive)!r}))"
    )
    whole = {"ours": [], "base": []}
    for _ in range(args.repeat):
        whole["ours"].append(timed(lambda: _process(code_ours))[0])
        whole["base"].append(timed(lambda: _process(code_base))[0])
    how = "plain extract, interpreter and imports included"
    rows.append((f"{label}, whole process", *map(statistics.median, whole.values()), how))
    # The tar walk alone (gunzip included): runs of plain members in bulk, against one header at a time.
    n = len(letters) + len(letters.skipped)
    bulk, _ = timed(lambda: sum(1 for _ in walk(archive, max_size=MAX_MEMBER)), args.repeat)
    one, _ = timed(lambda: sum(1 for _ in members(archive, max_size=MAX_MEMBER, bulk=False)), args.repeat)
    rows.append((f"walk the tar of {archive.name} (~{n:,} members)", bulk, one, "one header at a time"))
    return rows


def _process(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def row_overlap(args, src, splits):
    from notmnist.duplicates import overlap

    train, valid, test = splits.train_images, splits.valid_images, splits.test_images
    others = np.concatenate([valid, test])

    def ours():
        return int(overlap(others, train).a_in_b.sum())

    t_ours, n_ours = timed(ours, args.repeat)
    t_base, n_base = timed(lambda: loop_overlap(train, others), 1)
    assert n_ours == n_base, (n_ours, n_base)
    return (
        f"exact overlap valid+test vs train ({n_ours:,} found)",
        t_ours,
        t_base,
        "sha256 + search per image",
    )


def row_near(args, src, splits):
    from notmnist.duplicates import near_duplicates

    train = splits.train_images
    query = np.concatenate([splits.valid_images, splits.test_images])
    t_ours, pairs = timed(lambda: near_duplicates(query, train, cache=False), args.repeat)
    sample = max(1, min(len(query), args.near_sample))
    t_base = brute_near(query, train, sample)
    label = f"near duplicates {len(query):,} vs {len(train):,} ({len(pairs.distance):,} pairs)"
    return label, t_ours, t_base, f"brute force on {sample}, extrapolated"


def row_fit(args, src, splits):
    from sklearn.linear_model import LogisticRegression

    from notmnist.baseline import fit_logistic

    x, y = splits.train_images, splits.train_labels
    xt, yt = splits.test_images.reshape(len(splits.test_images), -1), splits.test_labels
    t_ours, (model, _) = timed(lambda: fit_logistic(x, y, cache=False), 1)
    acc_ours = model.score(xt, yt)

    def default():
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return LogisticRegression().fit(x.reshape(len(x), -1), y)

    t_base, base_model = timed(default, 1)
    acc_base = base_model.score(xt, yt)
    label = f"logistic regression on {len(x):,} (test acc {acc_ours:.3f} vs {acc_base:.3f})"
    return label, t_ours, t_base, "scikit-learn defaults"


def row_site(args, src, splits):
    """Two rows: a cold build (no package caches), then the same build again (caches present).

    Both run in a temporary data folder that links to the archives, so the
    user's own caches are neither used nor touched.
    """
    env = dict(os.environ, NOTMNIST_SOURCE=src.kind)
    if args.scale:
        env["NOTMNIST_STANDIN_SCALE"] = str(args.scale)
    rows = []
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as out:
        if src.kind == "standin":  # its folder, as <data home>/standin/<name>
            folder = src.paths["large"].parent
            (Path(home) / "standin").mkdir()
            (Path(home) / "standin" / folder.name).symlink_to(folder)
        else:  # the archives and their remembered SHA-256 (<name>.sha256.json)
            for path in src.paths.values():
                for file in path.parent.glob(path.name + "*"):
                    (Path(home) / file.name).symlink_to(file)
        env["NOTMNIST_DATA_DIR"] = home

        def build(state: str) -> tuple[float, float]:
            shutil.rmtree(ROOT / "docs" / "generated", ignore_errors=True)
            command = [sys.executable, "docs/gallery.py", "build", "-q", "-d", out]  # as make site
            with tempfile.TemporaryFile("w+") as log:  # the gallery's progress bars stay out of the table
                start = time.perf_counter()
                child = subprocess.Popen(command, cwd=ROOT, env=env, stderr=log)
                _, status, usage = os.wait4(child.pid, 0)
                seconds = time.perf_counter() - start
                if os.waitstatus_to_exitcode(status):
                    log.seek(0)
                    sys.stderr.write(log.read()[-5000:])
                    raise SystemExit(f"mkdocs build failed ({state}); its log is above")
            return seconds, usage.ru_maxrss / 1024

        seconds, peak = build("cold")
        rows.append((f"whole site, cold, no caches (peak memory {peak:,.0f} MB)", seconds, None, "-"))
        again = [build("again") for _ in range(args.repeat)]
        seconds, peak = statistics.median(t for t, _ in again), max(m for _, m in again)
        rows.append((f"whole site again, nothing changed (peak memory {peak:,.0f} MB)", seconds, None, "-"))
    return rows


def fidelity_table(args: str) -> str:
    """Run ``benchmarks/fidelity.py ARGS``; its table as :func:`printed_table` keeps it."""
    command = [sys.executable, str(ROOT / "benchmarks" / "fidelity.py"), *shlex.split(args)]
    return printed_table(subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True).stdout)


def printed_table(output: str) -> str:
    """A command's Markdown table and the line above it, as printed; other output whole, as a text block."""
    lines = output.splitlines()
    table = [i for i, line in enumerate(lines) if line.startswith("|")]
    if not table:
        return "```text\n" + "\n".join(lines).strip("\n") + "\n```"
    above = [line for line in lines[: table[0]] if line.strip()]
    return "\n".join(above[-1:] + [""] * bool(above) + lines[table[0] : table[-1] + 1])


def machine() -> str:
    """Cores, processor, Python, NumPy and operating system of this machine, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, NumPy {np.__version__}, "
            f"{platform.platform(terse=True)}")


def page(argv: list[str], data: str, table: list[str], fidelity: tuple[str, str] | None, load: str) -> str:
    """The Markdown page ``--write`` saves."""
    method = " ".join(__doc__.split("\n\n")[3].split()).replace("``", "`")
    command = shlex.join(["benchmarks/run.py", *argv])
    make = ["--write", "benchmarks/README.md"]
    bench = "" if argv == make else f" (`make bench` runs it with `{shlex.join(make)}`)"
    parts = [
        "# Benchmarks",
        f"Written by `{command}`{bench} on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC. "
        "Run it again rather than editing this page.",
        f"- machine: {machine()}\n- load: {load}\n- data: {data.removeprefix('Data: ')}",
        "## Speed",
        f"Each row runs our code and a baseline on the same data in the same run (medians). {method} "
        "Times on a shared machine wander from run to run: compare the ratios within a run.",
        "\n".join(table),
    ]
    if fidelity:
        parts += [
            "## How close the stand-in comes to notMNIST",
            f"`benchmarks/fidelity.py {fidelity[0]}` renders one stand-in per seed and prints each "
            "statistic beside the real figure (see its docstring for how the real ones are measured):",
            fidelity[1],
        ]
    return "\n\n".join(parts) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=["auto", "real", "standin"], default=None)
    parser.add_argument("--scale", type=float, default=None, help="stand-in scale (default: the site's)")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, from {','.join(ROWS)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs of our code per row (median)")
    parser.add_argument("--near-sample", type=int, default=50, help="query images for the brute force")
    parser.add_argument("--archive", type=Path, help="for the read row: any notMNIST-layout .tar.gz")
    parser.add_argument("--write", type=Path, metavar="PATH", help="also write a Markdown page of results")
    parser.add_argument(
        "--fidelity", default="--fonts all --seeds 0-11", metavar="ARGS",
        help="with --write: arguments of benchmarks/fidelity.py, or 'none' (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    if args.scale:
        os.environ["NOTMNIST_STANDIN_SCALE"] = str(args.scale)
    from notmnist import dataset

    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = set(rows) - set(ROWS)
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    src = dataset.locate(args.source)
    splits = dataset.load_splits(source=args.source) if set(rows) - {"read", "site"} else None
    data = dataset.provenance(source=args.source).summary()  # the splits' seed and sizes too
    print(data)
    print(machine())
    print()
    header = f"| {'row':<62} | {'ours (s)':>9} | {'baseline (s)':>12} | {'ratio':>7} | baseline |"
    table = [header, "|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|"]
    print(*table, sep="\n")
    funcs = {"read": row_read, "overlap": row_overlap, "near": row_near, "fit": row_fit, "site": row_site}
    for name in rows:
        got = funcs[name](args, src, splits)
        for label, ours, base, how in got if isinstance(got, list) else [got]:
            ratio = f"{base / ours:.1f}x" if base else "-"
            base_cell = f"{base:.2f}" if base else "-"
            table.append(f"| {label:<62} | {ours:>9.2f} | {base_cell:>12} | {ratio:>7} | {how} |")
            print(table[-1], flush=True)
    if args.write:
        fidelity = None
        if args.fidelity != "none":
            fidelity = (args.fidelity, fidelity_table(args.fidelity))
            print("\n" + fidelity[1])
        load = f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1-minute load average)"
        text = page(sys.argv[1:] if argv is None else list(argv), data, table, fidelity, load)
        partial = args.write.with_name(f".{args.write.name}.part")
        partial.write_text(text, encoding="utf-8")
        partial.replace(args.write)
        print(f"\nwritten: {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
