"""A caliper the reader draws: its length in mm where the image is calibrated for both points,
else in pixels with engine's reason why not (two ultrasound regions, uncalibrated area).

CaseMeasurements is what is stored with a case (desktop.models.reading.review_store): the reader's
calibration, the calipers' end points and the ellipses, traces and angles (engine.reader_shapes),
re-measured when the case is opened again. Files written before the shapes existed have no
"ellipses", "traces" or "angles" keys and load with none."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.errors import MeasurementError
from engine.io import distance_mm
from engine.reader_shapes import Angle, Ellipse, Shape, Trace
from engine.types import Image

Point = tuple[float, float]


@dataclass(frozen=True)
class CaseMeasurements:
    """The reader's measurements of a case: the calibration they set (row, col mm per px;
    None: the file's own), the calipers (start, end) and the shapes (ellipses, traces,
    angles, in the order drawn) on frame `frame_index`."""

    frame_index: int = 0
    calibration_mm: tuple[float, float] | None = None
    calipers: tuple[tuple[Point, Point], ...] = ()
    shapes: tuple[Shape, ...] = ()

    @property
    def empty(self) -> bool:
        return self.calibration_mm is None and not self.calipers and not self.shapes

    def to_json(self) -> dict:
        return {
            "frame_index": self.frame_index,
            "calibration_mm": list(self.calibration_mm) if self.calibration_mm else None,
            "calipers": [[list(a), list(b)] for a, b in self.calipers],
            "ellipses": [
                {
                    "centre": list(e.centre),
                    "semi_axes": list(e.semi_axes),
                    "rotation_deg": e.rotation_deg,
                }  # fmt: skip
                for e in self.shapes
                if isinstance(e, Ellipse)
            ],
            "traces": [[list(p) for p in t.points] for t in self.shapes if isinstance(t, Trace)],
            "angles": [[list(p) for p in a.points] for a in self.shapes if isinstance(a, Angle)],
        }

    @classmethod
    def from_json(cls, raw: dict) -> CaseMeasurements:
        calibration = raw.get("calibration_mm")
        return cls(
            frame_index=int(raw.get("frame_index", 0)),
            calibration_mm=(float(calibration[0]), float(calibration[1])) if calibration else None,
            calipers=tuple(
                ((float(a[0]), float(a[1])), (float(b[0]), float(b[1])))
                for a, b in raw.get("calipers", ())
            ),
            shapes=_shapes_from_json(raw),
        )


def _point(raw: object) -> Point:
    row, col = raw  # type: ignore[misc]
    return (float(row), float(col))


def _shapes_from_json(raw: dict) -> tuple[Shape, ...]:
    """Ellipses, then traces, then angles (each kind in the order drawn); absent keys (files
    from before the shapes) are none. A malformed entry raises, naming the kind."""
    shapes: list[Shape] = []
    try:
        for e in raw.get("ellipses") or ():
            a, b = e["semi_axes"]
            shapes.append(
                Ellipse(_point(e["centre"]), (float(a), float(b)), float(e["rotation_deg"]))
            )
        for t in raw.get("traces") or ():
            shapes.append(Trace(tuple(_point(p) for p in t)))
        for g in raw.get("angles") or ():
            first, vertex, second = g
            shapes.append(Angle(_point(first), _point(vertex), _point(second)))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"stored ellipse, trace or angle is malformed: {exc!r}") from exc
    return tuple(shapes)


def segment_distance(point: Point, a: Point, b: Point) -> float:
    """How far `point` is from the segment a-b (image px)."""
    dr, dc = b[0] - a[0], b[1] - a[1]
    length2 = dr * dr + dc * dc
    t = 0.0 if length2 == 0 else ((point[0] - a[0]) * dr + (point[1] - a[1]) * dc) / length2
    t = min(1.0, max(0.0, t))
    return math.hypot(point[0] - (a[0] + t * dr), point[1] - (a[1] + t * dc))


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
