"""
Problem 2: check the normalised arrays
======================================

The course's notebook *normalizes* each image into floating point, centred on zero:
``(pixel - 127.5) / 255``, in about [-0.5, 0.5]. A bug here (a transposed
array, a wrong label, an integer overflow) would silently poison everything
after it. We draw samples from the prepared arrays with their labels, check the
per-letter statistics, and prove that every pixel round-trips exactly.
"""

# %%
# The prepared splits
# -------------------
# Training and validation come from the large archive, test from the small
# one, as in the course; sizes are the course's, scaled for the stand-in.

import matplotlib.pyplot as plt
import numpy as np

from notmnist import dataset, plots, results
from notmnist.registry import LETTERS

splits = dataset.load_splits()
print(splits.provenance.summary())
results.record_provenance(splits.provenance)  # the data the home and data pages name
for name, (images, _labels) in splits.sets.items():
    print(
        f"{name:>5}: {images.shape[0]:>7,} images, dtype {images.dtype}, shape {images.shape[1:]}, "
        f"min {images.min():+.3f}, max {images.max():+.3f}"
    )

# %%
# Samples with their labels
# -------------------------
# If images and labels were mismatched, the captions below would disagree with
# the glyphs.

fig = plots.letter_grid(
    splits.train_images, splits.train_labels, per_letter=8, seed=3, title="Training images, one row per label"
)
plt.show()

# %%
# Per-letter statistics
# ---------------------
# Count, mean and standard deviation of the normalised pixels, per letter of
# the training split. Letters with more ink (or more inverted designs) have a
# higher mean. One pass over the pixels gives each image's mean and mean
# square; a letter's mean is the average of its images' means, and its variance
# the average mean square minus the squared mean.

images, labels = splits.train_images, splits.train_labels
flat = images.reshape(len(images), -1)
image_mean = flat.mean(axis=1, dtype=np.float64)
image_square = np.einsum("ij,ij->i", flat, flat) / flat.shape[1]
print("letter    count     mean     std")
groups = {letter: labels == k for k, letter in enumerate(LETTERS)} | {"all": slice(None)}
for letter, mine in groups.items():
    mean = image_mean[mine].mean()
    std = np.sqrt(image_square[mine].mean() - mean**2)
    print(f"{letter:>6}  {len(image_mean[mine]):>7,}  {mean:+.4f}  {std:.4f}")

# %%
# Exact round trip
# ----------------
# Each prepared image remembers where it came from in its archive. Undoing the
# normalisation must give back the archive's bytes exactly, with the archive's
# label.

large = dataset.load_letters("large")
small = dataset.load_letters("small")
for name, source in (("train", large), ("valid", large), ("test", small)):
    images, labels = splits.sets[name]
    index = getattr(splits, f"{name}_index")
    restored = dataset.denormalise(images)
    pixels_ok = np.array_equal(restored, source.images[index])
    labels_ok = np.array_equal(labels, source.labels[index])
    print(f"{name:>5}: pixels identical to the archive: {pixels_ok}; labels identical: {labels_ok}")
    assert pixels_ok and labels_ok, f"{name}: the conversion changed pixels or labels"

# %%
# The script stops at the check above if any pixel or label of any split fails
# to round-trip, so a page that shows this sentence had every pixel and every
# label survive the conversion.
