"""
Problem 6: an off-the-shelf classifier
======================================

How far does a plain linear model get? We train scikit-learn's logistic
regression on the raw pixels of 50, 100, 1,000 and 5,000 training images and
on the whole training split, and score each model on the test set and on the
sanitised test set of problem 5. Whether the images the two sets don't share
(those with a copy in train) are easier for a model is measured below, with
its uncertainty.
"""

# %%
# The learning curve
# ------------------
# Each model sees the first *n* images of the shuffled training split, as rows
# of 784 normalised pixels. The solver settings (`baseline.SETTINGS`) are chosen
# for speed on the full split (`notmnist.baseline` compares them with
# scikit-learn's defaults). `baseline.cached` makes `fit` reuse an identical
# earlier fit from the package's cache: the fit times below are those of the
# original fits, on the machine that first computed them.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay

from notmnist import baseline, dataset, plots, results, sanitise
from notmnist.registry import LETTERS

splits = dataset.load_splits()
print(splits.provenance.summary())
x_train, y_train = baseline.features(splits.train_images), splits.train_labels
x_test, y_test = baseline.features(splits.test_images), splits.test_labels
clean = sanitise.sanitised(splits)
keep = clean.test_keep  # the sanitised test set: no copy in train

sizes = [n for n in (50, 100, 1000, 5000) if n < len(y_train)] + [len(y_train)]
models = {}
for n in sizes:
    model = baseline.cached(LogisticRegression(**baseline.SETTINGS))
    models[n] = model.fit(x_train[:n], y_train[:n])
model = models[len(y_train)]  # the model of the whole training split, to look inside below

correct = {n: m.predict(x_test) == y_test for n, m in models.items()}  # per test image
print(f"{'training images':>15}  {'fit time (s)':>12}  {'test accuracy':>13}  sanitised test accuracy")
for n, right in correct.items():
    print(f"{n:>15,}  {models[n].fit_seconds_:>12.2f}  {right.mean():>13.3f}  {right[keep].mean():>23.3f}")
print(f"test sets: {len(y_test):,} images; sanitised: {int(keep.sum()):,} images")

key = {n: "all" if n == len(y_train) else n for n in sizes}  # the home page's row names
results.record("problem6", n_train=len(y_train), fit_seconds=model.fit_seconds_,
               test={key[n]: r.mean() for n, r in correct.items()},
               sanitised={key[n]: r[keep].mean() for n, r in correct.items()})

# %%
# Accuracy against training-set size
# ----------------------------------

fig, ax = plt.subplots(figsize=(5.4, 4))
ax.plot(sizes, [r.mean() for r in correct.values()], marker="o", label="test")
ax.plot(sizes, [r[keep].mean() for r in correct.values()], marker="o", label="sanitised test")
ax.set(xscale="log", xlabel="training images", ylabel="accuracy", ylim=(0, 1),
       title="Logistic regression on raw pixels: learning curve")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()

# %%
# What the curve says, read from the numbers above rather than assumed.

for a, b in zip(sizes, sizes[1:]):
    gain = correct[b].mean() - correct[a].mean()
    print(f"{a:>7,} -> {b:>7,} training images: test accuracy {gain:+.3f}")

# %%
# Does overlap with train flatter the test score?
# -----------------------------------------------
# The raw test set is the sanitised one plus the images that have a copy in
# train. Raw minus sanitised accuracy is therefore the dropped images' share
# times how much better the model does on them ("on copies") than on the kept
# ones ("on others"). Both groups are samples, so the gap is uncertain: the
# table gives its 95 % interval (Newcombe's, from the Wilson interval of each
# accuracy, sound even for a few copies). When a row's interval holds zero, its
# gap is within noise: that model shows no flattering either way.

print(f"test images with a copy in train (not in the sanitised set): {int((~keep).sum()):,}")
print(f"{'training images':>15}  {'raw - sanitised':>15}  {'95 % interval':>16}  {'on copies':>9}  "
      f"{'on others':>9}  verdict")
for n, right in correct.items():
    gap = baseline.overlap_gap(right, keep)
    print(f"{n:>15,}  {gap.difference:>+15.3f}  [{gap.low:+.3f}, {gap.high:+.3f}]  "
          f"{gap.accuracy_dropped:>9.3f}  {gap.accuracy_kept:>9.3f}  {gap.verdict}")

# %%
# Which letters does the full model confuse?
# ------------------------------------------

all_predicted = model.predict(x_test)
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

predicted = all_predicted[:30]
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
# assignment 1 saves in `notMNIST.pickle`. One command writes that file from
# the splits on these pages, under the course's key names, for the course's
# notebooks to open unchanged (with `--sanitised`, problem 5's validation and
# test sets; add `--out notMNIST.pickle` to keep the course's file name):
#
# ```sh
# .venv/bin/python -m notmnist export --format pickle   # writes notMNIST.pickle
# ```
#
# For your own code, `export` alone writes `notMNIST.npz`, which loads
# without unpickling (likewise `valid_` and `test_`):
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
plots.save_if_headless()  # without a display, the figures are saved under figures/
