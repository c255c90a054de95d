"""
Problem 5: overlap between training, validation and test
=========================================================

If a test image also sits in the training set, a model can score on it by
memory rather than by skill, so the test accuracy may flatter it; problem 6
measures by how much. We measure the overlap exactly, by hashing every image
(a join, not a loop over pairs), then look for *near* duplicates (pictures
closer than a threshold), and finally build sanitised (the course: *sanitized*)
validation and test sets that problem 6 uses.
"""

# %%
# Exact duplicates inside each split
# ----------------------------------
# Two images are identical when their bytes are. Hash every image once and file
# its index under its digest: images that share a digest are copies of one
# picture. Fonts come in many copies under different names, so the same picture
# can appear several times in one split. A *group* is a set of identical
# images; its copies beyond the first are *redundant*.

import hashlib
from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np

from notmnist import dataset, duplicates, pixels, plots, results, sanitise
from notmnist.registry import LETTERS
from notmnist.results import plural

splits = dataset.load_splits()
print(splits.provenance.summary())
sets = {name: images for name, (images, _) in splits.sets.items()}

digests, where = {}, {}  # per split: each image's SHA-256; {digest: indices of its images}
for name, images in sets.items():
    digests[name] = [hashlib.sha256(image.tobytes()).digest() for image in images]
    where[name] = defaultdict(list)
    for i, digest in enumerate(digests[name]):
        where[name][digest].append(i)

groups = {name: [ix for ix in index.values() if len(ix) > 1] for name, index in where.items()}
for name, g in groups.items():
    held = sum(map(len, g))
    print(f"{name:>5}: {len(sets[name]):>7,} images, {plural(len(g), 'group'):>10} of identical "
          f"images holding {held:>6,} images ({plural(held - len(g), 'redundant copy', 'redundant copies')})")

# %%
# The largest groups in the training split: the first image of each, with how
# many times it occurs. A near-constant image, nearly one grey all over (a
# blank, or a glyph stretched to fill its box), changes little from font to
# font, so such images can form large groups; the lines under the figure say
# what the near-constant ones here are.

biggest = sorted(groups["train"], key=len, reverse=True)[:10]
firsts = sets["train"][[ix[0] for ix in biggest]]
fig = plots.glyph_grid(
    firsts,
    [f"×{len(ix)}" for ix in biggest],
    ncols=10,
    title=f"Training split: the {len(biggest)} largest groups of identical images",
)
plt.show()
uniform = pixels.near_constant(firsts)
grey = firsts.reshape(len(firsts), -1).mean(axis=1) * 255 + 127.5  # mean grey level, 0-255
print(f"of these {plural(len(biggest), 'group')}, near-constant images: {int(uniform.sum())}")
for ix, g in [(ix, g) for ix, g, u in zip(biggest, grey, uniform) if u]:
    print(f"  ×{len(ix)}: {'white (solid)' if g >= 128 else 'dark (blank)'}, mean grey {g:.0f} of 255, "
          f"filed as {', '.join(sorted({LETTERS[y] for y in splits.train_labels[ix]}))}")

# %%
# Exact overlap between the splits
# --------------------------------
# A digest found in two splits is an image the two share. Counting convention:
# "*valid in train*" is the number of validation images (each copy counted)
# whose digest occurs in train; this is the convention of the published
# solutions.

also = {}  # (a, b): images of split a whose digest occurs in split b
for a, b in (("valid", "train"), ("test", "train"), ("valid", "test"), ("test", "valid")):
    also[a, b] = sum(d in where[b] for d in digests[a])
    print(f"{a:>5} images also in {b}: {also[a, b]:,} of {len(sets[a]):,}")

# %%
# The package's join (`duplicates.overlaps`) files the same digests with one
# sort (`np.unique`) instead of a dictionary; sanitising below uses it. The two
# must agree:

pairs = duplicates.overlaps(sets)
assert [len(ix) for ix in groups["train"]] == list(duplicates.exact_groups(sets["train"]).sizes)
for (a, b), n in also.items():  # the package keys each pair of splits once, in split order
    assert n == (pairs[b, a].n_b_in_a if (b, a) in pairs else pairs[a, b].n_a_in_b)

# %%
# Test images that also occur in train, each picture once. A caption gives the
# test image's letter, its number of copies in train and the letters they are
# filed under: where these differ, the same picture is filed under two letters.

