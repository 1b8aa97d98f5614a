"""Ellipse, trace and angle in the real window (issue 20): drawn, edited by their handles and
by their outline, selected, deleted with Del, undone with Ctrl+Z, stored with the case; and a
caliper's whole line dragged from its middle. Real mouse and key events throughout."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from desktop.models.editing.tool_state import ANGLE, ELLIPSE, TRACE
from engine.reader_shapes import Angle, Ellipse, Trace
from tests.desktop.test_calipers import calibrate, key, near

CTRL = Qt.KeyboardModifier.ControlModifier


def test_ellipse_drawn_resized_moved_deleted_and_undone(
    qtbot, shown: MainWindow, open_case, mouse, node_png: Path
) -> None:  # noqa: ANN001
    open_case(node_png)
    state, canvas = shown.state, shown.canvas
    key(qtbot, shown, Qt.Key.Key_O)
    assert shown.tools.tool == ELLIPSE
    # Drag the first axis: 80 px along row 60.
    mouse.drag(canvas, [(60.0, 40.0), (60.0, 80.0), (60.0, 120.0)])
    (drawn,) = state.shapes
    ellipse = drawn.shape
    assert isinstance(ellipse, Ellipse)
    assert near(ellipse.centre, (60.0, 80.0))
    assert ellipse.semi_axes[0] == pytest.approx(40.0, abs=1.0)
    assert ellipse.semi_axes[1] == pytest.approx(20.0, abs=1.0)  # a quarter of the axis
    assert state.selected_shape == 0
    # An uncalibrated PNG: px, and the label says so.
    assert drawn.text.startswith("A ") and "px²" in drawn.text and "px" in drawn.text
    assert len(canvas.shape_items) == 3  # outline, handles, label
    # Drag a side handle out to 30 px: the width changes, the axis stays.
    side = ellipse.axis_ends[3]
    mouse.drag(canvas, [side, (side[0] + 5.0, side[1]), (90.0, 80.0)])
    (resized,) = state.shapes
    assert resized.shape.semi_axes[1] == pytest.approx(30.0, abs=1.5)
    assert resized.shape.semi_axes[0] == pytest.approx(40.0, abs=1.0)
    assert resized.value.area == pytest.approx(math.pi * 40 * 30, rel=0.05)
    # Drag the outline (45 degrees round, away from the handles): the whole ellipse moves.
    on_outline = tuple(resized.shape.outline(8)[1])
    target = (on_outline[0] + 20.0, on_outline[1] + 10.0)
    mouse.drag(canvas, [on_outline, (on_outline[0] + 10.0, on_outline[1] + 5.0), target])
    (moved,) = state.shapes
    assert near(moved.shape.centre, (80.0, 90.0))
    assert moved.value.area == pytest.approx(resized.value.area)
    # Click empty space: deselected; click the outline: selected; Del deletes it.
    mouse.click(canvas, (200.0, 200.0))
    assert state.selected_shape is None and len(state.shapes) == 1  # a click draws nothing
    mouse.click(canvas, tuple(moved.shape.outline(8)[1]))
    assert state.selected_shape == 0
    key(qtbot, shown, Qt.Key.Key_Delete)
    assert state.shapes == [] and canvas.shape_items == []
    assert "Ellipse" in shown.statusBar().currentMessage()
    # Ctrl+Z with a measuring tool: the ellipse is back, then the move is undone too.
    assert shown.toolbar.undo_action.text() == "Undo Delete ellipse"
    key(qtbot, shown, Qt.Key.Key_Z, CTRL)
    (back,) = state.shapes
    assert back.shape == moved.shape
    key(qtbot, shown, Qt.Key.Key_Z, CTRL)
    assert near(state.shapes[0].shape.centre, (60.0, 80.0))
    key(qtbot, shown, Qt.Key.Key_Y, CTRL)  # redo the move
    assert near(state.shapes[0].shape.centre, (80.0, 90.0))


def test_trace_freehand_and_click_by_click(
    qtbot, shown: MainWindow, open_case, mouse, node_png
) -> None:  # noqa: ANN001
    open_case(node_png)
    state, canvas = shown.state, shown.canvas
    key(qtbot, shown, Qt.Key.Key_T)
    assert shown.tools.tool == TRACE
    # Freehand: round a 40 x 60 px rectangle, released near where it started.
    corners = [(40.0, 40.0), (40.0, 100.0), (80.0, 100.0), (80.0, 40.0)]
    path = []
    for (r0, c0), (r1, c1) in zip(corners, [*corners[1:], corners[0]], strict=True):
        path += [(r0 + (r1 - r0) * t / 4, c0 + (c1 - c0) * t / 4) for t in range(4)]
    mouse.drag(canvas, [*path, (41.0, 40.0)])
    (freehand,) = state.shapes
    assert isinstance(freehand.shape, Trace) and len(freehand.shape.points) <= 8
    assert freehand.value.area == pytest.approx(40 * 60, rel=0.06)
    assert freehand.value.perimeter == pytest.approx(200, rel=0.06)
    # Click by click: a right triangle 30 x 40 px, closed with Enter.
    for point in ((120.0, 40.0), (150.0, 40.0), (150.0, 80.0)):
        mouse.click(canvas, point)
    assert len(state.shapes) == 1  # not closed yet
    key(qtbot, shown, Qt.Key.Key_Return)
    triangle = state.shapes[1]
    assert triangle.value.area == pytest.approx(0.5 * 30 * 40, rel=0.06)
    assert triangle.value.perimeter == pytest.approx(30 + 40 + 50, rel=0.04)
    # Drag a vertex: the area follows.
    mouse.drag(canvas, [(150.0, 80.0), (150.0, 100.0), (150.0, 120.0)])
    assert state.shapes[1].value.area == pytest.approx(0.5 * 30 * 80, rel=0.06)
    assert state.selected_shape == 1


def test_angle_by_three_clicks_and_a_dragged_vertex(
    qtbot, shown: MainWindow, open_case, mouse, node_png: Path
) -> None:  # noqa: ANN001
    open_case(node_png)
    state, canvas = shown.state, shown.canvas
    key(qtbot, shown, Qt.Key.Key_G)
    assert shown.tools.tool == ANGLE
    for point in ((60.0, 120.0), (60.0, 60.0), (120.0, 60.0)):
        mouse.click(canvas, point)
    (angle,) = state.shapes
    assert isinstance(angle.shape, Angle)
    assert angle.value.angle_deg == pytest.approx(90.0, abs=1.5)
    assert angle.text.endswith("° (px)")  # uncalibrated: said so
    # Drag the second point up to the diagonal: 45 degrees.
    mouse.drag(canvas, [(120.0, 60.0), (110.0, 90.0), (120.0, 120.0)])
    assert state.shapes[0].value.angle_deg == pytest.approx(45.0, abs=1.5)
    # Esc in the middle of a new angle drops it; the first stays.
    mouse.click(canvas, (200.0, 40.0))
    key(qtbot, shown, Qt.Key.Key_Escape)
    mouse.click(canvas, (200.0, 100.0))
    mouse.click(canvas, (220.0, 100.0))
    assert len(state.shapes) == 1 and shown.tools.draft is not None


def test_a_caliper_line_grabbed_in_the_middle_moves_whole(
    qtbot, shown: MainWindow, open_case, mouse, node_png: Path
) -> None:  # noqa: ANN001
    open_case(node_png)
    state, canvas = shown.state, shown.canvas
    key(qtbot, shown, Qt.Key.Key_M)
    mouse.drag(canvas, [(40.0, 30.0), (40.0, 60.0), (40.0, 90.0)])
    (caliper,) = state.calipers
    mouse.drag(canvas, [(40.0, 60.0), (50.0, 65.0), (70.0, 80.0)])
    (moved,) = state.calipers
    assert near(moved.start, (70.0, 50.0)) and near(moved.end, (70.0, 110.0))
    assert moved.length_px == pytest.approx(caliper.length_px, abs=0.5)
    key(qtbot, shown, Qt.Key.Key_Z, CTRL)  # the move is one undo step
    assert near(state.calipers[0].start, (40.0, 30.0))
    # Nearer an end than the middle third, a drag draws a new caliper from the line.
    mouse.drag(canvas, [(40.0, 80.0), (60.0, 80.0), (90.0, 80.0)])
    assert len(state.calipers) == 2 and near(state.calipers[0].start, (40.0, 30.0))
    assert near(state.calipers[1].start, (40.0, 80.0))


def test_shapes_in_mm_after_calibration_stored_and_restored(
    qtbot, shown: MainWindow, open_case, mouse, node_png: Path, other_png
) -> None:  # noqa: ANN001
    open_case(node_png)
    state, canvas = shown.state, shown.canvas
    key(qtbot, shown, Qt.Key.Key_G)
    for point in ((60.0, 120.0), (60.0, 60.0), (120.0, 60.0)):
        mouse.click(canvas, point)
    key(qtbot, shown, Qt.Key.Key_O)
    mouse.drag(canvas, [(150.0, 40.0), (150.0, 80.0), (150.0, 120.0)])
    calibrate(qtbot, shown, mouse, 10.0)  # 100 px = 10 mm: re-measured in mm
    angle, ellipse = state.shapes
    assert ellipse.value.calibrated and "mm²" in ellipse.text
    mm = state.image.spacing_mm[0]
    assert ellipse.value.area == pytest.approx(
        math.pi * ellipse.shape.semi_axes[0] * ellipse.shape.semi_axes[1] * mm * mm
    )
    assert angle.value.calibrated and angle.text.endswith("°")
    key(qtbot, shown, Qt.Key.Key_S, CTRL)  # Save Review: stored with the case
    # Stored grouped by kind (ellipses, traces, angles), each kind in the order drawn.
    expected = sorted(((s.kind, s.text, s.shape) for s in state.shapes), key=lambda t: t[0])
    open_case(other_png)
    assert state.shapes == []
    open_case(node_png)
    restored = sorted(((s.kind, s.text, s.shape) for s in state.shapes), key=lambda t: t[0])
    assert restored == expected and all(s.value.calibrated for s in state.shapes)
    assert len(canvas.shape_items) == 6


def test_shapes_drawn_in_the_window_reach_the_sr_and_pdf(
    qtbot, shown: MainWindow, open_case, mouse, node_png: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    import highdicom as hd

    from engine.report import ExportRequest

    open_case(node_png)
    canvas = shown.canvas
    key(qtbot, shown, Qt.Key.Key_O)
    mouse.drag(canvas, [(60.0, 40.0), (60.0, 80.0), (60.0, 120.0)])
    key(qtbot, shown, Qt.Key.Key_G)
    for point in ((160.0, 120.0), (160.0, 60.0), (220.0, 60.0)):
        mouse.click(canvas, point)
    sr_path, pdf_path = tmp_path / "sr.dcm", tmp_path / "r.pdf"
    shown.start_export(ExportRequest(pdf=pdf_path, sr=sr_path, deidentify=False))
    qtbot.waitUntil(lambda: shown.last_export is not None, timeout=30_000)
    groups = hd.sr.srread(sr_path).content.get_planar_roi_measurement_groups()
    by_id = {g.tracking_identifier: g for g in groups}
    assert {"Ellipse 1", "Angle 1"} <= set(by_id)
    (angle,) = by_id["Angle 1"].get_measurements()
    assert angle.unit.value == "deg" and angle.value == pytest.approx(90.0, abs=1.5)
    area = {m.name.meaning: m.value for m in by_id["Ellipse 1"].get_measurements()}["Area"]
    assert area == pytest.approx(shown.state.shapes[0].value.area, abs=0.01)
    assert pdf_path.stat().st_size > 0


def test_in_mm_inside_an_ultrasound_region_refused_across_its_edge(
    qtbot, shown: MainWindow, open_case, mouse, node_sample, tmp_path: Path
) -> None:  # noqa: ANN001
    from engine.synth.dicom_out import write_ultrasound_dicom

    path = write_ultrasound_dicom(tmp_path / "us.dcm", node_sample.image, 0.1, (10, 10, 150, 200))
    open_case(path)
    state, canvas = shown.state, shown.canvas
    key(qtbot, shown, Qt.Key.Key_O)
    mouse.drag(canvas, [(60.0, 40.0), (60.0, 80.0), (60.0, 120.0)])  # inside the region
    (inside,) = state.shapes
    assert inside.value.calibrated and "mm²" in inside.text
    a, b = inside.shape.semi_axes
    assert inside.value.area == pytest.approx(math.pi * a * b * 0.01)
    # Drag its side handle below the region's last row: refused, px, the reason shown.
    mouse.drag(canvas, [inside.shape.axis_ends[3], (120.0, 80.0), (165.0, 80.0)])
    (crossing,) = state.shapes
    assert not crossing.value.calibrated and "px²" in crossing.text
    assert "outside every ultrasound region" in crossing.refused
    assert "outside every ultrasound region" in shown.statusBar().currentMessage()


def test_one_undo_order_for_measurements_and_mask_edits(
    qtbot, shown: MainWindow, open_case, mouse, node_png: Path
) -> None:  # noqa: ANN001
    open_case(node_png)
    state, canvas = shown.state, shown.canvas
    key(qtbot, shown, Qt.Key.Key_M)
    mouse.drag(canvas, [(40.0, 30.0), (40.0, 60.0), (40.0, 90.0)])  # 1: a caliper
    key(qtbot, shown, Qt.Key.Key_B)
    before = state.editor.mask.copy()
    mouse.drag(canvas, [(150.0, 150.0), (150.0, 170.0), (160.0, 190.0)])  # 2: a stroke
    assert (state.editor.mask != before).any()
    key(qtbot, shown, Qt.Key.Key_G)
    for point in ((200.0, 120.0), (200.0, 60.0), (240.0, 60.0)):  # 3: an angle
        mouse.click(canvas, point)
    assert len(state.shapes) == 1
    key(qtbot, shown, Qt.Key.Key_Z, CTRL)  # takes back 3
    assert state.shapes == [] and (state.editor.mask != before).any()
    key(qtbot, shown, Qt.Key.Key_Z, CTRL)  # then 2, with a measuring tool still chosen
    assert (state.editor.mask == before).all() and len(state.calipers) == 1
    key(qtbot, shown, Qt.Key.Key_Z, CTRL)  # then 1
    assert state.calipers == []
    key(qtbot, shown, Qt.Key.Key_Y, CTRL)  # redo in the same order: 1, 2, 3
    assert len(state.calipers) == 1 and (state.editor.mask == before).all()
    key(qtbot, shown, Qt.Key.Key_Y, CTRL)
    assert (state.editor.mask != before).any() and state.shapes == []
    key(qtbot, shown, Qt.Key.Key_Y, CTRL)
    assert len(state.shapes) == 1
