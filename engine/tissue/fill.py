"""Annotation pixels filled from the tissue around them, before the model sees the picture.

A caliper cross or a "1.23 cm" label is bright, sharp and often sits on the lesion's edge:
left in, it is the strongest edge in the picture and the model may learn or follow it. The
pixels are replaced by normalised convolution (the Gaussian-weighted mean of the tissue
pixels around, at the smallest scale that reaches), within each panel from that panel's
own tissue only, so nothing leaks across a seam or in from the black around a fan.
skimage's biharmonic inpainting would look smoother but costs seconds per screen.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import find_objects, gaussian_filter, label, maximum_filter

from engine.tissue.area import TissueArea

SIGMAS = (2.0, 4.0, 8.0, 16.0, 32.0)
SEED_PERCENTILE = 99.5  # tissue brighter than this does not seed the fill


def fill_overlay(gray: np.ndarray, area: TissueArea) -> np.ndarray:
    """gray (H×W, any scale) with the area's overlay pixels filled panel by panel; the
    input comes back unchanged (same object) when there is nothing to fill."""
    if not area.found or not area.overlay.any():
        return gray
    out = np.array(gray, dtype=np.float32, copy=True)
    for panel in area.panels:
        r0, c0, r1, c1 = panel.box
        inside = panel.crop()
        holes = area.overlay[r0:r1, c0:c1] & inside
        if holes.any():
            crop = out[r0:r1, c0:c1]
            known = inside & ~holes
            if known.any():  # the brightest tissue pixels are often marks the finder missed
                known &= crop <= np.percentile(crop[known], SEED_PERCENTILE)
            out[r0:r1, c0:c1] = filled(crop, holes, known)
    return out


def filled(values: np.ndarray, holes: np.ndarray, known: np.ndarray) -> np.ndarray:
    """values with holes replaced by the Gaussian-weighted mean of the known pixels.

    Each scale is smoothed only around the holes still open (hole_groups: the boxes of the
    holes grown by the smoothing's reach), not over the whole panel: the holes are a few
    marks and labels, and a hole's smoothed values are the whole panel's bit for bit."""
    out = values.astype(np.float32, copy=True)
    if not known.any():
        return out
    weight_of = known.astype(np.float32)
    signal = values * weight_of
    todo = holes.copy()
    for sigma in SIGMAS:
        groups, boxes = hole_groups(todo, int(4.0 * sigma + 0.5))  # gaussian_filter's reach
        for group, box in enumerate(boxes, start=1):
            weight = gaussian_filter(weight_of[box], sigma, mode="constant")
            total = gaussian_filter(signal[box], sigma, mode="constant")
            ready = todo[box] & (groups[box] == group) & (weight > 1e-3)
            out[box][ready] = total[ready] / weight[ready]
            todo[box] &= ~ready
        if not todo.any():
            return out
    out[todo] = float(values[known].mean())
    return out


def hole_groups(holes: np.ndarray, reach: int) -> tuple[np.ndarray, list[tuple[slice, slice]]]:
    """(labels, boxes): the holes grown by `reach` pixels (a square) and labelled, and each
    group's box, which is its holes' bounding box grown by reach and cut at the edges. A
    smoothing that reads `reach` pixels far gives each hole of a group, within its box, the
    value it has on the whole array (mode "constant" reads zeros past the array's edge in
    both); a hole is only read from its own group's box, where boxes overlap."""
    grown = maximum_filter(holes, size=2 * reach + 1, mode="constant", cval=False)
    groups, _ = label(grown, structure=np.ones((3, 3), dtype=bool))
    return groups, [box for box in find_objects(groups) if box is not None]
