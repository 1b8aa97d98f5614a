"""The outline of one lesion measured for the lexicon: extents, axes, ellipse fit, convexity.

Everything is measured in physical units (mm) when the pixel spacing is known and in pixels
otherwise, so anisotropic pixels do not turn a circle into an oval. Scale-dependent thresholds
are expressed as fractions of the equivalent diameter (the diameter of the circle of the same
area), because most images (BUSI included) carry no calibration and a rule in millimetres
could not be applied to them.

"Height" is the extent along the image rows (the beam, away from the skin line) and "width"
the extent along the columns (parallel to the skin line): on a linear probe the skin line is
the top row, so these are the BI-RADS orientation and the TI-RADS taller-than-wide axes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError
from skimage import measure
from skimage.draw import polygon as fill_polygon

Spacing = tuple[float, float] | None

# A pocket between the outline and its convex hull counts as a lobulation (the notch between
# two lobes) when it is at least this deep, as a fraction of the equivalent diameter: about
# 1 mm on a 2 cm mass, well above the jitter of a hand-drawn mask.
LOBE_DEPTH = 0.05


@dataclass(frozen=True)
class ShapeMeasures:
    """Extents and fits of one lesion. unit is "mm" or "px" (lengths; areas in unit²)."""

    unit: str
    area: float
    equivalent_diameter: float
    height: float  # extent along rows (beam direction)
    width: float  # extent along columns (skin line)
    long_axis: float  # longest chord (maximum Feret diameter)
    short_axis: float  # longest chord perpendicular to it
    long_axis_angle_deg: float  # 0 = parallel to the skin line, 90 = along the beam
    ellipse_aspect: float  # minor / major axis of the ellipse of equal second moments
    ellipse_mismatch: float  # 1 - IoU of the mask and that ellipse (0 = a perfect ellipse)
    solidity: float  # area / convex hull area (1 = convex)
    lobulations: int  # notches deeper than LOBE_DEPTH x equivalent diameter

    @property
    def height_width(self) -> float:
        return self.height / max(self.width, 1e-9)

    @property
    def long_short(self) -> float:
        return self.long_axis / max(self.short_axis, 1e-9)


def scale_of(spacing: Spacing) -> tuple[np.ndarray, str]:
    """(row, col) size of a pixel and the unit name."""
    if spacing is None:
        return np.array([1.0, 1.0]), "px"
    sy, sx = (float(s) for s in spacing)
    if not (sy > 0 and sx > 0):
        raise ValueError(f"pixel spacing must be positive, not {spacing}")
    return np.array([sy, sx]), "mm"


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest connected region of a mask, holes filled (the lesion being described).

    Labelled and filled inside the bounding box of the mask's pixels: every region lies in
    it, a hole is background the box's edge does not reach (outside the box all is
    background, joined to the frame's edge), and labels number regions in the same raster
    order, so the result is the whole frame's; on a full ultrasound frame the whole-frame
    labelling and fill were some milliseconds per lesion."""
    mask = np.asarray(mask) > 0
    box = mask_box(mask)
    if box is None:
        raise ValueError("the lesion mask is empty")
    labels, count = ndimage.label(mask[box])
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    out = np.zeros(mask.shape, dtype=bool)
    out[box] = ndimage.binary_fill_holes(labels == int(np.argmax(sizes)) + 1)
    return out


def grown_box(mask: np.ndarray, pad: int) -> tuple[slice, slice]:
    """The bounding box of a non-empty 2D mask grown by pad pixels on every side, cut at
    the frame's edges: where a measure reads only that far from the lesion, it reads the
    same pixels from the box as from the whole frame."""
    box = mask_box(mask)
    if box is None:
        raise ValueError("the lesion mask is empty")
    (rows, cols), (height, width) = box, mask.shape
    return (
        slice(max(rows.start - pad, 0), min(rows.stop + pad, height)),
        slice(max(cols.start - pad, 0), min(cols.stop + pad, width)),
    )


def gaussian_reach(sigma: float) -> int:
    """How far scipy.ndimage.gaussian_filter reads from a pixel (its default truncate of 4
    sigma): a smoothing taken on a box this much larger than the pixels read is the whole
    frame's, bit for bit, and only the box's pixels are smoothed."""
    return int(4.0 * float(sigma) + 0.5)


