"""Tests of notmnist.fidelity: each measure on known images, the real references, the table."""

from __future__ import annotations

import numpy as np
import pytest

from notmnist import fidelity
from notmnist.registry import ARCHIVES

pytestmark = pytest.mark.filterwarnings("ignore:the offline stand-in is rendered from only")


def test_glyph_stats_of_known_images():
    """glyph_stats measures constant images as near-constant, repeated and not filling the box."""
    images = np.zeros((20, 28, 28), np.uint8)
    images[10:] = 255
    labels = np.arange(20) % 10
    stats = fidelity.glyph_stats(images, labels)
    assert stats["mean"] == pytest.approx(0.0, abs=1e-6)
    assert stats["near_constant"] == 1.0
    assert stats["repeated_distinct"] == 1.0
    assert stats["mostly_bright"] == 0.5
    assert stats["bbox_fills_box"] == 0.5
    with pytest.raises(ValueError, match="expected images of shape"):
        fidelity.glyph_stats(images[:, :10], labels)


def test_count_spread():
    """count_spread is the largest minus the smallest per-letter count."""
    assert fidelity.count_spread({"A": 5, "B": 8, "C": 6}) == 3
    assert fidelity.count_spread(ARCHIVES["small"].counts) == 1
    with pytest.raises(ValueError, match="no per-letter counts"):
        fidelity.count_spread([])


def test_neighbour_stats_find_planted_copies():
    """Copies and faint variants in the sample show up as identical and near neighbours."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (100, 28, 28), dtype=np.uint8)
    faint = np.clip(base[:20].astype(int) + 3, 0, 255).astype(np.uint8)  # rms about 3
    images = np.concatenate([base, base[:20], faint])
    stats = fidelity.neighbour_stats(images, n_query=70, n_reference=70, seed=1)
    assert 0 < stats["nn_identical"] <= stats["nn_near"] < 1
    assert stats["nn_q1"] <= stats["nn_median"] <= stats["nn_q3"]
    assert stats["nn_q3"] > 50  # unrelated random images are far apart


def test_near_l1_share_counts_copies_under_the_published_criterion():
    """Test images identical to train or off by under 10 in L1 (normalised) count; farther ones do not."""
    from notmnist import dataset
    from notmnist.pixels import normalise

    rng = np.random.default_rng(3)
    train = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    close = train[:3].copy()
    close[:, :2, :] ^= 1  # 56 pixels off by 1 level: L1 = 56 / 255, far under 10
    far = train[3:5].copy()
    far[:, :12, :] = 255 - far[:, :12, :]  # a third of the pixels flipped: L1 far over 10
    test = np.concatenate([train[5:7], close, far, rng.integers(0, 256, (13, 28, 28), dtype=np.uint8)])
    empty = np.empty(0, np.int64)
    splits = dataset.Splits(
        normalise(train), np.arange(50) % 10, normalise(train[:10]), np.arange(10),
        normalise(test), np.arange(20) % 10, np.arange(50), empty, np.arange(20),
    )
    assert fidelity.near_l1_share(splits) == pytest.approx(5 / 20)


def test_real_neighbour_stats_read_the_reference_table():
    """Real quartiles are interpolated from the reference table; beyond it they are a bound."""
    real = fidelity.real_neighbour_stats(12)
    assert real["nn_identical"] == fidelity.REAL_NN_SHARES[0][1]
    assert real["nn_near"] == dict(fidelity.REAL_NN_SHARES)[12]
    assert 30 < real["nn_q1"] < 40 and 40 < real["nn_median"] < 60
    assert real["nn_q3"] == "> 60"
    assert fidelity.real_neighbour_stats(14)["nn_near"] == pytest.approx((0.053 + 0.078) / 2)


def test_cells_are_formatted_by_kind():
    """Shares get three decimals, distances one, counts none, a missing value a dash."""
    assert fidelity.cell(0.12345, "valid_in_train") == "0.123"
    assert fidelity.cell(47.04, "nn_median") == "47.0"
    assert fidelity.cell(0.05, "nn_near") == "0.050"
    assert fidelity.cell(3, "count_spread_large") == "3"
    assert fidelity.cell(None, "lr_5000") == "—"
    assert fidelity.cell("> 60", "nn_q3") == "> 60"


def test_markdown_for_real_data_needs_no_standin():
    """On the real archives the block says no stand-in was made, without computing anything."""
    assert "real archives" in fidelity.markdown({"source": "real"})


@pytest.mark.slow
def test_report_of_a_small_standin(tmp_path):
    """report() gives every row for a written stand-in, with learning-curve sizes it can fit."""
    from notmnist import standin
    from notmnist.standin import fonts as standin_fonts

    names = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
    fonts = [standin_fonts._bundled_font(n) for n in names]
    paths = standin.write_standin(tmp_path / "s", scale=0.01, seed=2, fonts=fonts, n_jobs=1)
    rows = {r.key: r for r in fidelity.report(paths, n_jobs=1)}
    keys = {"valid_in_train", "test_dropped", "test_near_l1", "nn_near", "nn_median", "count_spread_large"}
    assert keys <= set(rows)
    assert rows["lr_5000"].standin is None and rows["lr_1000"].standin is not None
    assert rows["count_spread_large"].real == 3
    assert 0 <= rows["valid_in_train"].standin <= rows["valid_dropped"].standin <= 1
