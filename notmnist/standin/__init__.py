"""An offline stand-in for the notMNIST archives, rendered with Pillow from fonts.

[`write_standin`][notmnist.standin.write_standin] writes `notMNIST_large.tar.gz` and
`notMNIST_small.tar.gz` in exactly the real layout (one top folder, folders
`A` ... `J`, file names that are base64 of a font file name, 28x28 8-bit
greyscale PNG, white ink on black, each glyph stretched to fill the box), so
that [`notmnist.archive.read_archive`][notmnist.archive.read_archive] and everything after it run
unchanged on them.

How a glyph is made
-------------------
A *design* is one fake font file: a real font from [`find_fonts`][notmnist.standin.find_fonts] (drawn
with the chances of [`font_weights`][notmnist.standin.font_weights], so that no one collection of fonts
dominates) plus a target ink share (the glyph is made bolder towards it, never thinner,
measured on the design's `E` so that letters keep their natural differences; a long bold
tail, since real glyphs are often bold letters stretched to fill the box), a slant
(shear), a small rotation, outline or shadow strokes, and rarely an
inversion, a near-blank, solid or padded picture.  Each design yields one
image per letter, like a font file of the real set.  The fewer the fonts,
the more each design departs from its font (`variety`:
sizes, slants, warps, blur, more inversions).  The letter is drawn
large (48 px), cropped at the edge of its ink (with a sub-pixel jitter and, for its greys,
a slight gamma, so two designs never coincide by chance), resized to 28x28 with a Lanczos filter ignoring
the aspect ratio as the real set does, and given a little more contrast.

Planted quirks, so that every problem page has something real to find:

* the real unreadable files, as zero-byte PNGs: large 3 in `A`, 1 in `B`,
  1 in `D`; small 1 in `A`, 1 in `F` (at every scale);
* exact duplicates: the same design under two or more file names within each
  archive, and small-set designs copied from the large set, at rates tuned
  towards the real course split's published overlap (13.2 % of test and
  10.7 % of valid images with a copy in train) and its share of distinct
  test images occurring more than once (about 2 %); the small set shares
  letters with the large one, never its pictures (it was cleaned by hand);
* near copies: when fonts are few, small-set designs that are faint variants
  of large-set ones (greys moved by a gamma), as fonts re-hinted or renamed
  give, towards the published share of test images with a near copy in train
  (53 of the first 200 at L1 < 10 on normalised pixels);
* odd glyphs: symbol pictures drawn instead of the letter (label noise, 6.5 %
  in the large set and 0.5 % in the small set, the dataset author's
  estimates), symbol fonts kept on purpose by [`find_fonts`][notmnist.standin.find_fonts], near-blank
  and solid images (a small share, as in the real set).

How close a given stand-in comes to the real figures is measured after the
pipeline by [`notmnist.fidelity`][notmnist.fidelity] and shown on the site's data page.

Scale
-----
`scale=1.0` reproduces the real per-letter counts (529,114 + 18,724
readable images).  `DEFAULT_SCALE = 0.1` (52,910 + 1,870 readable images)
gives the course split train 20,000 / valid 1,000 / test 1,000: large
enough for the learning curve to go past the course's 5,000 samples, small
enough to render once in well under a minute and fit in seconds.  Smaller
scales shrink the test split until its accuracy's standard error (about
1.8 points for 500 images at 80 % accuracy) hides the difference between
5,000 and 10,000 training images; larger scales only slow the site down.

Determinism
-----------
Every random choice comes from `np.random.default_rng(seed)` in the calling
process, before any rendering; workers are pure functions of their input.
Tar members are written in sorted order with fixed mtime, uid, gid and owner
names, and the gzip header carries mtime 0 and no file name.  The same seed,
font list and Pillow/FreeType versions give byte-identical archives.

The folder holds a manifest, `standin.json`, written last: a folder with a
manifest is complete, and [`write_standin`][notmnist.standin.write_standin] reuses it when scale, seed and
font-list hash (names, contents, folder sizes) and the rendering code (the
source of `write` and every module it imports) match.
"""

from .fonts import FEW_FONTS, FONT_SETS, find_fonts, font_weights, fonts_hash
from .render import render_designs, render_glyph
from .write import DEFAULT_SCALE, MANIFEST, ZERO_BYTE, read_manifest, standin_letters, write_standin

__all__ = [
    "DEFAULT_SCALE", "FEW_FONTS", "FONT_SETS", "MANIFEST", "ZERO_BYTE",
    "find_fonts", "font_weights", "fonts_hash", "read_manifest", "render_designs", "render_glyph",
    "standin_letters", "write_standin",
]

