"""The MainWindow as the pages see it: desktop.pages.host.PageHost over the window's widgets.

The pages (study, volume) used to reach into the window's stack, toolbar, side column, status
labels, banner and menus themselves; this object is now the one place that knows where those
sit (desktop.shell.layout, desktop.shell.menus), so the window's layout can change without a
page noticing, and a page can be built against a small fake host in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from desktop.models.editing.tool_state import ToolState
from desktop.models.image.state import CaseState
from desktop.models.volume.session import VolumeSession
from desktop.pages.host import EDIT_END, FILE_AFTER_SAVE, MODEL_END, OnFailure, OnSuccess, Steps

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


def menu_holding(window: QMainWindow, action: QAction) -> QMenu | None:
    """The menu of the menu bar that holds `action`."""
    for top in window.menuBar().actions():
        menu = top.menu()
        if menu is not None and action in menu.actions():
            return menu
    return None


def insert_after(menu: QMenu, anchor: QAction, actions: Sequence[QAction]) -> None:
    items = menu.actions()
    index = items.index(anchor) + 1
    before = items[index] if index < len(items) else None
    for action in actions:
        menu.insertAction(before, action) if before is not None else menu.addAction(action)


class WindowPageHost:
    """PageHost for the MainWindow; built after its layout, status bar and menus."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self._hidden: list[QWidget] = []  # what the page shown hid of the single image
        self._tools_off: str | None = None  # why the 2D tools are off on the page shown

    @property
    def state(self) -> CaseState:
        return self.window.state

    @property
    def tools(self) -> ToolState:
        return self.window.tools

    # -- the middle of the window -------------------------------------------------------------

    def parent_widget(self) -> QWidget:
        return self.window

    def add_page(self, view: QWidget, side_panel: QWidget | None = None) -> None:
        self.window.canvas_stack.addWidget(view)
        if side_panel is not None:
            side_panel.hide()
            self.window.side_column.layout().addWidget(side_panel, stretch=1)

    def show_page(
        self, view: QWidget, keep_side_column: bool = False, tools_off: str | None = None
    ) -> None:
        w = self.window
        side = w.image_page.panels if keep_side_column else [w.side_scroll]
        self._hide_image_widgets([w.frame_controls, w.toolbar, *side], tools_off)
        w.canvas_stack.setCurrentWidget(view)

    def show_image(self) -> None:
        """The window's own page: the single image, with what a page hid of it back."""
        self._hide_image_widgets([], None)
        self.window.canvas_stack.setCurrentWidget(self.window.canvas)

    def shown_page(self) -> QWidget | None:
        return self.window.canvas_stack.currentWidget()

    def on_page_shown(self, callback: Callable[[], None]) -> None:
        self.window.canvas_stack.currentChanged.connect(lambda _index: callback())

    def _hide_image_widgets(self, hidden: list[QWidget], tools_off: str | None) -> None:
        """Hide `hidden` and bring back only what the page shown before hid (the panels keep
        their own visibility otherwise), in one step: a page replacing another never shows
        the image's widgets in between."""
        w = self.window
        for widget in self._hidden:
            if widget in hidden:
                continue
            if widget is w.frame_controls:
                w.frame_controls.show_if_frames()  # not for a single image opened meanwhile
            else:
                widget.show()
        for widget in hidden:
            widget.hide()
        self._hidden = hidden
        if tools_off != self._tools_off:
            w.toolbar.set_unavailable(tools_off)  # their keys are window shortcuts
            self._tools_off = tools_off

    # -- the window's chrome ------------------------------------------------------------------

    def show_status(self, message: str) -> None:
        self.window.statusBar().showMessage(message)

    def show_tool(self, label: str | None) -> None:
        self.window.tool_label.setText(self.window.tools.label if label is None else label)

    def show_cursor(self, text: str) -> None:
        self.window.cursor_label.setText(text)

    def show_model_card(self, text: str | None) -> None:
        banner = self.window.banner
        if text is None:
            banner.refresh()  # the image model's card
        else:
            banner.detail.setText(text)

    def title(self) -> str:
        return self.window.windowTitle()

    def set_title(self, title: str) -> None:
        self.window.setWindowTitle(title)

    def add_actions(self, actions: Sequence[QAction], place: str | None = None) -> None:
        w = self.window
        for action in actions:
            w.addAction(action)  # shortcuts work whatever has the focus
        if place == FILE_AFTER_SAVE:
            menu = menu_holding(w, w.save_action)
            if menu is not None:
                insert_after(menu, w.save_action, actions)
        elif place == EDIT_END:
            menu = menu_holding(w, w.toolbar.redo_action)
            if menu is not None:
                menu.addSeparator()
                menu.addActions(list(actions))
        elif place == MODEL_END:
            menu = menu_holding(w, w.run_anyway_action)
            if menu is not None:
                menu.addActions(list(actions))
        elif place is not None:
            raise ValueError(f"no menu place {place!r} in the window")

    def refresh_actions(self) -> None:
        self.window.sync_actions()

    # -- work and questions -------------------------------------------------------------------

    def reviewer(self) -> str:
        return self.window.review_panel.reviewer

    def start_job(
        self, steps: Steps, tag: Any, on_success: OnSuccess, on_failure: OnFailure | None = None
    ) -> None:
        self.window.jobs.start(steps, tag, on_success, on_failure)

    def ask_unsaved_changes(self, what: str) -> str:
        return self.window.ask_unsaved_changes(what)  # looked up now: tests replace it

    def save_volume_labels(self, session: VolumeSession, path: str | Path | None = None) -> bool:
        return self.window.saving.save_volume(session, path)
