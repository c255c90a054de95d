"""The two notMNIST archives, as data.

The course published no hash and checked the size only.  Nothing here does any I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

LETTERS: tuple[str, ...] = tuple("ABCDEFGHIJ")
"""The ten classes, in label order: label `i` is `LETTERS[i]`."""

IMAGE_SIZE = 28
"""Images are `IMAGE_SIZE x IMAGE_SIZE` 8-bit greyscale."""

PIXEL_DEPTH = 255.0
"""Normalisation is `(pixel - PIXEL_DEPTH / 2) / PIXEL_DEPTH`."""

MIRRORS: tuple[str, ...] = (
    "https://commondatastorage.googleapis.com/books1000/",
    "http://yaroslavvb.com/upload/notMNIST/",
)


@dataclass(frozen=True)
class ArchiveInfo:
    """One remote archive: its `subset`, `filename` (on the mirrors and in the data folder), exact
    `size` in bytes, the `min_per_letter` readable images below which it is broken, and the
    published `counts` of readable images per letter, A to J.
    """

    subset: str
    filename: str
    size: int
    min_per_letter: int
    counts: tuple[int, ...]

    @property
    def top_folder(self) -> str:
        """Folder inside the archive that holds `A` ... `J`."""
        return self.filename.removesuffix(".tar.gz")

    @property
    def urls(self) -> tuple[str, ...]:
        """Download addresses, in the order to try them."""
        return tuple(mirror + self.filename for mirror in MIRRORS)


ARCHIVES: dict[str, ArchiveInfo] = {
    "large": ArchiveInfo(
        subset="large",
        filename="notMNIST_large.tar.gz",
        size=247_336_696,
        min_per_letter=45_000,
        counts=(52_909, 52_911, 52_912, 52_911, 52_912, 52_912, 52_912, 52_912, 52_912, 52_911),
    ),
    "small": ArchiveInfo(
        subset="small",
        filename="notMNIST_small.tar.gz",
        size=8_458_043,
        min_per_letter=1_800,
        counts=(1_872, 1_873, 1_873, 1_873, 1_873, 1_872, 1_872, 1_872, 1_872, 1_872),
    ),
}

SUBSETS: tuple[str, ...] = tuple(ARCHIVES)


def archive_info(subset: str) -> ArchiveInfo:
    """Return the [`ArchiveInfo`][notmnist.registry.ArchiveInfo] of `subset` (a clear error for a typo).

    Parameters
    ----------
    subset : str
        `"large"` or `"small"`.
    """
    try:
        return ARCHIVES[subset]
    except KeyError:
        raise ConfigError(f"unknown subset {subset!r}: choose one of {', '.join(SUBSETS)}") from None
