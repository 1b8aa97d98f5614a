"""The reader's own measurements of a case (calipers, ellipses, traces, angles) as stored
with it and as the reports list them.

CaseMeasurements is the stored form (the viewer writes it to engine.datastore beside the
case's labels): the calibration the reader set, the calipers' end points and the shapes, all
in image pixels, so they are re-measured whenever read. Entries written before the shapes
existed have no "ellipses", "traces" or "angles" keys and load with none.

ReaderMeasurement is one line of a report (findings.json, CSV, PDF, SR): C1, E1, T1, A1...
with its value and unit (mm / mm2 / deg where calibrated, px / px2 otherwise) and points.
measure_all makes them from an image and what was drawn, the same way the viewer does.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import MeasurementError
from engine.io.calibration import distance_mm
from engine.reader_shapes import (
    ANGLE,
    ELLIPSE,
    TRACE,
    Angle,
    Ellipse,
    Shape,
    Trace,
    kind_of,
    measure_shape,
)
from engine.types import Image

Point = tuple[float, float]
CALIPER = "caliper"
PREFIX = {CALIPER: "C", ELLIPSE: "E", TRACE: "T", ANGLE: "A"}


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


@dataclass(frozen=True)
class ReaderMeasurement:
    """One reader measurement as reported. value: length (caliper), area (ellipse, trace) or
    angle; unit "mm", "mm2", "deg" where calibrated, else "px", "px2" (an angle on an
    uncalibrated image: "deg", square pixels assumed, calibrated False). perimeter: ellipse
    and trace only. points: the caliper's ends, the trace's vertices, the angle's three
    points, an ellipse's four axis ends; (row, col) image pixels. refused: why not in mm."""

    label: str
    kind: str
    value: float
    unit: str
    points: tuple[Point, ...]
    calibrated: bool
    perimeter: float | None = None
    perimeter_unit: str = ""
    refused: str = ""

    @property
    def text(self) -> str:
        """The value as printed in the PDF: "12.3 mm", "45.0 mm2, perimeter 24.1 mm"."""
        digits = 1 if self.calibrated or self.unit == "deg" else 0
        value = f"{self.value:.{digits}f} {self.unit}"
        if self.perimeter is not None:
            value += f", perimeter {self.perimeter:.{digits}f} {self.perimeter_unit}"
        return value

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "kind": self.kind,
            "value": round(self.value, 3),
            "unit": self.unit,
            "perimeter": None if self.perimeter is None else round(self.perimeter, 3),
            "perimeter_unit": self.perimeter_unit or None,
            "calibrated": self.calibrated,
            "refused": self.refused or None,
            "points": [[round(r, 2), round(c, 2)] for r, c in self.points],
        }


def measure_all(
    image: Image, calipers: Sequence[tuple[Point, Point]] = (), shapes: Sequence[Shape] = ()
) -> tuple[ReaderMeasurement, ...]:
    """The report lines of what the reader drew on `image` (already carrying the reader's
    calibration, see calibrated_image): calipers C1.., then each kind of shape numbered in
    the order drawn (E1.., T1.., A1..)."""
    out: list[ReaderMeasurement] = []
    for number, (start, end) in enumerate(calipers, start=1):
        length_px = math.hypot(end[0] - start[0], end[1] - start[1])
        try:
            mm, refused = distance_mm(image, start, end), ""
        except MeasurementError as exc:
            mm, refused = None, str(exc)
        out.append(
            ReaderMeasurement(
                f"C{number}",
                CALIPER,
                length_px if mm is None else mm,
                "px" if mm is None else "mm",
                (start, end),
                mm is not None,
                refused=refused,
            )  # fmt: skip
        )
    counts: dict[str, int] = {}
    for shape in shapes:
        kind = kind_of(shape)
        counts[kind] = counts.get(kind, 0) + 1
        out.append(_shape_line(image, shape, f"{PREFIX[kind]}{counts[kind]}"))
    return tuple(out)


def _shape_line(image: Image, shape: Shape, label: str) -> ReaderMeasurement:
    value = measure_shape(image, shape)
    points = shape.axis_ends if isinstance(shape, Ellipse) else tuple(shape.points)
    common = {"label": label, "kind": value.kind, "points": tuple(points),
              "calibrated": value.calibrated, "refused": value.refused}  # fmt: skip
    if value.kind == ANGLE:
        assert value.angle_deg is not None
        return ReaderMeasurement(value=value.angle_deg, unit="deg", **common)
    assert value.area is not None
    return ReaderMeasurement(
        value=value.area,
        unit="mm2" if value.calibrated else "px2",
        perimeter=value.perimeter,
        perimeter_unit=value.length_unit,
        **common,
    )


def calibrated_image(image: Image, stored: CaseMeasurements) -> Image:
    """The image as the reader measured it: with the calibration they set, if any (regions
    dropped, as engine.io.calibrate_by_distance does)."""
    if stored.calibration_mm is None:
        return image
    return dataclasses.replace(image, spacing_mm=stored.calibration_mm, regions=())


def stored_lines(image: Image, stored: CaseMeasurements) -> tuple[ReaderMeasurement, ...]:
    """The report lines of stored measurements, measured on `image` (the frame they were
    drawn on) with the reader's calibration."""
    return measure_all(calibrated_image(image, stored), stored.calipers, stored.shapes)


def stored_for_file(path: str | Path, root: str | Path | None = None) -> CaseMeasurements | None:
    """The measurements the viewer stored with this file's case in the datastore (root, or
    LESIONLENS_HOME / the user data folder), None when the file is not a stored case or has
    none. Reading never creates a datastore. Malformed entries: DatastoreError naming the
    case and the index file."""
    from engine.datastore import Datastore, data_root
    from engine.datastore.index import INDEX_NAME
    from engine.datastore.lookup import case_id_for_file

    home = data_root(root)
    if not (home / INDEX_NAME).is_file():
        return None
    store = Datastore(home)
    case_id = case_id_for_file(store.root, store.cases(), path)
    raw = store.measurements(case_id) if case_id is not None else None
    return parse_stored(raw, f"case {case_id}", store.root / INDEX_NAME) if raw else None


def parse_stored(raw: dict, case: str, index: Path) -> CaseMeasurements:
    """CaseMeasurements.from_json, with a malformed entry as a DatastoreError naming the case
    and the index file it came from."""
    from engine.datastore import DatastoreError

    try:
        return CaseMeasurements.from_json(raw)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise DatastoreError(
            f"{case}: stored measurements in {index} are malformed ({exc})"
        ) from exc
