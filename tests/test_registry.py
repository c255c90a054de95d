"""Tests of notmnist.registry: the two archives as data."""

from __future__ import annotations

import pytest

from notmnist import registry

# Published by the course (see shared/REFERENCE.md): readable images in each archive.
PUBLISHED_TOTALS = {"large": 529_114, "small": 18_724}


def test_per_letter_counts_add_up_to_the_published_totals():
    """Each archive lists ten per-letter counts whose sum is the published number of readable images."""
    for subset, info in registry.ARCHIVES.items():
        assert len(info.counts) == len(registry.LETTERS) == 10
        assert sum(info.counts) == PUBLISHED_TOTALS[subset]


def test_minimum_per_letter_lies_below_every_published_count():
    """A complete real archive always passes the per-letter minimum the course demanded."""
    for info in registry.ARCHIVES.values():
        assert 0 < info.min_per_letter <= min(info.counts)


def test_names_and_addresses_follow_the_file_name():
    """The top folder is the file name without .tar.gz; every mirror address ends in the file name."""
    for info in registry.ARCHIVES.values():
        assert info.filename == f"{info.top_folder}.tar.gz"
        assert len(info.urls) == len(registry.MIRRORS) >= 2
        assert all(url.endswith("/" + info.filename) for url in info.urls)
    assert registry.ARCHIVES["large"].size > registry.ARCHIVES["small"].size


def test_unknown_subset_names_the_choices():
    """A typo in a subset name gets a one-line error listing the valid names."""
    with pytest.raises(ValueError, match="unknown subset 'smal': choose one of large, small"):
        registry.archive_info("smal")
