"""Pointer input for the measuring tools (Caliper, Ellipse, Trace, Angle): grabbing what is
already drawn, and drawing the new shapes. Qt-free; ToolController hands it the events.

With any measuring tool chosen, a press on a measurement edits it (one undo step a drag):
- on a handle (a caliper's end, an ellipse's axis end, a trace's vertex, an angle's point):
  that handle follows the mouse, the value is re-measured live;
- on the middle third of a caliper's line, or on a shape's outline away from the handles:
  the whole thing moves (nearer a caliper's end, a Caliper drag draws a new one from there).
Elsewhere the tool draws:
- Ellipse: drag the first axis (end to end); then drag a side handle to set the width.
- Trace: drag freehand around the structure (closed on release), or click vertices and
  close with a double-click, a click on the first vertex, or Enter.
- Angle: click the first point, the vertex, then the second point (or drag the first arm
  and click the second point).
A click on a measurement selects it (Del deletes it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop.models.editing.caliper import segment_fraction
from desktop.models.editing.reader_shape import default_ellipse, with_handle
from desktop.models.editing.tool_state import (
    ANGLE,
    ELLIPSE,
    LASSO,
    OPEN,
    OUTLINE,
    POLYGON,
    TRACE,
    Draft,
    ToolState,
)
from engine.reader_shapes import Angle, Shape, Trace, measure_shape, simplify_trace

if TYPE_CHECKING:
    from desktop.models.image.state import CaseState

Point = tuple[float, float]
MIN_STEP_PX = 0.75  # freehand trace: drop mouse moves closer than this to the last point
MIN_SIZE_PX = 2.0  # a smaller ellipse axis or trace is a slip of the hand, not a shape
MIDDLE = (1 / 3, 2 / 3)  # the part of a caliper's line that moves it whole


def distance(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


@dataclass(frozen=True)
class Grab:
    """What a press took hold of: kind "caliper_end", "caliper_line", "shape_handle" or
    "shape_body"; index of the caliper or shape; handle (end or handle number); the press
    point and the geometry when pressed (moves are computed from these, never accumulated)."""

    kind: str
    index: int
    handle: int
    pressed: Point
    start: Point = (0.0, 0.0)
    end: Point = (0.0, 0.0)
    shape: Shape | None = None


class MeasureTool:
    def __init__(self, state: CaseState, tools: ToolState) -> None:
        self.state = state
        self.tools = tools
        self.grab: Grab | None = None
        self._axis_start: Point | None = None

    @property
    def clicking(self) -> bool:
        """A trace or angle placed click by click is in progress: drags are ignored."""
        draft = self.tools.draft
        return draft is not None and (
            (self.tools.tool == TRACE and draft.kind == POLYGON)
            or (self.tools.tool == ANGLE and draft.kind == OPEN)
        )

    # -- grabbing existing measurements ------------------------------------------------------

    def try_grab(self, point: Point, snap_px: float) -> bool:
        """Take hold of the measurement under the press; True if there was one."""
        s = self.state
        self.grab = None
        end = s.caliper_end_near(point, snap_px)
        handle = s.shape_handle_near(point, snap_px)
        if end is not None:
            c = s.calipers[end[0]]
            self.grab = Grab("caliper_end", end[0], end[1], point, c.start, c.end)
        elif handle is not None:
            self.grab = Grab("shape_handle", *handle, point, shape=s.shapes[handle[0]].shape)
        elif (line := self._caliper_middle(point, snap_px)) is not None:
            c = s.calipers[line]
            self.grab = Grab("caliper_line", line, 0, point, c.start, c.end)
        elif (body := s.shape_near(point, snap_px)) is not None:
            self.grab = Grab("shape_body", body, 0, point, shape=s.shapes[body].shape)
        if self.grab is None:
            return False
        what = "caliper" if self.grab.kind.startswith("caliper") else s.shapes[self.grab.index].kind
        s.record_measurement(f"Move {what}")
        if self.grab.kind.startswith("caliper"):
            s.select_caliper(self.grab.index)
        else:
            s.select_shape(self.grab.index)
        return True

    def _caliper_middle(self, point: Point, snap_px: float) -> int | None:
        """The caliper whose middle third passes under the press: grabbing it there moves it
        whole; nearer an end a drag draws a new caliper from there (as from another line)."""
        line = self.state.caliper_near(point, snap_px)
        if line is None:
            return None
        c = self.state.calipers[line]
        return line if MIDDLE[0] <= segment_fraction(point, c.start, c.end) <= MIDDLE[1] else None

    def move_grabbed(self, point: Point) -> None:
        g, s = self.grab, self.state
        if g is None:
            return
        d_row, d_col = point[0] - g.pressed[0], point[1] - g.pressed[1]
        if g.kind == "caliper_end":
            s.move_caliper_end(g.index, g.handle, point)
        elif g.kind == "caliper_line":
            moved = [(p[0] + d_row, p[1] + d_col) for p in (g.start, g.end)]
            s.set_caliper_points(g.index, moved[0], moved[1])
        elif g.kind == "shape_handle":
            assert g.shape is not None
            s.set_shape(g.index, with_handle(g.shape, g.handle, point))
        else:
            assert g.shape is not None
            s.set_shape(g.index, g.shape.translated(d_row, d_col))

    def release_grabbed(self, point: Point) -> None:
        self.move_grabbed(point)
        self.grab = None

    def select_at(self, point: Point, snap_px: float) -> bool:
        """A click: select the measurement under it (caliper first, as drawn on top)."""
        s = self.state
        caliper = s.caliper_near(point, snap_px)
        if caliper is None and s.caliper_end_near(point, snap_px) is not None:
            caliper = s.caliper_end_near(point, snap_px)[0]  # type: ignore[index]
        if caliper is not None:
            s.select_caliper(caliper)
            return True
        shape = s.shape_near(point, snap_px)
        if shape is None and (handle := s.shape_handle_near(point, snap_px)) is not None:
            shape = handle[0]
        if shape is None:  # a click on nothing: nothing selected
            s.select_caliper(None)
        s.select_shape(shape)
        return shape is not None

    # -- drawing new shapes ------------------------------------------------------------------

    def press_new(self, point: Point) -> bool:
        """A drag starts a new shape; False when the tool draws nothing by dragging now."""
        tool = self.tools.tool
        if self.clicking:
            return False
        if tool == ELLIPSE:
            self._axis_start = point
            self.tools.set_draft(Draft(OUTLINE, (point,)))
        elif tool == TRACE:
            self.tools.set_draft(Draft(LASSO, (point,)))
        elif tool == ANGLE:
            self.tools.set_draft(Draft(OPEN, (point, point), ""))
            return True
        else:
            return False
        return True

    def move_new(self, point: Point) -> None:
        draft, tool = self.tools.draft, self.tools.tool
        if draft is None:
            return
        if tool == ELLIPSE and self._axis_start is not None:
            if distance(self._axis_start, point) < 0.5:
                return
            ellipse = default_ellipse(self._axis_start, point)
            outline = tuple((float(r), float(c)) for r, c in ellipse.outline())
            self.tools.set_draft(Draft(OUTLINE, outline, self._text(ellipse)))
        elif tool == TRACE and draft.kind == LASSO:
            if distance(draft.points[-1], point) >= MIN_STEP_PX:
                self.tools.set_draft(Draft(LASSO, (*draft.points, point)))
        elif tool == ANGLE and draft.kind == OPEN and len(draft.points) == 2:
            self.tools.set_draft(Draft(OPEN, (draft.points[0], point)))

    def release_new(self, point: Point) -> None:
        self.move_new(point)
        draft, tool = self.tools.draft, self.tools.tool
        if draft is None:
            return
        if tool == ELLIPSE:
            start, self._axis_start = self._axis_start, None
            self.tools.set_draft(None)
            if start is not None and distance(start, point) >= MIN_SIZE_PX:
                self.state.add_shape(default_ellipse(start, point))
        elif tool == TRACE and draft.kind == LASSO:
            self.tools.set_draft(None)
            self._add_trace(draft.points)
        elif tool == ANGLE:
            first, vertex = draft.points
            if distance(first, vertex) < MIN_SIZE_PX:
                self.tools.set_draft(None)
            else:  # the first arm is drawn: a click places the second point
                self.tools.set_draft(Draft(OPEN, (first, vertex), "click the second point"))

    def click(self, point: Point, snap_px: float) -> None:
        tool, draft = self.tools.tool, self.tools.draft
        if tool == ANGLE and draft is not None and draft.kind == OPEN:
            if len(draft.points) == 1:
                self.tools.set_draft(
                    Draft(OPEN, (draft.points[0], point), "click the second point")
                )
            else:
                self.tools.set_draft(None)
                self.state.add_shape(Angle(draft.points[0], draft.points[1], point))
        elif tool == TRACE and draft is not None and draft.kind == POLYGON:
            if len(draft.points) >= 3 and distance(draft.points[0], point) <= snap_px:
                self.finish_trace()
            else:
                self.tools.set_draft(Draft(POLYGON, (*draft.points, point)))
        elif self.select_at(point, snap_px):
            return
        elif tool == ANGLE:
            self.tools.set_draft(Draft(OPEN, (point,), "click the vertex"))
        elif tool == TRACE:
            self.tools.set_draft(Draft(POLYGON, (point,)))

    def finish_trace(self) -> bool:
        """Double-click, Enter or a click on the first vertex: close the click-by-click trace."""
        draft = self.tools.draft
        if self.tools.tool != TRACE or draft is None or draft.kind != POLYGON:
            return False
        self.tools.set_draft(None)
        return self._add_trace(draft.points)

    def cancel(self) -> None:
        self.grab = None
        self._axis_start = None

    def _add_trace(self, points: tuple[Point, ...]) -> bool:
        if len(points) < 3:
            return False
        rows = [p[0] for p in points]
        cols = [p[1] for p in points]
        if max(rows) - min(rows) < MIN_SIZE_PX and max(cols) - min(cols) < MIN_SIZE_PX:
            return False
        return self.state.add_shape(Trace(simplify_trace(points))) is not None

    def _text(self, shape: Shape) -> str:
        image = self.state.image
        return measure_shape(image, shape).text if image is not None else ""
