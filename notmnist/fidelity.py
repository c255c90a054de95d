"""How close the stand-in is to notMNIST: its statistics next to the real archives'.

The stand-in ([`notmnist.standin`][notmnist.standin]) is rendered from fonts; this module
measures it the way a reader of the problems would, after the whole pipeline,
and puts each figure next to the same figure of the real data (facts gathered
in the project's reference notes, stored below, never results of a build):

* **glyphs** ([`glyph_stats`][notmnist.fidelity.glyph_stats]): pixel statistics of the small archive,
  against the 2,000 real glyphs of the sample of `notMNIST_small` the
  project is calibrated on ([`REAL_GLYPHS`][notmnist.fidelity.REAL_GLYPHS]);
* **per-letter counts** ([`count_spread`][notmnist.fidelity.count_spread]): how unbalanced each archive
  is, against the published counts in [`notmnist.registry`][notmnist.registry];
* **overlap** ([`overlap_stats`][notmnist.fidelity.overlap_stats]): validation and test images with an
  identical copy in train, as problem 5 counts them, against the published
  1,067 and 1,324 of 10,000; and the share problem 5 drops (identical or near
  copies at [`notmnist.duplicates.DEFAULT_THRESHOLD`][notmnist.duplicates.DEFAULT_THRESHOLD]);
* **near copies** ([`near_l1`][notmnist.fidelity.near_l1]): of the first 200 test images, those
  with a copy in train under the published criterion, L1 < 10 on normalised
  pixels, against the published 53 of 200 (the count problem 5 and the home
  page show);
* **nearest neighbours** ([`neighbour_stats`][notmnist.fidelity.neighbour_stats]): 360 glyphs of the small
  archive against 1,440 others of it, and the same for the real sample:
  shares identical and near at the site's threshold, quartiles of the distance;
* **learning curve** ([`learning_curve_stats`][notmnist.fidelity.learning_curve_stats]):
  logistic regression of
  [`notmnist.baseline`][notmnist.baseline] on the course split, against the published
  .509 / .697 / .833 / .851;
* **transfer** ([`transfer_stats`][notmnist.fidelity.transfer_stats]), where the real sample is present:
  logistic regression trained on stand-in images and scored on the real
  glyphs, next to the same model trained on real glyphs (cross-validated on
  the sample).

[`markdown`][notmnist.fidelity.markdown] is what the data page shows (computed during the build and
cached); [`report`][notmnist.fidelity.report] is what `.venv/bin/python -m notmnist standin --report` prints.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import _real_glyphs, baseline, dataset, duplicates, sanitise
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
"""What each key of [`glyph_stats`][notmnist.fidelity.glyph_stats] (and
[`REAL_GLYPHS`][notmnist.fidelity.REAL_GLYPHS]) measures, on raw grey levels 0-255."""

REAL_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "notMNIST_small_sample.tar.gz"
"""2,000 real glyphs of `notMNIST_small` (200 per letter), beside the project's folder in a checkout.

Never part of the package or the site: where it is absent (an installed package,
a fresh clone) the rows that need it are left out."""

REAL_GLYPHS: dict[str, float] = dict(_real_glyphs.FIGURES["glyphs"])
"""[`glyph_stats`][notmnist.fidelity.glyph_stats] of the real sample
([`REAL_SAMPLE`][notmnist.fidelity.REAL_SAMPLE]), with the definitions of
[`GLYPH_DEFINITIONS`][notmnist.fidelity.GLYPH_DEFINITIONS]; written into `notmnist/_real_glyphs.py` by
`.venv/bin/python benchmarks/real_glyphs.py`, never typed in."""

NN_QUERIES, NN_REFERENCES = 360, 1_440
"""The nearest-neighbour protocol: queries against other glyphs of one small archive.

1,800 glyphs fit in the real sample (2,000) and in the stand-in's small archive from
scale 0.1 (1,870), so both sides are measured alike."""

REAL_NEIGHBOURS: dict[str, float] = dict(_real_glyphs.FIGURES["neighbours"])
"""[`neighbour_stats`][notmnist.fidelity.neighbour_stats] of the real sample at `NN_QUERIES` against
`NN_REFERENCES`, seed 0, at the threshold stored beside them."""

REAL_IN_TRAIN: dict[str, tuple[int, int]] = {"valid": (1_067, 10_000), "test": (1_324, 10_000)}
"""Published images of each split with an identical copy in train, of the split's size."""

REAL_NEAR_L1: tuple[int, int] = (53, 200)
"""Published: of the first 200 test images, those with a near copy in train at L1 < 10 on
normalised pixels (`mad` < 3.25 grey levels in [`notmnist.duplicates`][notmnist.duplicates]), identical
ones included."""

TRANSFER_SIZES: tuple[int, ...] = (1_600, 20_000)
"""Training sizes of the transfer rows: the real sample's cross-validation folds, and the course's 20,000."""

