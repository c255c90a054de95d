"""An offline stand-in for the notMNIST archives, rendered with Pillow from fonts.

:func:`write_standin` writes ``notMNIST_large.tar.gz`` and
``notMNIST_small.tar.gz`` in exactly the real layout (one top folder, folders
``A`` ... ``J``, file names that are base64 of a font file name, 28x28 8-bit
greyscale PNG, white ink on black, each glyph stretched to fill the box), so
that :func:`notmnist.archive.read_archive` and everything after it run
unchanged on them.

How a glyph is made
-------------------
A *design* is one fake font file: a real font from :func:`find_fonts` plus a
target ink share (the glyph is eroded or dilated towards it, measured on the
design's ``E`` so that letters keep their natural differences), a slant
(shear), a small rotation, outline or shadow strokes, and rarely an
inversion, a near-blank, solid or padded picture.  Each design yields one
image per letter, like a font file of the real set.  The letter is drawn
large (48 px), cropped to its ink (with a sub-pixel jitter, so two designs
never coincide by chance), resized to 28x28 with a Lanczos filter ignoring
the aspect ratio as the real set does, and given a little more contrast.

Planted quirks, so that every problem page has something real to find:

* the real unreadable files, as zero-byte PNGs: large 3 in ``A``, 1 in ``B``,
  1 in ``D``; small 1 in ``A``, 1 in ``F`` (at every scale);
* exact duplicates: the same design under two or more file names within each
  archive, and small-set designs copied from the large set, at rates tuned
  so that the course split (train and valid from large, test from small)
  shows about 13 % of test and 10.7 % of valid images with a copy in train,
  and about 2 % of distinct test images occurring more than once;
* odd glyphs: symbol pictures drawn instead of the letter (label noise, 3 %
  in the large set, 0.5 % in the small set), symbol fonts kept on purpose by
  :func:`find_fonts`, near-blank and solid images (about 1.2 %).

Scale
-----
``scale=1.0`` reproduces the real per-letter counts (529,114 + 18,724
readable images).  ``DEFAULT_SCALE = 0.1`` (52,910 + 1,870 readable images)
gives the course split train 20,000 / valid 1,000 / test 1,000.  It renders
about 47,000 distinct glyphs, about 1.3 ms of CPU each: 24 s on this
two-core machine.  On that split logistic regression behaves like the real
data, a few points lower: test accuracy .48 / .66 / .78 / .81 at 50 / 100 /
1,000 / 5,000 samples (real .51 / .70 / .83 / .85) and .85 on all 20,000
(real .89 on 200,000), so full-set training still clearly beats 5,000
samples, and its fit takes a few seconds.  At 0.05 the 500-image test split
could no longer tell 5,000 from 10,000 training images apart (its standard
error is near 1.5 points); larger scales only slow the site down.

Determinism
-----------
Every random choice comes from ``np.random.default_rng(seed)`` in the calling
process, before any rendering; workers are pure functions of their input.
Tar members are written in sorted order with fixed mtime, uid, gid and owner
names, and the gzip header carries mtime 0 and no file name.  The same seed,
font list and Pillow/FreeType versions give byte-identical archives.

The folder holds a manifest, ``standin.json``, written last: a folder with a
manifest is complete, and :func:`write_standin` reuses it when scale, seed and
font-list hash match.
"""

from .fonts import FEW_FONTS, FONT_SETS, find_fonts, fonts_hash
from .render import RENDER_VERSION, render_designs, render_glyph
from .write import DEFAULT_SCALE, MANIFEST, ZERO_BYTE, read_manifest, standin_letters, write_standin

__all__ = [
    "DEFAULT_SCALE", "FEW_FONTS", "FONT_SETS", "MANIFEST", "RENDER_VERSION", "ZERO_BYTE",
    "find_fonts", "fonts_hash", "read_manifest", "render_designs", "render_glyph",
    "standin_letters", "write_standin",
]

