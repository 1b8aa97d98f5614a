"""An ellipse, trace or angle the reader drew, with its value, and how it is edited.

Qt-free. The geometry and the measuring are engine.reader_shapes'; this adds what the viewer
needs: the handles a reader drags (an ellipse's four axis ends, a trace's vertices, an
angle's three points), what a handle drag does to the shape, and hit tests (is the press on
the outline?) so that a drag on the outline moves the whole shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.reader_shapes import (
    ANGLE,
    Angle,
    Ellipse,
    Shape,
    ShapeValue,
    Trace,
    measure_shape,
)
from engine.types import Image

Point = tuple[float, float]


@dataclass(frozen=True)
class ReaderShape:
    shape: Shape
    value: ShapeValue

    @property
    def kind(self) -> str:
        return self.value.kind

    @property
    def text(self) -> str:
        return self.value.text

    @property
    def detail(self) -> str:
        return self.value.detail

    @property
    def refused(self) -> str:
        return self.value.refused

    @property
    def closed(self) -> bool:
        return self.kind != ANGLE

    def handles(self) -> tuple[Point, ...]:
        """The points a drag moves, in the order with_handle numbers them."""
        shape = self.shape
        if isinstance(shape, Ellipse):
            return shape.axis_ends
        return tuple(shape.points)

    def outline(self) -> np.ndarray:
        """N × 2 (row, col) points as drawn: closed shapes end where they start."""
        shape = self.shape
        points = shape.outline() if isinstance(shape, Ellipse) else np.asarray(shape.points)
        points = np.asarray(points, dtype=np.float64)
        return np.vstack([points, points[:1]]) if self.closed else points

    def distance_to(self, point: Point) -> float:
        """How far `point` is from the drawn outline (image px)."""
        return polyline_distance(point, self.outline())


def measure_reader_shape(image: Image, shape: Shape) -> ReaderShape:
    return ReaderShape(shape, measure_shape(image, shape))


def polyline_distance(point: Point, points: np.ndarray) -> float:
    """Distance from `point` to the nearest segment of the polyline `points` (N × 2)."""
    p = np.asarray(point, dtype=np.float64)
    a, b = points[:-1], points[1:]
    if len(a) == 0:
        return float(np.hypot(*(points[0] - p)))
    d = b - a
    length2 = np.einsum("ij,ij->i", d, d)
    t = np.where(length2 > 0, np.einsum("ij,ij->i", p - a, d) / np.maximum(length2, 1e-12), 0.0)
    nearest = a + np.clip(t, 0.0, 1.0)[:, None] * d
    return float(np.min(np.hypot(*(nearest - p).T)))


def with_handle(shape: Shape, handle: int, point: Point) -> Shape:
    """The shape after its handle `handle` was dragged to `point` (computed from the shape as
    it was when the drag started, so the opposite end of an ellipse axis stays put).

    Ellipse: an end of the first axis drags that axis (its other end fixed, the second
    semi-axis kept); an end of the second axis sets that semi-axis (distance from the first
    axis). Trace and angle: the vertex moves."""
    if isinstance(shape, Ellipse):
        ends = shape.axis_ends
        if handle in (0, 1):
            return Ellipse.from_axis(ends[1 - handle], point, shape.semi_axes[1])
        t = math.radians(shape.rotation_deg)
        d_row, d_col = point[0] - shape.centre[0], point[1] - shape.centre[1]
        b = abs(d_row * math.cos(t) - d_col * math.sin(t))  # along the second axis
        return Ellipse(shape.centre, (shape.semi_axes[0], max(b, 0.5)), shape.rotation_deg)
    points = list(shape.points)
    points[handle] = (float(point[0]), float(point[1]))
    return Trace(tuple(points)) if isinstance(shape, Trace) else Angle(*points)


def default_ellipse(start: Point, end: Point) -> Ellipse:
    """A new ellipse drawn by dragging its first axis: the second semi-axis starts at half the
    first (an oval, not a circle, so the two pairs of handles are told apart); the reader then
    drags a side handle to the lesion's edge."""
    length = math.hypot(end[0] - start[0], end[1] - start[1])
    return Ellipse.from_axis(start, end, length / 4.0)
