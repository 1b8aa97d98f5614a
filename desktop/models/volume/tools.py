"""Pointer input on one plane of the volume -> label strokes or crosshair moves. Qt-free.

The same interface as desktop.models.editing.tool_controller.ToolController, so the plane views
reuse the 2D canvas's ToolViewBox: with the brush or eraser a drag is one stroke on the slice
under the crosshair (one undo step) and a click paints one disc; with any other tool a click
moves the crosshair there, and the other two views follow.
"""

from __future__ import annotations

from desktop.models.editing.tool_state import BRUSH, ERASER, ToolState
from desktop.models.volume.session import VolumeSession

Point = tuple[float, float]


class PlaneToolController:
    def __init__(self, session: VolumeSession, tools: ToolState, plane: str) -> None:
        self.session = session
        self.tools = tools
        self.plane = plane
        self._dragging = False

    @property
    def painting(self) -> bool:
        return self.tools.tool in (BRUSH, ERASER)

    @property
    def can_edit(self) -> bool:
        return self.session.labels is not None and not self.session.busy

    @property
    def wants_drag(self) -> bool:
        return self.painting and self.can_edit

    def press(self, point: Point, snap_px: float = 3.0) -> None:  # noqa: ARG002 - no calipers
        self._dragging = self.wants_drag
        if self._dragging:
            erase = self.tools.tool == ERASER
            self.session.begin_stroke(self.plane, point, self.tools.brush_radius, erase)

    def move(self, point: Point) -> None:
        labels = self.session.labels
        if self._dragging and labels is not None and labels.stroking:
            labels.stroke_to(point)

    def release(self, point: Point) -> None:
        if not self._dragging:
            return
        self.move(point)
        self._dragging = False
        if self.session.labels is not None:
            self.session.labels.end_stroke()

    def click(self, point: Point, snap_px: float = 3.0, positive: bool = True) -> None:
        """positive: the 2D Smart Click's sign (ToolViewBox passes it); planes have no Smart
        Click, so it is ignored here."""
        if self.wants_drag:
            self.press(point)
            self.release(point)
        else:
            self.session.point_at(self.plane, point)

    def double_click(self, point: Point) -> None:
        """Nothing extra: the first click of the pair already acted."""

    def cancel(self) -> None:
        if self.session.labels is not None:
            self.session.labels.cancel_stroke()
        self._dragging = False
