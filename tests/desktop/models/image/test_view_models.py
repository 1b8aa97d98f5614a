"""Qt-free pieces behind the canvas: window/level, calipers, the tool controller."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.models.editing.caliper import measure_caliper
from desktop.models.editing.tool_controller import ToolController
from desktop.models.editing.tool_state import (
    BRUSH,
    BRUSH_RADII,
    CALIBRATE,
    POLYGON_ADD,
    POLYGON_SUBTRACT,
    ToolState,
)
from desktop.models.image.state import CaseState
from desktop.models.image.window_level import (
    CT_PRESETS,
    WindowLevel,
    default_window,
    window_presets,
)
from engine.types import Image, UltrasoundRegion, WindowPreset


def test_window_level_drag_and_levels() -> None:
    window = WindowLevel(40.0, 400.0)
    assert window.levels == (-160.0, 240.0)
    wider = window.dragged(100, 0)
    assert wider.width == pytest.approx(400.0 * np.exp(0.5)) and wider.center == 40.0
    darker = window.dragged(0, 50)
    assert darker.center == pytest.approx(40.0 + 50 * 0.005 * 400) and darker.width == 400.0
    assert window.dragged(-10_000, 0).width > 0
    assert WindowLevel.from_levels(0, 255) == WindowLevel(127.5, 255.0)


def test_defaults_and_presets() -> None:
    us = Image(np.zeros((4, 4), np.uint8))
    assert default_window(us).levels == (0.0, 255.0) and window_presets(us) == ()
    ct = Image(np.full((4, 4), -1000, np.int16), metadata={"Modality": "CT"})
    assert default_window(ct) == WindowLevel(40.0, 400.0)
    assert window_presets(ct) == CT_PRESETS
    own = WindowPreset("Mediastinum", 50.0, 350.0)
    tagged = Image(np.zeros((4, 4), np.int16), window_presets=(own,), metadata={"Modality": "CT"})
    assert window_presets(tagged)[0] == own and default_window(tagged) == WindowLevel(50, 350)


def test_state_window_presets_and_colour(known_analysis) -> None:  # noqa: ANN001
    state = CaseState()
    state.show_image(Image(np.full((8, 8), -1000, np.int16), metadata={"Modality": "CT"}))
    assert state.apply_preset("Bone") and state.window == WindowLevel(400.0, 1800.0)
    assert not state.apply_preset("Nonexistent")
    state.show_image(Image(np.zeros((8, 8, 3), np.uint8), photometric="RGB"))
    state.drag_window(100, 100)
    assert not state.window_adjustable and state.presets == ()
    assert state.window == WindowLevel(127.5, 255.0)  # colour Doppler stays as acquired


def test_caliper_mm_px_and_refusals() -> None:
    calibrated = Image(np.zeros((50, 50), np.uint8), spacing_mm=(0.2, 0.5))
    caliper = measure_caliper(calibrated, (0.0, 0.0), (30.0, 40.0))
    assert caliper.length_px == 50.0
    assert caliper.length_mm == pytest.approx(np.hypot(30 * 0.2, 40 * 0.5))
    assert caliper.text == f"{caliper.length_mm:.1f} mm" and caliper.refused == ""
    plain = measure_caliper(Image(np.zeros((50, 50), np.uint8)), (0.0, 0.0), (0.0, 10.0))
    assert plain.length_mm is None and plain.text == "10 px" and "uncalibrated" in plain.refused
    region = UltrasoundRegion(0, 0, 24, 49, "2D", "tissue", "cm", "cm", 0.01, 0.01)
    partial = Image(np.zeros((50, 50), np.uint8), spacing_mm=(0.1, 0.1), regions=(region,))
    outside = measure_caliper(partial, (10.0, 10.0), (40.0, 10.0))
    assert outside.length_mm is None and "outside every ultrasound region" in outside.refused


def controller_on(known_analysis) -> ToolController:  # noqa: ANN001
    state = CaseState()
    state.show_image(known_analysis.image, analysis=known_analysis)
    return ToolController(state, ToolState())


def test_click_polygon_snaps_closed_on_first_vertex(known_analysis) -> None:  # noqa: ANN001
    controller = controller_on(known_analysis)
    controller.tools.set_tool(POLYGON_ADD)
    for point in [(220.0, 20.0), (220.0, 60.0), (250.0, 60.0)]:
        controller.click(point)
    controller.click((221.0, 21.0), snap_px=3.0)  # on the first vertex: closes
    assert controller.tools.draft is None
    mask = controller.state.editor.mask
    assert mask[240, 50] == 1 and mask[225, 25] == 0  # inside vs. outside the triangle


def test_enter_closes_polygon_and_esc_cancels(known_analysis) -> None:  # noqa: ANN001
    controller = controller_on(known_analysis)
    controller.tools.set_tool(POLYGON_SUBTRACT)
    for point in [(40.0, 150.0), (40.0, 250.0), (100.0, 250.0), (100.0, 150.0)]:
        controller.click(point)
    assert controller.finish_polygon()
    assert not controller.state.editor.mask[45:95, 155:245].any()
    controller.click((40.0, 150.0))
    controller.cancel()
    assert controller.tools.draft is None and not controller.finish_polygon()


def test_calibration_needs_a_line_and_a_length(known_analysis) -> None:  # noqa: ANN001
    controller = controller_on(known_analysis)
    controller.tools.set_tool(CALIBRATE)
    asked: list[float] = []
    controller.subscribe("calibration_requested", asked.append)
    assert not controller.finish_calibration(5.0)  # no line drawn yet
    controller.press((10.0, 10.0))
    controller.move((10.0, 60.0))
    controller.release((10.0, 60.0))
    assert asked == [50.0] and controller.tools.draft is not None
    assert controller.finish_calibration(5.0)
    assert controller.state.image.spacing_mm == (0.1, 0.1) and controller.tools.draft is None
    errors: list[str] = []
    controller.state.subscribe("error", errors.append)
    controller.press((10.0, 10.0))
    controller.release((10.0, 60.0))
    assert not controller.finish_calibration(0.0)
    assert errors and "positive length" in errors[0]


def test_tools_disabled_without_analysis_and_brush_steps() -> None:
    state = CaseState()
    state.show_image(Image(np.zeros((20, 20), np.uint8)))
    tools = ToolState()
    controller = ToolController(state, tools)
    tools.set_tool(BRUSH)
    assert not controller.wants_drag
    controller.click((5.0, 5.0))  # nothing to edit: ignored, no error
    tools.set_brush_radius(1000)
    assert tools.brush_radius == BRUSH_RADII[-1]
    tools.shrink_brush()
    assert tools.brush_radius == BRUSH_RADII[-2]
    with pytest.raises(ValueError, match="unknown tool"):
        tools.set_tool("lasso")
