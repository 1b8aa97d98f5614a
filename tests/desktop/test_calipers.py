"""Calipers in the real window (issue 20, item 2): drag an end point to move it, click to
select, Del to delete one; calipers and the reader's calibration stored with the case and
back when it is opened again. Real mouse and key events throughout."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from desktop.main_window import MainWindow
from desktop.models.editing.tool_state import CALIBRATE, CALIPER
from engine.datastore import Datastore

TOL_PX = 1.0  # a mouse lands on whole screen pixels


def near(a, b) -> bool:  # noqa: ANN001
    return math.hypot(a[0] - b[0], a[1] - b[1]) <= TOL_PX


def key(qtbot, window: MainWindow, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # noqa: ANN001
    qtbot.keyClick(window.canvas.viewport(), k, modifier)


def test_drag_an_end_point_moves_the_caliper_and_del_deletes_the_selected_one(
    qtbot, shown: MainWindow, open_case, mouse, node_png: Path
) -> None:  # noqa: ANN001
    open_case(node_png)
    state, canvas = shown.state, shown.canvas
    key(qtbot, shown, Qt.Key.Key_M)
    assert shown.tools.tool == CALIPER
    mouse.drag(canvas, [(40.0, 30.0), (40.0, 60.0), (40.0, 90.0)])
    (first,) = state.calipers
    assert near(first.start, (40.0, 30.0)) and near(first.end, (40.0, 90.0))
    # Dragging the end point moves it: still one caliper, its start where it was.
    mouse.drag(canvas, [first.end, (60.0, 100.0), (80.0, 110.0)])
    (moved,) = state.calipers
    assert near(moved.start, (40.0, 30.0)) and near(moved.end, (80.0, 110.0))
    assert moved.length_px == pytest.approx(math.hypot(40.0, 80.0), abs=1.5)
    # ... and the start point too.
    mouse.drag(canvas, [moved.start, (30.0, 30.0), (20.0, 30.0)])
    (moved,) = state.calipers
    assert near(moved.start, (20.0, 30.0)) and near(moved.end, (80.0, 110.0))
    # A drag away from any end point still draws a new one.
    mouse.drag(canvas, [(150.0, 40.0), (150.0, 80.0), (150.0, 120.0)])
    assert len(state.calipers) == 2 and state.selected_caliper == 1
    # Click the first one's line to select it; Del deletes it alone.
    middle = tuple((a + b) / 2 for a, b in zip(moved.start, moved.end, strict=True))
    mouse.click(canvas, middle)
    assert state.selected_caliper == 0
    key(qtbot, shown, Qt.Key.Key_Delete)
    (kept,) = state.calipers
    assert near(kept.start, (150.0, 40.0)) and near(kept.end, (150.0, 120.0))
    assert state.selected_caliper is None and len(canvas.caliper_items) == 2
    key(qtbot, shown, Qt.Key.Key_Delete)  # nothing selected: nothing deleted, and it says so
    assert len(state.calipers) == 1
    assert "No measurement selected" in shown.statusBar().currentMessage()


def calibrate(qtbot, window: MainWindow, mouse, length_mm: float) -> None:  # noqa: ANN001
    """K, drag a line of 100 px, type its length into the dialog, click OK."""
    key(qtbot, window, Qt.Key.Key_K)
    assert window.tools.tool == CALIBRATE
    mouse.drag(window.canvas, [(230.0, 20.0), (230.0, 70.0), (230.0, 120.0)])
    dialog = window.calibration_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setDoubleValue(length_mm)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    window.activateWindow()  # the dialog had the focus; keys go to the window again
    qtbot.waitUntil(window.isActiveWindow)


def test_calipers_and_calibration_are_stored_with_the_case_and_restored(
    qtbot, shown: MainWindow, open_case, mouse, node_png: Path, other_png, datastore_home
) -> None:  # noqa: ANN001
    open_case(node_png)
    state = shown.state
    assert state.image.spacing_mm is None  # a PNG: px until the reader calibrates
    calibrate(qtbot, shown, mouse, 10.0)
    spacing = state.image.spacing_mm
    assert spacing is not None and spacing[0] == pytest.approx(0.1, rel=0.03)
    key(qtbot, shown, Qt.Key.Key_M)
    mouse.drag(shown.canvas, [(40.0, 30.0), (40.0, 60.0), (40.0, 90.0)])
    mouse.drag(shown.canvas, [(150.0, 40.0), (150.0, 80.0), (150.0, 120.0)])
    key(qtbot, shown, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Save Review
    (record,) = Datastore(datastore_home).cases()
    assert record.final is not None
    # The case is stored now: a later caliper move goes to the datastore by itself.
    first = state.calipers[0]
    mouse.drag(shown.canvas, [first.end, (60.0, 95.0), (70.0, 100.0)])
    expected = [(c.start, c.end, c.length_mm) for c in state.calipers]
    assert all(mm is not None for *_, mm in expected)

    open_case(other_png)  # another case: no calipers, no calibration
    assert state.calipers == [] and state.image.spacing_mm is None
    open_case(node_png)  # back: both restored
    assert state.image.spacing_mm == pytest.approx(spacing)
    restored = [(c.start, c.end, c.length_mm) for c in state.calipers]
    assert len(restored) == len(expected) == 2
    for (a, b, mm), (ea, eb, emm) in zip(restored, expected, strict=True):
        assert a == pytest.approx(ea) and b == pytest.approx(eb) and mm == pytest.approx(emm)
    assert len(shown.canvas.caliper_items) == 4  # drawn
    finding = state.analysis.findings[0]  # and the findings are in mm again
    assert finding.measurements.long_axis_mm is not None
