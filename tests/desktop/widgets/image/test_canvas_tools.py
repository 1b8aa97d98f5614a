"""Real mouse strokes on the canvas: brush, eraser, lasso, polygon, delete, W/L, calipers.

Strokes are sent with qtbot to the view's viewport at positions mapped from image
coordinates; the mask is checked against plain distance/point-in-polygon references, so a
wrong screen-to-image mapping (half-pixel shift, swapped axes) fails here.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from desktop.models.editing.tool_state import (
    BRUSH,
    CALIBRATE,
    CALIPER,
    DELETE_LESION,
    ERASER,
    POLYGON_ADD,
    POLYGON_SUBTRACT,
)
from desktop.models.image.state import CaseState
from desktop.widgets.image.canvas import ImageCanvas
from engine.analysis import findings_from
from engine.types import Analysis, Image, UltrasoundRegion


@pytest.fixture
def canvas(qtbot, known_analysis):  # noqa: ANN001, ANN201
    widget = ImageCanvas(CaseState())
    qtbot.addWidget(widget)
    widget.resize(700, 560)
    widget.show()
    qtbot.waitExposed(widget)
    widget.state.show_image(known_analysis.image, analysis=known_analysis)
    return widget


def distance_to_segment(shape: tuple[int, int], a, b) -> np.ndarray:  # noqa: ANN001
    """Distance of every pixel centre to the segment a-b (row, col), by projection."""
    rows, cols = np.mgrid[: shape[0], : shape[1]].astype(float)
    (ar, ac), (br, bc) = a, b
    dr, dc = br - ar, bc - ac
    t = np.clip(((rows - ar) * dr + (cols - ac) * dc) / (dr * dr + dc * dc), 0, 1)
    return np.hypot(rows - (ar + t * dr), cols - (ac + t * dc))


def overlay_matches_mask(canvas: ImageCanvas) -> bool:
    return np.array_equal(canvas.overlay_item.image[..., 3] > 0, canvas.state.editor.mask > 0)


def test_brush_stroke_paints_where_the_mouse_went(canvas, mouse) -> None:  # noqa: ANN001
    state, editor = canvas.state, canvas.state.editor
    canvas.tools.set_tool(BRUSH)
    canvas.tools.set_brush_radius(4.0)
    before = editor.mask.copy()
    findings_before = len(state.analysis.findings)
    mouse.drag(canvas, [(12.0, 20.0), (12.0, 60.0), (14.0, 120.0)])
    distance = np.minimum(
        distance_to_segment(before.shape, (12, 20), (12, 60)),
        distance_to_segment(before.shape, (12, 60), (14, 120)),
    )
    painted = (editor.mask > 0) & (before == 0)
    assert painted[distance <= 3.0].all()  # 1 px of slack for the screen-to-image rounding
    assert not painted[distance > 5.0].any()
    assert editor.undo_name == "Brush" and len(editor._undo) == 1  # one stroke, one step
    assert overlay_matches_mask(canvas)
    assert len(state.analysis.findings) == findings_before + 1  # the new blob is measured
    assert all(f.corrected for f in state.analysis.findings)
    editor.undo()
    assert np.array_equal(editor.mask, before) and overlay_matches_mask(canvas)
    assert len(state.analysis.findings) == findings_before
    assert not any(f.corrected for f in state.analysis.findings)


def test_eraser_cuts_the_lesion_and_findings_follow(canvas, mouse) -> None:  # noqa: ANN001
    state, editor = canvas.state, canvas.state.editor
    canvas.tools.set_tool(ERASER)
    canvas.tools.set_brush_radius(6.0)
    area_before = sum(f.measurements.area_px for f in state.analysis.findings)
    assert len(state.analysis.findings) == 2
    mouse.drag(canvas, [(70.0, 120.0), (70.0, 320.0)])  # across the upper node
    assert not editor.mask[67:74, 130:315].any()
    reference = findings_from(
        state.image, dataclasses.replace(state.ai_analysis.prediction, mask=editor.mask.copy())
    )
    areas = [f.measurements.area_px for f in state.analysis.findings]
    assert areas == [f.measurements.area_px for f in reference]
    assert len(areas) == 3  # the cut split the upper node in two
    assert area_before - 13 * 180 < sum(areas) < area_before - 11 * 170
    assert overlay_matches_mask(canvas)


def test_lasso_adds_and_subtracts(canvas, mouse) -> None:  # noqa: ANN001
    editor = canvas.state.editor
    canvas.tools.set_tool(POLYGON_ADD)
    square = [(215.0, 20.0), (215.0, 80.0), (250.0, 80.0), (250.0, 20.0), (216.0, 20.0)]
    mouse.drag(canvas, square)
    assert editor.mask[218:248, 23:78].all()
    assert not editor.mask[218:248, 85:100].any()
    assert editor.undo_name == "Polygon add"
    canvas.tools.set_tool(POLYGON_SUBTRACT)
    mouse.drag(canvas, [(220.0, 30.0), (220.0, 60.0), (245.0, 60.0), (245.0, 30.0)])
    assert not editor.mask[223:243, 33:58].any() and editor.mask[218, 70]
    assert canvas.tools.draft is None and not canvas.draft_line.isVisible()


def test_click_polygon_closes_on_double_click(canvas, mouse) -> None:  # noqa: ANN001
    editor = canvas.state.editor
    canvas.tools.set_tool(POLYGON_ADD)
    for vertex in [(5.0, 150.0), (5.0, 200.0)]:
        mouse.click(canvas, vertex)
    assert canvas.tools.draft is not None and len(canvas.tools.draft.points) == 2
    assert not editor.can_undo
    mouse.click(canvas, (28.0, 175.0), double=True)
    assert canvas.tools.draft is None
    assert editor.mask[10, 170:180].all() and editor.undo_name == "Polygon add"


def test_delete_lesion_by_click(canvas, mouse) -> None:  # noqa: ANN001
    canvas.tools.set_tool(DELETE_LESION)
    lower = canvas.state.analysis.findings[1].measurements.area_px
    mouse.click(canvas, (70.0, 220.0))  # the upper node
    mask = canvas.state.editor.mask
    assert not mask[32:107, 140:310].any() and mask.sum() == lower
    assert [f.measurements.area_px for f in canvas.state.analysis.findings] == [lower]
    assert len(canvas.finding_items) == 4


def test_right_drag_sets_window_level(canvas, mouse) -> None:  # noqa: ANN001
    state = canvas.state
    assert canvas.image_item.getLevels() == pytest.approx((0.0, 255.0))
    mouse.drag(canvas, [(100.0, 100.0), (100.0, 160.0), (140.0, 160.0)], Qt.MouseButton.RightButton)
    window = state.window
    assert window.width > 255.0  # dragged right: wider
    assert window.center > 127.5  # dragged down: higher level
    assert canvas.image_item.getLevels() == pytest.approx(window.levels)
    assert canvas.state.editor.mask.sum() == canvas.state.ai_analysis.prediction.mask.sum()


def test_fit_and_actual_size(canvas) -> None:  # noqa: ANN001
    canvas.actual_size()
    px, py = canvas.view.viewPixelSize()
    assert px == pytest.approx(1.0, rel=0.02) and py == pytest.approx(1.0, rel=0.02)
    canvas.reset_zoom()
    rect = canvas.view.viewRect()
    assert rect.width() >= 324 and rect.height() >= 256


def test_caliper_in_mm_on_calibrated_image(canvas, mouse) -> None:  # noqa: ANN001
    canvas.tools.set_tool(CALIPER)
    mouse.drag(canvas, [(20.0, 30.0), (20.0, 130.0)])
    (caliper,) = canvas.state.calipers
    spacing = canvas.state.image.spacing_mm[1]
    assert caliper.length_px == pytest.approx(100.0, abs=1.5)
    assert caliper.length_mm == pytest.approx(caliper.length_px * spacing, rel=1e-6)
    assert caliper.refused == "" and len(canvas.caliper_items) == 2
    assert caliper.text.endswith(" mm")


def test_caliper_refused_across_ultrasound_regions(qtbot, mouse) -> None:  # noqa: ANN001
    left = UltrasoundRegion(0, 0, 99, 99, "2D", "tissue", "cm", "cm", 0.01, 0.01)
    right = UltrasoundRegion(0, 100, 99, 199, "2D", "tissue", "cm", "cm", 0.02, 0.02)
    image = Image(np.zeros((100, 200), np.uint8), spacing_mm=(0.1, 0.1), regions=(left, right))
    canvas = ImageCanvas(CaseState())
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    canvas.show()
    canvas.state.show_image(image)
    messages: list[str] = []
    canvas.state.subscribe("status", messages.append)
    canvas.tools.set_tool(CALIPER)
    mouse.drag(canvas, [(50.0, 20.0), (50.0, 60.0)])
    mouse.drag(canvas, [(50.0, 50.0), (50.0, 150.0)])
    inside, across = canvas.state.calipers
    assert inside.length_mm == pytest.approx(inside.length_px * 0.1)
    assert across.length_mm is None and "two different regions" in across.refused
    assert "two different regions" in messages[-1]
    assert "two different regions" in canvas.caliper_items[-1].textItem.toPlainText()


def test_calibrate_png_then_measure_in_mm(qtbot, mouse, known_analysis) -> None:  # noqa: ANN001
    image = dataclasses.replace(known_analysis.image, spacing_mm=None)
    prediction = known_analysis.prediction
    analysis = Analysis(image, prediction, findings_from(image, prediction))
    canvas = ImageCanvas(CaseState())
    qtbot.addWidget(canvas)
    canvas.resize(700, 560)
    canvas.show()
    canvas.state.show_image(image, analysis=analysis)
    assert (
        canvas.scale_items == []
        and canvas.state.analysis.findings[0].measurements.long_axis_mm is None
    )
    requests: list[float] = []
    canvas.controller.subscribe("calibration_requested", requests.append)
    canvas.tools.set_tool(CALIBRATE)
    mouse.drag(canvas, [(230.0, 20.0), (230.0, 120.0)])
    assert requests and requests[0] == pytest.approx(100.0, abs=1.5)
    assert canvas.controller.finish_calibration(10.0)
    spacing = canvas.state.image.spacing_mm
    assert spacing[0] == pytest.approx(10.0 / requests[0]) and spacing[0] == spacing[1]
    finding = canvas.state.analysis.findings[0]
    assert finding.measurements.long_axis_mm == pytest.approx(
        finding.measurements.long_axis_px * spacing[0], rel=1e-6
    )
    assert len(canvas.scale_items) == 2


def test_uncertainty_map_toggles(canvas) -> None:  # noqa: ANN001
    state = canvas.state
    assert canvas.uncertainty_item.image is not None and not canvas.uncertainty_item.isVisible()
    state.set_uncertainty_visible(True)
    assert canvas.uncertainty_item.isVisible()
    assert canvas.uncertainty_item.image.shape == state.image.pixels.shape


def test_brush_cursor_follows_the_mouse(canvas, qtbot) -> None:  # noqa: ANN001
    canvas.tools.set_tool(BRUSH)
    canvas.tools.set_brush_radius(8.0)
    qtbot.mouseMove(canvas.viewport(), pos=canvas.viewport_point(100.0, 50.0))
    qtbot.wait(20)
    rect = canvas.brush_cursor.rect()
    assert canvas.brush_cursor.isVisible()
    assert rect.width() == pytest.approx(16.0)
    assert rect.center().x() == pytest.approx(50.5, abs=1.0)
    assert rect.center().y() == pytest.approx(100.5, abs=1.0)


def test_viewport_point_round_trips(canvas) -> None:  # noqa: ANN001
    point = canvas.viewport_point(40.0, 70.0)
    assert isinstance(point, QPoint)
    scene = canvas.mapToScene(point)
    row, col = canvas.view.image_point(scene)
    assert math.hypot(row - 40.0, col - 70.0) < 1.0
