"""Echogenic foci of a thyroid nodule: bright small spots inside it and bright arcs on its rim.

Calcifications reflect far more than thyroid tissue, so a focus is a connected group of at
least MIN_FOCUS_PX pixels (lightly smoothed, so single speckle pixels do not count) at least
BRIGHT x the median of the surrounding tissue and BRIGHT_SD speckle SDs above it. Where they
are tells the TI-RADS kind:

- peripheral (rim): foci in the border band (within RIM_BAND x the equivalent diameter of the
  outline, either side) that together cover at least RIM_SECTORS of SECTORS angular sectors
  around the centre: an arc, not one dot that happens to sit at the edge;
- punctate: every other focus at most PUNCTATE_MM across (calibrated) or PUNCTATE_FRACTION x
  the nodule's diameter (uncalibrated: about 1 mm on a 15-mm nodule);
- macrocalcification: larger ones.

Not told apart: large comet-tail artifacts (0 points) from punctate foci, and a shadowing
macrocalcification from a bright septum; the reader checks. A point-like bright reflector
in a cystic part is more often a comet tail: the reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from engine.descriptors.geometry import Spacing, scale_of
from engine.descriptors.surroundings import Surroundings, equivalent_diameter_px

BRIGHT = 1.6
BRIGHT_SD = 4.0
MIN_FOCUS_PX = 3
RIM_BAND = 0.06
RIM_DILATE_PX = 2
SECTORS = 24
RIM_SECTORS = 8
PUNCTATE_MM = 1.0
PUNCTATE_FRACTION = 0.06


@dataclass(frozen=True)
class FociMeasures:
    punctate: int
    macro: int
    rim_sectors: int  # angular sectors (of SECTORS) with a bright focus in the border band
    largest: float  # equivalent diameter of the largest focus (unit), 0 without foci
    unit: str
    threshold: float  # the brightness a focus reaches, in image units

    @property
    def rim(self) -> bool:
        return self.rim_sectors >= RIM_SECTORS


def measure_foci(
    image: np.ndarray, lesion: np.ndarray, around: Surroundings, spacing: Spacing = None
) -> FociMeasures:
    image = np.asarray(image, dtype=np.float64)
    lesion = np.asarray(lesion, dtype=bool)
    scale, unit = scale_of(spacing)
    threshold = max(BRIGHT * around.ring_median, around.ring_median + BRIGHT_SD * around.ring_noise)
    zone = ndimage.binary_dilation(lesion, iterations=RIM_DILATE_PX)
    bright = (ndimage.gaussian_filter(image, 0.7) >= threshold) & zone
    labels, count = ndimage.label(bright)
    if count == 0:
        return FociMeasures(0, 0, 0, 0.0, unit, threshold)
    diameter_px = equivalent_diameter_px(lesion)
    inside = ndimage.distance_transform_edt(lesion)
    band = zone & (inside <= max(2.0, RIM_BAND * diameter_px))
    rows, cols = np.nonzero(lesion)
    cy, cx = rows.mean(), cols.mean()
    rr, cc = np.mgrid[: lesion.shape[0], : lesion.shape[1]]
    sector = ((np.arctan2(rr - cy, cc - cx) + np.pi) / (2 * np.pi) * SECTORS).astype(int) % SECTORS
    index = np.arange(1, count + 1)
    area = np.asarray(ndimage.sum_labels(np.ones_like(labels), labels, index=index))
    on_band = np.asarray(ndimage.sum_labels(band, labels, index=index))
    kept = area >= MIN_FOCUS_PX
    rim_part = kept & (on_band >= 0.5 * area)
    rim_pixels = np.isin(labels, index[rim_part]) & band
    rim_sectors = int(np.unique(sector[rim_pixels]).size) if rim_pixels.any() else 0
    # Rim foci are one finding when they make an arc; otherwise each counts on its own.
    single = kept & ~rim_part if rim_sectors >= RIM_SECTORS else kept
    across = 2.0 * np.sqrt(area * float(scale.prod()) / np.pi)
    limit = PUNCTATE_MM if unit == "mm" else PUNCTATE_FRACTION * diameter_px
    punctate = int(np.sum(single & (across <= limit)))
    macro = int(np.sum(single & (across > limit)))
    largest = float(across[kept].max()) if kept.any() else 0.0
    return FociMeasures(punctate, macro, rim_sectors, largest, unit, threshold)
