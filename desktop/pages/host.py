"""What a page may ask of the window: the PageHost protocol.

A page (desktop.pages: image, study, volume) is a view of one kind of case in the middle of
the window; the study and volume pages take the single image's place while they show a case.
They used to take the MainWindow and reach into ~20 of its attributes (its stack, toolbar,
side column, status-bar labels, banner, menus, …), so every change of the window's layout
broke a page and no page could be built without the whole window. A page now asks for what
it needs through this protocol, grouped by what it is for:

- the case and tool the window holds (`state`, `tools`);
- the middle of the window: add a page's view (and side panel), show it in place of the
  single image (whose toolbar, frame slider and side panels go meanwhile), learn which is
  shown;
- the window's chrome: status message, tool and cursor read-outs, the research banner's model
  card, the title, its actions and menus;
- the reader's name, the window's one worker queue and its unsaved-changes question.

The study and volume pages also answer the window the same questions (`active`, `exportable`,
`open_export_dialog`, `reset_window`, `preset_target`: the CasePage protocol), so the window
asks "which page shows the case?" once instead of branching on study and volume.

desktop.shell.page_host implements it for the MainWindow; tests use a small fake
(tests/desktop/pages/fake_host.py). Pages import nothing from desktop.shell or
desktop.main_window (an import-linter contract in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from desktop.models.editing.tool_state import ToolState
from desktop.models.image.state import CaseState
from desktop.models.volume.session import VolumeSession
from desktop.widgets.window_presets_menu import PresetTarget

Steps = Callable[[], Generator[str, None, Any]]
OnSuccess = Callable[[Any, Any], None]
OnFailure = Callable[[Any, BaseException], None]

# Where add_actions puts a page's actions besides the window (whose shortcuts they get).
FILE_AFTER_SAVE = "file-after-save"  # File menu, right after Save Review
EDIT_END = "edit-end"  # end of the Edit menu, after a separator
MODEL_END = "model-end"  # end of the Model menu
MENU_PLACES = (FILE_AFTER_SAVE, EDIT_END, MODEL_END)


class CasePage(Protocol):
    """What the window asks of the page that shows the case instead of the single image."""

    @property
    def active(self) -> bool:
        """The page shows a case now."""
        ...

    def exportable(self) -> bool: ...

    def open_export_dialog(self) -> QWidget | None:
        """File ▸ Export… for the page's case (None: refused, and said why)."""
        ...

    def reset_window(self) -> None:
        """View ▸ Default Window/Level (W) on the page's views."""
        ...

    def preset_target(self) -> PresetTarget:
        """What keys 1-9 (the window presets) act on."""
        ...


class PageHost(Protocol):
    """The window as a page sees it."""

    state: CaseState  # the image (or series, or volume) the window opened
    tools: ToolState  # the window's tool; the volume's label tools share it

    # -- the middle of the window ---------------------------------------------------------

    def parent_widget(self) -> QWidget:
        """The parent of a page's dialogs and actions (the window)."""
        ...

    def add_page(self, view: QWidget, side_panel: QWidget | None = None) -> None:
        """Put `view` in the central stack (and `side_panel`, hidden, in the side column)."""
        ...

    def show_page(
        self, view: QWidget, keep_side_column: bool = False, tools_off: str | None = None
    ) -> None:
        """Show `view` in place of the single image, whose toolbar, frame slider and side
        panels go while it is shown (they come back with the image).

        keep_side_column: the page shows its own panel in the side column (else the column
        goes); tools_off: why the 2D tools' keys are off on this page (None: they stay on,
        e.g. the volume page's label tools work on the shared tool)."""
        ...

    def shown_page(self) -> QWidget | None: ...

    def on_page_shown(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever another view of the central stack is shown."""
        ...

    # -- the window's chrome --------------------------------------------------------------

    def show_status(self, message: str) -> None: ...

    def show_tool(self, label: str | None) -> None:
        """The status bar's tool read-out; None: the window's own tool."""
        ...

    def show_cursor(self, text: str) -> None: ...

    def show_model_card(self, text: str | None) -> None:
        """The research banner quotes `text` (None: the card of the window's image model)."""
        ...

    def title(self) -> str: ...

    def set_title(self, title: str) -> None: ...

    def add_actions(self, actions: Sequence[QAction], place: str | None = None) -> None:
        """Give `actions` the window's shortcuts and, for a MENU_PLACES `place`, a menu."""
        ...

    def refresh_actions(self) -> None:
        """Save, Export and Run Model Anyway follow the page shown (after a page changed)."""
        ...

    # -- work and questions ---------------------------------------------------------------

    def reviewer(self) -> str:
        """The reader's name as typed in the review panel (exports carry it)."""
        ...

    def start_job(
        self, steps: Steps, tag: Any, on_success: OnSuccess, on_failure: OnFailure | None = None
    ) -> None:
        """The window's one worker queue (progress, cancellation and shutdown stay there)."""
        ...

    def ask_unsaved_changes(self, what: str) -> str:
        """SAVE, DISCARD or CANCEL (desktop.widgets.questions)."""
        ...

    def save_volume_labels(self, session: VolumeSession, path: str | Path | None = None) -> bool:
        """A volume's labels: the NIfTI beside the CT (or at `path`), then the volume case in
        the datastore with the reader as author (the window's saving knows the datastore);
        True when the labels file is written."""
        ...
