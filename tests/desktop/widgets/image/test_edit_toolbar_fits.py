"""The edit toolbar shows every tool on a 1280-px wide window: with the measuring tools added,
Angle and Calibrate went behind the toolbar's » menu, where a reader does not look."""

from __future__ import annotations


def test_every_tool_is_on_screen_at_1280_px(qtbot, window) -> None:  # noqa: ANN001
    qtbot.waitExposed(window)
    bar = window.toolbar
    hidden = [
        action.text()
        for action in bar.tool_actions.values()
        if bar.widgetForAction(action) is None or not bar.widgetForAction(action).isVisible()
    ]
    assert window.width() == 1280 and hidden == []
    # Short button labels only; the menus keep the full names.
    polygon = bar.tool_actions["polygon_add"]
    assert polygon.text() == "Polygon add" and polygon.iconText() == "Polygon +"


def test_the_tools_do_not_jump_when_the_undo_step_changes(qtbot, window, node_dicom) -> None:  # noqa: ANN001
    """Issue 20, item 7: the Undo button grew with its step's name ("Undo Smooth") and pushed
    every tool after it; the button now says Undo, its tooltip and the Edit menu name the step."""
    qtbot.waitExposed(window)
    window.open_path(node_dicom)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=15_000)
    bar = window.toolbar
    calibrate = bar.widgetForAction(bar.tool_actions["calibrate"])
    before = calibrate.x()
    bar.smooth_action.trigger()
    qtbot.waitUntil(lambda: bar.undo_action.text() != "Undo", timeout=5_000)
    assert bar.undo_action.text() == "Undo Smooth" and bar.undo_action.iconText() == "Undo"
    assert bar.widgetForAction(bar.undo_action).text() == "Undo"
    assert "Undo Smooth" in bar.undo_action.toolTip()
    assert calibrate.x() == before
