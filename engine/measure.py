"""Mask -> lesions -> contours and sizes, the way a sonographer measures with calipers.

Long axis: the longest chord of the lesion (maximum Feret diameter). Short axis: the longest
chord perpendicular to it. Both are computed in millimetres when the image is calibrated
(anisotropic pixels are handled by measuring in physical coordinates), else in pixels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import measure

from engine.types import Measurements

Point = tuple[float, float]


def lesion_components(mask: np.ndarray, min_area_px: int) -> list[np.ndarray]:
    """One boolean mask per connected lesion, holes filled, largest first.

    Holes are filled inside each lesion's bounding box: on a full ultrasound frame the
    whole-image fill cost tens of milliseconds per lesion, after every brush stroke."""
    labels, count = ndimage.label(mask > 0)
    components = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        filled = ndimage.binary_fill_holes(labels[box] == index)
        if filled.sum() >= min_area_px:
            component = np.zeros(mask.shape, dtype=bool)
            component[box] = filled
            components.append(component)
    return sorted(components, key=lambda c: -int(c.sum()))


def outer_contour(component: np.ndarray) -> np.ndarray:
    """Subpixel outline (N×2, row/col) of one lesion, from marching squares at the 0.5 level
    (traced in the lesion's bounding box, then shifted back to image coordinates)."""
    boxes = ndimage.find_objects(component.astype(np.uint8))
    if not boxes or boxes[0] is None:
        raise ValueError("outer_contour needs a non-empty component")
    rows, cols = boxes[0]
    padded = np.pad(component[rows, cols].astype(np.float32), 1)
    contours = measure.find_contours(padded, 0.5)
    longest = max(contours, key=len)
    return longest - 1.0 + np.array([rows.start, cols.start], dtype=np.float64)


def measure_component(
    component: np.ndarray,
    spacing_mm: tuple[float, float] | None,
    contour: np.ndarray | None = None,
) -> Measurements:
    """Calipers, area, perimeter and outline irregularity of one lesion. contour: its
    outer_contour when the caller has it already (a finding keeps it too), so the outline
    is traced once per lesion."""
    area_px = float(component.sum())
    sy, sx = spacing_mm if spacing_mm is not None else (1.0, 1.0)
    # The marching-squares outline runs through pixel-edge midpoints, so extents count whole
    # pixels (a 1-px lesion is 1 px wide) and the ends of an ellipse are points, not flats.
    contour = outer_contour(component) if contour is None else contour
    points = contour * np.array([sy, sx])
    long_pts, long_len = _longest_chord(points)
    short_pts, short_len = _widest_perpendicular(points, long_pts, min(sy, sx))
    scale = np.array([sy, sx])
    to_px = [(tuple(p / scale) if p is not None else None) for p in (*long_pts, *short_pts)]
    long_px = _length_px(long_pts, scale)
    short_px = _length_px(short_pts, scale)
    calibrated = spacing_mm is not None
    outline = np.vstack([points, points[:1]])
    perimeter = float(np.hypot(*np.diff(outline, axis=0).T).sum())
    outline_px = outline / scale
    perimeter_px = float(np.hypot(*np.diff(outline_px, axis=0).T).sum())
    d_row, d_col = long_pts[1] - long_pts[0]
    orientation = float(np.degrees(np.arctan2(abs(d_row), abs(d_col))))
    return Measurements(
        area_px=area_px,
        long_axis_px=long_px,
        short_axis_px=short_px,
        area_mm2=area_px * sy * sx if calibrated else None,
        long_axis_mm=long_len if calibrated else None,
        short_axis_mm=short_len if calibrated else None,
        long_axis_endpoints=(_pt(to_px[0]), _pt(to_px[1])),
        short_axis_endpoints=(_pt(to_px[2]), _pt(to_px[3])),
        perimeter_px=perimeter_px,
        perimeter_mm=perimeter if calibrated else None,
        orientation_deg=orientation,
        irregularity=_irregularity(points),
    )


def _irregularity(points: np.ndarray) -> float:
    """1 - solidity of the outline polygon (area over convex-hull area), scale-free."""
    from scipy.spatial import ConvexHull, QhullError

    area = _polygon_area(points)
    try:
        hull_area = float(ConvexHull(points).volume)  # "volume" is the area in 2D
    except QhullError:
        return 0.0
    return float(max(0.0, 1.0 - area / hull_area)) if hull_area > 0 else 0.0


def _polygon_area(points: np.ndarray) -> float:
    r, c = points[:, 0], points[:, 1]
    return float(0.5 * abs(np.dot(r, np.roll(c, 1)) - np.dot(c, np.roll(r, 1))))


def _pt(p) -> Point:  # noqa: ANN001
    return (float(p[0]), float(p[1]))


def _length_px(pts: tuple[np.ndarray, np.ndarray], scale: np.ndarray) -> float:
    a, b = pts[0] / scale, pts[1] / scale
    return float(np.hypot(*(a - b)))


def _longest_chord(points: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], float]:
    hull = _convex_hull(points)
    diff = hull[:, None, :] - hull[None, :, :]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    i, j = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return (hull[i], hull[j]), float(dist[i, j])


def _widest_perpendicular(
    points: np.ndarray, long_pts: tuple[np.ndarray, np.ndarray], step: float
) -> tuple[tuple[np.ndarray, np.ndarray], float]:
    """Longest extent along the perpendicular direction within one slab along the long axis."""
    a, b = long_pts
    axis = (b - a) / max(np.hypot(*(b - a)), 1e-9)
    normal = np.array([-axis[1], axis[0]])
    u = (points - a) @ axis
    v = (points - a) @ normal
    bins = np.floor(u / step).astype(np.int64)
    best_len, best = 0.0, (a, a)
    for k in np.unique(bins):
        sel = bins == k
        vs = v[sel]
        lo, hi = int(np.argmin(vs)), int(np.argmax(vs))
        length = float(vs[hi] - vs[lo])
        if length > best_len:
            uc = float(np.mean(u[sel]))
            best_len = length
            best = (a + axis * uc + normal * vs[lo], a + axis * uc + normal * vs[hi])
    return best, best_len


def _convex_hull(points: np.ndarray) -> np.ndarray:
    if len(points) < 4:
        return points
    from scipy.spatial import ConvexHull, QhullError

    try:
        return points[ConvexHull(points).vertices]
    except QhullError:  # collinear points: the hull is the points themselves
        return points
