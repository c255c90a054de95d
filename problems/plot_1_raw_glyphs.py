"""
Problem 1: look at the raw glyphs
=================================

Before trusting any number, look at the data. We stream both archives straight
into arrays, without extracting half a million files, and draw random samples
of every letter. Each image should be a letter from A to J in some font; we
also look at the files that could not be read, at the images that are nearly
constant, and at the most unusual ones.
"""

# %%
# Which data is this?
# -------------------
# The same code runs on the real archives or on the offline stand-in rendered
# from fonts; the line below says which one this page was built from.

import matplotlib.pyplot as plt
import numpy as np

from notmnist import dataset, plots
from notmnist.pixels import near_constant
from notmnist.registry import LETTERS

large = dataset.load_letters("large")
small = dataset.load_letters("small")
print(dataset.provenance().summary())

# %%
# How many images could be read?
# ------------------------------
# Each archive holds one folder per letter. The reader decodes every PNG and
# sets aside, with a reason, every member it cannot use.

for letters in (large, small):
    counts = ", ".join(f"{k} {v:,}" for k, v in letters.counts.items())
    print(f"{letters.path.name}: {len(letters):,} readable images ({counts})")
    print(f"{letters.path.name}: members skipped: {len(letters.skipped)}")
    for skipped in letters.skipped:
        print(f"    {skipped}")  # member: reason (detail)

# %%
# A random sample of each letter
# ------------------------------
# Ten random images per letter from the small archive, straight from the PNG
# files: white ink on black, the glyph stretched to fill its 28x28 box.

fig = plots.letter_grid(
    small.images, small.labels, per_letter=10, seed=1, title=f"{small.path.name}: 10 random images per letter"
)
plt.show()

# %%
# Every glyph comes from a font. In notMNIST each file name is the
# base64-encoded name of the font file the glyph was drawn from, so decoding a
# few shows which fonts; a name that is not base64 text is said to be so.

import base64

rng = np.random.default_rng(2)
for i in rng.choice(len(small), size=5, replace=False):
    name = small.names[i].decode()
    try:
        font = repr(base64.b64decode(name.removesuffix(".png") + "==").decode("utf-8"))
    except UnicodeDecodeError:
        font = "(not a font name: this archive's file names are not base64 text)"
    print(f"{LETTERS[small.labels[i]]}: {name} -> {font}")

# %%
# Nearly constant images
# ----------------------
# Some images are nearly constant: the same grey level almost everywhere. What
# they are depends on the data, so it is measured: dark ones are blanks; white
# ones are solid blocks, which is what a plain I or a filled design gives once
# stretched to fill the box.

constant = near_constant(small.images)
white = constant & (small.images.mean(axis=(1, 2)) > 127)
dark = constant & ~white
share = 100 * constant.mean()
print(f"near-constant images in {small.path.name}: {int(constant.sum())} of {len(small):,} ({share:.1f} %)")
for what, chosen in (("dark (blank)", dark), ("white (solid)", white)):
    letters = np.bincount(small.labels[chosen], minlength=len(LETTERS))
    filed = ", ".join(f"{LETTERS[k]} {n}" for k, n in enumerate(letters) if n) or "none"
    print(f"    {what:<14} {int(chosen.sum()):>5,}  filed under: {filed}")

# %%
# The most unusual images
# -----------------------
# Among the images that are not nearly constant, the 20 farthest from the mean
# image of their letter (Euclidean distance between pixel vectors). Far from
# the mean means unusual, not necessarily wrong: an inverted or filled design,
# a decorative or script font, a picture drawn by a symbol font, or a letter
# filed under another letter (label noise a classifier has to live with). The
# figure is for the eye to judge which.

pixels = small.images.reshape(len(small), -1).astype(np.float32)
means = np.stack([pixels[small.labels == k].mean(axis=0) for k in range(len(LETTERS))])
distance = np.linalg.norm(pixels - means[small.labels], axis=1)
distance[constant] = -np.inf
odd = np.argsort(distance)[::-1][: min(20, int((~constant).sum()))]
fig = plots.glyph_grid(
    small.images[odd],
    [LETTERS[k] for k in small.labels[odd]],
    ncols=10,
    title=f"The {len(odd)} images (not near-constant) farthest from the mean image of their letter",
)
plt.show()

# %%
# One thing the eye can be helped with: how many of them are *mostly bright*,
# more than half of their pixels brighter than mid-grey. An inverted or filled
# design is, but so is an ordinary bold letter stretched to fill the box, so
# the share among all images is printed beside it.

bright = (small.images[odd] > 127).mean(axis=(1, 2)) > 0.5
overall = (small.images[~constant] > 127).mean(axis=(1, 2)) > 0.5
print(f"mostly bright among these {len(odd)}: {int(bright.sum())}")
print(f"mostly bright among all images that are not near-constant: {100 * overall.mean():.1f} %")
plots.save_if_headless()  # without a display, the figures are saved under figures/
