"""The reader's own shapes besides calipers: ellipse, trace and angle, measured the way a
scanner's measurement package does, in physical space.

Every shape is given in image pixel coordinates (row, col), as it is drawn on screen; its
value is computed after scaling rows and columns by the pixel spacing, so anisotropic pixels
are handled exactly (a circle drawn on pixels 0.2 mm tall and 0.1 mm wide is an ellipse in
millimetres, and its perimeter is that ellipse's). Which spacing applies, and when a shape is
refused (its points in two ultrasound regions or two panels of a split screen, or in a region
not in cm), is engine.io.calibration's rule for calipers, applied to all of the shape's
points at once. Uncalibrated images: the value in pixels (square pixels assumed), said so.

No Qt, no torch: the desktop draws and edits these, the reports list them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.errors import MeasurementError
from engine.io.calibration import points_spacing_mm
from engine.types import Image

Point = tuple[float, float]
Spacing = tuple[float, float]

ELLIPSE, TRACE, ANGLE = "ellipse", "trace", "angle"
OUTLINE_POINTS = 72  # samples of an ellipse's outline: drawing, hit tests, region checks


@dataclass(frozen=True)
class Ellipse:
    """Centre (row, col), semi-axes (a along `rotation_deg`, b perpendicular to it) in image
    pixels; rotation_deg is the angle of the a axis from the column (x) axis towards the rows,
    as drawn on screen (square screen pixels)."""

    centre: Point
    semi_axes: tuple[float, float]
    rotation_deg: float = 0.0

    @property
    def axis_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """The two semi-axes as (row, col) vectors in pixels."""
        t = math.radians(self.rotation_deg)
        a, b = self.semi_axes
        u = np.array([math.sin(t), math.cos(t)]) * a
        v = np.array([math.cos(t), -math.sin(t)]) * b
        return u, v

    @property
    def axis_ends(self) -> tuple[Point, Point, Point, Point]:
        """Both ends of the a axis, then both ends of the b axis (the handles a reader drags)."""
        c = np.asarray(self.centre, dtype=np.float64)
        u, v = self.axis_vectors
        return tuple(_pt(p) for p in (c - u, c + u, c - v, c + v))  # type: ignore[return-value]

    def outline(self, count: int = OUTLINE_POINTS) -> np.ndarray:
        """count × 2 (row, col) points around the ellipse, not closed."""
        t = np.linspace(0.0, 2.0 * np.pi, count, endpoint=False)
        u, v = self.axis_vectors
        return np.asarray(self.centre) + np.outer(np.cos(t), u) + np.outer(np.sin(t), v)

    def translated(self, d_row: float, d_col: float) -> Ellipse:
        return Ellipse((self.centre[0] + d_row, self.centre[1] + d_col), self.semi_axes,
                       self.rotation_deg)  # fmt: skip

    @classmethod
    def from_axis(cls, start: Point, end: Point, other_semi_axis: float) -> Ellipse:
        """The ellipse whose a axis runs start-end, with b = other_semi_axis (pixels)."""
        d_row, d_col = end[0] - start[0], end[1] - start[1]
        centre = ((start[0] + end[0]) / 2.0, (start[1] + end[1]) / 2.0)
        rotation = math.degrees(math.atan2(d_row, d_col))
        return cls(centre, (math.hypot(d_row, d_col) / 2.0, abs(other_semi_axis)), rotation)


@dataclass(frozen=True)
class Trace:
    """A closed polygon (row, col) drawn around a structure: the last vertex joins the first."""

    points: tuple[Point, ...]

    def translated(self, d_row: float, d_col: float) -> Trace:
        return Trace(tuple((r + d_row, c + d_col) for r, c in self.points))


@dataclass(frozen=True)
class Angle:
    """Two arms meeting at `vertex`: the angle first-vertex-second."""

    first: Point
    vertex: Point
    second: Point

    @property
    def points(self) -> tuple[Point, Point, Point]:
        return (self.first, self.vertex, self.second)

    def translated(self, d_row: float, d_col: float) -> Angle:
        return Angle(*((r + d_row, c + d_col) for r, c in self.points))


Shape = Ellipse | Trace | Angle


@dataclass(frozen=True)
class ShapeValue:
    """What a shape measures. Ellipse and trace: area and perimeter; angle: degrees.

    calibrated: area in mm² and perimeter in mm; otherwise px² and px (square pixels assumed),
    with `refused` saying why mm were not given (uncalibrated, two regions, ...)."""

    kind: str
    area: float | None = None
    perimeter: float | None = None
    angle_deg: float | None = None
    calibrated: bool = False
    refused: str = ""

    @property
    def length_unit(self) -> str:
        return "mm" if self.calibrated else "px"

    @property
    def area_unit(self) -> str:
        return "mm²" if self.calibrated else "px²"

    @property
    def text(self) -> str:
        """The label drawn beside the shape: the value with its unit, px said so."""
        if self.kind == ANGLE:
            assert self.angle_deg is not None
            return f"{self.angle_deg:.1f}°" + ("" if self.calibrated else " (px)")
        assert self.area is not None and self.perimeter is not None
        digits = 1 if self.calibrated else 0
        return (
            f"A {self.area:.{digits}f} {self.area_unit}  P {self.perimeter:.{digits}f} "
            f"{self.length_unit}"
        )

    @property
    def detail(self) -> str:
        """One line for the status bar: the kind, the value and the refusal reason if any."""
        line = f"{self.kind.capitalize()} {self.text}"
        return f"{line}: {self.refused}" if self.refused else line


# -- pure geometry in physical space --------------------------------------------------------


def ellipse_area_perimeter(ellipse: Ellipse, spacing: Spacing = (1.0, 1.0)) -> tuple[float, float]:
    """(area, perimeter) of the ellipse after scaling rows by spacing[0] and columns by
    spacing[1]. The scaled ellipse's semi-axes are the singular values of its axis matrix;
    the perimeter is Ramanujan's first approximation (exact for a circle)."""
    u, v = ellipse.axis_vectors
    scaled = np.column_stack([u, v]) * np.asarray(spacing, dtype=np.float64)[:, None]
    a, b = np.linalg.svd(scaled, compute_uv=False)
    return float(math.pi * a * b), ramanujan_perimeter(float(a), float(b))


