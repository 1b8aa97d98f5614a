"""The review loop in the real window: keys, strokes, undo/redo, save to the datastore, guards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from PySide6.QtCore import Qt

from desktop.main_window import CANCEL, DISCARD, SAVE, MainWindow
from desktop.models.editing.tool_state import BRUSH, ERASER, NAVIGATE, POLYGON_ADD
from desktop.models.reading.review import CORRECTED, REVIEWED
from engine.datastore import Datastore

ANALYSIS_TIMEOUT_MS = 15_000
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def open_and_wait(qtbot, window: MainWindow, path: Path) -> None:  # noqa: ANN001
    assert window.open_path(path)
    qtbot.waitUntil(
        lambda: window.state.analysis is not None and not window.state.busy,
        timeout=ANALYSIS_TIMEOUT_MS,
    )


def paint_blob(mouse, window: MainWindow) -> None:  # noqa: ANN001
    """A brush stroke in empty tissue above the nodes."""
    window.tools.set_tool(BRUSH)
    window.tools.set_brush_radius(4.0)
    mouse.drag(window.canvas, [(12.0, 20.0), (12.0, 90.0)])


def stored_png(path: Path) -> np.ndarray:
    with PILImage.open(path) as picture:
        return np.asarray(picture) > 0


def test_tool_keys_and_brush_size(qtbot, shown: MainWindow, node_png: Path) -> None:  # noqa: ANN001
    open_and_wait(qtbot, shown, node_png)
    target = shown.canvas.viewport()
    qtbot.keyClick(target, Qt.Key.Key_B)
    assert shown.tools.tool == BRUSH and shown.toolbar.tool_actions[BRUSH].isChecked()
    radius = shown.tools.brush_radius
    qtbot.keyClick(target, Qt.Key.Key_BracketRight)
    assert shown.tools.brush_radius > radius
    qtbot.keyClick(target, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(target, Qt.Key.Key_BracketLeft)
    assert shown.tools.brush_radius < radius
    assert shown.toolbar.size_spin.value() == 2 * shown.tools.brush_radius
    qtbot.keyClick(target, Qt.Key.Key_E)
    assert shown.tools.tool == ERASER and "Eraser" in shown.tool_label.text()
    qtbot.keyClick(target, Qt.Key.Key_P)
    assert shown.tools.tool == POLYGON_ADD
    qtbot.keyClick(target, Qt.Key.Key_Escape)
    assert shown.tools.tool == NAVIGATE


def test_stroke_undo_redo_class_and_save(
    qtbot, shown: MainWindow, node_dicom: Path, mouse, datastore_home: Path
) -> None:  # noqa: ANN001
    open_and_wait(qtbot, shown, node_dicom)
    state = shown.state
    ai_mask = state.ai_analysis.prediction.mask.copy()
    paint_blob(mouse, shown)
    edited = state.editor.mask.copy()
    assert edited[12, 30:80].all() and not ai_mask[12, 30:80].any()
    assert shown.windowTitle().endswith(" *") and shown.toolbar.undo_action.isEnabled()
    assert shown.toolbar.undo_action.text() == "Undo Brush"

    target = shown.canvas.viewport()
    qtbot.keyClick(target, Qt.Key.Key_Z, CTRL)
    assert np.array_equal(state.editor.mask, ai_mask)
    assert np.array_equal(shown.canvas.overlay_item.image[..., 3] > 0, ai_mask > 0)
    qtbot.keyClick(target, Qt.Key.Key_Z, CTRL | SHIFT)
    assert np.array_equal(state.editor.mask, edited)

    box = shown.review_panel.class_box
    malignant = box.findData("malignant")
    box.setCurrentIndex(malignant)
    box.activated.emit(malignant)  # what a user's pick in the list emits
    assert state.editor.label == "malignant"
    shown.review_panel.reviewer_edit.setText("dr.test")

    qtbot.keyClick(target, Qt.Key.Key_S, CTRL)
    assert not state.modified and not shown.windowTitle().endswith(" *")
    (record,) = Datastore(datastore_home).cases()
    assert record.source == "node.dcm"
    assert record.final.label == "malignant" and record.final.author == "dr.test"
    assert np.array_equal(stored_png(record.final.path), edited > 0)
    assert np.array_equal(stored_png(record.original.path), ai_mask > 0)
    assert record.final.correction_dice < 1.0
    assert state.saved.status == CORRECTED
    assert shown.review_panel.status_label.text().startswith("Saved: corrected by dr.test")

    # a second save after more edits replaces labels/final, never labels/original
    qtbot.keyClick(target, Qt.Key.Key_H)  # fill holes (may change nothing) ...
    paint_blob(mouse, shown)  # ... a stroke on painted pixels changes nothing either
    shown.tools.set_tool(ERASER)
    mouse.drag(shown.canvas, [(12.0, 20.0), (12.0, 40.0)])
    qtbot.keyClick(target, Qt.Key.Key_S, CTRL)
    (record,) = Datastore(datastore_home).cases()
    assert record.final.revision == 2
    assert np.array_equal(stored_png(record.original.path), ai_mask > 0)


def test_accepting_the_ai_result_marks_it_reviewed(
    qtbot, shown: MainWindow, node_png: Path, datastore_home: Path
) -> None:  # noqa: ANN001
    open_and_wait(qtbot, shown, node_png)
    assert shown.save_review()
    (record,) = Datastore(datastore_home).cases()
    assert record.final.correction_dice == 1.0 and shown.state.saved.status == REVIEWED
    assert record.final.label == shown.state.ai_analysis.prediction.label


def test_reopened_case_shows_the_saved_correction(
    qtbot, shown: MainWindow, node_png: Path, node_dicom: Path, mouse
) -> None:  # noqa: ANN001
    open_and_wait(qtbot, shown, node_png)
    paint_blob(mouse, shown)
    saved_mask = shown.state.editor.mask.copy()
    assert shown.save_review()
    open_and_wait(qtbot, shown, node_dicom)
    open_and_wait(qtbot, shown, node_png)
    state = shown.state
    assert state.saved is not None and np.array_equal(state.editor.mask, saved_mask)
    assert not state.modified and all(f.corrected for f in state.analysis.findings)
    shown.toolbar.reset_action.trigger()
    assert np.array_equal(state.editor.mask, state.ai_analysis.prediction.mask)
    assert state.modified


def test_unsaved_guard_on_open_and_close(
    qtbot, shown: MainWindow, node_png: Path, node_dicom: Path, mouse, datastore_home: Path
) -> None:  # noqa: ANN001
    open_and_wait(qtbot, shown, node_png)
    paint_blob(mouse, shown)
    asked: list[str] = []
    answers = iter([CANCEL, DISCARD])
    shown.ask_unsaved_changes = lambda what: asked.append(what) or next(answers)
    assert not shown.open_path(node_dicom)
    assert shown.state.path == node_png and shown.state.modified
    assert shown.open_path(node_dicom)  # discard
    assert asked == ["opening another file"] * 2
    assert shown.state.path == node_dicom and Datastore(datastore_home).cases() == []

    qtbot.waitUntil(lambda: shown.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    paint_blob(mouse, shown)
    shown.ask_unsaved_changes = lambda what: CANCEL
    assert not shown.close() and shown.isVisible()
    shown.ask_unsaved_changes = lambda what: SAVE
    assert shown.close()
    (record,) = Datastore(datastore_home).cases()
    assert record.final is not None and record.source == "node.dcm"


def test_save_failure_is_shown_and_keeps_the_edits(
    qtbot, shown: MainWindow, node_png: Path, mouse, monkeypatch
) -> None:  # noqa: ANN001
    open_and_wait(qtbot, shown, node_png)
    paint_blob(mouse, shown)

    def refuse(_review):  # noqa: ANN001, ANN202
        raise OSError(28, "No space left on device", "/data/labels/final/node.png")

    monkeypatch.setattr(shown.review_store, "save", refuse)
    assert not shown.save_review()
    assert "Not saved" in shown.error_bar.message() and "No space left" in shown.error_bar.message()
    assert shown.state.modified


def test_calibrating_a_png_from_the_gui(qtbot, shown: MainWindow, node_png: Path, mouse) -> None:  # noqa: ANN001
    open_and_wait(qtbot, shown, node_png)
    panel = shown.findings_panel
    assert panel.case_value("Calibration") == "uncalibrated (px)"
    assert panel.table.horizontalHeaderItem(4).text() == "Long\npx"
    qtbot.keyClick(shown.canvas.viewport(), Qt.Key.Key_K)
    mouse.drag(shown.canvas, [(230.0, 20.0), (230.0, 120.0)])
    dialog = shown.calibration_dialog
    assert dialog is not None and dialog.isVisible() and "px)" in dialog.labelText()
    dialog.setDoubleValue(10.0)
    dialog.accept()
    spacing = shown.state.image.spacing_mm
    assert spacing is not None and spacing[0] == pytest.approx(0.1, rel=0.02)
    assert panel.case_value("Calibration").endswith("mm/px")
    assert panel.table.horizontalHeaderItem(4).text() == "Long\nmm"
    assert "Calibrated" in shown.statusBar().currentMessage()
