"""Small reading-room fixes of issue 20, item 7, with real mouse and key events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from desktop.widgets.image.display_controls import CUSTOM_WINDOW, DEFAULT_WINDOW

ANALYSIS_TIMEOUT_MS = 20_000
RIGHT = Qt.MouseButton.RightButton


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


def lesion_labels(canvas) -> list[str]:  # noqa: ANN001
    import pyqtgraph as pg

    return [i.textItem.toPlainText() for i in canvas.finding_items if isinstance(i, pg.TextItem)]


def test_lesion_numbers_stay_when_another_lesion_is_deleted_or_added(
    qtbot, shown: MainWindow, mouse, known_analysis
) -> None:  # noqa: ANN001
    """Findings come back sorted by area after each edit: deleting lesion 1 made lesion 2
    lesion 1. Numbers now stay, on the image and in the findings table, and a new lesion
    gets a number never used before."""
    from desktop.models.editing.tool_state import BRUSH, DELETE_LESION

    state, canvas = shown.state, shown.canvas
    shown.model_picker.bundles = shown.model_picker.bundles[:1]  # no proposal replaces it
    state.show_image(known_analysis.image, analysis=known_analysis)
    assert not shown.has_running_jobs()
    first, second = known_analysis.findings  # the larger first
    assert state.lesion_ids == (1, 2) and lesion_labels(canvas) == ["1", "2"]
    table = shown.findings_panel.table
    shown.tools.set_tool(DELETE_LESION)
    centre = tuple(float(v) for v in np.asarray(first.contour).mean(axis=0))
    mouse.click(canvas, centre)  # delete lesion 1
    assert len(state.analysis.findings) == 1
    assert state.lesion_ids == (2,) and lesion_labels(canvas) == ["2"]
    assert table.rowCount() == 1 and table.item(0, 0).text() == "2"
    shown.tools.set_tool(BRUSH)
    shown.tools.set_brush_radius(12.0)
    mouse.drag(canvas, [(30.0, 40.0), (30.0, 60.0), (40.0, 60.0)])  # a new, smaller lesion
    assert len(state.analysis.findings) == 2
    assert sorted(state.lesion_ids) == [2, 3] and sorted(lesion_labels(canvas)) == ["2", "3"]
    numbers = sorted(table.item(r, 0).text() for r in range(table.rowCount()))
    assert numbers == ["2", "3"]
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert state.lesion_ids == (2,)  # undo removes 3; 2 is still 2
