"""Shared fixtures: small archives with the real notMNIST layout and its quirks."""

from __future__ import annotations

import base64
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

LETTERS = "ABCDEFGHIJ"


def png_bytes(pixels: np.ndarray, mode: str = "L") -> bytes:
    """Encode an array as PNG."""
    buf = io.BytesIO()
    Image.fromarray(pixels, mode=None).convert(mode).save(buf, format="PNG")
    return buf.getvalue()


def glyph(label: int, variant: int) -> np.ndarray:
    """A distinct 28x28 uint8 image for (label, variant)."""
    rng = np.random.default_rng(1000 * label + variant)
    return rng.integers(0, 256, (28, 28), dtype=np.uint8)


def font_name(label: int, variant: int) -> str:
    return base64.b64encode(f"Font {variant} {LETTERS[label]}.ttf".encode()).decode() + ".png"


def traced(func):
    """Run ``func()``; return its result and the peak bytes Python allocated meanwhile (tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = func()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def add(
    tar: tarfile.TarFile, name: str, data: bytes = b"", *, kind: bytes = tarfile.REGTYPE, link: str = ""
) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def make_archive(
    path: Path,
    *,
    top: str = "notMNIST_small",
    per_letter: int | dict = 5,
    letters: str = LETTERS,
    extra=(),
) -> Path:
    """Write a .tar.gz with the real layout: ``top/A/<base64>.png`` ... ``top/J/...``.

    ``extra`` holds ``(name, data)`` or ``(name, data, kind, linkname)`` members
    added after the letters (quirks).
    """
    path = Path(path)
    with tarfile.open(path, "w:gz") as tar:
        add(tar, top + "/", kind=tarfile.DIRTYPE)
        for label, letter in enumerate(LETTERS):
            if letter not in letters:
                continue
            add(tar, f"{top}/{letter}/", kind=tarfile.DIRTYPE)
            n = per_letter[letter] if isinstance(per_letter, dict) else per_letter
            for v in range(n):
                add(tar, f"{top}/{letter}/{font_name(label, v)}", png_bytes(glyph(label, v)))
        for item in extra:
            name, data, *rest = item
            kind, link = (rest + [tarfile.REGTYPE, ""])[:2] if rest else (tarfile.REGTYPE, "")
            add(tar, name, data, kind=kind, link=link)
    return path


@pytest.fixture(autouse=True, scope="session")
def _own_home(tmp_path_factory):
    """No test writes outside its temporary folders: HOME and the XDG folders point into them.

    Whatever a test (or a build it runs) writes for "the user" — platform caches, matplotlib's
    font cache, configuration — lands in this session's temporary home, never the real one.
    """
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        for var, sub in (("XDG_CACHE_HOME", ".cache"), ("XDG_CONFIG_HOME", ".config"),
                         ("XDG_DATA_HOME", ".local/share"), ("MPLCONFIGDIR", ".config/matplotlib")):
            (home / sub).mkdir(parents=True, exist_ok=True)
            mp.setenv(var, str(home / sub))
        yield home


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path_factory, monkeypatch):
    """Every test gets an empty data folder: the package's caches never touch the user's."""
    monkeypatch.setenv("NOTMNIST_DATA_DIR", str(tmp_path_factory.mktemp("data-home")))


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, _own_home):
    """The whole site, built once per session on a small stand-in (test_site.py, test_browser.py)."""
    from sitebuild import build_once

    built = build_once(tmp_path_factory.getbasetemp() / "site-build")
    if isinstance(built, str):
        pytest.fail(built, pytrace=False)
    return built


@pytest.fixture
def archive_factory(tmp_path):
    """Build small notMNIST-layout archives in a temporary folder."""

    def factory(name: str = "notMNIST_small.tar.gz", **kwargs) -> Path:
        kwargs.setdefault("top", name.removesuffix(".tar.gz"))
        return make_archive(tmp_path / name, **kwargs)

    return factory


@pytest.fixture(scope="session")
def real_site(tmp_path_factory, _own_home):
    """The whole site, built once per session on real glyphs (tests/realsample.py); skips without them."""
    import realsample

    if not realsample.sample_available():
        pytest.skip(f"the real-glyph sample is not at {realsample.SAMPLE}")
    built = realsample.build(tmp_path_factory.getbasetemp() / "real-site-build")
    if isinstance(built, str):
        pytest.fail(built, pytrace=False)
    return built
