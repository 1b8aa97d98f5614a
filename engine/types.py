"""The nouns every layer shares. Frozen so a view or a finding can be passed around safely."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Image:
    """A 2D picture as acquired.

    pixels: H×W (grayscale) or H×W×3 (RGB), display-ready (MONOCHROME1 already inverted).
    spacing_mm: (row, col) pixel size in millimetres, or None when the image is uncalibrated;
    measurements fall back to pixels then, and say so.
    metadata: source tags (patient, study, device). Kept apart from the pixels so that
    de-identification has one place to act on.
    """

    pixels: np.ndarray
    photometric: str = "MONOCHROME2"
    spacing_mm: tuple[float, float] | None = None
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def is_color(self) -> bool:
        return self.pixels.ndim == 3 and self.pixels.shape[-1] == 3

    @property
    def calibrated(self) -> bool:
        return self.spacing_mm is not None


@dataclass(frozen=True)
class Prediction:
    """What the model said about one image, at the image's own size.

    mask: H×W uint8 labels (0 background, 1 lesion). probabilities: per class, calibrated
    with the bundle's temperature. uncertainty: H×W float32 in [0, 1] (per-pixel binary
    entropy of the segmentation), so the viewer can show where the model hesitates.
    """

    mask: np.ndarray
    probabilities: dict[str, float]
    uncertainty: np.ndarray
    model_id: str

    @property
    def label(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)


@dataclass(frozen=True)
class Measurements:
    """Size of one lesion. *_px always present; *_mm present only on calibrated images."""

    area_px: float
    long_axis_px: float
    short_axis_px: float
    area_mm2: float | None
    long_axis_mm: float | None
    short_axis_mm: float | None
    long_axis_endpoints: tuple[tuple[float, float], tuple[float, float]]
    short_axis_endpoints: tuple[tuple[float, float], tuple[float, float]]

    @property
    def ls_ratio(self) -> float:
        """Long/short axis ratio, the sonographer's roundness index (>= 2 oval, < 1.5 round)."""
        if self.long_axis_mm is not None and self.short_axis_mm:
            return self.long_axis_mm / self.short_axis_mm
        return self.long_axis_px / self.short_axis_px if self.short_axis_px else float("inf")


@dataclass(frozen=True)
class Finding:
    """One lesion: where it is (contour in (row, col) image coordinates) and how big."""

    contour: np.ndarray
    measurements: Measurements
    label: str
    probability: float
    uncertainty: float
    corrected: bool = False


@dataclass(frozen=True)
class Analysis:
    """An image with the model's prediction and the findings derived from it."""

    image: Image
    prediction: Prediction
    findings: tuple[Finding, ...]
