"""Del deletes what the reader selected last: a lesion (its findings-table row) or a caliper,
and Ctrl+Z brings a lesion back; Esc leaves the active tool. Real mouse and key events."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def shown(window: MainWindow, qtbot, known_analysis) -> MainWindow:  # noqa: ANN001
    window.activateWindow()
    qtbot.waitExposed(window)
    window.model_picker.bundles = window.model_picker.bundles[:1]  # no proposal replaces it
    window.state.show_image(known_analysis.image, analysis=known_analysis)
    assert window.state.lesion_ids == (1, 2)
    return window


def click_row(qtbot, window: MainWindow, row: int) -> None:  # noqa: ANN001
    table = window.findings_panel.table
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_del_deletes_the_selected_lesion_and_undo_brings_it_back(qtbot, shown) -> None:  # noqa: ANN001
    state, canvas = shown.state, shown.canvas
    click_row(qtbot, shown, 1)  # lesion 2
    assert state.selected_lesion == 1
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Delete)
    assert state.lesion_ids == (1,) and len(state.analysis.findings) == 1
    assert "Lesion 2 deleted" in shown.statusBar().currentMessage()
    assert state.selected_lesion is None and not shown.findings_panel.table.selectedItems()
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Z, CTRL)
    assert len(state.analysis.findings) == 2
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Delete)  # nothing selected now
    assert len(state.analysis.findings) == 2
    assert "No measurement selected" in shown.statusBar().currentMessage()


def test_del_deletes_the_last_selection_caliper_or_lesion(qtbot, shown, mouse) -> None:  # noqa: ANN001
    state, canvas = shown.state, shown.canvas
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_M)  # Caliper
    mouse.drag(canvas, [(5.0, 5.0), (5.0, 25.0), (5.0, 45.0)])
    assert len(state.calipers) == 1 and state.selected_caliper == 0
    click_row(qtbot, shown, 0)  # then lesion 1: the caliper is no longer the selection
    assert state.selected_lesion == 0 and state.selected_caliper is None
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Delete)
    assert state.lesion_ids == (2,) and len(state.calipers) == 1  # the lesion went
    mouse.click(canvas, (5.0, 25.0))  # select the caliper (Caliper tool, click on it)
    assert state.selected_caliper == 0
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Delete)
    assert state.calipers == [] and state.lesion_ids == (2,)  # the caliper went
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Escape)  # Esc: leave the Caliper tool
    assert shown.tools.tool == "navigate"