shared = [d for d in where["test"] if d in where["train"]][:12]  # distinct, in test order
shown = sets["test"][[where["test"][d][0] for d in shared]]
captions = []
for d in shared:
    filed = "".join(sorted({LETTERS[y] for y in splits.train_labels[where["train"][d]]}))
    letter = LETTERS[splits.test_labels[where["test"][d][0]]]
    captions.append(f"{letter}: ×{len(where['train'][d])} as {filed}")
if shared:
    fig = plots.pair_grid(
        shown,
        sets["train"][[where["train"][d][0] for d in shared]],
        captions,
        title="Distinct test images (top) and a copy of each in train (bottom)",
    )
    plt.show()
print(f"test images shown: {len(shown)}, distinct: {len({image.tobytes() for image in shown})}")

# %%
# Near duplicates: choosing a measure and a threshold
# ---------------------------------------------------
# We measure the distance between two images as the root-mean-square
# difference of their pixels, in grey levels (0-255).
#
# Such a distance tells a copy from another picture only when the images vary
# by much more than it: two images of the same mean grey whose pixels' standard
# deviations are *s* and *t* are never more than *s* + *t* apart, whatever they
# show. Two faint images (a pale glyph on grey, a dark shape on black) are
# therefore close whatever letters they show, and can fall under the threshold
# next to a different letter. So the near search leaves out the near-constant
# images (standard deviation under 16 grey levels, as in problem 1), in every
# split; the hash join above still finds their identical copies.

queries = sanitise.held_out(splits)  # validation images, then test images
faint = pixels.near_constant(queries, max_std=16)
train_faint = pixels.near_constant(sets["train"], max_std=16)
print(f"near-constant, left out of the near search: {int(faint.sum()):,} of {len(queries):,} validation and "
      f"test images, {int(train_faint.sum()):,} of {len(sets['train']):,} training images")

# %%
# The idea is a brute-force search: measure a query against every training
# image and keep the nearest. For a handful of validation and test images:

searched = np.flatnonzero(~train_faint)  # the training images searched
sample = np.random.default_rng(0).choice(np.flatnonzero(~faint), size=min(1000, int((~faint).sum())),
                                         replace=False)
train_pixels = sets["train"][searched].reshape(len(searched), -1)
brute = []
for q in sample[:5]:
    distance = 255 * np.sqrt(np.mean((train_pixels - queries[q].reshape(-1)) ** 2, axis=1))
    brute.append(distance.min())
    print(f"query {q:>6,}: nearest training image {searched[distance.argmin()]:>7,}, "
          f"{distance.min():6.2f} grey levels")

# %%
# Brute force touches every pixel of every pair. The package's search
# (`duplicates.nearest_neighbours`) finds the same neighbours but measures few
# pairs in full: a cheap lower bound (a projection onto principal components)
# discards the rest; it works in chunks to bound memory, and caches. It agrees:

nn_distance, nn_index = duplicates.nearest_neighbours(queries[sample], sets["train"][searched])
nn_index = searched[nn_index]  # back to indices of the training split
assert np.allclose(nn_distance[:5, 0], brute, atol=1e-3)

# %%
# For the whole sample of validation and test images (none near-constant),
# the distance to the nearest training image. Exact copies sit at zero. A
# threshold separates two kinds of pair only where the histogram shows a gap;
# where it doesn't, the threshold is a choice. We take 12 grey levels, small
# against the 255 levels of a pixel; the counts under the histogram show how
# many images a somewhat different choice would flag.

threshold = duplicates.DEFAULT_THRESHOLD
fig, ax = plt.subplots(figsize=(5.4, 4))
ax.hist(nn_distance[:, 0], bins=np.arange(0, nn_distance.max() + 2, 2), color="0.4")
ax.axvline(threshold, color="red", linestyle="--", label=f"threshold {threshold:g}")
ax.set(yscale="log", xlabel="RMS distance to the nearest training image (grey levels)",
       ylabel="validation + test images", title=f"Nearest-neighbour distances of {len(sample):,} random\n"
       "validation and test images")
ax.legend()
fig.tight_layout()
plt.show()
nearest = nn_distance[:, 0]
counts = [f"< {t:g}: {np.sum((nearest > 0) & (nearest < t)):,}" for t in threshold + np.arange(-4, 5, 2)]
print(f"of these {len(sample):,}, with a near (not identical) copy in train: {' · '.join(counts)}")

