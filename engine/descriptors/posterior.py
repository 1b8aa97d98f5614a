"""Posterior acoustic features: the column of tissue below a lesion against the columns
beside it at the same depth.

Sound that crossed a cyst arrives brighter below it (enhancement); sound absorbed or scattered
by a solid, fibrous mass leaves a dark band (shadowing). So the reference is the tissue at the
same depth beside the lesion, which crossed the same layers of fat and gland but not the mass:

- below: the middle CENTRAL of the lesion's columns (its rounded sides throw thin edge
  shadows that are not posterior features), from GAP under the lesion's lowest pixel in each
  column down DEPTH x the lesion height;
- beside: SIDE x the lesion width on either side (clipped to the image), GAP away from the
  lesion's columns, over the same rows;
- ratio = median below / median beside on the speckle-smoothed image: enhancement at
  ENHANCEMENT or more, shadowing at SHADOWING or less; combined when the below region, cut
  into STRIPS vertical strips, has strips of both kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

CENTRAL = 0.6
GAP = 0.1  # x the lesion height / width, at least 2 px
DEPTH = 0.75
SIDE = 0.5
ENHANCEMENT = 1.2
SHADOWING = 0.8
STRIPS = 3
MIN_ROWS = 5
POSTERIOR_FEATURES = ("none", "enhancement", "shadowing", "combined")


@dataclass(frozen=True)
class PosteriorMeasures:
    ratio: float | None  # below / beside; None when it cannot be measured
    strip_ratios: tuple[float, ...]
    rows: int  # depth of the region below, pixels
    note: str = ""  # why it could not be measured


def measure_posterior(image: np.ndarray, mask: np.ndarray) -> PosteriorMeasures:
    image = np.asarray(image, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    rows, cols = np.nonzero(mask)
    height = rows.max() - rows.min() + 1
    width = cols.max() - cols.min() + 1
    smooth = ndimage.gaussian_filter(image, max(1.5, 0.02 * max(height, width)))
    keep = int(round(width * (1 - CENTRAL) / 2))
    central = np.arange(cols.min() + keep, cols.max() - keep + 1)
    bottom = mask.shape[0] - 1 - np.argmax(mask[::-1, central], axis=0)
    gap = max(2, int(round(GAP * height)))
    depth = max(MIN_ROWS, int(round(DEPTH * height)))
    start = int(round(np.mean(bottom))) + gap
    stop = min(mask.shape[0], start + depth)
    if stop - start < MIN_ROWS:
        return PosteriorMeasures(None, (), max(stop - start, 0), "the lesion reaches the bottom")
    below = np.zeros_like(mask)
    for c, b in zip(central, bottom, strict=True):
        below[b + gap : min(mask.shape[0], b + gap + depth), c] = True
    below &= ~mask
    side_gap = max(2, int(round(GAP * width)))
    side = max(3, int(round(SIDE * width)))
    beside = np.zeros_like(mask)
    left = slice(max(0, cols.min() - side_gap - side), max(0, cols.min() - side_gap))
    right = slice(
        min(mask.shape[1], cols.max() + 1 + side_gap),
        min(mask.shape[1], cols.max() + 1 + side_gap + side),
    )
    beside[start:stop, left] = True
    beside[start:stop, right] = True
    beside &= ~mask
    if beside.sum() < 20 or below.sum() < 20:
        return PosteriorMeasures(None, (), stop - start, "no tissue beside the lesion")
    reference = max(float(np.median(smooth[beside])), 1e-9)
    ratio = float(np.median(smooth[below])) / reference
    strips = []
    for part in np.array_split(central, STRIPS):
        sel = below.copy()
        sel[:, : part[0]] = False
        sel[:, part[-1] + 1 :] = False
        if sel.sum() >= 10:
            strips.append(float(np.median(smooth[sel])) / reference)
    return PosteriorMeasures(ratio, tuple(strips), stop - start)


def posterior_feature(m: PosteriorMeasures) -> tuple[str | None, str]:
    """(lexicon term or None when not measurable, one-line reason)."""
    if m.ratio is None:
        return None, f"posterior features not measurable: {m.note}"
    strips = ", ".join(f"{s:.2f}" for s in m.strip_ratios)
    if any(s >= ENHANCEMENT for s in m.strip_ratios) and any(
        s <= SHADOWING for s in m.strip_ratios
    ):
        return "combined", f"combined: strips below {strips} x the tissue beside"
    if m.ratio >= ENHANCEMENT:
        return "enhancement", f"enhancement: below {m.ratio:.2f} x the tissue beside"
    if m.ratio <= SHADOWING:
        return "shadowing", f"shadowing: below {m.ratio:.2f} x the tissue beside"
    return "none", f"none: below {m.ratio:.2f} x the tissue beside"
