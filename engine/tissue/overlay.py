"""Annotation pixels: what a scanner draws over (or beside) the echo.

Two kinds, found separately because they differ in what gives them away:
- colour: B-mode is gray, so any clearly coloured pixel (Doppler flow, colour bars, green
  or yellow calipers, a blue probe logo) is not echo;
- flat: grey bars, logos and banners are drawn in flat colour or smooth ramps, constant
  along a row for several pixels, which speckle never is;
- graphics: white or light-gray marks (text, + and x calipers, dotted lines, measurement
  boxes, body markers). They are thin (one to three pixels wide) and much brighter than
  what is around them, which a white top-hat measures. Bright speckle and fascia can be
  thin and bright too, so single marks are kept only when they are shaped like glyphs
  (tall enough, not a lone horizontal streak) or when several small marks line up (dots of
  a caliper line, letters of a word).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from engine.tissue.filters import dilated, opening, running_max

CHROMA_THRESHOLD = 30  # as engine.io.doppler: JPEG noise on gray stays well below this
BRIGHT = 180.0  # graphics are drawn near white; tissue rarely is, in thin strokes
CONTRAST = 60.0  # how much brighter than the 5x5 opening around it a stroke pixel is
STROKE_PX = 5  # marks thinner than this vanish in the opening
GLYPH_MIN_HEIGHT = 5  # a letter or a + is at least this tall; a fascia streak is not
GLYPH_MIN_PIXELS = 8
DOTS_IN_A_LINE = 4  # this many separate marks within one group: dotted line or a word
FLAT_RUN = 7  # a grey bar is at least this wide and constant across
FLAT_LOW, FLAT_HIGH = 24.0, 250.0
FLAT_MIN_PIXELS = 200  # smaller flat patches happen in smooth (upscaled) tissue
FLAT_MAX_FRACTION = 0.05  # of the screen: larger flat areas are not drawn marks


def colour_overlay(rgb: np.ndarray, threshold: int = CHROMA_THRESHOLD) -> np.ndarray:
    """True where an RGB pixel is clearly coloured, with a one-pixel rim (JPEG halos)."""
    r, g, b = (rgb[..., k].astype(np.int16) for k in range(3))  # per channel: contiguous
    chroma = np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)
    coloured = chroma > threshold
    return dilated(coloured, 3) if coloured.any() else coloured


def flat_overlay(gray: np.ndarray, scale: int = 1) -> np.ndarray:
    """True on non-black areas that are constant along rows for FLAT_RUN pixels and change
    smoothly down the columns (grey bars, flat logos, banners), in blobs of FLAT_MIN_PIXELS.
    Black is left out (it is background) and so is white (saturated tissue is flat too).
    scale: gray is the screen reduced this many times (runs and sizes shrink with it)."""
    run, min_pixels = FLAT_RUN // scale + 1, FLAT_MIN_PIXELS // (scale * scale)
    levels = np.rint(gray).astype(np.int16)
    changes = np.zeros(levels.shape, dtype=np.uint8)
    changes[:, :-1] = levels[:, 1:] != levels[:, :-1]
    flat = running_max(changes, run, axis=1) == 0
    steep = np.zeros(levels.shape, dtype=bool)
    steep[:-1] = np.abs(levels[1:] - levels[:-1]) > 8
    candidates = flat & ~steep & (levels > FLAT_LOW) & (levels < FLAT_HIGH)
    if not candidates.any():
        return candidates
    blobs, count = ndi.label(candidates)
    sizes = np.bincount(blobs.ravel(), minlength=count + 1)
    # A bar or a logo is small beside the picture; a flat area as big as a panel is a flat
    # (test or phantom) picture, not something drawn on one.
    drawn = (sizes >= min_pixels) & (sizes <= FLAT_MAX_FRACTION * gray.size)
    drawn[0] = False
    return drawn[blobs]


def graphics_overlay(gray: np.ndarray) -> np.ndarray:
    """True on thin bright marks shaped like text, calipers and their lines (plus a rim).

    gray: H×W float on the 0..255 scale."""
    levels = np.clip(np.rint(gray), 0, 255).astype(np.uint8)  # 8-bit filters are faster
    opened = opening(levels, STROKE_PX)
    strokes = (levels >= BRIGHT) & (levels.astype(np.int16) - opened >= CONTRAST)
    if not strokes.any():
        return strokes
    marks, _ = ndi.label(strokes, structure=np.ones((3, 3), bool))
    # Letters of a word and dots of a line are a few pixels apart: one group each.
    groups, n_groups = ndi.label(dilated(strokes, 5, 9))
    at_strokes = groups[strokes]
    mark_group = np.zeros(int(marks.max()) + 1, dtype=np.int64)
    mark_group[marks[strokes]] = at_strokes  # every pixel of a mark lies in one group
    marks_per_group = np.bincount(mark_group[1:], minlength=n_groups + 1)[1:]
    pixels = np.bincount(at_strokes, minlength=n_groups + 1)[1:]
    # A group's box is its marks' box grown by the (5, 9) dilation: 4 rows, 8 columns.
    boxes = ndi.find_objects(groups)
    heights = np.array([w[0].stop - w[0].start - 4 for w in boxes])
    widths = np.array([w[1].stop - w[1].start - 8 for w in boxes])
    glyph = (heights >= GLYPH_MIN_HEIGHT) & (widths >= 3) & (pixels >= GLYPH_MIN_PIXELS)
    keep = np.concatenate([[False], glyph | (marks_per_group >= DOTS_IN_A_LINE)])
    return dilated(keep[groups] & strokes, 3)
