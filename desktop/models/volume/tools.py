"""Pointer input on one plane of the volume -> label strokes, Smart Click or crosshair moves.
Qt-free.

The same interface as desktop.models.editing.tool_controller.ToolController, so the plane views
reuse the 2D canvas's ToolViewBox: with the brush or eraser a drag is one stroke on the slice
under the crosshair (one undo step) and a click paints one disc; with Smart Click a click
outlines the structure under it in the active label (Shift+click or right click removes) and
a drag draws a box round it (desktop.models.volume.smart_click), one undo step each; with any
other tool a click moves the crosshair there, and the other two views follow.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop.models.editing.tool_state import BRUSH, ERASER, SMART_CLICK, ToolState
from desktop.models.volume.session import VolumeSession
from desktop.models.volume.smart_click import PlaneSmartClick
from engine.interactive import Box

Point = tuple[float, float]
MIN_BOX_PX = 2.0  # a box thinner than this (display px) is refused with a message


class PlaneToolController:
    def __init__(self, session: VolumeSession, tools: ToolState, plane: str) -> None:
        self.session = session
        self.tools = tools
        self.plane = plane
        self._dragging = False
        self.smart_click = PlaneSmartClick()
        # The Smart Click box being dragged on this plane (its two corners), and who draws it:
        # the tools' draft is shared by the 2D canvas and all three planes, this is not.
        self.box: tuple[Point, Point] | None = None
        self.box_changed: Callable[[tuple[Point, Point] | None], None] = lambda _box: None
        session.subscribe("volume_changed", self.smart_click.reset)

    @property
    def painting(self) -> bool:
        return self.tools.tool in (BRUSH, ERASER)

    @property
    def smart(self) -> bool:
        return self.tools.tool == SMART_CLICK

    @property
    def can_edit(self) -> bool:
        return self.session.labels is not None and not self.session.busy

    @property
    def wants_drag(self) -> bool:
        return (self.painting or self.smart) and self.can_edit

    def press(self, point: Point, snap_px: float = 3.0) -> None:  # noqa: ARG002 - no calipers
        self._dragging = self.wants_drag
        if self._dragging and self.smart:
            self._set_box((point, point))
        elif self._dragging:
            erase = self.tools.tool == ERASER
            self.session.begin_stroke(self.plane, point, self.tools.brush_radius, erase)

    def move(self, point: Point) -> None:
        labels = self.session.labels
        if self._dragging and self.box is not None:
            self._set_box((self.box[0], point))
        elif self._dragging and labels is not None and labels.stroking:
            labels.stroke_to(point)

    def release(self, point: Point) -> None:
        if not self._dragging:
            return
        self.move(point)
        self._dragging = False
        if self.box is not None:
            start, end = self.box
            self._set_box(None)
            self._smart_box(start, end)
        elif self.session.labels is not None:
            self.session.labels.end_stroke()

    def click(self, point: Point, snap_px: float = 3.0, positive: bool = True) -> None:
        """positive: the Smart Click's sign (False: Shift+click or right click removes)."""
        if self.smart and self.can_edit:
            self._smart_prompt(
                lambda *slice_args: self.smart_click.click(*slice_args, point, positive)
            )
        elif self.painting and self.can_edit:
            self.press(point)
            self.release(point)
        else:
            self.session.point_at(self.plane, point)

    def double_click(self, point: Point) -> None:
        """Nothing extra: the first click of the pair already acted."""

    def cancel(self) -> None:
        if self.session.labels is not None:
            self.session.labels.cancel_stroke()
        self._set_box(None)
        self._dragging = False

    # -- Smart Click --------------------------------------------------------------------------

    def _set_box(self, box: tuple[Point, Point] | None) -> None:
        self.box = box
        self.box_changed(box)

    def _smart_box(self, start: Point, end: Point) -> None:
        r0, r1 = sorted((start[0], end[0]))
        c0, c1 = sorted((start[1], end[1]))
        if r1 - r0 < MIN_BOX_PX or c1 - c0 < MIN_BOX_PX:
            self.session.notify("Smart Click: the box is too thin; drag round the whole structure")
            return
        box = Box(r0, c0, r1, c1)
        self._smart_prompt(lambda *slice_args: self.smart_click.drag_box(*slice_args, box))

    def _smart_prompt(self, prompt: Callable[..., bool]) -> None:
        """Run a click or box on the slice this plane shows, into the active label."""
        session = self.session
        volume, labels = session.volume, session.labels
        if volume is None or labels is None or session.busy:
            return
        session.set_active_plane(self.plane)
        layout = session.layouts[self.plane]
        index = session.slice_index(self.plane)
        try:
            prompt(volume, labels, layout, index, session.active_label)
        except Exception as exc:  # noqa: BLE001 - a missing bundle is a message, not a crash
            session.report_error(str(exc))
