"""How close the stand-in is to notMNIST: its statistics next to the real archives'.

The stand-in ([`notmnist.standin`][notmnist.standin]) is rendered from fonts; this module
measures it the way a reader of the problems would, after the whole pipeline,
and puts each figure next to the same figure of the real data (facts gathered
in the project's reference notes, stored below, never results of a build):

* **glyphs** ([`glyph_stats`][notmnist.fidelity.glyph_stats]): pixel statistics of the small archive,
  against 10,000 real glyphs from `notMNIST_small`;
* **per-letter counts** ([`count_spread`][notmnist.fidelity.count_spread]): how unbalanced each archive
  is, against the published counts in [`notmnist.registry`][notmnist.registry];
* **overlap** ([`overlap_stats`][notmnist.fidelity.overlap_stats]): validation and test images with an
  identical copy in train, as problem 5 counts them, against the published
  1,067 and 1,324 of 10,000; and the share problem 5 drops (identical or near
  copies at [`notmnist.duplicates.DEFAULT_THRESHOLD`][notmnist.duplicates.DEFAULT_THRESHOLD]);
* **near copies** ([`near_l1_share`][notmnist.fidelity.near_l1_share]): test images with a copy in train
  under the published criterion, L1 < 10 on normalised pixels, against the
  published 53 of the first 200;
* **nearest neighbours** ([`neighbour_stats`][notmnist.fidelity.neighbour_stats]): 2,000 glyphs against 8,000
  others of one archive, as the real figures were measured: shares identical
  and near at the site's threshold, and the quartiles of the distance;
* **learning curve** ([`learning_curve_stats`][notmnist.fidelity.learning_curve_stats]): logistic regression
of
  [`notmnist.baseline`][notmnist.baseline] on the course split, against the published
  .509 / .697 / .833 / .851.

[`markdown`][notmnist.fidelity.markdown] is what the data page shows (computed during the build and
cached); [`report`][notmnist.fidelity.report] is what `.venv/bin/python -m notmnist standin --report` prints.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import baseline, dataset, duplicates, sanitise
from .pixels import near_constant, normalise
from .registry import ARCHIVES, IMAGE_SIZE, LETTERS

log = logging.getLogger(__name__)

REAL_GLYPHS: dict[str, float] = {
    "mean": -0.073,
    "std": 0.459,
    "letter_mean_min": -0.153,
    "letter_mean_max": 0.065,
    "bbox_fills_box": 0.97,
    "median_bright_share": 0.40,
    "mostly_bright": 0.14,
    "near_constant": 0.014,
    "repeated_distinct": 0.02,
}
"""Statistics of 10,000 real glyphs from notMNIST_small.

Normalised pixels are `(pixel - 127.5) / 255`; `letter_mean_min` and
`letter_mean_max` are the extreme per-letter means (J and I).
"""

REAL_NN_SHARES: tuple[tuple[float, float], ...] = (
    (0, 0.022), (4, 0.025), (8, 0.036), (12, 0.053), (16, 0.078),
    (20, 0.117), (25, 0.183), (30, 0.246), (40, 0.410), (60, 0.668),
)
"""`(d, share)`: share of 2,000 real notMNIST_small glyphs whose nearest
neighbour among 8,000 others of the same archive is closer than `d`
(root-mean-square difference in grey levels; `d = 0`: identical)."""

REAL_IN_TRAIN: dict[str, tuple[int, int]] = {"valid": (1_067, 10_000), "test": (1_324, 10_000)}
"""Published images of each split with an identical copy in train, of the split's size."""

REAL_NEAR_L1: tuple[int, int] = (53, 200)
"""Published: of the first 200 test images, those with a near copy in train at L1 < 10 on
normalised pixels (`mad` < 3.25 grey levels in [`notmnist.duplicates`][notmnist.duplicates]), identical ones
included."""

REAL_CURVE: dict[int, float] = {50: 0.509, 100: 0.697, 1_000: 0.833, 5_000: 0.851}
"""Published test accuracy of logistic regression on the course split, by training size."""

NN_QUERIES, NN_REFERENCES = 2_000, 8_000
"""The nearest-neighbour protocol of the real figures: queries against other glyphs of one archive."""


class Row(NamedTuple):
    """One line of the fidelity table."""

    key: str
    label: str
    real: float | int | str | None
    standin: float | int | None


