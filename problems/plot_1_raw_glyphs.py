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

from notmnist import dataset, plots, results
from notmnist.duplicates import near_constant
from notmnist.registry import LETTERS

large = dataset.load_letters("large")
small = dataset.load_letters("small")
print(large.provenance.summary())
results.record("data", source=large.provenance.source, summary=large.provenance.summary())

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
# The grid shows letters of very different designs: serif and sans, bold and
# hairline, outlined, inverted, decorative. File names are the base64-encoded
# names of the fonts the glyphs were drawn from:

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
# drawn by symbol fonts. One way to find the latter is to look for images far
# from the average image of their letter.

blank = near_constant(small.images)
print(
    f"near-constant images in {small.path.name}: {int(blank.sum())} of {len(small):,} "
    f"({100 * blank.mean():.1f} %)"
)

pixels = small.images.reshape(len(small), -1).astype(np.float32)
means = np.stack([pixels[small.labels == k].mean(axis=0) for k in range(len(LETTERS))])
distance = np.linalg.norm(pixels - means[small.labels], axis=1)
odd = np.argsort(distance)[::-1][:20]
fig = plots.glyph_grid(
    small.images[odd],
    [LETTERS[k] for k in small.labels[odd]],
    ncols=10,
    title="The 20 images farthest from the mean image of their letter",
)
plt.show()

# %%
# The most unusual images are mostly inverted or solid designs, symbols, and
# glyphs whose shape has little to do with the letter they are filed under:
# label noise that any classifier trained on this data has to live with.
