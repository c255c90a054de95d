"""How close the stand-in is to notMNIST: its statistics next to the real archives'.

The stand-in ([`notmnist.standin`][notmnist.standin]) is measured the way a reader of the problems
would, after the whole pipeline: pixel statistics ([`glyph_stats`][notmnist.fidelity.glyph_stats])
and nearest neighbours ([`neighbour_stats`][notmnist.fidelity.neighbour_stats]) of the small archive
against a sample of 2,000 real glyphs of `notMNIST_small`; per-letter counts, copies of held-out
images in train and the learning curve against the published figures; and, where the real sample is
present, the transfer: logistic regression trained on the stand-in, scored on the real glyphs.
[`markdown`][notmnist.fidelity.markdown] is the data page's table; [`report`][notmnist.fidelity.report]
is what `.venv/bin/python -m notmnist standin --report` prints.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import _real_glyphs, baseline, dataset, duplicates, sanitise
from ._sidefile import sha256
from .pixels import near_constant, normalise
from .registry import ARCHIVES, IMAGE_SIZE, LETTERS

log = logging.getLogger(__name__)

GLYPH_DEFINITIONS: dict[str, str] = {
    "mean": "mean of all normalised pixels, (p - 127.5) / 255",
    "std": "standard deviation of all normalised pixels",
    "letter_mean_min": "lowest of the ten per-letter means of the normalised pixels",
    "letter_mean_max": "highest of the ten per-letter means of the normalised pixels",
    "bbox_fills_box": "share of images whose non-zero pixels reach all four borders",
    "median_bright_share": "median over images of the share of pixels brighter than 127",
    "mostly_bright": "share of images with more than half of their pixels brighter than 127",
    "near_constant": "share of images that are near-constant (notmnist.pixels.near_constant)",
    "repeated_distinct": "share of distinct images that occur twice or more (grows with the sample's size)",
}
"""What each key of [`glyph_stats`][notmnist.fidelity.glyph_stats] measures, on raw grey levels 0-255."""

_GLYPH_LABELS = {
    "mean": "normalised mean",
    "std": "normalised std",
    "letter_mean_min": "lowest per-letter mean",
    "letter_mean_max": "highest per-letter mean",
    "bbox_fills_box": "bounding box spans 28x28",
    "median_bright_share": "median share of pixels > 127",
    "mostly_bright": "share mostly bright",
    "near_constant": "share near-constant",
    "repeated_distinct": "distinct images seen twice or more",
}

REAL_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "notMNIST_small_sample.tar.gz"
"""2,000 real glyphs of `notMNIST_small` (200 per letter), beside the project's folder in a checkout;
never part of the package or the site.  Where it is absent, the rows that need it are left out."""

REAL_GLYPHS: dict[str, float] = dict(_real_glyphs.FIGURES["glyphs"])
"""[`glyph_stats`][notmnist.fidelity.glyph_stats] of [`REAL_SAMPLE`][notmnist.fidelity.REAL_SAMPLE],
written into `notmnist/_real_glyphs.py` by `.venv/bin/python benchmarks/real_glyphs.py`."""

NN_QUERIES, NN_REFERENCES = 360, 1_440
"""Nearest neighbours: queries against other glyphs of one small archive (1,800 fit in the real
sample and in the stand-in's small archive from scale 0.1)."""

REAL_NEIGHBOURS: dict[str, float] = dict(_real_glyphs.FIGURES["neighbours"])
"""[`neighbour_stats`][notmnist.fidelity.neighbour_stats] of the real sample, seed 0."""

_REAL_IN_TRAIN = {"valid": (1_067, 10_000), "test": (1_324, 10_000)}  # published copies in train
_REAL_NEAR_L1 = (53, 200)  # published: first 200 test images with a copy in train at L1 < 10
_TRANSFER_SIZES = (1_600, 20_000)  # the real sample's cross-validation folds, and the course's 20,000
_REAL_CURVE = {50: 0.509, 100: 0.697, 1_000: 0.833, 5_000: 0.851}  # published test accuracy
assert set(_GLYPH_LABELS) == set(GLYPH_DEFINITIONS) == set(REAL_GLYPHS), "real figures out of date"


class Row(NamedTuple):
    """One line of the fidelity table."""

    key: str
    label: str
    real: float | int | str | None
    standin: float | int | None


def glyph_stats(images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Pixel statistics of glyphs, defined by [`GLYPH_DEFINITIONS`][notmnist.fidelity.GLYPH_DEFINITIONS].

    Parameters
    ----------
    images : ndarray of uint8, shape (N, 28, 28)
        Raw glyphs, 0 black, 255 white.
    labels : ndarray of int, shape (N,)
        0 to 9 for A to J.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(images) != len(labels):
        raise ValueError(
            f"expected images of shape (N, 28, 28) and N labels, got {images.shape} and {labels.shape}"
        )
    if len(images) == 0:
        raise ValueError("no images: fidelity needs at least one glyph")
    norm = normalise(images)
    means = norm.reshape(len(norm), -1).mean(axis=1)
    letter_means = [float(means[labels == k].mean()) for k in range(len(LETTERS)) if (labels == k).any()]
    ink = images > 0
    fills = ink[:, 0, :].any(1) & ink[:, -1, :].any(1) & ink[:, :, 0].any(1) & ink[:, :, -1].any(1)
    bright = (images > 127).reshape(len(images), -1).mean(axis=1)
    _, counts = np.unique(images.reshape(len(images), -1), axis=0, return_counts=True)
    return {
        "mean": float(norm.mean()),
        "std": float(norm.std()),
        "letter_mean_min": min(letter_means),
        "letter_mean_max": max(letter_means),
        "bbox_fills_box": float(fills.mean()),
        "median_bright_share": float(np.median(bright)),
        "mostly_bright": float((bright > 0.5).mean()),
        "near_constant": float(near_constant(images).mean()),
        "repeated_distinct": float((counts > 1).mean()),
    }


def _repeats_in_sample(images: np.ndarray, share: float) -> float:
    """Expected share of distinct images seen twice or more in a sample that keeps each image with
    chance `share` (so at `share` 1, `glyph_stats`' figure)."""
    _, counts = np.unique(images.reshape(len(images), -1), axis=0, return_counts=True)
    seen = 1 - (1 - share) ** counts
    twice = seen - counts * share * (1 - share) ** (counts - 1)
    return float(twice.sum() / seen.sum())


def _near_l1(test_images: np.ndarray, train_images: np.ndarray, first: int = 200) -> tuple[int, int]:
    """(found, looked at): of the first `first` normalised test images, those with a copy in train
    at L1 < 10 (the published criterion, identical copies included)."""
    query = test_images[:first]
    return duplicates.near_duplicates(query, train_images, metric="mad").n_query_near, len(query)


def neighbour_stats(
    images: np.ndarray,
    *,
    threshold: float = duplicates.DEFAULT_THRESHOLD,
    seed: int = 0,
    n_query: int = NN_QUERIES,
    n_reference: int = NN_REFERENCES,
) -> dict[str, float]:
    """Nearest-neighbour distances within one archive, root-mean-square in grey levels.

    `n_query` glyphs drawn with `seed` against `n_reference` others of the same archive
    (fewer when it is smaller, four references per query).

    Parameters
    ----------
    images : ndarray of uint8, shape (n, 28, 28)
        The archive's images, raw grey levels.
    threshold : float
        Distance under which a neighbour counts as near.
    seed : int
        Seed of the draw of queries and references.
    n_query, n_reference : int
        Queries, and other glyphs they are compared with.

    Returns
    -------
    dict
        `nn_identical` (share with an identical neighbour), `nn_near` (closer than
        `threshold`), `nn_q1`, `nn_median`, `nn_q3` (quartiles of the distance).
    """
    images = np.asarray(images)
    if len(images) < 5:
        raise ValueError(f"need at least 5 glyphs for nearest neighbours, got {len(images)}")
    n_q, n_r = _nn_sizes(len(images), n_query, n_reference)
    pick = np.random.default_rng(seed).choice(len(images), n_q + n_r, replace=False)
    d = duplicates.nearest_neighbours(images[pick[:n_q]], images[pick[n_q:]])[0][:, 0]
    q1, median, q3 = np.percentile(d, [25, 50, 75])
    return {
        "nn_identical": float((d == 0).mean()),
        "nn_near": float((d < threshold).mean()),
        "nn_q1": float(q1),
        "nn_median": float(median),
        "nn_q3": float(q3),
    }


def _nn_sizes(n: int, n_query: int = NN_QUERIES, n_reference: int = NN_REFERENCES) -> tuple[int, int]:
    """Queries and references of `neighbour_stats` for `n` glyphs (fewer when `n` is smaller)."""
    total = min(n, n_query + n_reference)
    n_q = min(max(1, round(total * n_query / (n_query + n_reference))), total - 1)
    return n_q, total - n_q


def _real_sample():
    """The real sample's glyphs (`Letters`), or None where it is absent."""
    from .archive import read_archive

    if not REAL_SAMPLE.is_file():
        log.info("no real sample at %s: the transfer rows are left out", REAL_SAMPLE)
        return None
    return read_archive(REAL_SAMPLE, n_jobs=1)


def _transfer_stats(train_images, train_labels, real_images, real_labels, folds: int = 5) -> dict:
    """`transfer_<n>`: accuracy on every real glyph of logistic regression trained on the first `n`
    training images (None if fewer); `real_cv`: the same model by `folds`-fold cross-validation on
    the real glyphs, trained on `real_cv_n` per fold."""
    out: dict[str, float | None] = {}
    for n in _TRANSFER_SIZES:
        if n > len(train_labels):
            out[f"transfer_{n}"] = None
            continue
        model, _ = baseline.fit_logistic(train_images[:n], train_labels[:n])
        out[f"transfer_{n}"] = baseline.accuracy(model, real_images, real_labels)
    fold = np.random.default_rng(0).permutation(len(real_labels)) % folds
    right = 0
    for k in range(folds):
        model, _ = baseline.fit_logistic(real_images[fold != k], real_labels[fold != k])
        right += int((baseline.predict(model, real_images[fold == k]) == real_labels[fold == k]).sum())
    out["real_cv"] = right / len(real_labels)
    out["real_cv_n"] = int((fold != 0).sum())
    return out


def _table(large, small, splits: dataset.Splits, clean: sanitise.Sanitised, *, seed: int = 0, real=None):
    """Every fidelity row: the `Letters` of both archives, their course split and its sanitised sets;
    `seed` of the nearest-neighbour sample; `real` glyphs for the transfer rows (else left out)."""
    threshold = duplicates.DEFAULT_THRESHOLD
    glyphs = glyph_stats(small.images, small.labels)
    # Repeats are seen more often the more of an archive is looked at: like with like, the stand-in's
    # figure is the one a sample of the same share of its small archive would see.
    share = _real_glyphs.FIGURES["sample"]["glyphs"] / sum(ARCHIVES["small"].counts)
    glyphs["repeated_distinct"] = _repeats_in_sample(small.images, share)
    labels = dict(_GLYPH_LABELS)
    labels["repeated_distinct"] += f", in {share:.0%} of the small archive"
    rows = [Row(k, labels[k], REAL_GLYPHS[k], v) for k, v in glyphs.items()]
    for subset, letters in (("large", large), ("small", small)):
        real_counts, ours = ARCHIVES[subset].counts, list(letters.counts.values())
        rows.append(Row(
            f"count_spread_{subset}", f"{subset} archive: per-letter count, largest minus smallest",
            max(real_counts) - min(real_counts), max(ours) - min(ours),
        ))
    n_held = {"valid": len(splits.valid_labels), "test": len(splits.test_labels)}
    rows += [
        Row(f"{s}_in_train", f"{s}: share with an identical copy in train", found / size,
            getattr(clean, f"{s}_in_train") / n_held[s])
        for s, (found, size) in _REAL_IN_TRAIN.items()
    ]
    for split in ("valid", "test"):
        found, size = _REAL_IN_TRAIN[split]
        rows.append(Row(
            f"{split}_dropped",
            f"{split}: share dropped by problem 5 (identical, or near: rms < {threshold:g})",
            f"≥ {found / size:.3f}", 1 - getattr(clean, f"n_{split}") / n_held[split],
        ))
    found, size = _REAL_NEAR_L1
    ours, looked_at = _near_l1(splits.test_images, splits.train_images, size)
    rows.append(Row(
        "test_near_l1",
        f"first {size} test images: share with a copy in train at L1 < 10, normalised (published: {found})",
        found / size, ours / looked_at,
    ))
    # Like with like: the real figures are of a sample of notMNIST_small, so the small archive.
    ours_nn = neighbour_stats(small.images, threshold=threshold, seed=seed)
    labels = {
        "nn_identical": "share with an identical neighbour",
        "nn_near": f"share with a neighbour at rms < {threshold:g}",
        "nn_q1": "nearest-neighbour distance, lower quartile",
        "nn_median": "nearest-neighbour distance, median",
        "nn_q3": "nearest-neighbour distance, upper quartile",
    }
    pair = "small, {:,} vs {:,}: ".format(*_nn_sizes(len(small.labels)))
    rows += [Row(k, pair + labels[k], REAL_NEIGHBOURS[k], ours_nn[k]) for k in labels]
    # Problem 6's fits (same images, same settings), so they come from its cache.
    sizes = [n for n in _REAL_CURVE if n < len(splits.train_labels)]
    curve = baseline.learning_curve(
        splits.train_images, splits.train_labels,
        {"test": (splits.test_images, splits.test_labels)}, sizes=sizes,
    )
    curve = {point.n_train: point.accuracy["test"] for point in curve}
    rows += [
        Row(f"lr_{n}", f"logistic regression, {n:,} training images: test accuracy", acc, curve.get(n))
        for n, acc in _REAL_CURVE.items()
    ]
    if real is not None:
        t = _transfer_stats(splits.train_images, splits.train_labels, real.images, real.labels)
        for n in _TRANSFER_SIZES:
            rows.append(Row(
                f"transfer_{n}",
                f"real sample read by logistic regression trained on {n:,} images "
                f"(real: {t['real_cv_n']:,} real, 5-fold)",
                t["real_cv"] if n == t["real_cv_n"] else None, t[f"transfer_{n}"],
            ))
    return rows


def report(
    paths: Mapping[str, str | os.PathLike], *, seed: int = 0, n_jobs: int | None = None
) -> list[Row]:
    """The fidelity table of a stand-in folder, as `.venv/bin/python -m notmnist standin --report` prints it.

    The course split is drawn as [`notmnist.dataset.load_splits`][notmnist.dataset.load_splits] would,
    with the split sizes of the stand-in's scale (from its manifest).

    Parameters
    ----------
    paths : dict
        `{"large": path, "small": path}`, as returned by
        [`notmnist.standin.write_standin`][notmnist.standin.write_standin].
    seed : int
        Seed of the nearest-neighbour sample.
    n_jobs : int, optional
        Processes that decode the archives.
    """
    from .archive import read_archive
    from .standin import read_manifest

    large = read_archive(paths["large"], n_jobs=n_jobs)
    small = read_archive(paths["small"], n_jobs=n_jobs)
    manifest = read_manifest(Path(paths["large"]).parent) or {}
    scale = float(manifest.get("scale", len(large.labels) / sum(ARCHIVES["large"].counts)))
    index = dataset.make_splits(large, small, dataset.split_sizes(scale), dataset.DEFAULT_SEED)
    arrays = {}
    for split, letters in (("train", large), ("valid", large), ("test", small)):
        idx = index[f"{split}_index"]
        arrays.update({
            f"{split}_images": normalise(letters.images[idx]),
            f"{split}_labels": letters.labels[idx],
            f"{split}_index": idx,
        })
    splits = dataset.Splits(**arrays)
    near = duplicates.near_duplicates(sanitise.held_out(splits), splits.train_images, skip_near_constant=True)
    clean = sanitise.sanitise(splits.train_images, splits.valid_images, splits.test_images, near=near)
    return _table(large, small, splits, clean, seed=seed, real=_real_sample())


def _cached_table(seed: int = 0) -> list[Row]:
    """The table of the data the problems run on, cached as JSON text (nothing pickled), keyed by the
    archives' SHA-256, the seed, the code and the real sample."""
    from . import cache as _cache

    prov = dataset.locate().provenance()

    def compute() -> dict[str, np.ndarray]:
        splits = dataset.load_splits()
        rows = _table(
            dataset.load_letters("large"), dataset.load_letters("small"), splits, sanitise.sanitised(splits),
            seed=seed, real=_real_sample(),
        )
        return {"rows": np.array(json.dumps([list(row) for row in rows]))}

    arrays, _ = _cache.memo(
        "fidelity",
        (
            sorted(a.sha256 for a in prov.archives), seed, _cache.code_hash(sys.modules[__name__]),
            sha256(REAL_SAMPLE, remember=False) if REAL_SAMPLE.is_file() else "no sample",
        ),
        ["rows"],
        compute,
    )
    return [Row(*row) for row in json.loads(str(arrays["rows"][()]))]


def cell(value: Any, key: str = "") -> str:
    """A table cell: shares and accuracies with 3 decimals, distances with 1, counts whole.

    Parameters
    ----------
    value : float, int, str or None
        The figure (None: not measured, shown as a dash).
    key : str
        The row's key, which says how to format it.
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, int) or key.startswith("count_"):
        return f"{int(value):,}"
    if key.startswith("nn_") and key != "nn_identical" and key != "nn_near":
        return f"{value:.1f}"
    return f"{value:.3f}"


def markdown(provenance: Mapping[str, Any]) -> str:
    """The data page's fidelity block: the table, and a warning when the stand-in had few fonts.

    Parameters
    ----------
    provenance : mapping
        The provenance the problems recorded
        ([`Provenance.to_dict`][notmnist.dataset.Provenance.to_dict]).
    """
    if provenance.get("source") != "standin":
        return (
            "This build ran on the real archives, so no stand-in was made.  Build with "
            "`NOTMNIST_SOURCE=standin make site` to see how the stand-in compares.\n"
        )
    from .standin import FEW_FONTS, read_manifest

    rows = _cached_table()
    lines = ["| statistic | real notMNIST | this stand-in |", "|---|---:|---:|"]
    lines += [f"| {r.label} | {cell(r.real, r.key)} | {cell(r.standin, r.key)} |" for r in rows]
    out = "\n".join(lines) + "\n"
    transfer = [r.standin for r in rows if r.key.startswith("transfer_") and r.standin is not None]
    if transfer:
        acc, n = transfer[-1], _real_glyphs.FIGURES["sample"]["glyphs"]
        out += (
            "\nThe last rows ask what matters to a learner: does what a model learns on the stand-in "
            "carry over to real letters?  Logistic regression trained on the first training images "
            f"of the stand-in is scored on a sample of {n:,} real glyphs of `notMNIST_small`; the "
            "real column is the same model trained on real glyphs, by 5-fold cross-validation on "
            "that sample (it holds too few glyphs to train on 20,000).  Scored on "
            f"{n:,} glyphs, an accuracy of {acc:.3f} has a standard error of "
            f"{(acc * (1 - acc) / n) ** 0.5:.3f}.\n"
        )
    manifest = read_manifest(dataset.locate().paths["large"].parent) or {}
    n_fonts = manifest.get("fonts")
    if isinstance(n_fonts, int):
        which = "matplotlib's fonts only" if manifest.get("font_set") == "matplotlib" else "every font found"
        out = f"This stand-in was rendered from {n_fonts:,} fonts ({which}).\n\n" + out
        if n_fonts < FEW_FONTS:
            out += (
                f'\n!!! warning "Few fonts"\n\n    Fewer than {FEW_FONTS} fonts were found, so most '
                "designs are variations of a few typefaces: see *Fonts* above for what that "
                "changes and how to add fonts.\n"
            )
    return out
