"""Pixel operations on a lesion mask (H×W uint8, 0 background, 1 lesion), without Qt.

Points are (row, col) in image coordinates with pixel centres on integers, as everywhere in
engine. A pixel belongs to a shape when its centre does. Every operation returns the box it
may have changed, so the undo history keeps only that patch and the canvas redraws only
that rectangle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import ndimage
from skimage.draw import polygon as polygon_pixels

Point = tuple[float, float]
LESION = 1
SMOOTH_SIGMA_PX = 2.0


class Box(NamedTuple):
    """Rows row0..row1-1 and columns col0..col1-1 (half-open, like slices)."""

    row0: int
    row1: int
    col0: int
    col1: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.row0, self.row1), slice(self.col0, self.col1)

    @property
    def empty(self) -> bool:
        return self.row1 <= self.row0 or self.col1 <= self.col0

    def union(self, other: Box | None) -> Box:
        if other is None or other.empty:
            return self
        if self.empty:
            return other
        return Box(
            min(self.row0, other.row0),
            max(self.row1, other.row1),
            min(self.col0, other.col0),
            max(self.col1, other.col1),
        )


def full_box(shape: tuple[int, ...]) -> Box:
    return Box(0, int(shape[0]), 0, int(shape[1]))


def capsule_box(p0: Point, p1: Point, radius: float, shape: tuple[int, ...]) -> Box:
    """Pixels whose centre may lie within `radius` of the segment p0-p1, clipped to the mask."""
    h, w = int(shape[0]), int(shape[1])
    r0 = max(0, math.floor(min(p0[0], p1[0]) - radius))
    r1 = min(h, math.ceil(max(p0[0], p1[0]) + radius) + 1)
    c0 = max(0, math.floor(min(p0[1], p1[1]) - radius))
    c1 = min(w, math.ceil(max(p0[1], p1[1]) + radius) + 1)
    return Box(r0, max(r0, r1), c0, max(c0, c1))


def capsule(p0: Point, p1: Point, radius: float, shape: tuple[int, ...]) -> tuple[Box, np.ndarray]:
    """The pixels whose centre lies within `radius` of the segment p0-p1: the box (clipped to
    the mask) and a mask of that box."""
    box = capsule_box(p0, p1, radius, shape)
    if box.empty:
        return box, np.zeros((0, 0), dtype=bool)
    rows = np.arange(box.row0, box.row1, dtype=np.float32)[:, None]
    cols = np.arange(box.col0, box.col1, dtype=np.float32)[None, :]
    dr, dc = p1[0] - p0[0], p1[1] - p0[1]
    length2 = dr * dr + dc * dc
    if length2 > 0:
        t = ((rows - p0[0]) * dr + (cols - p0[1]) * dc) / length2
        t = np.clip(t, 0.0, 1.0)
        near_r, near_c = p0[0] + t * dr, p0[1] + t * dc
    else:
        near_r, near_c = np.float32(p0[0]), np.float32(p0[1])
    return box, (rows - near_r) ** 2 + (cols - near_c) ** 2 <= radius * radius + 1e-6


def paint_capsule(mask: np.ndarray, p0: Point, p1: Point, radius: float, value: int) -> Box:
    """A brush (value 1) or eraser (value 0) dab swept from p0 to p1: every pixel whose
    centre lies within `radius` of the segment. One call per mouse move, so a fast stroke
    leaves no gaps between the events."""
    box, inside = capsule(p0, p1, radius, mask.shape)
    if not box.empty:
        mask[box.slices][inside] = value
    return box


def polygon(points: Sequence[Point], shape: tuple[int, ...]) -> tuple[Box, np.ndarray] | None:
    """The pixels inside the closed polygon (lasso): their box and a mask of it; None for a
    degenerate polygon."""
    if len(points) < 3:
        return None
    vertices = np.asarray(points, dtype=np.float64)
    rr, cc = polygon_pixels(vertices[:, 0], vertices[:, 1], shape=shape[:2])
    if rr.size == 0:
        return None
    box = Box(int(rr.min()), int(rr.max()) + 1, int(cc.min()), int(cc.max()) + 1)
    inside = np.zeros((box.row1 - box.row0, box.col1 - box.col0), dtype=bool)
    inside[rr - box.row0, cc - box.col0] = True
    return box, inside


def filled_holes(mask: np.ndarray) -> np.ndarray:
    """Each lesion with the background it encloses filled in (a hilum the model left out)."""
    return ndimage.binary_fill_holes(mask > 0).astype(mask.dtype) * LESION


def smoothed(mask: np.ndarray, sigma_px: float = SMOOTH_SIGMA_PX) -> np.ndarray:
    """Gaussian blur of the lesion indicator, thresholded at one half: ragged brush edges
    become a smooth outline, specks and pinholes smaller than about sigma disappear, and a
    large convex lesion keeps its area."""
    blurred = ndimage.gaussian_filter((mask > 0).astype(np.float32), sigma_px, mode="constant")
    return (blurred >= 0.5).astype(mask.dtype) * LESION


def component_at(mask: np.ndarray, point: Point) -> np.ndarray | None:
    """The connected lesion (4-connected, as engine.measure counts lesions) under the point;
    None when the point is on background or outside the image."""
    row, col = round(point[0]), round(point[1])
    if not (0 <= row < mask.shape[0] and 0 <= col < mask.shape[1]) or not mask[row, col]:
        return None
    labels, _count = ndimage.label(mask > 0)
    return labels == labels[row, col]