def label_maxima(values: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """The largest of `values` in each of labels 1..count (each label has a pixel), as
    ndimage.maximum gives it, from the labelled pixels only: ndimage.maximum sorts every
    pixel of the frame by label first, most of a lesion's outline measures' time."""
    labelled = labels > 0
    out = np.full(count + 1, -np.inf)
    np.maximum.at(out, labels[labelled], values[labelled])
    return out[1:]


def label_counts(labels: np.ndarray, count: int) -> np.ndarray:
    """The pixels of each of labels 1..count (float, as ndimage.sum_labels of ones)."""
    return np.bincount(labels.ravel(), minlength=count + 1)[1 : count + 1].astype(np.float64)


def mask_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The bounding box (row, col slices) of a 2D mask's True pixels; None when it has none.
    Two axis reductions instead of np.nonzero's index arrays over the whole frame."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def outline(mask: np.ndarray) -> np.ndarray:
    """Subpixel outer contour (N×2, row/col, pixel units), counter-clockwise in (col, row)."""
    mask = np.asarray(mask)
    box = mask_box(mask != 0)
    if box is None:
        raise ValueError("the lesion mask is empty")
    rows, cols = box
    traced = _traced(mask[rows, cols])
    points = traced - 1.0 + np.array([rows.start, cols.start], dtype=np.float64)
    if _signed_area(points) < 0:
        points = points[::-1]
    return points


_last_outline = threading.local()  # per thread: (bounding-box crop, its traced outline)


def _traced(crop: np.ndarray) -> np.ndarray:
    """The longest marching-squares contour (0.5 level, closing point dropped) of a lesion's
    bounding-box crop, padded by one pixel. One lesion's descriptors ask for its outline
    four times (shape, convexity, margin, border), each on the same crop at another offset:
    the last crop traced is remembered (per thread) and its points reused."""
    last = getattr(_last_outline, "entry", None)
    if last is not None and last[0].dtype == crop.dtype and np.array_equal(last[0], crop):
        return last[1]
    contours = measure.find_contours(np.pad(crop.astype(np.float32), 1), 0.5)
    traced = max(contours, key=len)[:-1]
    traced.setflags(write=False)
    _last_outline.entry = (crop.copy(), traced)
    return traced


def measure_shape(mask: np.ndarray, spacing: Spacing = None) -> ShapeMeasures:
    """Extents, axes and fits of one lesion (a boolean mask, one connected region)."""
    scale, unit = scale_of(spacing)
    mask = np.asarray(mask, dtype=bool)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        raise ValueError("the lesion mask is empty")
    pixel_area = float(scale[0] * scale[1])
    area = rows.size * pixel_area
    diameter = float(2.0 * np.sqrt(area / np.pi))
    height = float((rows.max() - rows.min() + 1) * scale[0])
    width = float((cols.max() - cols.min() + 1) * scale[1])
    points = outline(mask) * scale
    long_pts, long_len = _longest_chord(points)
    short_len = _widest_perpendicular(points, long_pts, float(min(scale)))
    d_row, d_col = long_pts[1] - long_pts[0]
    angle = float(np.degrees(np.arctan2(abs(d_row), abs(d_col))))
    aspect, mismatch = _ellipse_fit(mask, scale)
    solidity, lobes = _convexity(mask, scale, diameter)
    return ShapeMeasures(
        unit=unit,
        area=area,
        equivalent_diameter=diameter,
        height=height,
        width=width,
        long_axis=long_len,
        short_axis=short_len,
        long_axis_angle_deg=angle,
        ellipse_aspect=aspect,
        ellipse_mismatch=mismatch,
        solidity=solidity,
        lobulations=lobes,
    )


def _ellipse_fit(mask: np.ndarray, scale: np.ndarray) -> tuple[float, float]:
    """Minor/major ratio of the ellipse with the mask's second moments, and how far the mask
    is from that ellipse (1 - IoU). Moments are taken in physical units."""
    rows, cols = np.nonzero(mask)
    y = rows * scale[0]
    x = cols * scale[1]
    cy, cx = y.mean(), x.mean()
    cov = np.cov(np.vstack([y - cy, x - cx])) + np.eye(2) * (float(scale.max()) ** 2 / 12.0)
    evals, evecs = np.linalg.eigh(cov)
    evals = np.clip(evals, 1e-12, None)
    aspect = float(np.sqrt(evals[0] / evals[1]))
    # The ellipse of equal moments: semi-axes 2*sqrt(eigenvalue) (uniform ellipse).
    r0, r1 = rows.min(), rows.max()
    c0, c1 = cols.min(), cols.max()
    pad = int(np.ceil(0.5 * max(r1 - r0, c1 - c0))) + 2
    rr, cc = np.mgrid[r0 - pad : r1 + pad + 1, c0 - pad : c1 + pad + 1]
    d = np.stack([rr * scale[0] - cy, cc * scale[1] - cx], axis=-1) @ evecs
    inside = (d[..., 0] ** 2 / (4 * evals[0]) + d[..., 1] ** 2 / (4 * evals[1])) <= 1.0
    crop = np.zeros(rr.shape, dtype=bool)
    crop[rows - (r0 - pad), cols - (c0 - pad)] = True
    union = (crop | inside).sum()
    iou = (crop & inside).sum() / union if union else 1.0
    return aspect, float(1.0 - iou)


def _convexity(mask: np.ndarray, scale: np.ndarray, diameter: float) -> tuple[float, int]:
    """Solidity and the number of notches (pockets of the convex hull) deep enough to separate
    two lobes; depth is each pocket's largest distance to the hull's outline."""
    rows, cols = np.nonzero(mask)
    r0, c0 = rows.min() - 1, cols.min() - 1
    crop = np.zeros((rows.max() - r0 + 2, cols.max() - c0 + 2), dtype=bool)
    crop[rows - r0, cols - c0] = True
    points = outline(crop)
    try:
        hull = points[ConvexHull(points).vertices]
    except QhullError:
        return 1.0, 0
    hull_mask = np.zeros_like(crop)
    rr, cc = fill_polygon(hull[:, 0], hull[:, 1], shape=crop.shape)
    hull_mask[rr, cc] = True
    hull_mask |= crop
    solidity = float(crop.sum() / max(hull_mask.sum(), 1))
    pockets, count = ndimage.label(hull_mask & ~crop)
    if count == 0:
        return solidity, 0
    depth = ndimage.distance_transform_edt(hull_mask, sampling=scale)
    deepest = label_maxima(depth, pockets, count)
    lobes = int(np.sum(np.asarray(deepest) >= LOBE_DEPTH * diameter))
    return solidity, lobes


def _signed_area(points: np.ndarray) -> float:
    r, c = points[:, 0], points[:, 1]
    return float(0.5 * (np.dot(c, np.roll(r, -1)) - np.dot(r, np.roll(c, -1))))


def _longest_chord(points: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], float]:
    try:
        hull = points[ConvexHull(points).vertices] if len(points) >= 4 else points
    except QhullError:
        hull = points
    diff = hull[:, None, :] - hull[None, :, :]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    i, j = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return (hull[i], hull[j]), float(dist[i, j])


def _widest_perpendicular(
    points: np.ndarray, long_pts: tuple[np.ndarray, np.ndarray], step: float
) -> float:
    """Longest extent perpendicular to the long axis within one slab along it: the same
    caliper rule as engine.measure (short axis = longest perpendicular chord)."""
    a, b = long_pts
    axis = (b - a) / max(float(np.hypot(*(b - a))), 1e-9)
    normal = np.array([-axis[1], axis[0]])
    u = (points - a) @ axis
    v = (points - a) @ normal
    bins = np.floor(u / step).astype(np.int64)
    order = np.argsort(bins, kind="stable")
    bins, v = bins[order], v[order]
    starts = np.r_[0, np.flatnonzero(np.diff(bins)) + 1]
    widths = np.maximum.reduceat(v, starts) - np.minimum.reduceat(v, starts)
    return float(widths.max()) if widths.size else 0.0
