"""Window/level actions follow the page shown: W and keys 1-9 act on the page that shows the
case (the study's grey views, the CT's three planes: each page answers for its own views),
else on the single image; Help ▸ Keyboard Shortcuts lists the presets of that page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.widgets.shortcuts_dialog import ShortcutsDialog
from desktop.widgets.window_presets_menu import PresetTarget

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


class ShownPage:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def reset_window(self) -> None:
        """View ▸ Default Window/Level (W) on the page shown."""
        w = self.window
        page = w.case_page()
        (w.state if page is None else page).reset_window()

    def preset_target(self) -> PresetTarget:
        """What keys 1-9 act on."""
        w = self.window
        page = w.case_page()
        if page is not None:
            return page.preset_target()
        state = w.state
        return PresetTarget(
            lambda: [p.name for p in state.presets], state.apply_preset, state.notify
        )

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help ▸ Keyboard Shortcuts (F1): non-modal, listed from the live actions."""
        self.window.window_presets.refresh()  # the presets of the page shown
        dialog = ShortcutsDialog(self.window)
        dialog.show()
        return dialog