REAL_CURVE: dict[int, float] = {50: 0.509, 100: 0.697, 1_000: 0.833, 5_000: 0.851}
"""Published test accuracy of logistic regression on the course split, by training size."""



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
        Readable images per letter (`{"A": n, ...}`, or the ten counts in label order).
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
        The splits the problems use.
    clean : Sanitised
        The sanitised validation and test sets built from them.

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


def near_l1(
    test_images: np.ndarray, train_images: np.ndarray, first: int = REAL_NEAR_L1[1]
) -> tuple[int, int]:
    """Of the first `first` test images, how many have a copy in train at L1 < 10 on normalised pixels.

    The published criterion behind [`REAL_NEAR_L1`][notmnist.fidelity.REAL_NEAR_L1] (a mean absolute
    difference under `10 * 255 / 784` grey levels), identical copies included.

    Parameters
    ----------
    test_images, train_images : ndarray of float32, shape (n, 28, 28)
        Normalised test and training images.
    first : int
        How many test images, from the first, to look at.

    Returns
    -------
    found, n : int
        Images with such a copy, and images looked at (`first`, or fewer in a smaller test split).
    """
    query = test_images[:first]
    pairs = duplicates.near_duplicates(query, train_images, metric="mad")
    return pairs.n_query_near, len(query)


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
    references per query); root-mean-square distance in grey levels.  The
    real figures ([`REAL_NEIGHBOURS`][notmnist.fidelity.REAL_NEIGHBOURS]) were measured the same way on the
    real sample.

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
        `nn_identical` (share with an identical neighbour), `nn_near`
        (closer than `threshold`), `nn_q1`, `nn_median`, `nn_q3`
        (quartiles of the distance).
    """
    images = np.asarray(images)
    if len(images) < 5:
        raise ValueError(f"need at least 5 glyphs for nearest neighbours, got {len(images)}")
    n_q, n_r = _nn_sizes(len(images), n_query, n_reference)
    total = n_q + n_r
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


def _nn_sizes(n: int, n_query: int = NN_QUERIES, n_reference: int = NN_REFERENCES) -> tuple[int, int]:
    """Queries and references of [`neighbour_stats`][notmnist.fidelity.neighbour_stats] for `n` glyphs.

    Fewer when `n` is smaller.
    """
    total = min(n, n_query + n_reference)
    n_q = min(max(1, round(total * n_query / (n_query + n_reference))), total - 1)
    return n_q, total - n_q


def learning_curve_stats(splits: dataset.Splits) -> dict[int, float]:
    """Test accuracy of [`learning_curve`][notmnist.baseline.learning_curve] at the published sizes.

    Sizes not smaller than the training split are left out.  The fits are
    those of problem 6 (same images, same settings), so they come from its cache.

    Parameters
    ----------
    splits : Splits
        The splits the problems use.
    """
    sizes = [n for n in REAL_CURVE if n < len(splits.train_labels)]
    curve = baseline.learning_curve(
        splits.train_images, splits.train_labels,
        {"test": (splits.test_images, splits.test_labels)}, sizes=sizes,
    )
    return {point.n_train: point.accuracy["test"] for point in curve}


def real_sample():
    """The real sample's glyphs ([`REAL_SAMPLE`][notmnist.fidelity.REAL_SAMPLE]), or None where it is absent.

    Returns
    -------
    notmnist.archive.Letters or None
    """
    from .archive import read_archive

    if not REAL_SAMPLE.is_file():
        log.info("no real sample at %s: the transfer rows are left out", REAL_SAMPLE)
        return None
    return read_archive(REAL_SAMPLE, n_jobs=1)


def transfer_stats(
    train_images: np.ndarray, train_labels: np.ndarray, real_images: np.ndarray, real_labels: np.ndarray,
    *, folds: int = 5,
) -> dict[str, float | None]:
    """How well a model trained on `train` reads real glyphs, next to one trained on real glyphs.

    Logistic regression ([`notmnist.baseline.fit_logistic`][notmnist.baseline.fit_logistic]) trained on the
    first `n` training images for each `n` in [`TRANSFER_SIZES`][notmnist.fidelity.TRANSFER_SIZES] (those the
    split holds), scored on every real glyph.  The real-trained figure is
    `folds`-fold cross-validation on the real glyphs: trained on four fifths
    (1,600 of 2,000), scored on the rest, accuracy over all of them.

    Parameters
    ----------
    train_images : ndarray of uint8 or float32, shape (n, 28, 28)
        Training images (of the stand-in), grey levels or normalised.
    train_labels : ndarray of int, shape (n,)
        Their labels.
    real_images : ndarray of uint8 or float32, shape (m, 28, 28)
        Real glyphs, grey levels or normalised.
    real_labels : ndarray of int, shape (m,)
        Their labels.
    folds : int
        Folds of the real-trained cross-validation.

    Returns
    -------
    dict
        `transfer_<n>` (accuracy on the real glyphs, None if the split is
        smaller than `n`) and `real_cv` (the real-trained accuracy) with
        `real_cv_n` (its training size per fold).
    """
    out: dict[str, float | None] = {}
    for n in TRANSFER_SIZES:
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
assert set(_GLYPH_LABELS) == set(GLYPH_DEFINITIONS) == set(REAL_GLYPHS), "real figures out of date"


def table(
    large: Any,
    small: Any,
    splits: dataset.Splits,
    clean: sanitise.Sanitised,
    *,
    seed: int = 0,
    real: Any = None,
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
    real : notmnist.archive.Letters, optional
        Real glyphs ([`real_sample`][notmnist.fidelity.real_sample]) for the transfer rows; without
        them those rows are left out.

    Returns
    -------
    list of Row
        `standin` is None for a learning-curve or transfer size the split is too small for.
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
    ours, looked_at = near_l1(splits.test_images, splits.train_images, size)
    rows.append(Row(
        "test_near_l1",
        f"first {size} test images: share with a copy in train at L1 < 10, normalised (published: {found})",
        found / size, ours / looked_at,
    ))
    # Like with like: the real figures are of a sample of notMNIST_small, so the small archive.
    ours_nn = neighbour_stats(small.images, threshold=threshold, seed=seed)
    n_q, n_r = _nn_sizes(len(small.labels))
    pair = f"small, {n_q:,} vs {n_r:,}"
    labels = {
        "nn_identical": f"{pair}: share with an identical neighbour",
        "nn_near": f"{pair}: share with a neighbour at rms < {threshold:g}",
        "nn_q1": f"{pair}: nearest-neighbour distance, lower quartile",
        "nn_median": f"{pair}: nearest-neighbour distance, median",
        "nn_q3": f"{pair}: nearest-neighbour distance, upper quartile",
    }
    rows += [Row(k, labels[k], REAL_NEIGHBOURS[k], ours_nn[k]) for k in labels]
    curve = learning_curve_stats(splits)
    rows += [
        Row(f"lr_{n}", f"logistic regression, {n:,} training images: test accuracy", acc, curve.get(n))
        for n, acc in REAL_CURVE.items()
    ]
    if real is not None:
        t = transfer_stats(splits.train_images, splits.train_labels, real.images, real.labels)
        for n in TRANSFER_SIZES:
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
    """[`table`][notmnist.fidelity.table] of a stand-in folder.

    As `.venv/bin/python -m notmnist standin --report` prints it.

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
    return table(large, small, splits, clean, seed=seed, real=real_sample())