# --------------------------------------------------------------------------- measures


def glyph_stats(images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Pixel statistics of glyphs, comparable with [`REAL_GLYPHS`][notmnist.fidelity.REAL_GLYPHS].

    Parameters
    ----------
    images : ndarray of uint8, shape (N, 28, 28)
        Raw glyphs, 0 black, 255 white.
    labels : ndarray of int, shape (N,)
        0 to 9 for A to J.

    Returns
    -------
    dict
        The keys of [`REAL_GLYPHS`][notmnist.fidelity.REAL_GLYPHS].
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


def count_spread(counts: Mapping[str, int] | Sequence[int]) -> int:
    """Largest minus smallest per-letter count: 0 for an exactly balanced archive.

    Parameters
    ----------
    counts : mapping of str to int, or sequence of int
        Images per letter.
    """
    values = list(counts.values()) if isinstance(counts, Mapping) else list(counts)
    if not values:
        raise ValueError("no per-letter counts given")
    return int(max(values) - min(values))


def overlap_stats(splits: dataset.Splits, clean: sanitise.Sanitised) -> dict[str, float]:
    """Shares of validation and test images that repeat train, as problem 5 counts them.

    Parameters
    ----------
    splits : Splits
        The course's splits.
    clean : Sanitised
        Their sanitised validation and test sets.

    Returns
    -------
    dict
        `valid_in_train` and `test_in_train`: share with an identical copy
        in train; `valid_dropped` and `test_dropped`: share dropped by the
        sanitised sets (identical or near copy in train).
    """
    n_valid, n_test = len(splits.valid_labels), len(splits.test_labels)
    return {
        "valid_in_train": clean.valid_in_train / n_valid,
        "test_in_train": clean.test_in_train / n_test,
        "valid_dropped": 1 - clean.n_valid / n_valid,
        "test_dropped": 1 - clean.n_test / n_test,
    }


def near_l1_share(splits: dataset.Splits) -> float:
    """Share of test images with a copy in train at L1 < 10 on normalised pixels, identical included.

    The published criterion behind [`REAL_NEAR_L1`][notmnist.fidelity.REAL_NEAR_L1] (mean absolute difference
    under `10 * 255 / 784` grey levels), over the whole test split.

    Parameters
    ----------
    splits : Splits
        The course's splits.
    """
    pairs = duplicates.near_duplicates(splits.test_images, splits.train_images, metric="mad")
    return pairs.n_query_near / len(splits.test_labels)


def neighbour_stats(
    images: np.ndarray,
    *,
    threshold: float = duplicates.DEFAULT_THRESHOLD,
    seed: int = 0,
    n_query: int = NN_QUERIES,
    n_reference: int = NN_REFERENCES,
) -> dict[str, float]:
    """Nearest-neighbour distances within one archive, as the real figures were measured.

    `n_query` glyphs, drawn with `seed`, against `n_reference` other
    glyphs of the same archive (fewer when the archive is smaller, four
    references per query); root-mean-square distance in grey levels.

    Parameters
    ----------
    images : ndarray, shape (N, 28, 28)
        The glyphs of one archive, uint8.
    threshold : float
        Near-duplicate threshold, RMS grey levels.
    seed : int
        Seed of the drawn queries and references.
    n_query : int
        Glyphs whose nearest neighbour is measured.
    n_reference : int
        Other glyphs searched (fewer when the archive is smaller).

    Returns
    -------
    dict
        `nn_identical` (share with an identical neighbour), `nn_near`
        (closer than `threshold`), `nn_q1`, `nn_median`, `nn_q3`
        (quartiles of the distance).
    """
    images = np.asarray(images)
    if len(images) < 5:
        raise ValueError(f"need at least 5 glyphs for nearest neighbours, got {len(images)}")
    total = min(len(images), n_query + n_reference)
    n_q = min(max(1, round(total * n_query / (n_query + n_reference))), total - 1)
    pick = np.random.default_rng(seed).choice(len(images), total, replace=False)
    query, reference = images[pick[:n_q]], images[pick[n_q:]]
    distance, _ = duplicates.nearest_neighbours(query, reference)
    d = distance[:, 0]
    q1, median, q3 = np.percentile(d, [25, 50, 75])
    return {
        "nn_identical": float((d == 0).mean()),
        "nn_near": float((d < threshold).mean()),
        "nn_q1": float(q1),
        "nn_median": float(median),
        "nn_q3": float(q3),
    }


def real_neighbour_stats(threshold: float = duplicates.DEFAULT_THRESHOLD) -> dict[str, float | str]:
    """The real counterparts of [`neighbour_stats`][notmnist.fidelity.neighbour_stats], read off
    [`REAL_NN_SHARES`][notmnist.fidelity.REAL_NN_SHARES].

    Shares between two tabulated distances and quartiles are linearly
    interpolated; a quartile beyond the table is given as `"> 60"`.

    Parameters
    ----------
    threshold : float
        Near-duplicate threshold, RMS grey levels.
    """
    d, share = np.array(REAL_NN_SHARES, dtype=float).T
    out: dict[str, float | str] = {
        "nn_identical": float(share[0]),
        "nn_near": float(np.interp(threshold, d, share)) if threshold <= d[-1] else f"> {share[-1]:.3f}",
    }
    for key, q in (("nn_q1", 0.25), ("nn_median", 0.5), ("nn_q3", 0.75)):
        out[key] = float(np.interp(q, share, d)) if q <= share[-1] else f"> {d[-1]:g}"
    return out


def learning_curve_stats(splits: dataset.Splits) -> dict[int, float]:
    """Test accuracy of [`notmnist.baseline.learning_curve`][notmnist.baseline.learning_curve] at the
    published sizes.

    Sizes not smaller than the training split are left out.  The fits are
    those of problem 6 (same images, same settings), so they come from its cache.

    Parameters
    ----------
    splits : Splits
        The course's splits.
    """
    sizes = [n for n in REAL_CURVE if n < len(splits.train_labels)]
    curve = baseline.learning_curve(
        splits.train_images, splits.train_labels,
        {"test": (splits.test_images, splits.test_labels)}, sizes=sizes,
    )
    return {point.n_train: point.accuracy["test"] for point in curve}


# --------------------------------------------------------------------------- the table


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


def table(
    large: Any,
    small: Any,
    splits: dataset.Splits,
    clean: sanitise.Sanitised,
    *,
    seed: int = 0,
) -> list[Row]:
    """Every fidelity row: `(key, label, real, stand-in)`.

    Parameters
    ----------
    large, small : notmnist.archive.Letters
        The stand-in's archives, read.
    splits : notmnist.dataset.Splits
        The course split drawn from them.
    clean : notmnist.sanitise.Sanitised
        Its sanitised sets (problem 5's).
    seed : int
        Seed of the nearest-neighbour sample.

    Returns
    -------
    list of Row
        `standin` is None for a learning-curve size the split is too small for.
    """
    threshold = duplicates.DEFAULT_THRESHOLD
    glyphs = glyph_stats(small.images, small.labels)
    rows = [Row(k, _GLYPH_LABELS[k], REAL_GLYPHS[k], v) for k, v in glyphs.items()]
    for subset, letters in (("large", large), ("small", small)):
        rows.append(Row(
            f"count_spread_{subset}", f"{subset} archive: per-letter count, largest minus smallest",
            count_spread(ARCHIVES[subset].counts), count_spread(letters.counts),
        ))
    overlap = overlap_stats(splits, clean)
    for split in ("valid", "test"):
        found, size = REAL_IN_TRAIN[split]
        rows.append(Row(
            f"{split}_in_train", f"{split}: share with an identical copy in train", found / size,
            overlap[f"{split}_in_train"],
        ))
    for split in ("valid", "test"):
        found, size = REAL_IN_TRAIN[split]
        rows.append(Row(
            f"{split}_dropped",
            f"{split}: share dropped by problem 5 (identical, or near: rms < {threshold:g})",
            f"≥ {found / size:.3f}", overlap[f"{split}_dropped"],
        ))
    found, size = REAL_NEAR_L1
    rows.append(Row(
        "test_near_l1",
        f"test: share with a copy in train at L1 < 10, normalised (published: {found} of the first {size})",
        found / size, near_l1_share(splits),
    ))
    # The real figures are of notMNIST_small; a small stand-in archive is too small, so use large.
    source = small if len(small.labels) >= NN_QUERIES + NN_REFERENCES else large
    ours = neighbour_stats(source.images, threshold=threshold, seed=seed)
    real = real_neighbour_stats(threshold)
    name = "small" if source is small else "large"
    labels = {
        "nn_identical": f"{name}, 2,000 vs 8,000: share with an identical neighbour",
        "nn_near": f"{name}, 2,000 vs 8,000: share with a neighbour at rms < {threshold:g}",
        "nn_q1": f"{name}, 2,000 vs 8,000: nearest-neighbour distance, lower quartile",
        "nn_median": f"{name}, 2,000 vs 8,000: nearest-neighbour distance, median",
        "nn_q3": f"{name}, 2,000 vs 8,000: nearest-neighbour distance, upper quartile",
    }
    rows += [Row(k, labels[k], real[k], ours[k]) for k in labels]
    curve = learning_curve_stats(splits)
    rows += [
        Row(f"lr_{n}", f"logistic regression, {n:,} training images: test accuracy", acc, curve.get(n))
        for n, acc in REAL_CURVE.items()
    ]
    return rows


def report(
    paths: Mapping[str, str | os.PathLike], *, seed: int = 0, n_jobs: int | None = None
) -> list[Row]:
    """[`table`][notmnist.fidelity.table] of a stand-in folder, as `.venv/bin/python -m notmnist standin
    --report`
    prints it.

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
    sizes = dataset.split_sizes(scale)
    index = dataset.make_splits(large, small, sizes, dataset.DEFAULT_SEED)
    arrays = {}
    for split, letters in (("train", large), ("valid", large), ("test", small)):
        idx = index[f"{split}_index"]
        arrays.update({
            f"{split}_images": normalise(letters.images[idx]),
            f"{split}_labels": letters.labels[idx],
            f"{split}_index": idx,
        })
    splits = dataset.Splits(**arrays)
    near = duplicates.near_duplicates(sanitise.held_out(splits), splits.train_images)
    clean = sanitise.sanitise(splits.train_images, splits.valid_images, splits.test_images, near=near)
    return table(large, small, splits, clean, seed=seed)


def cached_table(*, seed: int = 0) -> list[Row]:
    """[`table`][notmnist.fidelity.table] of the data the problems run on, kept in the data folder's cache.

    An entry of [`notmnist.cache.memo`][notmnist.cache.memo] keyed by the archives' SHA-256, the seed and the
    source of this module and every package module it imports: the same stand-in and code give
    the same table.  The rows are stored as JSON text (nothing is pickled).  The learning curve,
    near duplicates and sanitised sets come from the problems' own caches.

    Parameters
    ----------
    seed : int
        Seed of the nearest-neighbour sample.
    """
    from . import cache as _cache

    prov = dataset.locate().provenance()

    def compute() -> dict[str, np.ndarray]:
        splits = dataset.load_splits()
        rows = table(
            dataset.load_letters("large"), dataset.load_letters("small"), splits, sanitise.sanitised(splits),
            seed=seed,
        )
        return {"rows": np.array(json.dumps([list(row) for row in rows]))}

    arrays, _ = _cache.memo(
        "fidelity",
        (sorted(a.sha256 for a in prov.archives), seed, _cache.code_hash(sys.modules[__name__])),
        ["rows"],
        compute,
    )
    return [Row(*row) for row in json.loads(str(arrays["rows"][()]))]


def cell(value: Any, key: str = "") -> str:
    """A table cell: shares and accuracies with 3 decimals, distances with 1, counts whole.

    Parameters
    ----------
    value : Any
        A number, string or None (shown as a dash).
    key : str
        The statistic's name, which says how many decimals it gets.
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
        ([`notmnist.dataset.Provenance.to_dict`][notmnist.dataset.Provenance.to_dict]).
    """
    if provenance.get("source") != "standin":
        return (
            "This build ran on the real archives, so no stand-in was made.  Build with "
            "`NOTMNIST_SOURCE=standin make site` to see how the stand-in compares.\n"
        )
    from .standin import FEW_FONTS, read_manifest

    lines = ["| statistic | real notMNIST | this stand-in |", "|---|---:|---:|"]
    lines += [f"| {r.label} | {cell(r.real, r.key)} | {cell(r.standin, r.key)} |" for r in cached_table()]
    out = "\n".join(lines) + "\n"
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
