"""A caliper the reader draws: its length in mm where the image is calibrated for both points,
else in pixels with engine's reason why not (two ultrasound regions, uncalibrated area).

CaseMeasurements (engine.reader_measurements, re-exported here) is what is stored with a case
(desktop.models.reading.review_store): the reader's calibration, the calipers' end points and
the ellipses, traces and angles, re-measured when the case is opened again."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.errors import MeasurementError
from engine.io import distance_mm
from engine.reader_measurements import CaseMeasurements
from engine.types import Image

__all__ = [
    "Caliper",
    "CaseMeasurements",
    "Point",
    "measure_caliper",
    "segment_distance",
    "segment_fraction",
]

Point = tuple[float, float]


def segment_distance(point: Point, a: Point, b: Point) -> float:
    """How far `point` is from the segment a-b (image px)."""
    dr, dc = b[0] - a[0], b[1] - a[1]
    length2 = dr * dr + dc * dc
    t = 0.0 if length2 == 0 else ((point[0] - a[0]) * dr + (point[1] - a[1]) * dc) / length2
    t = min(1.0, max(0.0, t))
    return math.hypot(point[0] - (a[0] + t * dr), point[1] - (a[1] + t * dc))


def segment_fraction(point: Point, a: Point, b: Point) -> float:
    """Where along a-b (0 at a, 1 at b) the point's nearest point on the segment lies."""
    dr, dc = b[0] - a[0], b[1] - a[1]
    length2 = dr * dr + dc * dc
    t = 0.0 if length2 == 0 else ((point[0] - a[0]) * dr + (point[1] - a[1]) * dc) / length2
    return min(1.0, max(0.0, t))


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
