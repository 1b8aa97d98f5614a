"""The pyqtgraph ViewBox of the canvas, with the mouse mapped the way readers expect.

Left drag: the current tool (brush, lasso, caliper...), or pan when the tool has nothing to
do with a drag. Smart Click: left click adds, Shift+click or right click removes, left drag
draws a box; a press and release within CLICK_SLOP_PX screen pixels is a click even when
pyqtgraph made it a drag (it does so for any move after half a second held). Middle
drag: pan. Right drag: window/level. Wheel: zoom about the cursor.
Points go to the ToolController as (row, col) image coordinates, pixel centres on integers.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt

from desktop.models.editing.tool_controller import ToolController
from desktop.models.editing.tool_state import SMART_CLICK
from desktop.models.image.display import PIXEL_CENTRE

Point = tuple[float, float]
CLICK_SLOP_PX = 5.0  # screen px: a Smart Click press and release closer than this is a click


class ToolViewBox(pg.ViewBox):
    def __init__(
        self,
        controller: ToolController,
        drag_window: Callable[[float, float], None],
    ) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self.controller = controller
        self.drag_window = drag_window
        self._tool_drag = False

    def image_point(self, scene_pos: QPointF) -> Point:
        view = self.mapSceneToView(scene_pos)
        return (view.y() - PIXEL_CENTRE, view.x() - PIXEL_CENTRE)

    def snap_px(self, screen_px: float = 6.0) -> float:
        """A distance on screen, in image pixels at the current zoom."""
        size = self.viewPixelSize()
        return screen_px * max(size[0], size[1], 1e-6)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: ANN001, N802 - pyqtgraph override
        button = ev.button()
        if button == Qt.MouseButton.RightButton:
            ev.accept()
            delta = ev.screenPos() - ev.lastScreenPos()
            self.drag_window(delta.x(), delta.y())
            return
        if button == Qt.MouseButton.LeftButton:
            if ev.isStart():
                self._tool_drag = self.controller.wants_drag
                if self._tool_drag:
                    point = self.image_point(ev.buttonDownScenePos())
                    self.controller.press(point, self.snap_px())
            if self._tool_drag:
                ev.accept()
                point = self.image_point(ev.scenePos())
                if ev.isFinish():
                    self._tool_drag = False
                    if self._smart_click_held(ev):
                        self.controller.cancel()  # no box: a click held a little long
                        start = self.image_point(ev.buttonDownScenePos())
                        self.controller.click(start, self.snap_px(), positive=not _shift(ev))
                    else:
                        self.controller.release(point)
                else:
                    self.controller.move(point)
                return
        super().mouseDragEvent(ev, axis)  # left (navigate) and middle: pan

    def _smart_click_held(self, ev) -> bool:  # noqa: ANN001 - a pyqtgraph MouseDragEvent
        if self.controller.tools.tool != SMART_CLICK:
            return False
        moved = ev.screenPos() - ev.buttonDownScreenPos()
        return (moved.x() ** 2 + moved.y() ** 2) ** 0.5 < CLICK_SLOP_PX

    def mouseClickEvent(self, ev) -> None:  # noqa: ANN001, N802 - pyqtgraph override
        smart = self.controller.tools.tool == SMART_CLICK
        right = ev.button() == Qt.MouseButton.RightButton
        if ev.button() != Qt.MouseButton.LeftButton and not (smart and right):
            ev.ignore()
            return
        ev.accept()
        point = self.image_point(ev.scenePos())
        shift = _shift(ev)
        if ev.double() and not smart:
            self.controller.double_click(point)
        elif not ev.double():
            # Smart Click: Shift+click or right click is a negative (removing) click.
            self.controller.click(point, self.snap_px(), positive=not (right or shift))


def _shift(ev) -> bool:  # noqa: ANN001 - a pyqtgraph mouse event
    return bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
