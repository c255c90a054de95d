"""
Problem 1: look at the raw glyphs
=================================

Before trusting any number, look at the data. We stream both archives straight
into arrays, without extracting half a million files, and draw random samples
of every letter. Each image should be a letter from A to J in some font; we
also look at the files that could not be read and at the images that are not
really letters at all.
"""

# %%
# Which data is this?
# -------------------
# The same code runs on the real archives or on the offline stand-in rendered
# from fonts; the line below says which one this page was built from.

import matplotlib.pyplot as plt
import numpy as np

from notmnist import dataset, plots
from notmnist.duplicates import near_constant
from notmnist.registry import LETTERS

large = dataset.load_letters("large")
small = dataset.load_letters("small")
print(large.provenance.summary())

# %%
# How many images could be read?
# ------------------------------
# Each archive holds one folder per letter. The reader decodes every PNG and
# sets aside, with a reason, every member it cannot use.

for letters in (large, small):
    counts = ", ".join(f"{k} {v:,}" for k, v in letters.counts.items())
    print(f"{letters.path.name}: {len(letters):,} readable images ({counts})")
    print(f"{letters.path.name}: {len(letters.skipped)} members skipped")
    for skipped in letters.skipped:
        print(f"    {skipped.member}: {skipped.reason}")

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
# Every glyph comes from a font, and the archive's file names say which: each
# is the base64-encoded name of the font file the glyph was drawn from.

import base64

rng = np.random.default_rng(2)
for i in rng.choice(len(small), size=5, replace=False):
    name = small.names[i].decode()
    font = base64.b64decode(name.removesuffix(".png") + "==").decode("utf-8", "replace")
    print(f"{LETTERS[small.labels[i]]}: {name} -> {font!r}")

# %%
# Images that are not really letters
# ----------------------------------
# Some images are nearly constant: blank, or a solid block. Others are pictures
# drawn by symbol fonts, or glyphs whose shape has little to do with the letter
# they are filed under. One way to find those is to look for images far from
# the average image of their letter.

blank = near_constant(small.images)
print(
    f"near-constant images in {small.path.name}: {int(blank.sum())} of {len(small):,} "
    f"({100 * blank.mean():.1f} %)"
)

# %%
# The near-constant images are counted above, so they are left out here: among
# the others, the 20 farthest from the mean image of their letter (Euclidean
# distance between pixel vectors).

pixels = small.images.reshape(len(small), -1).astype(np.float32)
means = np.stack([pixels[small.labels == k].mean(axis=0) for k in range(len(LETTERS))])
distance = np.linalg.norm(pixels - means[small.labels], axis=1)
distance[blank] = -np.inf
odd = np.argsort(distance)[::-1][: min(20, int((~blank).sum()))]
fig = plots.glyph_grid(
    small.images[odd],
    [LETTERS[k] for k in small.labels[odd]],
    ncols=10,
    title=f"The {len(odd)} images (not near-constant) farthest from the mean image of their letter",
)
plt.show()

# %%
# What the outliers are made of, measured rather than eyeballed: an image is
# *mostly bright* (a filled or inverted design) when more than half of its
# pixels are brighter than mid-grey. Whatever is left is for the eye to judge
# in the figure: symbols, unusual designs, or letters filed under another
# letter, which is label noise a classifier has to live with.

bright = (small.images[odd] > 127).mean(axis=(1, 2)) > 0.5
print(f"mostly bright (filled or inverted designs): {int(bright.sum())} of {len(odd)}")
print(f"mostly dark, like an ordinary glyph:       {int((~bright).sum())} of {len(odd)}")
overall = (small.images[~blank] > 127).mean(axis=(1, 2)) > 0.5
print(f"for comparison, mostly bright among all non-constant images: {100 * overall.mean():.1f} %")
