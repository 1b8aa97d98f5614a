"""A caliper the reader draws: its length in mm where the image is calibrated for both points,
else in pixels with engine's reason why not (two ultrasound regions, uncalibrated area)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.errors import MeasurementError
from engine.io import distance_mm
from engine.types import Image

Point = tuple[float, float]


@dataclass(frozen=True)
class Caliper:
    start: Point  # (row, col)
    end: Point
    length_px: float
    length_mm: float | None
    refused: str = ""  # the MeasurementError text when mm were refused

    @property
    def text(self) -> str:
        if self.length_mm is not None:
            return f"{self.length_mm:.1f} mm"
        return f"{self.length_px:.0f} px"

    @property
    def detail(self) -> str:
        """One line for the status bar: the length, and the refusal reason if any."""
        return f"{self.text}: {self.refused}" if self.refused else f"Caliper {self.text}"


def measure_caliper(image: Image, start: Point, end: Point) -> Caliper:
    length_px = math.hypot(end[0] - start[0], end[1] - start[1])
    try:
        return Caliper(start, end, length_px, distance_mm(image, start, end))
    except MeasurementError as exc:
        return Caliper(start, end, length_px, None, str(exc))
