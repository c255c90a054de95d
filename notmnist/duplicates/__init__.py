"""Exact and near duplicates within and between the splits.

Two modules, one per question:

- identical images ([`exact`][notmnist.duplicates.exact]), by a join on a 64-bit
  digest of each image's bytes, every match verified on the bytes
  ([`exact_groups`][notmnist.duplicates.exact_groups], [`overlap`][notmnist.duplicates.overlap],
  [`overlaps`][notmnist.duplicates.overlaps],
  [`image_digests`][notmnist.duplicates.image_digests], [`member`][notmnist.duplicates.member],
  [`tagged`][notmnist.duplicates.tagged]);
- near copies ([`near`][notmnist.duplicates.near]): pairs closer than a threshold in grey
  levels, and nearest neighbours, by an exact search pruned with a
  principal-component bound ([`near_duplicates`][notmnist.duplicates.near_duplicates],
  [`nearest_neighbours`][notmnist.duplicates.nearest_neighbours]).

Sanitised validation and test sets, built from both, are in
[`notmnist.sanitise`][notmnist.sanitise].  [`near_constant`][notmnist.duplicates.near_constant] (blank or
solid images) lives
in [`notmnist.pixels`][notmnist.pixels] and is importable from here too.
"""

from __future__ import annotations

from ..pixels import near_constant
from .exact import Groups, Overlap, exact_groups, image_digests, member, overlap, overlaps, tagged
from .near import (
    DEFAULT_METRIC,
    DEFAULT_THRESHOLD,
    DEFAULT_THRESHOLDS,
    METRICS,
    NearPairs,
    near_duplicates,
    nearest_neighbours,
)

__all__ = [
    "DEFAULT_METRIC",
    "DEFAULT_THRESHOLD",
    "DEFAULT_THRESHOLDS",
    "METRICS",
    "Groups",
    "NearPairs",
    "Overlap",
    "exact_groups",
    "image_digests",
    "member",
    "near_constant",
    "near_duplicates",
    "nearest_neighbours",
    "overlap",
    "overlaps",
    "tagged",
]
