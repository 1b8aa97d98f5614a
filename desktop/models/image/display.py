"""Arrays the canvas draws, computed without Qt so they can be tested on their own.

Coordinates: engine gives (row, col) with pixel centres at integer indices; a pyqtgraph
ImageItem puts pixel (r, c) on the square [c, c+1] x [r, r+1]. Every vector drawn over the
image is shifted by half a pixel, or the contour would sit half a pixel up and left of the
mask it outlines.
"""

from __future__ import annotations

import numpy as np

from engine.types import Image

PIXEL_CENTRE = 0.5
LEVEL_PERCENTILES = (0.5, 99.5)
OVERLAY_RGB = (255, 110, 30)  # orange: reads on gray speckle and differs from the contour


def display_levels(pixels: np.ndarray) -> tuple[float, float]:
    """Display window: 8-bit (gray or RGB) as stored, i.e. what the scanner showed; anything
    wider (16-bit, float DICOM) from robust percentiles, so one hot pixel cannot darken it."""
    if pixels.dtype == np.uint8:
        return (0.0, 255.0)
    lo, hi = np.percentile(pixels, LEVEL_PERCENTILES)
    if hi <= lo:
        lo, hi = float(pixels.min()), float(pixels.max())
    if hi <= lo:
        hi = lo + 1.0
    return (float(lo), float(hi))


def overlay_rgba(mask: np.ndarray, opacity: float) -> np.ndarray:
    """H×W×4 uint8: the lesion colour with alpha = opacity where mask > 0, clear elsewhere."""
    rgba = np.zeros((*mask.shape, 4), dtype=np.uint8)
    inside = mask > 0
    rgba[inside, :3] = OVERLAY_RGB
    rgba[inside, 3] = overlay_alpha(opacity)
    return rgba


def contour_xy(contour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) polygon -> closed x, y arrays in view coordinates."""
    points = np.asarray(contour, dtype=np.float64)
    if len(points) and not np.array_equal(points[0], points[-1]):
        points = np.vstack([points, points[:1]])
    return points[:, 1] + PIXEL_CENTRE, points[:, 0] + PIXEL_CENTRE


def segment_xy(
    endpoints: tuple[tuple[float, float], tuple[float, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """((r0, c0), (r1, c1)) -> x, y arrays of the two endpoints in view coordinates."""
    (r0, c0), (r1, c1) = endpoints
    x = np.array([c0, c1], dtype=np.float64) + PIXEL_CENTRE
    y = np.array([r0, r1], dtype=np.float64) + PIXEL_CENTRE
    return x, y


def scale_bar_mm(spacing_mm: tuple[float, float] | None, width_px: int) -> float | None:
    """A round bar length (mm) about a fifth of the image wide; None when uncalibrated."""
    if spacing_mm is None or width_px <= 0:
        return None
    target = width_px * spacing_mm[1] / 5.0
    for length in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        if length >= target:
            return float(length)
    return 500.0


def scale_bar_place(image: Image) -> tuple[float, float, float, float] | None:
    """(x0, y, length_px, length_mm) of the canvas's scale bar, or None when uncalibrated.

    Bottom left of the largest tissue panel (engine.tissue, the area the analysis reads), not
    of the whole screen, where scanners burn in text, ECG traces and logos: a bar over them
    was unreadable and hid them. The whole image when no panel is found."""
    if image.spacing_mm is None:
        return None
    from engine.tissue.cache import tissue_area_of

    row0, col0, row1, col1 = 0, 0, image.height, image.width
    area = tissue_area_of(image)
    if area.found and area.panels:
        row0, col0, row1, col1 = area.panels[0].box
    length_mm = scale_bar_mm(image.spacing_mm, col1 - col0)
    if length_mm is None:
        return None
    margin = 0.04 * min(col1 - col0, row1 - row0)
    return col0 + margin, row1 - margin, length_mm / image.spacing_mm[1], length_mm


def cursor_text(
    pixels: np.ndarray, x: float, y: float, spacing_mm: tuple[float, float] | None
) -> str:
    """Status-bar readout for the pixel under the cursor; empty outside the image."""
    row, col = int(np.floor(y)), int(np.floor(x))
    if not (0 <= row < pixels.shape[0] and 0 <= col < pixels.shape[1]):
        return ""
    value = pixels[row, col]
    shown = "/".join(f"{v:.4g}" for v in np.atleast_1d(value).tolist())
    text = f"row {row}  col {col}  value {shown}"
    if spacing_mm is not None:
        text += f"  ({row * spacing_mm[0]:.1f}, {col * spacing_mm[1]:.1f}) mm"
    return text


def overlay_alpha(opacity: float) -> int:
    return round(255 * min(1.0, max(0.0, opacity)))


def paint_overlay_box(
    rgba: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], opacity: float
) -> None:
    """Redraw only rows row0..row1-1, cols col0..col1-1 of an overlay_rgba buffer in place:
    a brush stroke touches a few hundred pixels, not the whole image."""
    row0, row1, col0, col1 = box
    patch = rgba[row0:row1, col0:col1]
    inside = mask[row0:row1, col0:col1] > 0
    patch[...] = 0
    patch[inside, :3] = OVERLAY_RGB
    patch[inside, 3] = overlay_alpha(opacity)


def uncertainty_lut() -> np.ndarray:
    """256×4 lookup for the uncertainty map: transparent where the model is sure, rising to
    opaque magenta where it hesitates (entropy 1), so certain tissue stays readable."""
    t = np.linspace(0.0, 1.0, 256)
    lut = np.zeros((256, 4), dtype=np.uint8)
    lut[:, 0] = 255
    lut[:, 1] = np.round(40 + 60 * t).astype(np.uint8)
    lut[:, 2] = 255
    lut[:, 3] = np.round(230 * np.clip((t - 0.05) / 0.95, 0.0, 1.0) ** 0.7).astype(np.uint8)
    return lut
