"""A small PageHost for page tests: the pages built against it need no MainWindow.

It keeps what a page asked for (pages added, the page shown and its widgets' wishes, status
messages, the title, model cards, actions by menu place, jobs) so a test can read it back;
jobs run at once on the calling thread (no worker pool) and the unsaved-changes answer is
set by the test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStackedWidget, QWidget

from desktop.models.editing.tool_state import ToolState
from desktop.models.image.state import CaseState
from desktop.pages.host import MENU_PLACES, OnFailure, OnSuccess, PageHost, Steps
from desktop.widgets.questions import CANCEL


class FakeHost:
    def __init__(self, state: CaseState | None = None) -> None:
        self.state = state or CaseState()
        self.tools = ToolState()
        self.window = QWidget()  # the parent of the pages' dialogs and actions
        self.stack = QStackedWidget(self.window)
        self.side_panels: list[QWidget] = []
        self.chrome: tuple[bool, str | None] | None = None  # (keep_side_column, tools_off)
        self.statuses: list[str] = []
        self.tool: str | None = None
        self.cursor = ""
        self.model_card: str | None = None
        self._title = "LesionLens"
        self.actions: dict[str | None, list[QAction]] = {}
        self.jobs: list[Any] = []  # the tags of the jobs started
        self.refreshed = 0
        self.answer = CANCEL
        self.asked: list[str] = []

    def parent_widget(self) -> QWidget:
        return self.window

    def add_page(self, view: QWidget, side_panel: QWidget | None = None) -> None:
        self.stack.addWidget(view)
        if side_panel is not None:
            side_panel.hide()
            self.side_panels.append(side_panel)

    def show_page(
        self, view: QWidget, keep_side_column: bool = False, tools_off: str | None = None
    ) -> None:
        assert self.stack.indexOf(view) >= 0, "show_page of a view never added"
        self.chrome = (keep_side_column, tools_off)
        self.stack.setCurrentWidget(view)

    def show_image(self) -> None:
        """What the window does on a new single image (the image is no page here)."""
        self.chrome = None
        image = QWidget()
        self.stack.addWidget(image)
        self.stack.setCurrentWidget(image)

    def shown_page(self) -> QWidget | None:
        return self.stack.currentWidget()

    def on_page_shown(self, callback: Callable[[], None]) -> None:
        self.stack.currentChanged.connect(lambda _index: callback())

    def show_status(self, message: str) -> None:
        self.statuses.append(message)

    def show_tool(self, label: str | None) -> None:
        self.tool = self.tools.label if label is None else label

    def show_cursor(self, text: str) -> None:
        self.cursor = text

    def show_model_card(self, text: str | None) -> None:
        self.model_card = text

    def title(self) -> str:
        return self._title

    def set_title(self, title: str) -> None:
        self._title = title

    def add_actions(self, actions: Sequence[QAction], place: str | None = None) -> None:
        assert place is None or place in MENU_PLACES, place
        self.actions.setdefault(place, []).extend(actions)

    def refresh_actions(self) -> None:
        self.refreshed += 1

    def reviewer(self) -> str:
        return "Dr Fake"

    def start_job(
        self, steps: Steps, tag: Any, on_success: OnSuccess, on_failure: OnFailure | None = None
    ) -> None:
        self.jobs.append(tag)
        generator = steps()
        try:
            while True:
                self.show_status(next(generator))
        except StopIteration as done:
            on_success(tag, done.value)
        except Exception as error:  # noqa: BLE001 - a failed job goes to on_failure
            if on_failure is None:
                raise
            on_failure(tag, error)

    def ask_unsaved_changes(self, what: str) -> str:
        self.asked.append(what)
        return self.answer

    def save_volume_labels(self, session, path=None) -> bool:  # noqa: ANN001 - the protocol's
        """The file beside the CT only: a fake host has no datastore."""
        return session.save_labels(path) is not None


def as_page_host(host: FakeHost) -> PageHost:
    """The fake passes for a PageHost (a type checker sees the protocol met here)."""
    return host
