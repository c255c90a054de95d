"""
Problem 6: an off-the-shelf classifier
======================================

How far does a plain linear model get? We train scikit-learn's logistic
regression on the raw pixels of 50, 100, 1,000 and 5,000 training images and
on the whole training split, and score each model on the test set and on the
sanitised test set of problem 5. The gap between the two is what overlap with
the training set was worth.
"""

# %%
# The learning curve
# ------------------
# Each model sees the first *n* images of the shuffled training split. The
# solver settings are chosen for speed on the full split;
# ``notmnist.baseline`` says how they compare with scikit-learn's defaults,
# which they were measured against. Fitted models are kept in the package's cache, keyed by the
# pixels, the labels, the settings and the code, so running this page again
# reuses them: the fit times below are those of the original fits, on the
# machine that first computed them.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay

from notmnist import baseline, dataset, plots, results, sanitise
from notmnist.registry import LETTERS

splits = dataset.load_splits()
print(splits.provenance.summary())
clean = sanitise.sanitised(splits)
test_sets = {
    "test": (splits.test_images, splits.test_labels),
    "sanitised test": (splits.test_images[clean.test_keep], splits.test_labels[clean.test_keep]),
}
sizes = [n for n in (50, 100, 1000, 5000) if n < len(splits.train_labels)]
curve = baseline.learning_curve(
    splits.train_images, splits.train_labels, test_sets, sizes=[*sizes, None]  # None: the whole split
)
full = curve[-1]
model = full.model  # the model of the whole training split, to look inside below

print(
    f"{'training images':>15}  {'fit time (s)':>12}  {'test accuracy':>13}  {'sanitised test accuracy':>23}"
)
for point in curve:
    print(
        f"{point.n_train:>15,}  {point.seconds:>12.2f}  {point.accuracy['test']:>13.3f}  "
        f"{point.accuracy['sanitised test']:>23.3f}"
    )
print(f"test sets: {len(splits.test_labels):,} images; sanitised: {int(clean.test_keep.sum()):,} images")

by_size = {p.n_train: p.accuracy for p in curve[:-1]}  # a size the split cannot supply is None
results.record(
    "problem6",
    **{f"acc_{n}": by_size.get(n, {}).get("test") for n in (50, 100, 1000, 5000)},
    **{f"acc_sanitised_{n}": by_size.get(n, {}).get("sanitised test") for n in (50, 100, 1000, 5000)},
    acc_full=full.accuracy["test"],
    acc_sanitised_full=full.accuracy["sanitised test"],
    full_fit_seconds=full.seconds,
    n_train=full.n_train,
)

# %%
# Accuracy against training-set size
# ----------------------------------

fig, ax = plt.subplots(figsize=(5.4, 4))
for name in test_sets:
    ax.plot([p.n_train for p in curve], [p.accuracy[name] for p in curve], marker="o", label=name)
ax.set_xscale("log")
ax.set_xlabel("training images")
ax.set_ylabel("accuracy")
ax.set_ylim(0, 1)
ax.grid(True, which="both", alpha=0.3)
ax.set_title("Logistic regression on raw pixels: learning curve")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# What the curve says, read from the numbers above rather than assumed.

gains = [b.accuracy["test"] - a.accuracy["test"] for a, b in zip(curve, curve[1:])]
for a, b, gain in zip(curve, curve[1:], gains):
    print(f"{a.n_train:>7,} -> {b.n_train:>7,} training images: test accuracy {gain:+.3f}")
gap = [p.accuracy["test"] - p.accuracy["sanitised test"] for p in curve]
print(f"raw minus sanitised test accuracy: from {min(gap):+.3f} to {max(gap):+.3f}")
print(f"models scoring higher on the raw test set: {sum(g > 0 for g in gap)} of {len(gap)}")

# %%
# Which letters does the full model confuse?
# ------------------------------------------

all_predicted = baseline.predict(model, splits.test_images)
fig, ax = plt.subplots(figsize=(5.4, 5.4))
ConfusionMatrixDisplay.from_predictions(
    splits.test_labels,
    all_predicted,
    labels=range(len(LETTERS)),
    display_labels=LETTERS,
    cmap="Blues",
    colorbar=False,
    text_kw={"fontsize": 10},
    ax=ax,
)
ax.set_xlabel("predicted letter")
ax.set_ylabel("true letter")
ax.set_title("Confusion matrix, full model, test set")
fig.tight_layout()
plt.show()

# %%
# Sample predictions
# ------------------
# Thirty test images with the model's guess; mistakes are framed in red and
# captioned "guess (truth)".

predicted = baseline.predict(model, splits.test_images[:30])
truth = splits.test_labels[:30]
wrong = predicted != truth
captions = [LETTERS[p] if p == t else f"{LETTERS[p]} ({LETTERS[t]})" for p, t in zip(predicted, truth)]
fig = plots.glyph_grid(
    splits.test_images[:30],
    captions,
    ncols=10,
    marked=wrong,
    title=f"The full model on the first 30 test images: {int(wrong.sum())} wrong (framed in red)",
)
plt.show()
print(f"mistakes among these 30: {int(wrong.sum())}")

# %%
# The mistakes themselves
# -----------------------
# Thirty test images picked at random among those the model gets wrong,
# captioned "guess (truth)". Whether a person would have hesitated over them
# too is for the reader to judge: the figure shows what they look like.

mistakes = np.flatnonzero(all_predicted != splits.test_labels)
print(f"test images the full model gets wrong: {len(mistakes):,} of {len(splits.test_labels):,}")
if len(mistakes):
    shown = np.sort(np.random.default_rng(0).choice(mistakes, size=min(30, len(mistakes)), replace=False))
    fig = plots.glyph_grid(
        splits.test_images[shown],
        [f"{LETTERS[all_predicted[i]]} ({LETTERS[splits.test_labels[i]]})" for i in shown],
        ncols=10,
        title=f"{len(shown)} of the full model's {len(mistakes):,} mistakes on the test set: guess (truth)",
    )
    plt.show()

# %%
# Next: assignment 2
# ------------------
# Assignments 2 to 4 of the course start by loading the six arrays that
# assignment 1 saves. One command writes them from the splits on these pages,
# under the course's key names (add `--sanitised` for problem 5's validation
# and test sets):
#
# ```sh
# .venv/bin/python -m notmnist export     # writes notMNIST.npz
# ```
#
# Two lines load them (likewise `valid_` and `test_`):
#
# ```python
# data = np.load("notMNIST.npz", allow_pickle=False)
# train_dataset, train_labels = data["train_dataset"], data["train_labels"]
# ```
#
# The file this build would write holds:

from notmnist import export

print(splits.provenance.summary())
for key, array in export.course_arrays(splits).items():
    print(f"{key:<13}  {array.dtype!s:<7}  {array.shape}")
print(f"with --sanitised: {clean.n_valid:,} validation and {clean.n_test:,} test images")
