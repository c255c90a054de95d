"""Command line: `python -m notmnist fetch | inspect | prepare | export | standin | info | clear-cache`.

The CLI prints; the library only logs.  A user mistake or a bad file ends in one line on stderr
(`notmnist: error: ...`) and status 1, never a traceback.  Output cut short by the reader
(`info | head -1`) ends quietly with status 141, as Unix tools killed by SIGPIPE do.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from pathlib import Path

from ._text import plural
from ._version import __version__
from .config import SOURCES
from .errors import NotMNISTError
from .registry import SUBSETS


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    warnings.showwarning = _show_warning
    try:
        return args.run(args) or 0
    except BrokenPipeError:
        return _broken_pipe()
    except (NotMNISTError, OSError) as exc:  # the package's own errors, and the file system's
        message = " ".join(str(exc).split())
        print(f"notmnist: error: {message}", file=sys.stderr)
        return 1
    except MemoryError:
        print("notmnist: error: out of memory; free some or raise the memory limit", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("notmnist: interrupted", file=sys.stderr)
        return 130


def _broken_pipe() -> int:
    """The reader went away: let nothing flush into the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE


def _count(name: str, minimum: int):
    """An argparse type: an integer of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {name} of at least {minimum}, got {value}")
        return value

    return parse


def _split_size(text: str) -> int:
    """An argparse type: a positive multiple of 10."""
    value = _count("a split size", 10)(text)
    if value % 10:
        raise argparse.ArgumentTypeError(
            f"expected a positive multiple of 10 (one tenth per letter), got {value}"
        )
    return value


def _printable(text: str) -> str:
    """`text` with control characters (escape codes, newlines, ...) as backslash escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"notmnist: warning: {message}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m notmnist",
        description="The notMNIST workbook's data: fetch and check the archives, build the splits, "
        "export them for the course's next assignments. 'python -m notmnist COMMAND --help' "
        "says more about each command.",
    )
    parser.add_argument("--version", action="version", version=f"notmnist {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name, func, help):
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(run=func)
        return p

    def data_home(p):
        help = "data folder (default: $NOTMNIST_DATA_DIR, else the platform cache)"
        p.add_argument("--data-home", metavar="DIR", help=help)

    def source(p):
        p.add_argument("--source", choices=SOURCES, help="default: $NOTMNIST_SOURCE, else auto")

    p = command("fetch", _fetch, "download (or find) the real archives and verify their contents")
    subsets = "large and/or small (default: both)"
    p.add_argument("subset", nargs="*", default=list(SUBSETS), metavar="SUBSET", help=subsets)
    data_home(p)

    p = command("inspect", _inspect, "count, check and summarise the images of one archive")
    p.add_argument("archive", type=Path, help="a notMNIST .tar.gz")
    p.add_argument(
        "--jobs", type=_count("a number of processes", 1), help="decoding processes (default: all cores)"
    )

    p = command("prepare", _prepare, "build (or load) the normalised train/valid/test splits")
    source(p)
    p.add_argument("--seed", type=_count("a seed", 0), help="seed of the shuffles (default: 133)")
    for split in ("train", "valid", "test"):
        p.add_argument(f"--{split}", type=_split_size, metavar="N", help=f"{split} size (multiple of 10)")
    data_home(p)

    from .config import DEFAULT_STANDIN_SCALE
    from .export import COURSE_FILE, SIDECAR_SUFFIX

    help = f"write the splits as the six arrays of the course's {COURSE_FILE}, for assignments 2 to 4"
    p = command("export", _export, help)
    share = "a tenth" if DEFAULT_STANDIN_SCALE == 0.1 else f"{DEFAULT_STANDIN_SCALE:g} times"
    p.description = (
        "Write the train, valid and test splits the site shows as the six arrays of the course's "
        f"{COURSE_FILE} (train_dataset, train_labels, ...), and their provenance beside them in "
        f"<file>{SIDECAR_SUFFIX}. For the course's notebooks: --format pickle, which writes "
        f"{COURSE_FILE}. On the stand-in (no real archives in the data folder) the splits are "
        f"{share} of the course's size: train / valid / test "
        f"{_sizes(DEFAULT_STANDIN_SCALE)} against {_sizes(1.0)}; NOTMNIST_STANDIN_SCALE=1 renders a "
        "stand-in of the course's size, and 'python -m notmnist fetch' gets the real archives."
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="file, or folder for notMNIST.npz, notMNIST.pickle or notMNIST_sanitised.* (default: the "
        f"current folder); an existing file is replaced. --out {COURSE_FILE} with --sanitised gives "
        "the sanitised sets the course's file name",
    )
    p.add_argument(
        "--sanitised",
        action="store_true",
        help="drop valid and test images with an identical or near copy in train, as problem 5 does "
        "(file notMNIST_sanitised.*, unless --out names it)",
    )
    p.add_argument(
        "--format",
        choices=["npz", "pickle"],
        help=f"pickle: the course's {COURSE_FILE}, for its notebooks (pickle.load); npz: for your own "
        "code, loads with np.load(path, allow_pickle=False). Default: from PATH's suffix, else npz. "
        "Writing a pickle is safe; loading one from an untrusted source is not",
    )
    source(p)
    data_home(p)
    p = command("standin", _standin, "render the offline stand-in archives from fonts")
    p.add_argument("--scale", type=float, help="1.0 = the real counts (default: the site's scale)")
    p.add_argument("--seed", type=_count("a seed", 0), default=0)
    p.add_argument("--out", type=Path, help="folder (default: <data home>/standin/scale-S-seed-N)")
    p.add_argument("--report", action="store_true", help="print fidelity statistics next to the real ones")
    data_home(p)

    p = command("info", _info, "show the data folder, which archives it holds and what the caches hold")
    data_home(p)

    p = command("clear-cache", _clear_cache, "delete the cached arrays, fits and searches (not the archives)")
    data_home(p)
    return parser


def _clear_cache(args) -> int:
    from . import cache

    done = cache.clear(args.data_home)
    line = f"removed {len(done.removed)} cache entries, {_mb(done.removed)}"
    if done.leftovers:
        n = len(done.leftovers)
        line += f", and {n} temporary files and folders of interrupted writes, {_mb(done.leftovers)}"
    print(line)
    if done.foreign:
        print(f"left alone (not made by notmnist): {', '.join(_printable(n) for n in done.foreign)}")
    if done.failed:
        names = "; ".join(f"{name} ({why})" for name, why in done.failed)
        print(f"notmnist: error: could not remove {len(done.failed)} cache entries: {names}", file=sys.stderr)
        return 1
    return 0


def _mb(named: list[tuple[str, int]]) -> str:
    """The total size of `(name, bytes)` pairs, in MB."""
    return f"{sum(size for _, size in named) / 1e6:.1f} MB"


def _fetch(args) -> None:
    from .fetch import fetch

    for subset in dict.fromkeys(args.subset):
        path = fetch(subset, data_home=args.data_home)  # verified before it is returned
        print(f"{path}: verified (size, gzip CRC and length, readable images per letter)")


def _inspect(args) -> None:
    from .archive import read_archive
    from .duplicates import exact_groups
    from .pixels import near_constant

    start = time.perf_counter()
    letters = read_archive(args.archive, n_jobs=args.jobs)
    seconds = time.perf_counter() - start
    print(
        f"{args.archive.name}: {len(letters):,} readable images, {len(letters.skipped):,} skipped "
        f"(read in {seconds:.1f} s)"
    )
    print("\nletter  images")
    for letter, n in letters.counts.items():
        print(f"{letter:>6}  {n:>6,}")
    print(f"\nskipped members: {len(letters.skipped):,}")
    for reason, named, more in letters.skipped.groups():
        for s in named:
            print(f"  {_printable(s.member)}: {_printable(s.reason)}")
        if more:
            print(f"  ... and {more:,} more: {_printable(reason)}")
    groups = exact_groups(letters.images)
    print(
        f"\nexact duplicates: {plural(groups.n_groups, 'group')} holding "
        f"{plural(groups.n_images_in_groups, 'image')} "
        f"({plural(groups.n_redundant, 'redundant copy', 'redundant copies')})"
    )
    blank = near_constant(letters.images)
    print(f"near-constant images (blank or solid): {int(blank.sum()):,} ({100 * blank.mean():.1f} %)")


def _prepare(args) -> None:
    from .dataset import DEFAULT_SEED, load_splits

    sizes = {k: getattr(args, k) for k in ("train", "valid", "test") if getattr(args, k) is not None}
    seed = DEFAULT_SEED if args.seed is None else args.seed
    splits = load_splits(source=args.source, data_home=args.data_home, seed=seed, sizes=sizes or None)
    print(splits.provenance.summary())
    for name, (images, _labels) in splits.sets.items():
        print(
            f"{name:>5}: {images.shape[0]:>7,} images {images.dtype} {tuple(images.shape[1:])}, "
            f"mean {images.mean():+.3f}, std {images.std():.3f}"
        )


def _sizes(scale: float) -> str:
    from .dataset import split_sizes

    return " / ".join(f"{n:,}" for n in split_sizes(scale).values())


def _export(args) -> None:
    from .export import COURSE_FILE, IMAGE_DTYPE, LABEL_DTYPE, export

    start = time.perf_counter()
    done = export(
        args.out, sanitised=args.sanitised, format=args.format, source=args.source, data_home=args.data_home
    )
    seconds = time.perf_counter() - start
    print(done.provenance["summary"])
    size = done.path.stat().st_size / 1e6
    print(f"wrote {done.path} ({done.format}, {size:,.1f} MB) in {seconds:.1f} s:")
    for key, shape in done.shapes.items():
        dtype = IMAGE_DTYPE if key.endswith("_dataset") else LABEL_DTYPE
        print(f"  {key:<13} {dtype!s:<7} {shape}")
    if done.provenance["sanitised"]:
        s = done.provenance["sanitised"]
        print(
            f"sanitised: dropped {s['valid_dropped_identical']:,} + {s['valid_dropped_near']:,} valid and "
            f"{s['test_dropped_identical']:,} + {s['test_dropped_near']:,} test images "
            "(identical + near copies of train)"
        )
    print(f"provenance: {done.provenance_path}")
    if done.format == "npz":
        print(f"for the course's notebooks, which open {COURSE_FILE}: add --format pickle")
    elif done.path.name != COURSE_FILE:
        print(
            f"the course's notebooks open {COURSE_FILE}: set pickle_file = {done.path.name!r} in "
            f"assignment 2's first cell, or export with --out {COURSE_FILE}"
        )


def _standin(args) -> None:
    from .config import data_home, standin_fonts, standin_scale
    from .fidelity import cell
    from .fidelity import report as fidelity_report
    from .standin import write_standin

    scale, fonts = standin_scale(args.scale), standin_fonts()
    suffix = "" if fonts == "all" else f"-{fonts}"
    out = args.out or data_home(args.data_home) / "standin" / f"scale-{scale:g}-seed-{args.seed}{suffix}"
    start = time.perf_counter()
    paths = write_standin(out, scale=scale, seed=args.seed, progress=True, fonts=fonts)
    print(
        f"stand-in archives (scale {scale:g}, seed {args.seed}) ready in {time.perf_counter() - start:.1f} s:"
    )
    for path in paths.values():
        print(f"  {path}")
    if args.report:
        rows = fidelity_report(paths)
        width = max(len(r.label) for r in rows)
        print(f"\n{'statistic':<{width}}  {'real':>10}  {'stand-in':>10}")
        for row in rows:
            real, ours = cell(row.real, row.key), cell(row.standin, row.key)
            print(f"{row.label:<{width}}  {real:>10}  {ours:>10}")


def _info(args) -> None:
    from . import cache
    from .config import data_home
    from .fetch import _archive_status

    home = data_home(args.data_home)
    print(f"data folder: {home}")
    for subset in SUBSETS:
        st = _archive_status(subset, data_home=home)
        state = "verified (size, gzip CRC and length, per-letter counts)" if st.verified else st.problem
        print(f"  {st.path.name}: {state}")
    standins = sorted(p for p in (home / "standin").glob("*") if p.is_dir())
    print(f"stand-in folders: {len(standins)}")
    for folder in standins:
        size = sum(f.stat().st_size for f in folder.glob("*.tar.gz"))
        print(f"  {folder.name}: {size / 1e6:.1f} MB")
    entries = cache._entries(home)
    print(f"cache: {plural(len(entries), 'entry', 'entries')}, {_mb(entries)}")
    for name, size in entries:
        print(f"  {name}: {size / 1e6:.1f} MB")
    leftovers = cache._leftovers(home)
    if leftovers:
        print(
            f"temporary files and folders (writes interrupted, or running now): {len(leftovers)}, "
            f"{_mb(leftovers)}; clear-cache removes them"
        )
        for name, size in leftovers:
            print(f"  {_printable(name)}: {size / 1e6:.1f} MB")
    foreign = cache._foreign(home)
    if foreign:
        print(f"not made by notmnist, left alone in cache/: {', '.join(_printable(n) for n in foreign)}")


if __name__ == "__main__":
    sys.exit(main())
