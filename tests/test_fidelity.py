"""Tests of notmnist.fidelity: each measure on known images, the real references, the table."""

from __future__ import annotations

import numpy as np
import pytest

from notmnist import fidelity

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


def test_repeats_in_a_sample_are_rarer_the_smaller_the_sample():
    """The expected share of repeated distinct images in a sample: all of it at share 1, and for
    pairs f / (2 - f) (both copies kept, f^2, over at least one kept, 1 - (1 - f)^2)."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    images = np.concatenate([base, base[:10]])  # 10 pairs among 50 distinct images
    whole = fidelity.glyph_stats(images, np.arange(60) % 10)["repeated_distinct"]
    assert fidelity._repeats_in_sample(images, 1.0) == pytest.approx(whole) == pytest.approx(0.2)
    f = 0.1
    expected = 10 * f**2 / (10 * (1 - (1 - f) ** 2) + 40 * f)
    assert fidelity._repeats_in_sample(images, f) == pytest.approx(expected)
    ids = np.r_[np.arange(50), np.arange(10)]  # which distinct image each of the 60 is
    kept = rng.random((4000, 60)) < f  # the same by drawing samples
    drawn = [len(np.unique(ids[k])) for k in kept]
    twice = [np.sum(np.bincount(ids[k]) > 1) for k in kept]
    assert np.sum(twice) / np.sum(drawn) == pytest.approx(expected, rel=0.1)


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


def test_near_l1_counts_copies_among_the_first_test_images():
    """Of the first test images, those identical to train or off by under 10 in L1 (normalised) count."""
    from notmnist.pixels import normalise

    rng = np.random.default_rng(3)
    train = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    close = train[:3].copy()
    close[:, :2, :] ^= 1  # 56 pixels off by 1 level: L1 = 56 / 255, far under 10
    far = train[3:5].copy()
    far[:, :12, :] = 255 - far[:, :12, :]  # a third of the pixels flipped: L1 far over 10
    test = np.concatenate([train[5:7], close, far, rng.integers(0, 256, (13, 28, 28), dtype=np.uint8)])
    test = np.concatenate([test, train[10:20]])  # copies after the first 20 are not looked at
    assert fidelity._near_l1(normalise(test), normalise(train), first=20) == (5, 20)
    assert fidelity._near_l1(normalise(test), normalise(train), first=8) == (5, 8)
    assert fidelity._near_l1(normalise(test[5:8]), normalise(train)) == (0, 3)  # fewer than 200: all


def test_real_figures_are_those_of_the_sample():
    """REAL_GLYPHS and REAL_NEIGHBOURS are what benchmarks/real_glyphs.py measures on the real sample."""
    from notmnist import _real_glyphs, duplicates
    from notmnist.archive import read_archive

    stored = _real_glyphs.FIGURES
    assert set(fidelity.REAL_GLYPHS) == set(fidelity.GLYPH_DEFINITIONS)
    assert stored["neighbour_protocol"]["threshold"] == duplicates.DEFAULT_THRESHOLD
    protocol = stored["neighbour_protocol"]
    assert (protocol["queries"], protocol["references"]) == (fidelity.NN_QUERIES, fidelity.NN_REFERENCES)
    if not fidelity.REAL_SAMPLE.is_file():
        pytest.skip(f"the real sample is not at {fidelity.REAL_SAMPLE}")
    letters = read_archive(fidelity.REAL_SAMPLE, n_jobs=1)
    assert len(letters.labels) == stored["sample"]["glyphs"]
    measured = fidelity.glyph_stats(letters.images, letters.labels)
    assert measured == pytest.approx(fidelity.REAL_GLYPHS, abs=1e-4)
    nn = fidelity.neighbour_stats(letters.images, seed=0)
    assert nn == pytest.approx(fidelity.REAL_NEIGHBOURS, abs=1e-4)
    # The corrected figures: real glyphs are often bold letters stretched to fill the box.
    assert fidelity.REAL_GLYPHS["mostly_bright"] > 0.25 and fidelity.REAL_GLYPHS["bbox_fills_box"] > 0.99


def test_transfer_reads_real_glyphs_with_a_model_trained_elsewhere():
    """The transfer scores a model trained on one set on another, beside cross-validation on the other."""
    rng = np.random.default_rng(0)
    prototypes = rng.integers(0, 256, (10, 28, 28)).astype(np.float32)

    def noisy(n, noise):
        labels = np.arange(n) % 10
        images = np.clip(prototypes[labels] + rng.normal(0, noise, (n, 28, 28)), 0, 255).astype(np.uint8)
        return images, labels

    train_x, train_y = noisy(1_700, 60)
    real_x, real_y = noisy(500, 60)
    good = fidelity._transfer_stats(train_x, train_y, real_x, real_y)
    assert good["transfer_1600"] > 0.9 and good["transfer_20000"] is None
    assert good["real_cv"] > 0.9 and good["real_cv_n"] == 400
    wrong = fidelity._transfer_stats(train_x, (train_y + 1) % 10, real_x, real_y)
    assert wrong["transfer_1600"] < 0.2  # trained on the wrong letters, it reads none right


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
    assert rows["nn_near"].label.startswith("small, ")  # the real figures are of notMNIST_small
    assert ("transfer_1600" in rows) == fidelity.REAL_SAMPLE.is_file()
    if "transfer_1600" in rows:
        assert rows["transfer_20000"].standin is None and 0 < rows["transfer_1600"].standin <= 1
    assert rows["lr_5000"].standin is None and rows["lr_1000"].standin is not None
    assert rows["count_spread_large"].real == 3
    assert 0 <= rows["valid_in_train"].standin <= rows["valid_dropped"].standin <= 1
