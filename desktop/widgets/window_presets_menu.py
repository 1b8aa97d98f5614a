"""View ▸ Window Presets: keys 1-9 choose the window presets of the page shown, as on PACS
viewers and scanner consoles (OHIF and Slicer put W/L presets on the number keys).

The page decides what the presets are: HU windows on a CT (2D slice or the three planes),
contrast levels from the image's own values on grey ultrasound and other grey images and on
a study's grey views, none on colour. The nine actions are fixed (so their keys work whatever
has the focus); their text names the preset they choose now, refreshed when the menu opens and
when the shortcut list is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

KEYS = 9


@dataclass(frozen=True)
class PresetTarget:
    """What the number keys act on: the preset names in key order, and how to apply one."""

    names: Callable[[], list[str]]
    apply: Callable[[str], bool]
    notify: Callable[[str], None]


class WindowPresetsMenu:
    """`menu`: the submenu, for the window to put in its View menu."""

    def __init__(self, window: QWidget, target: Callable[[], PresetTarget]) -> None:
        self.target = target
        self.menu = QMenu("Window &Presets", window)
        self.menu.setToolTipsVisible(True)
        self.actions: list[QAction] = []
        for k in range(1, KEYS + 1):
            action = QAction(f"Preset {k}", window)
            action.setShortcut(QKeySequence(str(k)))
            action.triggered.connect(lambda _checked=False, i=k - 1: self.choose(i))
            window.addAction(action)  # the key works with the menu bar hidden
            self.menu.addAction(action)
            self.actions.append(action)
        self.menu.aboutToShow.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Name each key's preset on the page shown; keys without one say so (and stay on,
        so pressing one explains instead of doing nothing)."""
        names = self.target().names()
        for i, action in enumerate(self.actions):
            action.setText(f"Preset {i + 1}: {names[i]}" if i < len(names) else f"Preset {i + 1}")

    def choose(self, index: int) -> bool:
        target = self.target()
        names = target.names()
        if index >= len(names):
            target.notify(
                f"No window preset {index + 1} here"
                + (f" (presets 1-{len(names)})" if names else ": no window presets on this image")
            )
            return False
        applied = target.apply(names[index])
        if applied:
            target.notify(f"Window preset {index + 1}: {names[index]}")
        self.refresh()
        return applied
