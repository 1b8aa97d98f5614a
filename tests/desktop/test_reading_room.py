"""Small reading-room fixes of issue 20, item 7, with real mouse and key events."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.display_controls import CUSTOM_WINDOW, DEFAULT_WINDOW
from desktop.main_window import MainWindow

ANALYSIS_TIMEOUT_MS = 20_000
RIGHT = Qt.MouseButton.RightButton


@pytest.fixture
def shown(window: MainWindow, qtbot) -> MainWindow:  # noqa: ANN001
    window.activateWindow()
    qtbot.waitExposed(window)
    return window


def test_the_window_box_says_custom_after_a_right_drag(
    qtbot, shown: MainWindow, mouse, ct_nifti: Path
) -> None:  # noqa: ANN001
    """It kept showing the preset (or "Default window") the drag had left."""
    assert shown.open_path(ct_nifti)
    box = shown.display_controls.window_box
    initial = box.currentText()  # a CT opens on its soft-tissue preset
    assert initial.startswith("Soft tissue")
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Down)  # the next preset, chosen with the keyboard
    assert box.currentIndex() > 1 and box.currentText() not in (initial, CUSTOM_WINDOW)
    levels = shown.canvas.image_item.getLevels()
    mouse.drag(shown.canvas, [(10.0, 10.0), (10.0, 30.0), (20.0, 30.0)], RIGHT)
    assert shown.canvas.image_item.getLevels() != pytest.approx(levels)
    assert box.currentText() == CUSTOM_WINDOW
    qtbot.keyClick(shown.canvas.viewport(), Qt.Key.Key_W)  # View ▸ Default Window
    assert box.currentText() == initial


def test_grey_ultrasound_drag_shows_custom_too(qtbot, shown: MainWindow, mouse, node_png) -> None:  # noqa: ANN001
    assert shown.open_path(node_png)
    box = shown.display_controls.window_box
    assert box.currentText() == DEFAULT_WINDOW
    mouse.drag(shown.canvas, [(100.0, 100.0), (100.0, 160.0), (140.0, 160.0)], RIGHT)
    assert box.currentText() == CUSTOM_WINDOW
    assert shown.display_controls.window_value.text() == shown.state.window.text()
