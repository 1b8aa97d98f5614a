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
