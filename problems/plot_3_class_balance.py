"""
Problem 3: are the classes balanced?
====================================

A classifier trained on skewed classes learns the skew. We count the images of
each letter in both archives and in each split, draw them side by side, and
apply a stated criterion: a set is balanced when every letter's count is
within 5 % of the set's mean count per letter.
"""

# %%
# Counts per letter
# -----------------

import matplotlib.pyplot as plt
import numpy as np

from notmnist import dataset
from notmnist.registry import LETTERS

TOLERANCE = 0.05

large = dataset.load_letters("large")
small = dataset.load_letters("small")
splits = dataset.load_splits()
print(splits.provenance.summary())

sets = {
    large.path.name: large.labels,
    small.path.name: small.labels,
    "train": splits.train_labels,
    "valid": splits.valid_labels,
    "test": splits.test_labels,
}
counts = {name: np.bincount(labels, minlength=len(LETTERS)) for name, labels in sets.items()}

print(f"{'set':<22}" + "".join(f"{k:>8}" for k in LETTERS))
for name, c in counts.items():
    print(f"{name:<22}" + "".join(f"{n:>8,}" for n in c))

# %%
# Shares side by side
# -------------------
# Each bar is a letter's share of its set; a perfectly balanced set sits on the
# dashed line at 10 %.

fig, ax = plt.subplots(figsize=(9, 3.5))
width = 0.8 / len(counts)
for i, (name, c) in enumerate(counts.items()):
    ax.bar(np.arange(len(LETTERS)) + i * width - 0.4 + width / 2, 100 * c / c.sum(), width, label=name)
ax.axhline(10, color="black", linestyle="--", linewidth=1)
ax.set_xticks(range(len(LETTERS)), LETTERS)
ax.set_ylim(0, 13)
ax.set_xlabel("letter")
ax.set_ylabel("share of the set (%)")
ax.set_title("Class shares per archive and split")
ax.legend(fontsize=8, ncols=3, loc="lower center")
fig.tight_layout()
plt.show()

# %%
# Verdict
# -------
# The largest relative deviation from the mean count, per set, against the 5 %
# tolerance.

for name, c in counts.items():
    deviation = np.abs(c / c.mean() - 1).max()
    verdict = "balanced" if deviation <= TOLERANCE else "NOT balanced"
    print(f"{name:<22} largest deviation from the mean {100 * deviation:5.2f} %  -> {verdict}")

# %%
# The archives' counts differ by at most a handful of images per letter (the
# unreadable files), and the splits take exactly the same number of images
# from every letter, so no re-weighting is needed.
