"""Filled convex hull of a mask, from each row's extreme pixels.

A fan is convex, and so is the tissue a speckle blob belongs to; skimage's
convex_hull_image tests every pixel of the image against the hull (~50 ms for a screen-sized
blob). The hull of a set is the hull of each row's leftmost and rightmost pixel (their
corners), at most four points a row; scipy finds it, and as it is convex each row of it
is one run of columns, found by intersecting the row with the hull's edges.
"""

from __future__ import annotations

import numpy as np


def filled_hull(mask: np.ndarray) -> np.ndarray:
    """H×W bool: the pixels whose centres lie inside the convex hull of mask's pixels."""
    from scipy.spatial import ConvexHull, QhullError

    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return np.zeros_like(mask, dtype=bool)
    inside = mask[rows]
    first = inside.argmax(axis=1)
    last = inside.shape[1] - 1 - inside[:, ::-1].argmax(axis=1)
    r = rows.astype(np.float64)
    points = np.concatenate(
        [
            np.stack([r - 0.5, first - 0.5], axis=1),
            np.stack([r + 0.5, first - 0.5], axis=1),
            np.stack([r - 0.5, last + 0.5], axis=1),
            np.stack([r + 0.5, last + 0.5], axis=1),
        ]
    )
    try:
        vertices = points[ConvexHull(points).vertices]
    except QhullError:  # a single row or column: the mask is its own hull
        return mask.astype(bool).copy()
    low, high = _row_spans(vertices, mask.shape[0])
    cols = np.arange(mask.shape[1])
    out = (cols[None, :] >= low[:, None]) & (cols[None, :] <= high[:, None])
    return out | mask.astype(bool)


def _row_spans(vertices: np.ndarray, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row (pixel centre y = row), the column span inside a convex polygon (empty:
    low > high)."""
    y = np.arange(height, dtype=np.float64)[None, :]
    y0, x0 = vertices[:, 0:1], vertices[:, 1:2]
    nxt = np.roll(vertices, -1, axis=0)
    y1, x1 = nxt[:, 0:1], nxt[:, 1:2]
    crosses = (np.minimum(y0, y1) <= y) & (y <= np.maximum(y0, y1)) & (y0 != y1)
    t = np.where(y0 != y1, (y - y0) / np.where(y0 != y1, y1 - y0, 1.0), 0.0)
    x = x0 + t * (x1 - x0)
    low = np.where(crosses, x, np.inf).min(axis=0)
    high = np.where(crosses, x, -np.inf).max(axis=0)
    return np.ceil(low), np.floor(high)
