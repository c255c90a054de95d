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
from matplotlib.ticker import PercentFormatter

from notmnist import dataset, plots
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
# Deviation from a perfect balance
# --------------------------------
# Each dot is a letter's count relative to its set's mean count per letter, in
# percent, on a scale that fits the largest deviation: in a perfectly balanced
# set every dot sits on the zero line. The shaded band is the 5 % tolerance,
# where the scale reaches it.

deviations = {name: 100 * (c / c.mean() - 1) for name, c in counts.items()}
largest = max(np.abs(d).max() for d in deviations.values())
limit = 1.2 * largest if largest else 1.2 * 100 * TOLERANCE

fig, ax = plt.subplots(figsize=(5.4, 5.4))
width = 0.8 / len(counts)
for i, (name, d) in enumerate(deviations.items()):
    label = name if d.any() else f"{name} (all equal)"
    ax.plot(np.arange(len(LETTERS)) + i * width - 0.4 + width / 2, d, "o", label=label)
if limit > 100 * TOLERANCE:
    ax.axhspan(-100 * TOLERANCE, 100 * TOLERANCE, color="0.9", zorder=0, label="tolerance")
ax.axhline(0, color="black", linewidth=0.8, zorder=0)
ax.set_xticks(range(len(LETTERS)), LETTERS)
ax.set_ylim(-limit, limit)
ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))
ax.set_xlabel("letter")
ax.set_ylabel("count vs the set's mean")
far = "" if limit > 100 * TOLERANCE else f"\n(the {100 * TOLERANCE:g} % tolerance is far off this scale)"
ax.set_title("Per-letter counts relative to the mean" + far)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2)
fig.tight_layout()
plt.show()

# %%
# Verdict
# -------
# The largest relative deviation from the mean count, per set, against the 5 %
# tolerance, and the largest difference between two letters, in images.

verdicts = {}
for name, c in counts.items():
    deviation = np.abs(c / c.mean() - 1).max()
    verdicts[name] = deviation <= TOLERANCE
    print(f"{name:<22} -> {'balanced' if verdicts[name] else 'NOT balanced'}")
    print(f"  max deviation {100 * deviation:.2f} %, max - min {int(c.max() - c.min()):,} images")

# %%
# What that means for training, printed from the verdicts above: a classifier
# learns the skew of the split it is trained on, whatever the archives hold.

archives = [name for name in counts if name.endswith(".tar.gz")]
unbalanced_archives = [name for name in archives if not verdicts[name]]
unbalanced_splits = [name for name in counts if name not in archives and not verdicts[name]]
if unbalanced_archives:
    print(f"Archives not balanced within {100 * TOLERANCE:g} %:\n{', '.join(unbalanced_archives)}.")
else:
    print(f"Both archives are balanced within {100 * TOLERANCE:g} %.")
if unbalanced_splits:
    print(f"Splits not balanced within {100 * TOLERANCE:g} %:\n{', '.join(unbalanced_splits)}:")
    print("weight the classes or resample before training on them.")
else:
    print(f"Every split is balanced within {100 * TOLERANCE:g} %:\nno re-weighting is needed for training.")
plots.save_if_headless()  # without a display, the figures are saved under figures/
