"""The tissue around a lesion and the step in brightness across its border.

Echogenicity is relative: BI-RADS compares a mass with the subcutaneous fat, TI-RADS a nodule
with the thyroid around it. So the reference is a ring of tissue around the lesion, never the
whole image (which holds skin, air gaps, text and the dark field below the tissue), and
robust statistics (median, MAD) are used throughout, because speckle is heavy-tailed and a
hand-drawn ring catches vessels, calipers and other structures.

The ring leaves out the tissue straight below the lesion: that is where posterior enhancement
or shadowing lives, and counting it would make an anechoic cyst look less dark than it is.

Border sharpness follows the profile of brightness across the border, segment by segment:
the step within NEAR of the border against the step between the far bands (half-way to FAR
inside and outside). A sharp border makes the whole step at the border (ratio about 1); a
blurred one only a part of it. A segment is "defined" when its far step has the sign of the
lesion's overall contrast, at least half its size, and at least half of it happens at the
border. The defined fraction of the border is the margin's sharpness. The tissue straight
below the lesion is left out here too (a shadow would make the lower border look blurred),
so the lower border is judged where it meets the tissue beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from engine.descriptors.geometry import gaussian_reach, grown_box, outline

SEGMENTS = 24
NEAR = 0.03  # x equivalent diameter (at least 2 px): the border zone
FAR = 0.12  # x equivalent diameter (at least 6 px): the reference bands
RING_GAP = 0.05  # ring starts this far outside the border (at least 2 px) ...
RING_WIDTH = 0.35  # ... and is this wide (at least 6 px), both x equivalent diameter
MIN_RING_PIXELS = 30


@dataclass(frozen=True)
class Surroundings:
    """Robust statistics of the lesion and of the ring around it (same intensity scale)."""

    lesion_median: float
    lesion_p90: float
    ring_median: float
    ring_noise: float  # 1.4826 x MAD: the speckle spread of the surrounding tissue
    ring_pixels: int
    interior: np.ndarray  # bool, image-sized: the lesion without its border zone
    ring: np.ndarray  # bool, image-sized

    @property
    def ratio(self) -> float:
        """Lesion median over ring median (1 = as bright as the tissue around it)."""
        return self.lesion_median / max(self.ring_median, 1e-9)

    @property
    def contrast_sd(self) -> float:
        """(lesion - ring) in speckle standard deviations of the ring."""
        return (self.lesion_median - self.ring_median) / max(self.ring_noise, 1e-9)


@dataclass(frozen=True)
class Border:
    defined_fraction: float  # share of border segments with a clear step at the border
    sharpness: float  # median near-step / far-step over the segments (1 = abrupt)
    step_sd: float  # median far step, in ring speckle SDs (signed: negative = darker inside)


def equivalent_diameter_px(mask: np.ndarray) -> float:
    return float(2.0 * np.sqrt(np.count_nonzero(mask) / np.pi))


def surroundings(image: np.ndarray, mask: np.ndarray) -> Surroundings:
    """Lesion and ring statistics. Raises ValueError when there is no tissue around it."""
    image = np.asarray(image, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    diameter = equivalent_diameter_px(mask)
    gap = max(2.0, RING_GAP * diameter)
    width = max(6.0, RING_WIDTH * diameter)
    # The ring lies within gap + width of the lesion, and a lesion pixel's nearest
    # background is never outside its box grown by one pixel: the distance maps are taken
    # on the lesion's box grown by the ring (every distance read is the whole image's).
    box = grown_box(mask, int(np.ceil(gap + width)) + 1)
    lesion = mask[box]
    outside = ndimage.distance_transform_edt(~lesion)
    inside = ndimage.distance_transform_edt(lesion)
    ring = np.zeros_like(mask)
    ring[box] = (outside > gap) & (outside <= gap + width) & ~below_lesion(lesion)
    if ring.sum() < MIN_RING_PIXELS:
        raise ValueError("no tissue around the lesion to compare with (it fills the image)")
    near = max(2.0, NEAR * diameter)
    interior = np.zeros_like(mask)
    interior[box] = lesion & (inside > near)
    if interior.sum() < max(10, 0.1 * mask.sum()):
        interior = mask
    values = image[interior]
    tissue = image[ring]
    ring_median = float(np.median(tissue))
    return Surroundings(
        lesion_median=float(np.median(values)),
        lesion_p90=float(np.percentile(values, 90)),
        ring_median=ring_median,
        ring_noise=float(1.4826 * np.median(np.abs(tissue - ring_median))) + 1e-6,
        ring_pixels=int(ring.sum()),
        interior=interior,
        ring=ring,
    )


def below_lesion(mask: np.ndarray) -> np.ndarray:
    """Pixels straight below the lesion (deeper rows of the columns it spans)."""
    mask = np.asarray(mask, dtype=bool)
    columns = np.flatnonzero(mask.any(axis=0))
    out = np.zeros_like(mask)
    if columns.size == 0:
        return out
    bottom = mask.shape[0] - 1 - np.argmax(mask[::-1, columns], axis=0)
    rows = np.arange(mask.shape[0])[:, None]
    out[:, columns] = rows > bottom[None, :]
    return out


def border(image: np.ndarray, mask: np.ndarray, noise: float, contrast: float) -> Border:
    """Per-segment steps across the border (see the module docstring)."""
    image = np.asarray(image, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    diameter = equivalent_diameter_px(mask)
    near = max(2.0, NEAR * diameter)
    far = max(6.0, FAR * diameter, 2.0 * near)
    rows, cols = np.nonzero(mask)
    pad = int(np.ceil(far)) + 2
    r0, c0 = max(rows.min() - pad, 0), max(cols.min() - pad, 0)
    r1 = min(rows.max() + pad + 1, mask.shape[0])
    c1 = min(cols.max() + pad + 1, mask.shape[1])
    m = mask[r0:r1, c0:c1]
    # Smoothed on the crop grown by the smoothing's reach: the crop's values are the whole
    # image's smoothed values.
    reach = gaussian_reach(1.0)
    s0, t0 = max(r0 - reach, 0), max(c0 - reach, 0)
    around = image[s0 : min(r1 + reach, mask.shape[0]), t0 : min(c1 + reach, mask.shape[1])]
    img = ndimage.gaussian_filter(around, 1.0)[r0 - s0 : r1 - s0, c0 - t0 : c1 - t0]
    signed = ndimage.distance_transform_edt(~m) - ndimage.distance_transform_edt(m)
    # Segment of every pixel: its nearest point of the outline, by arc position.
    contour = outline(m)
    rr, cc = np.mgrid[: m.shape[0], : m.shape[1]]
    band = np.abs(signed) <= far
    _, nearest = cKDTree(contour).query(np.stack([rr[band], cc[band]], axis=1))
    segment = np.full(m.shape, -1, dtype=np.int64)
    segment[band] = nearest * SEGMENTS // len(contour)
    beside = ~below_lesion(m)  # posterior shadowing/enhancement is not the border
    zones = {
        "far_in": (signed >= -far) & (signed <= -far / 2),
        "near_in": (signed < 0) & (signed >= -near),
        "near_out": (signed > 0) & (signed <= near) & beside,
        "far_out": (signed >= far / 2) & (signed <= far) & beside,
    }
    sign = 1.0 if contrast < 0 else -1.0  # outside minus inside, for a darker lesion > 0
    # Every zone lies in the band: its pixels, grouped by segment (a stable sort keeps each
    # segment's pixels in the image's order), are all the loop reads.
    order = np.argsort(segment[band], kind="stable")
    seg_of = segment[band][order]
    band_values = img[band][order]
    band_zones = {name: zone[band][order] for name, zone in zones.items()}
    bounds = np.searchsorted(seg_of, np.arange(SEGMENTS + 1))
    defined, ratios, steps = [], [], []
    for k in range(SEGMENTS):
        part = slice(int(bounds[k]), int(bounds[k + 1]))
        med = {}
        for name, zone in band_zones.items():
            values = band_values[part][zone[part]]
            if values.size < 3:
                break
            med[name] = float(np.median(values))
        if len(med) < len(zones):
            continue
        far_step = med["far_out"] - med["far_in"]
        near_step = med["near_out"] - med["near_in"]
        ratio = near_step / far_step if abs(far_step) > 1e-9 else 0.0
        steps.append(far_step / noise)
        ratios.append(ratio)
        expected = abs(contrast) * noise
        defined.append(
            sign * far_step >= 0.5 * expected and expected >= 0.5 * noise and ratio >= 0.5
        )
    if not defined:
        return Border(defined_fraction=0.0, sharpness=0.0, step_sd=0.0)
    return Border(
        defined_fraction=float(np.mean(defined)),
        sharpness=float(np.median(ratios)),
        step_sd=float(np.median(steps)),
    )
