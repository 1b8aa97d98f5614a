"""The window's menus (File, Edit, Tools, View, Model, Help) and their actions.

Every action is also added to the window itself, so its shortcut works whatever has the
focus and while the menu bar is hidden. The actions stay attributes of the window
(window.export_action, …): pages enable them and tests trigger them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from desktop.models.paths import SAMPLE_PATH
from desktop.widgets.image.model_picker import ModelPicker
from desktop.widgets.image.operating_point_menu import DetectionMenu
from desktop.widgets.window_presets_menu import WindowPresetsMenu

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

OPACITY_STEP = 0.1


def add_to_menu(menu: QMenu, action: QAction | None) -> None:
    """An action, or a separator for None."""
    if action is None:
        menu.addSeparator()
    else:
        menu.addAction(action)


def make_action(
    window: QMainWindow,
    text: str,
    slot: Callable[..., Any],
    shortcut: QKeySequence.StandardKey | str = "",
) -> QAction:
    action = QAction(text, window)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    window.addAction(action)  # shortcuts work even while the menu bar is hidden
    return action


def build_menus(w: MainWindow) -> None:
    _file_menu(w)
    _edit_and_tools_menus(w)
    _view_menu(w)
    _model_menu(w)
    help_menu = w.menuBar().addMenu("&Help")
    w.shortcuts_action = make_action(
        w, "&Keyboard Shortcuts", w.show_shortcuts, QKeySequence.StandardKey.HelpContents
    )
    help_menu.addAction(w.shortcuts_action)


def _file_menu(w: MainWindow) -> None:
    menu = w.menuBar().addMenu("&File")
    w.open_action = make_action(w, "&Open…", w.navigator.choose_file, QKeySequence.StandardKey.Open)
    w.open_folder_action = make_action(
        w, "Open &Folder…", w.navigator.choose_folder, "Ctrl+Shift+O"
    )
    w.datastore_action = make_action(w, "&Datastore Cases", w.open_datastore_cases, "Ctrl+Shift+D")
    w.sample_action = make_action(w, "Open &Sample", lambda: w.open_path(SAMPLE_PATH))
    # One case of every kind a shipped model reads: node ultrasound, bone scan, skin pair, CT.
    w.samples_folder_action = make_action(
        w, "Open Sample &Cases", lambda: w.open_folder(SAMPLE_PATH.parent)
    )
    w.save_action = make_action(w, "&Save Review", w.save_review, "Ctrl+S")
    w.export_action = make_action(w, "&Export…", w.open_export_dialog, "Ctrl+E")
    w.pacs_action = make_action(w, "&PACS…", w.open_pacs_browser, "Ctrl+Shift+P")
    w.next_case_action = make_action(w, "&Next Case", lambda: w.step_case(1))
    w.next_case_action.setShortcuts([QKeySequence("Ctrl+Right"), QKeySequence("PgDown")])
    w.previous_case_action = make_action(w, "&Previous Case", lambda: w.step_case(-1))
    w.previous_case_action.setShortcuts([QKeySequence("Ctrl+Left"), QKeySequence("PgUp")])
    w.quit_action = make_action(w, "&Quit", w.close, QKeySequence.StandardKey.Quit)
    for action in (
        w.open_action,
        w.open_folder_action,
        w.datastore_action,
        w.sample_action,
        w.samples_folder_action,
        w.pacs_action,
        None,
        w.save_action,
        w.export_action,
        None,
        w.next_case_action,
        w.previous_case_action,
        None,
        w.quit_action,
    ):
        add_to_menu(menu, action)


def _edit_and_tools_menus(w: MainWindow) -> None:
    bar = w.toolbar
    edit_menu = w.menuBar().addMenu("&Edit")
    for action in (
        bar.undo_action,
        bar.redo_action,
        None,
        bar.fill_holes_action,
        bar.smooth_action,
        bar.reset_action,
        None,
        bar.finish_polygon_action,
        bar.cancel_action,
        bar.delete_caliper_action,
        bar.clear_calipers_action,
    ):
        add_to_menu(edit_menu, action)
    tools_menu = w.menuBar().addMenu("&Tools")
    for action in bar.tool_actions.values():
        tools_menu.addAction(action)
    tools_menu.addSeparator()
    tools_menu.addAction(bar.grow_action)
    tools_menu.addAction(bar.shrink_action)
    for action in bar.actions_for_window:
        w.addAction(action)  # shortcuts work whatever has the focus


def _view_menu(w: MainWindow) -> None:
    state = w.state
    menu = w.menuBar().addMenu("&View")
    w.contours_action = make_action(w, "Show &Contours", state.set_contours_visible, "C")
    w.contours_action.setCheckable(True)
    w.uncertainty_action = make_action(w, "Show &Uncertainty", state.set_uncertainty_visible, "U")
    w.uncertainty_action.setCheckable(True)

    def step_opacity(delta: float) -> None:
        state.set_overlay_opacity(round(state.overlay_opacity + delta, 2))

    w.more_opacity_action = make_action(
        w, "&More Overlay Opacity", lambda: step_opacity(OPACITY_STEP), "}"
    )
    w.less_opacity_action = make_action(
        w, "&Less Overlay Opacity", lambda: step_opacity(-OPACITY_STEP), "{"
    )
    w.reset_zoom_action = make_action(w, "&Fit Image", w.canvas.reset_zoom, "Ctrl+0")
    w.actual_size_action = make_action(w, "&Actual Size (1:1)", w.canvas.actual_size, "Ctrl+1")
    w.reset_window_action = make_action(w, "&Default Window/Level", w.shown_page.reset_window, "W")
    w.reset_window_action.setToolTip(
        "W: back to the window the image opened with (8-bit as stored; wider data from "
        "its body's values); right-drag on the image sets window/level"
    )
    w.play_action = make_action(w, "&Play / Pause", w.toggle_play, "Space")
    w.next_frame_action = make_action(w, "Next Frame", lambda: w.frame_controls.step(1))
    w.next_frame_action.setShortcut(QKeySequence("Right"))
    w.previous_frame_action = make_action(w, "Previous Frame", lambda: w.frame_controls.step(-1))
    w.previous_frame_action.setShortcut(QKeySequence("Left"))
    for action in (
        w.contours_action,
        w.uncertainty_action,
        w.more_opacity_action,
        w.less_opacity_action,
        None,
        w.reset_zoom_action,
        w.actual_size_action,
        w.reset_window_action,
        None,
        w.play_action,
        w.next_frame_action,
        w.previous_frame_action,
        None,
        w.case_dock.toggleViewAction(),
    ):
        add_to_menu(menu, action)
    w.window_presets = WindowPresetsMenu(w, w.shown_page.preset_target)
    after_reset = menu.actions()[menu.actions().index(w.reset_window_action) + 1]
    menu.insertMenu(after_reset, w.window_presets.menu)


def _model_menu(w: MainWindow) -> None:
    menu = w.menuBar().addMenu("&Model")
    w.training_action = w.training_panel.toggleViewAction()
    w.training_action.setText("Model && &Training Panel")
    w.training_action.setShortcut(QKeySequence("Ctrl+Shift+M"))
    w.addAction(w.training_action)
    w.finetune_action = make_action(w, "&Fine-tune on Corrected Cases", w.start_finetune)
    w.rollback_action = make_action(w, "&Roll Back Model", w.training.rollback)
    w.analyze_all_action = make_action(w, "Analyze &All Cases", w.analyze_all)
    w.analyze_all_action.setToolTip(
        "Run the model on every case of the list without AI yet (Cancel in the case list)"
    )
    w.run_anyway_action = make_action(w, "Run Model &Anyway", w.run_model_anyway)
    w.run_anyway_action.setToolTip(
        "For research: analyse an image the model was not made for, or show the findings "
        "withheld as out of its scope (marked as run on demand; not findings)"
    )
    for action in (
        w.training_action,
        w.finetune_action,
        w.rollback_action,
        None,
        w.analyze_all_action,
        w.run_anyway_action,
    ):
        add_to_menu(menu, action)
    menu.addSeparator()
    w.model_picker = ModelPicker(
        menu,
        current_case=lambda: w.state.path,
        current_folder=w.navigator.case_folder,
        current_model=lambda: w.state.model,
        use_model=w.load_model,
        start_job=w.jobs.start,
        notify=w.state.notify,
        resume=w.analyze_if_ready,
    )
    w.detection_menu = DetectionMenu(menu, w.analysis.use_model)
    w.state.subscribe("model_changed", w.detection_menu.refresh)
    menu.setToolTipsVisible(True)
