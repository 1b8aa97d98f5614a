"""The ViewBox of a study view, with the mouse mapped as on the single-image canvas
(desktop.widgets.image.tool_view_box): right-drag sets window/level, left or middle drag pans,
the wheel zooms about the cursor. pyqtgraph's own right-drag zooms, which is not what a reader
of a PACS or a scanner console expects."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt

DragWindow = Callable[[float, float], None]  # screen px right, down


class WindowViewBox(pg.ViewBox):
    def __init__(self, drag_window: DragWindow | None = None) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self.drag_window = drag_window

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: ANN001, N802 - pyqtgraph override
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            delta = ev.screenPos() - ev.lastScreenPos()
            if self.drag_window is not None:
                self.drag_window(delta.x(), delta.y())
            return
        super().mouseDragEvent(ev, axis)
