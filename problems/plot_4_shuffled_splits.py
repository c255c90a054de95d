"""
Problem 4: do the shuffled splits still match their labels?
===========================================================

Shuffling images and labels separately, or with two different permutations, is
a classic bug that leaves a dataset looking fine and a classifier learning
nothing. We look at labelled samples from each shuffled split, then check every
image independently of our own bookkeeping: we find it again, by content, in
its archive and compare the letter folder it came from with its label.
"""

# %%
# Labelled samples after shuffling
# --------------------------------

import matplotlib.pyplot as plt
import numpy as np

from notmnist import dataset, pixels, plots
from notmnist.registry import LETTERS

splits = dataset.load_splits()
print(splits.provenance.summary())

for name, (images, labels) in splits.sets.items():
    fig = plots.glyph_grid(
        images[:20],
        [LETTERS[k] for k in labels[:20]],
        ncols=10,
        title=f"The first 20 images of the shuffled {name} split, with their labels",
    )
    plt.show()

# %%
# Are the splits really shuffled?
# -------------------------------
# In a shuffled split, two neighbours share a label about one time in ten; in
# an unshuffled one, almost always.

for name, (_, labels) in splits.sets.items():
    same = np.mean(labels[1:] == labels[:-1])
    print(f"{name:>5}: neighbours with the same label: {100 * same:.1f} %")

# %%
# Matching every image back to its letter folder
# ----------------------------------------------
# We look every image of the splits up, by content, in its archive. A hash of
# an image's bytes is its key; the archive gives, for each key, the set of
# letter folders that hold that picture. An image is *confirmed* when the
# folder of its label is among them. The same picture filed under two letters
# (it happens: label noise) still confirms if one of its folders matches.

import hashlib


def key(image):
    return hashlib.blake2b(image.tobytes(), digest_size=16).digest()


large = dataset.load_letters("large")
small = dataset.load_letters("small")
folders = {}
for subset, letters in (("large", large), ("small", small)):
    for image, label in zip(letters.images, letters.labels):
        folders.setdefault((subset, key(image)), set()).add(label)

for name, subset in (("train", "large"), ("valid", "large"), ("test", "small")):
    images, labels = splits.sets[name]
    found = [folders.get((subset, key(image)), set()) for image in pixels.denormalise(images)]
    confirmed = sum(label in where for label, where in zip(labels, found))
    missing = sum(not where for where in found)
    print(
        f"{name:>5}: {confirmed:,} of {len(labels):,} images confirmed in their letter folder; "
        f"{len(labels) - confirmed - missing:,} found only under another letter; {missing:,} not found"
    )
    assert confirmed == len(labels), f"{name}: some images are not in the folder of their label"
plots.save_if_headless()  # without a display, the figures are saved under figures/

# %%
# The script stops at the check above unless every image of every split sits
# in the folder of its label, so on this page images and labels moved together
# through the shuffles.