def ramanujan_perimeter(a: float, b: float) -> float:
    """Perimeter of an ellipse with semi-axes a, b: pi (3(a+b) - sqrt((3a+b)(a+3b)))."""
    return float(math.pi * (3.0 * (a + b) - math.sqrt((3.0 * a + b) * (a + 3.0 * b))))


def polygon_area_perimeter(
    points: tuple[Point, ...] | np.ndarray, spacing: Spacing = (1.0, 1.0)
) -> tuple[float, float]:
    """(area, perimeter) of the closed polygon in physical units (shoelace; the closing edge
    counts in the perimeter)."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2) * np.asarray(spacing)
    if len(p) < 3:
        raise MeasurementError("a trace needs at least three points")
    r, c = p[:, 0], p[:, 1]
    area = 0.5 * abs(float(np.dot(r, np.roll(c, 1)) - np.dot(c, np.roll(r, 1))))
    closed = np.vstack([p, p[:1]])
    return area, float(np.hypot(*np.diff(closed, axis=0).T).sum())


def angle_degrees(angle: Angle, spacing: Spacing = (1.0, 1.0)) -> float:
    """The angle at the vertex, 0-180 degrees, between the arms scaled to physical space."""
    s = np.asarray(spacing, dtype=np.float64)
    v1 = (np.asarray(angle.first) - np.asarray(angle.vertex)) * s
    v2 = (np.asarray(angle.second) - np.asarray(angle.vertex)) * s
    if not np.hypot(*v1) > 0 or not np.hypot(*v2) > 0:
        raise MeasurementError("an angle needs two arms of non-zero length")
    cross = v1[0] * v2[1] - v1[1] * v2[0]
    return float(math.degrees(math.atan2(abs(cross), float(np.dot(v1, v2)))))


def simplify_trace(points: tuple[Point, ...], tolerance_px: float = 0.5) -> tuple[Point, ...]:
    """A freehand trace with the vertices that change nothing dropped (Douglas-Peucker within
    tolerance_px), so it keeps a handful of draggable vertices instead of every mouse move;
    area and perimeter change by well under a pixel's worth."""
    from skimage.measure import approximate_polygon

    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(p) <= 3:
        return tuple(_pt(q) for q in p)
    closed = np.vstack([p, p[:1]])
    kept = approximate_polygon(closed, tolerance=tolerance_px)[:-1]
    return tuple(_pt(q) for q in (kept if len(kept) >= 3 else p))


# -- on an image ----------------------------------------------------------------------------


def shape_points(shape: Shape) -> np.ndarray:
    """The points a shape covers for the region check: an ellipse's outline, a trace's
    vertices, an angle's three points (regions are rectangles, so these suffice)."""
    if isinstance(shape, Ellipse):
        return shape.outline()
    return np.asarray(shape.points, dtype=np.float64)


def kind_of(shape: Shape) -> str:
    if isinstance(shape, Ellipse):
        return ELLIPSE
    return TRACE if isinstance(shape, Trace) else ANGLE


def measure_shape(image: Image, shape: Shape) -> ShapeValue:
    """The shape's value in mm / mm² / degrees where the image is calibrated for all of its
    points, else in px with the reason (MeasurementError text) in `refused`."""
    kind = kind_of(shape)
    points = [(float(r), float(c)) for r, c in shape_points(shape)]
    try:
        spacing, calibrated, refused = points_spacing_mm(image, points), True, ""
    except MeasurementError as exc:
        spacing, calibrated, refused = (1.0, 1.0), False, str(exc)
    if kind == ANGLE:
        assert isinstance(shape, Angle)
        return ShapeValue(kind, angle_deg=angle_degrees(shape, spacing), calibrated=calibrated,
                          refused=refused)  # fmt: skip
    if isinstance(shape, Ellipse):
        area, perimeter = ellipse_area_perimeter(shape, spacing)
    else:
        area, perimeter = polygon_area_perimeter(shape.points, spacing)  # type: ignore[union-attr]
    return ShapeValue(kind, area=area, perimeter=perimeter, calibrated=calibrated, refused=refused)


def _pt(p: np.ndarray) -> Point:
    return (float(p[0]), float(p[1]))