def cached_table(*, seed: int = 0) -> list[Row]:
    """[`table`][notmnist.fidelity.table] of the data the problems run on, kept in the data folder's cache.

    An entry of [`notmnist.cache.memo`][notmnist.cache.memo] keyed by the archives' SHA-256, the seed and the
    source of this module and every package module it imports: the same stand-in and code give
    the same table.  The rows are stored as JSON text (nothing is pickled).  The learning curve,
    near duplicates and sanitised sets come from the problems' own caches.

    Parameters
    ----------
    seed : int
        Seed of the splits.
    """
    from . import cache as _cache

    prov = dataset.locate().provenance()

    def compute() -> dict[str, np.ndarray]:
        splits = dataset.load_splits()
        rows = table(
            dataset.load_letters("large"), dataset.load_letters("small"), splits, sanitise.sanitised(splits),
            seed=seed, real=real_sample(),
        )
        return {"rows": np.array(json.dumps([list(row) for row in rows]))}

    arrays, _ = _cache.memo(
        "fidelity",
        (
            sorted(a.sha256 for a in prov.archives), seed, _cache.code_hash(sys.modules[__name__]),
            hashlib.sha256(REAL_SAMPLE.read_bytes()).hexdigest() if REAL_SAMPLE.is_file() else "no sample",
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

    rows = cached_table()
    lines = ["| statistic | real notMNIST | this stand-in |", "|---|---:|---:|"]
    lines += [f"| {r.label} | {cell(r.real, r.key)} | {cell(r.standin, r.key)} |" for r in rows]
    out = "\n".join(lines) + "\n"
    if any(r.key.startswith("transfer_") for r in rows):
        out += (
            "\nThe last rows ask what matters to a learner: does what a model learns on the stand-in "
            "carry over to real letters?  Logistic regression trained on the first training images "
            "of the stand-in is scored on a sample of 2,000 real glyphs of `notMNIST_small`; the "
            "real column is the same model trained on real glyphs, by 5-fold cross-validation on "
            "that sample (it holds too few glyphs to train on 20,000).  With 2,000 glyphs scored, "
            "an accuracy near .85 has a standard error of about .008.\n"
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
