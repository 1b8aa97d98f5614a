"""Handles and undo of the reader's shapes, Qt-free: what a handle drag does to an ellipse,
a trace and an angle, the outline hit test, and the measurement history's undo/redo."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.models.editing.measurement_history import MeasurementHistory, Snapshot
from desktop.models.editing.reader_shape import measure_reader_shape, with_handle
from engine.reader_shapes import Angle, Ellipse, Trace
from engine.types import Image

IMAGE = Image(pixels=np.zeros((200, 200), np.uint8), spacing_mm=(0.1, 0.1))


def test_ellipse_handles() -> None:
    e = Ellipse((50.0, 50.0), (20.0, 10.0), 0.0)
    # An end of the first axis drags it; the opposite end stays, the width is kept.
    longer = with_handle(e, 1, (50.0, 90.0))
    assert longer.axis_ends[0] == pytest.approx((50.0, 30.0))
    assert longer.semi_axes == pytest.approx((30.0, 10.0)) and longer.centre == (50.0, 60.0)
    turned = with_handle(e, 1, (70.0, 50.0))  # dragged round: the axis turns
    assert turned.rotation_deg == pytest.approx(45.0) and turned.semi_axes[1] == 10.0
    # An end of the second axis sets that semi-axis only (distance from the first axis).
    wider = with_handle(e, 3, (75.0, 61.0))
    assert wider.semi_axes == pytest.approx((20.0, 25.0)) and wider.centre == e.centre


def test_trace_and_angle_handles_move_their_vertex() -> None:
    t = Trace(((0.0, 0.0), (0.0, 10.0), (10.0, 0.0)))
    assert with_handle(t, 2, (20.0, 0.0)).points[2] == (20.0, 0.0)
    a = Angle((0.0, 10.0), (0.0, 0.0), (10.0, 0.0))
    assert with_handle(a, 1, (1.0, 1.0)).vertex == (1.0, 1.0)


def test_outline_hit_test() -> None:
    shape = measure_reader_shape(IMAGE, Ellipse((100.0, 100.0), (40.0, 20.0), 0.0))
    assert shape.distance_to((100.0, 140.0)) == pytest.approx(0.0, abs=0.5)
    assert shape.distance_to((100.0, 100.0)) == pytest.approx(20.0, abs=0.5)  # the centre
    angle = measure_reader_shape(IMAGE, Angle((0.0, 10.0), (0.0, 0.0), (10.0, 0.0)))
    assert angle.distance_to((5.0, 5.0)) == pytest.approx(5.0)  # arms only: never closed
    assert len(angle.outline()) == 3 and len(shape.outline()) == 73


def test_history_undo_redo() -> None:
    history = MeasurementHistory()
    empty, one, two = Snapshot((), ()), Snapshot((1,), ()), Snapshot((1,), (2,))
    history.record("Add caliper", empty)
    history.record("Add ellipse", one)
    assert history.undo_name == "Add ellipse"
    assert history.undo(two) == one and history.redo_name == "Add ellipse"
    assert history.undo(one) == empty and not history.can_undo
    assert history.redo(empty) == one
    history.record("Delete caliper", one)  # a new action drops what could be redone
    assert not history.can_redo
