"""
Problem 2: check the normalised arrays
======================================

The course's notebook *normalizes* each image into floating point, centred on zero:
``(pixel - 127.5) / 255``, in about [-0.5, 0.5]. A bug here (a transposed
array, a wrong label, an integer overflow) would silently poison everything
after it. We draw samples from the prepared arrays with their labels, check the
per-letter statistics, and redo the normalisation by hand from the archives'
bytes to compare it with the prepared arrays, pixel by pixel.
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
# The normalisation, by hand
# --------------------------
# The course's formula, applied here to a few grey levels: black is -0.5,
# white +0.5, and no grey level maps to zero.

levels = np.array([0, 1, 127, 128, 254, 255], dtype=np.uint8)
for grey, value in zip(levels, (levels.astype(np.float32) - 127.5) / 255):
    print(f"grey level {grey:>3} -> {value:+.6f}")

# %%
# Each prepared image remembers where it came from in its archive. Applying the
# same formula to the archive's bytes must give the prepared arrays exactly,
# and the archive's label (the letter folder) must be the prepared label.

large = dataset.load_letters("large")
small = dataset.load_letters("small")
BLOCK = 10_000  # images at a time, so the float copy stays small
for name, source in (("train", large), ("valid", large), ("test", small)):
    images, labels = splits.sets[name]
    index = getattr(splits, f"{name}_index")
    pixels_ok = True
    for i in range(0, len(index), BLOCK):
        pixels = source.images[index[i : i + BLOCK]]
        pixels_ok &= np.array_equal((pixels.astype(np.float32) - 127.5) / 255, images[i : i + BLOCK])
    labels_ok = np.array_equal(labels, source.labels[index])
    print(f"{name:>5}: archive pixels normalised here = the array: {pixels_ok}; labels equal: {labels_ok}")
    assert pixels_ok and labels_ok, f"{name}: pixels or labels differ from the archive's"
plots.save_if_headless()  # without a display, the figures are saved under figures/

# %%
# The script stops at the check above if any pixel or label of any split
# differs, so a page that shows this sentence had every pixel of every split
# equal to its archive's, normalised, and every label equal to its folder.
