"""An offline stand-in for the notMNIST archives, rendered with Pillow from fonts.

[`write_standin`][notmnist.standin.write_standin] writes `notMNIST_large.tar.gz` and
`notMNIST_small.tar.gz` in exactly the real layout (one top folder, folders `A` ... `J`, file
names that are base64 of a font file name, 28x28 8-bit greyscale PNG, white ink on black, each
glyph stretched to fill the box), so that [`notmnist.archive.read_archive`][notmnist.archive.read_archive]
and everything after it run unchanged on them.  A *design* is one fake font file: a font from
[`find_fonts`][notmnist.standin.find_fonts] (drawn with the chances of
[`font_weights`][notmnist.standin.font_weights]) with a weight, slant, rotation and effects of its
own; it yields one image per letter.  How it is drawn is told in `notmnist/standin/render.py`.

Planted quirks, so that every problem page has something real to find:

* the real unreadable files, as zero-byte PNGs ([`ZERO_BYTE`][notmnist.standin.ZERO_BYTE]);
* exact duplicates: a design under two or more file names within each archive, and small-set
  designs copied from the large set (letters, never its pictures: the small set was cleaned by
  hand), at rates tuned towards the real course split's published overlap (13.2 % of test and
  10.7 % of valid images with a copy in train);
* near copies: when fonts are few, small-set designs that are faint variants of large-set ones
  (greys moved by a gamma, as a font re-hinted or renamed gives), towards the published share of
  test images with a near copy in train (53 of the first 200 at L1 < 10 on normalised pixels);
* odd glyphs: pictures drawn instead of the letter (label noise, 6.5 % in the large set and
  0.5 % in the small set, the dataset author's estimates), symbol fonts kept on purpose, and
  near-blank and solid images.

`scale=1.0` reproduces the real per-letter counts (529,114 + 18,724 readable images); the
default, 0.1, gives the course split train 20,000 / valid 1,000 / test 1,000.  How close a
stand-in comes to the real figures is measured by [`notmnist.fidelity`][notmnist.fidelity].

Every random choice comes from `np.random.default_rng(seed)` in the calling process, before any
rendering; tar members are written in sorted order with fixed metadata and a gzip header without
time or name.  The same seed, font list and Pillow/FreeType versions give byte-identical archives.
The folder's manifest, [`MANIFEST`][notmnist.standin.MANIFEST], is written last: a folder with a
manifest is complete, and is reused when scale, seed, fonts and rendering code match.
"""

from .fonts import FEW_FONTS, find_fonts, font_weights, fonts_hash
from .write import MANIFEST, ZERO_BYTE, read_manifest, write_standin

__all__ = [
    "FEW_FONTS", "MANIFEST", "ZERO_BYTE",
    "find_fonts", "font_weights", "fonts_hash", "read_manifest", "write_standin",
]
