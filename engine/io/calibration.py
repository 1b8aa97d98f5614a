"""Where an image is calibrated, and distances in mm that respect it.

Ultrasound: each region has its own pixel size, so a distance uses the region under both
points and is refused when they lie in different regions or outside any region in cm.
Other images: one spacing for the whole picture (PixelSpacing, or the user's calibration),
except that a screen without region tags whose pixels show two or more B-mode panels side by
side (engine.tissue) refuses a distance between panels: the panels are separate images,
often at different depth settings, and the line between them crosses no tissue.
Points are (row, col) in image pixel coordinates.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from engine.errors import MeasurementError
from engine.tissue import tissue_area_of
from engine.types import Image, UltrasoundRegion

Point = tuple[float, float]


def region_at(image: Image, row: float, col: float) -> UltrasoundRegion | None:
    """The innermost region under the point (a colour box inside a B-mode region wins)."""
    under = [r for r in image.regions if r.contains(row, col)]
    return min(under, key=lambda r: r.area_px) if under else None


def tissue_regions(image: Image) -> tuple[UltrasoundRegion, ...]:
    """The B-mode tissue regions, largest first: where inference should look. Empty when the
    image has no regions (then the whole image is tissue, as far as anyone knows)."""
    return tuple(sorted((r for r in image.regions if r.is_tissue), key=lambda r: -r.area_px))


def measurement_spacing_mm(image: Image, p0: Point, p1: Point) -> tuple[float, float]:
    """(row, col) mm per pixel valid for the segment p0-p1, or MeasurementError saying why."""
    return points_spacing_mm(image, (p0, p1))


def points_spacing_mm(image: Image, points: Sequence[Point]) -> tuple[float, float]:
    """(row, col) mm per pixel valid for every point at once (a caliper's two ends, a trace's
    vertices, points on an ellipse's outline), or MeasurementError saying why: one region
    (the innermost holding them all) or one panel must hold every point, as for a caliper."""
    points = list(points)
    if not points:
        raise MeasurementError("nothing to measure: no points")
    first_point = points[0]
    if not image.regions:
        for point in points[1:]:
            _refuse_across_panels(image, first_point, point)
        if image.spacing_mm is None:
            raise MeasurementError("image is uncalibrated: distances are in pixels only")
        return image.spacing_mm
    every = [r for r in image.regions if all(r.contains(*p) for p in points)]
    calibrated = [r for r in every if r.delta_mm is not None]
    if calibrated:
        return min(calibrated, key=lambda r: r.area_px).delta_mm  # type: ignore[return-value]
    located = [region_at(image, *p) for p in points]
    if any(r is None for r in located):
        raise MeasurementError("a point lies outside every ultrasound region (uncalibrated area)")
    if not every:
        first = located[0]
        assert first is not None
        second = next(r for p, r in zip(points, located, strict=True) if not first.contains(*p))
        assert second is not None
        raise MeasurementError(
            f"the points lie in two different regions ({_where(first, second)}); "
            "measure inside one region"
        )
    region = min(every, key=lambda r: r.area_px)
    raise MeasurementError(
        f"the {region.data_type or 'unnamed'} region is in {region.units_x} x {region.units_y}, "
        "not a distance in cm"
    )


def _refuse_across_panels(image: Image, p0: Point, p1: Point) -> None:
    """MeasurementError when the two points lie in different panels of a split screen (the
    tissue area is cached per image, so this costs nothing after the first caliper)."""
    area = tissue_area_of(image)
    if len(area.panels) < 2:
        return
    first, second = area.panel_index(*p0), area.panel_index(*p1)
    if first == second:
        return
    if first is None or second is None:
        raise MeasurementError(
            "a point lies outside the B-mode panels of a split screen; measure inside one panel"
        )
    from_left = sorted(range(len(area.panels)), key=lambda i: area.panels[i].box[1])
    a, b = sorted((from_left.index(first) + 1, from_left.index(second) + 1))
    raise MeasurementError(
        f"the points lie in two different panels of a split screen (panels {a} and {b} "
        "from the left); measure inside one panel"
    )


def distance_mm(image: Image, p0: Point, p1: Point) -> float:
    """Length of the segment p0-p1 in millimetres."""
    dy, dx = measurement_spacing_mm(image, p0, p1)
    return math.hypot((p1[0] - p0[0]) * dy, (p1[1] - p0[1]) * dx)


def calibrate_by_distance(image: Image, p0: Point, p1: Point, known_mm: float) -> Image:
    """The user drew a line of known length on an uncalibrated image: square pixels of
    known_mm / length_px from now on. Ultrasound regions are dropped (they disagreed or
    were absent), so every later measurement uses this one spacing."""
    length_px = math.hypot(p1[0] - p0[0], p1[1] - p0[1])
    if length_px <= 0 or not known_mm > 0 or not math.isfinite(known_mm):
        raise MeasurementError("calibration needs two distinct points and a positive length")
    mm = known_mm / length_px
    return dataclasses.replace(image, spacing_mm=(mm, mm), regions=())


def _where(first: UltrasoundRegion, second: UltrasoundRegion) -> str:
    """Two regions as a reader tells them apart: by kind when they differ ("tissue and
    Doppler"), else by place ("the left and the right tissue region", not "tissue and
    tissue")."""
    if first.data_type != second.data_type:
        return f"{first.data_type or 'unnamed'} and {second.data_type or 'unnamed'}"
    kind = f"{first.data_type} region" if first.data_type else "region"
    if first.col1 <= second.col0 or second.col1 <= first.col0:  # side by side
        a, b = ("left", "right") if first.col0 < second.col0 else ("right", "left")
    else:
        a, b = ("upper", "lower") if first.row0 < second.row0 else ("lower", "upper")
    return f"the {a} and the {b} {kind}"
