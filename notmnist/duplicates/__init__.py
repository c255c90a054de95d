"""Exact and near duplicates within and between the splits.

Two modules, one per question:

- identical images ([`exact`][notmnist.duplicates.exact]):
  [`exact_groups`][notmnist.duplicates.exact_groups], [`overlap`][notmnist.duplicates.overlap],
  [`overlaps`][notmnist.duplicates.overlaps];
- near copies ([`near`][notmnist.duplicates.near]): pairs closer than a threshold in grey
  levels, and nearest neighbours ([`near_duplicates`][notmnist.duplicates.near_duplicates],
  [`nearest_neighbours`][notmnist.duplicates.nearest_neighbours]).

Sanitised validation and test sets, built from both, are in [`notmnist.sanitise`][notmnist.sanitise].
"""

from __future__ import annotations

from .exact import Groups, Overlap, exact_groups, overlap, overlaps
from .near import (
    DEFAULT_METRIC,
    DEFAULT_THRESHOLD,
    DEFAULT_THRESHOLDS,
    METRICS,
    NearPairs,
    near_duplicates,
    nearest_neighbours,
)

__all__ = ["DEFAULT_METRIC", "DEFAULT_THRESHOLD", "DEFAULT_THRESHOLDS", "METRICS", "Groups", "NearPairs",
           "Overlap", "exact_groups", "near_duplicates", "nearest_neighbours", "overlap", "overlaps"]