# %%
# The whole search
# ----------------
# Every validation and test image against every training image, with the
# package's pruned search, near-constant images left out. Sanitising (below)
# drops the images with an identical or a near copy in train, and counts them.

near = duplicates.near_duplicates(queries, sets["train"], threshold=threshold, skip_near_constant=True)
assert np.array_equal(near.query_skipped, faint) and near.n_reference_skipped == int(train_faint.sum())
clean = sanitise.sanitised(splits, near=near)
print(f"measure: RMS pixel difference; threshold: < {threshold:g} grey levels; left out as near-constant: "
      f"{int(near.query_skipped.sum()):,} queries, {near.n_reference_skipped:,} training images")
print(f"candidate pairs measured after pruning: {near.n_candidates:,}")
print(f"valid images with a near (not identical) copy in train: {clean.valid_near:,}")
print(f" test images with a near (not identical) copy in train: {clean.test_near:,}")

# %%
# One published solution looked for near copies of the first 200 test images
# with another measure: an L1 distance on normalised pixels under 10, that is a
# mean absolute difference under 10 × 255 / 784 = 3.25 grey levels, identical
# copies included. The home page sets its count on the real data beside this
# build's.

first = sets["test"][:200]
first_l1 = duplicates.near_duplicates(first, sets["train"], metric="mad").n_query_near
print(f"first {len(first)} test images with a copy in train at L1 < 10 (normalised pixels): "
      f"{first_l1}")

# %%
# What the threshold separates here: validation or test images nearest to it
# from below (top row: the image, bottom row: its nearest training image) and,
# as many, images of the sample nearest to it from above (third and fourth
# rows), each a different picture. Whether the pairs under it differ in kind
# from those over it, or only by a grey level or two, is for you to judge. No
# near-constant image is among them: the search left those out.

keys = np.array(digests["valid"] + digests["test"])  # each query's SHA-256
under = np.flatnonzero((near.nearest > 0) & np.isfinite(near.nearest))
under = under[np.argsort(-near.nearest[under], kind="stable")]  # nearest the threshold first
under = under[np.sort(np.unique(keys[under], return_index=True)[1])]  # each picture once
over = np.flatnonzero(nearest >= threshold)
over = over[np.argsort(nearest[over], kind="stable")]
over = over[np.sort(np.unique(keys[sample[over]], return_index=True)[1])]
m = min(6, len(under), len(over))
under, over = under[:m], over[:m]
left = np.concatenate([queries[under], queries[sample[over]]])
print(f"pairs shown on each side of the threshold: {m}; query images shown: {len(left)}, "
      f"distinct: {len({image.tobytes() for image in left})}")
if m:
    fig = plots.pair_grid(
        left,
        np.concatenate([sets["train"][near.nearest_index[under]], sets["train"][nn_index[over, 0]]]),
        [f"{plots.shown_distance(d)} < {threshold:g}" for d in near.nearest[under]]
        + [f"{plots.shown_distance(d)} ≥ {threshold:g}" for d in nearest[over]],
        ncols=m,
        title=f"Pairs just under and just over the threshold ({threshold:g})",
    )
    plt.show()

# %%
# Sanitised validation and test sets
# ----------------------------------
# We drop every validation and test image that has an identical or a near copy
# in train. Test images that also occur in validation are kept: both are
# held-out data. The result is cached for problem 6.

for name, kept, identical, near_copies in (
    ("valid", clean.n_valid, clean.valid_in_train, clean.valid_near),
    ("test", clean.n_test, clean.test_in_train, clean.test_near),
):
    print(f"{'sanitised ' + name:>15}: {kept:,} of {len(sets[name]):,} ({identical:,} identical + "
          f"{plural(near_copies, 'near copy', 'near copies')} of train dropped)")

results.record(
    "problem5", threshold=threshold, train_within=sum(map(len, groups["train"])) - len(groups["train"]),
    valid_in_train=also["valid", "train"], test_in_train=also["test", "train"],
    valid_in_test=also["valid", "test"],
    near_valid=clean.valid_near, near_test=clean.test_near, first_l1=first_l1, n_first=len(first),
    sanitised_valid=clean.n_valid, sanitised_test=clean.n_test, **{f"n_{k}": len(v) for k, v in sets.items()},
)
plots.save_if_headless()  # without a display, the figures are saved under figures/

# %%
# Wherever the overlap is not zero, scores on the raw test set include images
# the model has seen in training; problem 6 reports both.
