"""Echo pattern of a lesion against the tissue around it (BI-RADS) and the parts inside it.

All thresholds are ratios to the median of the surrounding ring (engine.descriptors.
surroundings), so they hold whatever the gain, the dynamic range or the 8-bit scaling:

- anechoic: the lesion median at most ANECHOIC x the ring and nine in ten pixels at most
  ANECHOIC_P90 x the ring (a cyst is black up to speckle-free noise);
- complex cystic and solid: after smoothing out the speckle, CYSTIC_PART..(1-CYSTIC_PART) of
  the lesion is fluid-dark (<= FLUID x ring) and at least CYSTIC_PART is tissue-bright
  (>= SOLID x ring);
- heterogeneous: the interquartile range of the coarsely smoothed interior (sigma 6 % of the
  diameter: larger than speckle, smaller than the lesion) is at least HETEROGENEOUS x ring;
- hypoechoic / isoechoic / hyperechoic: lesion median below HYPO, between, or above HYPER
  times the ring median.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from engine.descriptors.geometry import gaussian_reach, grown_box
from engine.descriptors.surroundings import Surroundings, equivalent_diameter_px

ANECHOIC = 0.2
ANECHOIC_P90 = 0.4
FLUID = 0.25
SOLID = 0.5
CYSTIC_PART = 0.15
HETEROGENEOUS = 0.45
HYPO = 0.8
HYPER = 1.25
ECHO_PATTERNS = (
    "anechoic",
    "hyperechoic",
    "complex cystic and solid",
    "hypoechoic",
    "isoechoic",
    "heterogeneous",
)


@dataclass(frozen=True)
class EchoMeasures:
    ratio: float  # lesion median / ring median
    p90_ratio: float  # lesion 90th percentile / ring median
    contrast_sd: float  # (lesion - ring) medians, in ring speckle SDs
    fluid_fraction: float  # share of the smoothed lesion at most FLUID x ring
    solid_fraction: float  # share at least SOLID x ring
    heterogeneity: float  # IQR of the coarse interior / ring median


def measure_echo(image: np.ndarray, mask: np.ndarray, around: Surroundings) -> EchoMeasures:
    image = np.asarray(image, dtype=np.float64)
    ring = max(around.ring_median, 1e-9)
    diameter = equivalent_diameter_px(mask)
    fine_sigma, coarse_sigma = max(1.5, 0.02 * diameter), max(2.0, 0.06 * diameter)
    # Only the interior is read: both smoothings are taken on it grown by their reach.
    box = grown_box(around.interior, gaussian_reach(max(fine_sigma, coarse_sigma)))
    image, interior = image[box], around.interior[box]
    fine = ndimage.gaussian_filter(image, fine_sigma)[interior]
    coarse = ndimage.gaussian_filter(image, coarse_sigma)[interior]
    q25, q75 = np.percentile(coarse, [25, 75])
    return EchoMeasures(
        ratio=around.ratio,
        p90_ratio=around.lesion_p90 / ring,
        contrast_sd=around.contrast_sd,
        fluid_fraction=float(np.mean(fine <= FLUID * ring)),
        solid_fraction=float(np.mean(fine >= SOLID * ring)),
        heterogeneity=float((q75 - q25) / ring),
    )


def echo_pattern(m: EchoMeasures) -> tuple[str, str]:
    """(lexicon term, one-line reason)."""
    if m.ratio <= ANECHOIC and m.p90_ratio <= ANECHOIC_P90:
        return "anechoic", f"anechoic: median {m.ratio:.2f} x the surrounding tissue"
    if CYSTIC_PART <= m.fluid_fraction <= 1 - CYSTIC_PART and m.solid_fraction >= CYSTIC_PART:
        return (
            "complex cystic and solid",
            f"complex cystic and solid: {100 * m.fluid_fraction:.0f} % fluid-dark, "
            f"{100 * m.solid_fraction:.0f} % tissue-bright",
        )
    if m.heterogeneity >= HETEROGENEOUS:
        return (
            "heterogeneous",
            f"heterogeneous: interquartile range {m.heterogeneity:.2f} x the surrounding tissue",
        )
    if m.ratio < HYPO:
        return "hypoechoic", f"hypoechoic: median {m.ratio:.2f} x the surrounding tissue"
    if m.ratio > HYPER:
        return "hyperechoic", f"hyperechoic: median {m.ratio:.2f} x the surrounding tissue"
    return "isoechoic", f"isoechoic: median {m.ratio:.2f} x the surrounding tissue"
