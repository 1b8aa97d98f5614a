"""Window/level actions follow the page shown: W and keys 1-9 act on the study's grey views
on the study page, on the CT's three planes on the volume page, else on the single image;
Help ▸ Keyboard Shortcuts lists the presets of that page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.widgets.shortcuts_dialog import ShortcutsDialog
from desktop.widgets.window_presets_menu import PresetTarget

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


class ShownPage:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def _volume_shown(self) -> bool:
        w = self.window
        volume = getattr(w, "volume_mode", None)  # made after the menus
        return volume is not None and w.canvas_stack.currentWidget() is volume.workspace

    def reset_window(self) -> None:
        """View ▸ Default Window/Level (W) on the page shown."""
        w = self.window
        if w.study_page.active:
            w.study_page.state.reset_windows()
            return
        if self._volume_shown():
            w.volume_mode.session.reset_window()
        w.state.reset_window()  # the volume's 2D slice too, as before the three planes

    def preset_target(self) -> PresetTarget:
        """What keys 1-9 act on."""
        w = self.window
        if w.study_page.active:
            study = w.study_page.state
            return PresetTarget(study.preset_names, study.apply_preset, study.notify)
        if self._volume_shown():
            session = w.volume_mode.session
            names = lambda: [p.name for p in session.presets]  # noqa: E731
            return PresetTarget(names, session.apply_preset, w.state.notify)
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
