"""Exact and near duplicates within and between the splits.

One module per question: identical images ([`exact`][notmnist.duplicates.exact]), and near copies
and nearest neighbours in grey levels ([`near`][notmnist.duplicates.near]).  Sanitised validation
and test sets, built from both, are in [`notmnist.sanitise`][notmnist.sanitise].
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
