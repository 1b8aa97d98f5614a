"""Keys 1-9 choose the window presets of the page shown (View ▸ Window Presets), listed in
Help ▸ Keyboard Shortcuts; real key and mouse events in the real window (offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.main_window import DISCARD, MainWindow
from desktop.models.image.state import CaseState
from desktop.models.image.window_level import WindowLevel
from desktop.models.paths import SAMPLE_PATH
from desktop.widgets.image.display_controls import CUSTOM_WINDOW
from desktop.widgets.shortcuts_dialog import shortcut_rows

SAMPLES = SAMPLE_PATH.parent


@pytest.fixture
def shown(qtbot):  # noqa: ANN001, ANN201
    window = MainWindow(CaseState())  # no model: these tests are about the display
    window.ask_unsaved_changes = lambda _what: DISCARD
    window.study_page.state.find_bundle = lambda _views: None
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    yield window
    window.close()


def preset(state_presets, name: str) -> WindowLevel:  # noqa: ANN001
    return WindowLevel.from_preset(next(p for p in state_presets if p.name == name))


def test_grey_ultrasound_presets_on_the_number_keys(qtbot, shown: MainWindow, mouse) -> None:  # noqa: ANN001
    assert shown.open_path(SAMPLE_PATH)  # the node ultrasound: grey, 8-bit
    state, box = shown.state, shown.display_controls.window_box
    names = [p.name for p in state.presets]
    assert names == ["Full range", "Contrast 1-99 %", "High contrast 5-95 %"]
    qtbot.keyClick(shown.canvas.viewport(), Qt.Key.Key_2)
    assert state.window == preset(state.presets, "Contrast 1-99 %")
    assert box.currentText().startswith("Contrast 1-99 %")
    assert shown.canvas.image_item.getLevels() == pytest.approx(state.window.levels)
    mouse.drag(
        shown.canvas, [(100.0, 100.0), (100.0, 160.0), (140.0, 160.0)], Qt.MouseButton.RightButton
    )
    assert box.currentText() == CUSTOM_WINDOW  # after a drag, the list says Custom
    qtbot.keyClick(shown.canvas.viewport(), Qt.Key.Key_9)
    assert "No window preset 9 here (presets 1-3)" in shown.statusBar().currentMessage()
    assert box.currentText() == CUSTOM_WINDOW  # nothing applied


def test_ct_planes_take_the_hu_presets(qtbot, shown: MainWindow) -> None:  # noqa: ANN001
    assert shown.open_path(SAMPLES / "sample_kidney_ct.nii.gz")
    session = shown.volume_mode.session
    names = [p.name for p in session.presets]
    assert names[:5] == ["Abdomen", "Liver", "Bone", "Lung", "Brain"]
    canvas = shown.volume_mode.workspace.canvas("axial")
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_3)
    assert session.window == WindowLevel(400.0, 1800.0)  # bone
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_4)
    assert session.window == WindowLevel(-600.0, 1500.0)  # lung
    assert canvas.image_item.getLevels() == pytest.approx((-1350.0, 150.0))
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_5)
    assert session.window == WindowLevel(40.0, 80.0)  # brain
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_W)  # View ▸ Default Window/Level
    assert session.window == WindowLevel(40.0, 400.0)  # back to abdomen


def test_study_presets_apply_to_each_grey_view(qtbot, shown: MainWindow) -> None:  # noqa: ANN001
    assert shown.open_path(SAMPLES / "sample_bone_scan")
    view, study = shown.study_page.view, shown.study_page.state
    anterior = view.pane("anterior")
    qtbot.waitUntil(anterior.isVisible)
    qtbot.keyClick(anterior.viewport(), Qt.Key.Key_3)  # High contrast 5-95 %
    for name in ("anterior", "posterior"):
        assert study.window(name) == preset(study.presets(name), "High contrast 5-95 %")
        assert "High contrast 5-95 %" in view.pane(name).window_label.text()
    assert anterior.levels == pytest.approx(study.window("anterior").levels)


def test_the_presets_are_in_the_shortcut_list_of_the_page_shown(qtbot, shown: MainWindow) -> None:  # noqa: ANN001
    assert shown.open_path(SAMPLES / "sample_kidney_ct.nii.gz")
    dialog = shown.show_shortcuts()
    rows = {command: (keys, menu) for keys, command, menu in shortcut_rows(shown)}
    assert rows["Preset 1: Abdomen"] == ("1", "View ▸ Window Presets")
    assert rows["Preset 3: Bone"][0] == "3" and "Preset 9" in rows
    texts = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert "Preset 4: Lung" in texts
    dialog.close()
    assert shown.open_path(SAMPLE_PATH)
    shown.show_shortcuts().close()
    rows = {command for _, command, _ in shortcut_rows(shown)}
    assert "Preset 1: Full range" in rows and "Preset 1: Abdomen" not in rows


def test_digits_typed_into_a_text_field_stay_text(qtbot, shown: MainWindow) -> None:  # noqa: ANN001
    assert shown.open_path(SAMPLE_PATH)
    before = shown.state.window
    edit = shown.review_panel.reviewer_edit
    edit.setFocus()
    qtbot.keyClicks(edit, "Dr 23")
    assert edit.text().endswith("Dr 23") and shown.state.window == before
