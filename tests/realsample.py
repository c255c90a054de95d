"""Build the whole site on real notMNIST glyphs: a test-only harness (test_site.py uses it).

The shared sample ``notMNIST_small_sample.tar.gz`` (2,000 real glyphs, 200 per letter) is split,
per letter and deterministically (by member name), into two archives in the real layout:
160 glyphs per letter as ``notMNIST_large.tar.gz`` and 40 as ``notMNIST_small.tar.gz``.  They
are not the published archives, so the build's Python runs with a ``sitecustomize.py`` (written
into a folder of the build's own and put on its ``PYTHONPATH``) that replaces, in that process
only, the registry's sizes, counts and minimum per letter with these archives' own, and the
course's split sizes with ones that fit.  Nothing outside tests/ knows about this: the package
has no way to pass other archives off as the published ones.

By hand::

    .venv/bin/python tests/realsample.py OUTDIR     # builds OUTDIR/project/site on real glyphs
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sitebuild import ROOT, BuiltSite, copy_project, mkdocs_build  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "data" / "notMNIST_small_sample.tar.gz"
LETTERS = "ABCDEFGHIJ"
PER_LETTER = {"large": 160, "small": 40}
"""Glyphs per letter in each archive made from the sample (200 per letter)."""
SPLIT_SIZES = {"train": 1_200, "valid": 400, "test": 400}
"""Split sizes that fit: train + valid take all 160 per letter of "large", test all 40 of "small"."""

SITECUSTOMIZE = '''\
"""Test-only (tests/realsample.py): the registry and split sizes of archives made from real glyphs.

Applied whenever notmnist.registry or notmnist.dataset is (re)imported: the site's hooks forget
imported notmnist modules before the problems run.
"""
import dataclasses
import importlib.abc
import importlib.machinery
import json
import sys
from pathlib import Path

SPEC = json.loads(Path(__file__).with_name("realsample.json").read_text())


def _patch(module):
    if module.__name__ == "notmnist.registry":
        for subset, info in SPEC["archives"].items():
            module.ARCHIVES[subset] = dataclasses.replace(
                module.ARCHIVES[subset], size=info["size"], counts=tuple(info["counts"]),
                min_per_letter=min(info["counts"]),
            )
    else:
        module.COURSE_SIZES.update(SPEC["splits"])


class _Loader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name not in ("notmnist.registry", "notmnist.dataset"):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None:
            spec.loader = _Loader(spec.loader)
        return spec


sys.meta_path.insert(0, _Finder())
'''


def sample_available() -> bool:
    return SAMPLE.is_file()


def _members(sample: Path) -> dict[str, list[tuple[str, bytes]]]:
    """The sample's PNGs per letter, sorted by member name: ``{letter: [(file name, bytes), ...]}``."""
    out: dict[str, list[tuple[str, bytes]]] = {letter: [] for letter in LETTERS}
    with tarfile.open(sample, "r:gz") as tar:
        for info in tar:
            parts = info.name.split("/")
            if info.isfile() and len(parts) == 3 and parts[1] in out and parts[2].endswith(".png"):
                out[parts[1]].append((parts[2], tar.extractfile(info).read()))
    for letter, members in out.items():
        members.sort()
        need = sum(PER_LETTER.values())
        if len(members) < need:
            raise ValueError(f"{sample}: letter {letter} has {len(members)} images, the harness needs {need}")
    return out


def _write_archive(path: Path, top: str, members: dict[str, list[tuple[str, bytes]]]) -> None:
    """A .tar.gz in the real layout, byte-identical for the same members (mtime 0 everywhere)."""

    def add(tar: tarfile.TarFile, name: str, data: bytes | None) -> None:
        info = tarfile.TarInfo(name)
        info.mtime = 0
        if data is None:
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        else:
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))

    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            add(tar, top + "/", None)
            for letter in LETTERS:
                add(tar, f"{top}/{letter}/", None)
                for name, data in members[letter]:
                    add(tar, f"{top}/{letter}/{name}", data)
    path.write_bytes(buffer.getvalue())


def make_archives(data_home: Path, sample: Path = SAMPLE) -> Path:
    """Write the two archives into ``data_home`` and the override beside them; return the override folder.

    The override folder holds ``sitecustomize.py`` and ``realsample.json`` (sizes, counts, splits):
    put it on ``PYTHONPATH`` of the process that uses the archives.
    """
    data_home.mkdir(parents=True, exist_ok=True)
    members = _members(sample)
    spec: dict = {"archives": {}, "splits": SPLIT_SIZES}
    start = 0
    for subset, n in PER_LETTER.items():
        chosen = {letter: members[letter][start : start + n] for letter in LETTERS}
        start += n
        path = data_home / f"notMNIST_{subset}.tar.gz"
        _write_archive(path, f"notMNIST_{subset}", chosen)
        spec["archives"][subset] = {"size": path.stat().st_size, "counts": [n] * len(LETTERS)}
    override = data_home.parent / "realsample-override"
    override.mkdir(parents=True, exist_ok=True)
    (override / "realsample.json").write_text(json.dumps(spec, indent=1))
    (override / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return override


def build(base: Path) -> BuiltSite | str:
    """Build the whole site on real glyphs under ``base``; a failed build is returned as its log."""
    base = Path(base).absolute()
    data_home = base / "data"
    override = make_archives(data_home)
    project = copy_project(base / "project")
    proc = mkdocs_build(
        project,
        env={"NOTMNIST_SOURCE": "real", "NOTMNIST_DATA_DIR": str(data_home), "PYTHONPATH": str(override)},
    )
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        return f"mkdocs build on real glyphs failed (exit {proc.returncode}):\n{log[-6000:]}"
    return BuiltSite(project, project / "site", data_home, log)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/realsample.py OUTDIR   (builds the site on real glyphs in OUTDIR)")
        return 2
    if not sample_available():
        print(f"the real-glyph sample is not at {SAMPLE}: nothing to build on", file=sys.stderr)
        return 1
    out = Path(argv[0])
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"{out} exists and is not an empty folder: name a new one for project/ and data/",
              file=sys.stderr)
        return 2
    built = build(out)
    if isinstance(built, str):
        print(built, file=sys.stderr)
        return 1
    print(f"Site built on real glyphs: {built.site / 'index.html'} (data folder {built.data_home})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
