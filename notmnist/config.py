"""Configuration: the data folder and every environment variable, read here and nowhere else.

- `NOTMNIST_DATA_DIR`: the data folder, for archives, stand-ins and caches (default: the platform
  cache folder, `~/.cache/notmnist` on Linux);
- `NOTMNIST_SOURCE`: `auto` (default), `real` or `standin`;
- `NOTMNIST_STANDIN_SCALE`: the stand-in's size as a fraction of the real archives (default 0.1);
- `NOTMNIST_STANDIN_FONTS`: `all` (default) or `matplotlib`, the stand-in's fonts;
- `NOTMNIST_RESULTS_DIR`: where problem scripts record headline numbers for the site (set by the
  site build; unset, nothing is recorded).

An explicit argument always wins over the environment.  Bad values raise
[`ConfigError`][notmnist.errors.ConfigError] naming the variable.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .errors import ConfigError

DATA_DIR = "NOTMNIST_DATA_DIR"
SOURCE = "NOTMNIST_SOURCE"
STANDIN_SCALE = "NOTMNIST_STANDIN_SCALE"
STANDIN_FONTS = "NOTMNIST_STANDIN_FONTS"
RESULTS_DIR = "NOTMNIST_RESULTS_DIR"

SOURCES = ("auto", "real", "standin")
FONT_SETS = ("all", "matplotlib")
"""Fonts of the stand-in: every font of the machine plus matplotlib's, or matplotlib's alone."""
DEFAULT_STANDIN_SCALE = 0.1
"""Train / valid / test 20,000 / 1,000 / 1,000: the site builds in minutes."""
MIN_STANDIN_SCALE = 0.001
"""The smallest stand-in whose archives the splits can use."""


def data_home(data_home: str | os.PathLike[str] | None = None) -> Path:
    """Return the data folder (absolute, `~` expanded), creating it if needed.

    Parameters
    ----------
    data_home : str or PathLike, optional
        The folder to use.  Default: `$NOTMNIST_DATA_DIR` if set, else the
        platform cache folder (`platformdirs.user_cache_dir("notmnist")`).

    Raises
    ------
    OSError
        The folder cannot be created; the message says which one and how to choose another.
    """
    if data_home is None:
        data_home = os.environ.get(DATA_DIR) or None
    if data_home is None:
        import platformdirs

        data_home = platformdirs.user_cache_dir("notmnist")
    folder = Path(data_home).expanduser().absolute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(
            f"cannot create the data folder {folder} ({_why_not_a_folder(folder, exc)}); "
            f"pass data_home= or set {DATA_DIR} to a writable folder"
        ) from exc
    return folder


def _why_not_a_folder(folder: Path, exc: OSError) -> str:
    """What is in the way of `folder`: "File exists" says nothing of a broken or looping link."""
    for path in (folder, *folder.parents):
        if path.is_symlink() and not path.exists():
            try:
                path.resolve(strict=True)
            except (RuntimeError, OSError) as error:  # Python before 3.13 raises RuntimeError on a loop
                if not isinstance(error, OSError) or error.errno == errno.ELOOP:
                    return f"{path} is a symbolic link in a loop"
            return f"{path} is a symbolic link to nothing ({os.readlink(path)})"
        if path.exists() and not path.is_dir():
            return f"{path} is a file, not a folder"
    return exc.strerror or str(exc)


def source(value: str | None = None) -> str:
    """Return `value`, else `$NOTMNIST_SOURCE`, else `"auto"`, checked.

    Parameters
    ----------
    value : str, optional
        `"auto"`, `"real"` or `"standin"` (case and hyphens ignored).
    """
    chosen = value or os.environ.get(SOURCE) or "auto"
    chosen = chosen.strip().lower().replace("-", "")
    if chosen not in SOURCES:
        raise ConfigError(
            f"unknown data source {chosen!r} (from {'argument' if value else SOURCE}): "
            f"choose one of {', '.join(SOURCES)}"
        )
    return chosen


def standin_scale(value: float | None = None) -> float:
    """Return `value`, else `$NOTMNIST_STANDIN_SCALE`, else `DEFAULT_STANDIN_SCALE`, checked.

    Parameters
    ----------
    value : float, optional
        The stand-in's size as a fraction of the real archives, at least
        [`MIN_STANDIN_SCALE`][notmnist.config.MIN_STANDIN_SCALE].
    """
    origin = "stand-in scale"
    if value is None:
        env = os.environ.get(STANDIN_SCALE)
        if env:
            origin = STANDIN_SCALE
            try:
                value = float(env)
            except ValueError:
                raise ConfigError(f"{STANDIN_SCALE}={env!r} is not a number") from None
        else:
            value = DEFAULT_STANDIN_SCALE
    if not MIN_STANDIN_SCALE <= value <= 1:
        raise ConfigError(
            f"{origin} must be between {MIN_STANDIN_SCALE:g} (the smallest stand-in the splits can "
            f"use) and 1, got {value:g}"
        )
    return float(value)


def standin_fonts(value: str | None = None) -> str:
    """Return `value`, else `$NOTMNIST_STANDIN_FONTS`, else `"all"`: the stand-in's font set.

    Parameters
    ----------
    value : str, optional
        `"all"` (every font of the machine plus matplotlib's) or `"matplotlib"` (matplotlib's
        bundled fonts alone, the same on every machine).
    """
    chosen = (value or os.environ.get(STANDIN_FONTS) or "all").strip().lower()
    if chosen not in FONT_SETS:
        where = "argument" if value else STANDIN_FONTS
        raise ConfigError(
            f"unknown stand-in font set {chosen!r} (from {where}): choose one of {', '.join(FONT_SETS)}"
        )
    return chosen


def standin_settings() -> tuple[str | None, str | None]:
    """The raw stand-in variables (scale, fonts), for keying a cached choice of data."""
    return os.environ.get(STANDIN_SCALE), os.environ.get(STANDIN_FONTS)


def results_dir() -> Path | None:
    """The folder named by `$NOTMNIST_RESULTS_DIR`, or `None` when unset or empty."""
    value = os.environ.get(RESULTS_DIR, "").strip()
    return Path(value) if value else None
