"""Pointer input on the image -> edits, calipers and drafts, according to the current tool.

Qt-free: the canvas converts mouse events to image points (row, col) and calls press/move/
release for drags, click for a press without movement; tests can drive it directly.

- Brush / eraser: a drag is one stroke (one undo step); a click paints one disc.
- Polygon add / subtract: a drag draws a lasso, applied on release; clicks place vertices,
  closed by a double-click, a click on the first vertex, or Enter (finish_polygon).
- Delete lesion: a click removes the connected lesion under it.
- Caliper: a drag measures (mm where calibrated, else px with the reason); a drag that
  starts on an end point of an existing caliper moves that end instead, one that starts on
  its line moves the whole caliper; a click on a caliper selects it (Del deletes it,
  CaseState.delete_selected_caliper).
- Ellipse, Trace, Angle: see desktop.models.editing.measure_tool (it also does the grabbing
  of existing measurements for every measuring tool).
- Smart Click: a click outlines the lesion under it (desktop.models.editing.smart_click, the
  interactive model); positive=False (Shift+click, right click) removes instead. A drag
  draws a box round the lesion (shown as a rubber band while dragging), sent on release
  with the clicks so far; a new box replaces the old one. One undo step a click or box.
- Calibrate: a drag draws the known distance; `calibration_requested(length_px)` asks for
  its length in mm, finish_calibration(mm) applies it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from desktop.models.editing.caliper import measure_caliper
from desktop.models.editing.measure_tool import MeasureTool
from desktop.models.editing.tool_state import (
    BOX,
    BRUSH,
    CALIBRATE,
    CALIPER,
    DELETE_LESION,
    ERASER,
    LASSO,
    LINE,
    MEASURE_TOOLS,
    POLYGON,
    POLYGON_SUBTRACT,
    POLYGON_TOOLS,
    SHAPE_TOOLS,
    SMART_CLICK,
    TRACE,
    Draft,
    ToolState,
)
from desktop.models.events import Events
from desktop.models.image.state import CaseState
from engine.interactive.clicks import Box

if TYPE_CHECKING:
    from desktop.models.editing.smart_click import SmartClick

Point = tuple[float, float]
MIN_LASSO_STEP_PX = 0.75  # drop mouse moves closer than this to the previous lasso point
MIN_BOX_PX = 2.0  # a Smart Click box thinner than this (image px) is refused with a message


def distance(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


class ToolController:
    EVENTS = ("calibration_requested",)

    def __init__(self, state: CaseState, tools: ToolState) -> None:
        self.state = state
        self.tools = tools
        self.events = Events(self.EVENTS)
        self.subscribe = self.events.subscribe
        self.calibration_line: tuple[Point, Point] | None = None
        self._dragging = False
        self.measure = MeasureTool(state, tools)
        self._smart: SmartClick | None = None  # made (and its model loaded) on first use

    @property
    def smart_click(self) -> SmartClick:
        if self._smart is None:
            from desktop.models.editing.smart_click import SmartClick

            self._smart = SmartClick()
        return self._smart

    @property
    def can_edit(self) -> bool:
        return self.state.editor is not None and not self.state.busy

    @property
    def wants_drag(self) -> bool:
        """Whether a left-drag belongs to the tool; otherwise it pans the image."""
        tool = self.tools.tool
        if tool in (BRUSH, ERASER, SMART_CLICK) or tool in POLYGON_TOOLS:
            return self.can_edit
        return (tool in MEASURE_TOOLS or tool == CALIBRATE) and self.state.image is not None

    # -- drags --------------------------------------------------------------------------------

    def press(self, point: Point, snap_px: float = 3.0) -> None:
        """snap_px: how close (image px) a press must be to a measurement's handle or line to
        take hold of it."""
        tool, draft = self.tools.tool, self.tools.draft
        self._dragging = True
        measuring = tool in MEASURE_TOOLS and self.state.image is not None
        if measuring and not self.measure.clicking and self.measure.try_grab(point, snap_px):
            pass
        elif tool in SHAPE_TOOLS and self.state.image is not None:
            self._dragging = self.measure.press_new(point)
        elif tool in (BRUSH, ERASER) and self.can_edit:
            self.state.editor.begin_stroke(point, self.tools.brush_radius, erase=tool == ERASER)
        elif tool in POLYGON_TOOLS and self.can_edit:
            if draft is not None and draft.kind == POLYGON:
                self._dragging = False  # a click-by-click polygon ignores small drags
            else:
                self.tools.set_draft(Draft(LASSO, (point,)))
        elif tool == SMART_CLICK and self.can_edit:
            self.tools.set_draft(Draft(BOX, (point, point)))
        elif tool in (CALIPER, CALIBRATE) and self.state.image is not None:
            self.calibration_line = None
            self.tools.set_draft(Draft(LINE, (point, point)))
        else:
            self._dragging = False

    def move(self, point: Point) -> None:
        if not self._dragging:
            return
        tool, draft, editor = self.tools.tool, self.tools.draft, self.state.editor
        if self.measure.grab is not None:
            self.measure.move_grabbed(point)
        elif tool in SHAPE_TOOLS:
            self.measure.move_new(point)
        elif tool in (BRUSH, ERASER) and editor is not None and editor.stroking:
            editor.stroke_to(point)
        elif draft is not None and draft.kind == LASSO:
            if distance(draft.points[-1], point) >= MIN_LASSO_STEP_PX:
                self.tools.set_draft(Draft(LASSO, (*draft.points, point)))
        elif draft is not None and draft.kind == LINE:
            start = draft.points[0]
            self.tools.set_draft(Draft(LINE, (start, point), self._line_text(start, point)))
        elif draft is not None and draft.kind == BOX:
            self.tools.set_draft(Draft(BOX, (draft.points[0], point)))

    def release(self, point: Point) -> None:
        if not self._dragging:
            return
        if self.measure.grab is not None or self.tools.tool in SHAPE_TOOLS:
            self._dragging = False
            if self.measure.grab is not None:
                self.measure.release_grabbed(point)
            else:
                self.measure.release_new(point)
            return
        self.move(point)
        self._dragging = False
        tool, draft, editor = self.tools.tool, self.tools.draft, self.state.editor
        if tool in (BRUSH, ERASER) and editor is not None:
            editor.end_stroke()
        elif draft is not None and draft.kind == LASSO:
            self.tools.set_draft(None)
            self._apply_polygon(draft.points)
        elif draft is not None and draft.kind == BOX:
            self.tools.set_draft(None)
            self._smart_box(*draft.points)
        elif draft is not None and draft.kind == LINE:
            start, end = draft.points
            if distance(start, end) < 1.0:
                self.tools.set_draft(None)
            elif tool == CALIPER:
                self.tools.set_draft(None)
                self.state.add_caliper(start, end)
            elif tool == CALIBRATE:
                self.calibration_line = (start, end)
                self.events.emit("calibration_requested", distance(start, end))

    # -- clicks -------------------------------------------------------------------------------

    def click(self, point: Point, snap_px: float = 3.0, positive: bool = True) -> None:
        """A press and release without movement; snap_px: how close (image px) a click must
        be to the first vertex to close a polygon; positive=False: a Smart Click that
        removes (Shift+click, right click)."""
        tool, draft, editor = self.tools.tool, self.tools.draft, self.state.editor
        if tool == SMART_CLICK and self.can_edit:
            self._smart_click(point, positive)
        elif tool in (BRUSH, ERASER) and self.can_edit:
            editor.begin_stroke(point, self.tools.brush_radius, erase=tool == ERASER)
            editor.end_stroke()
        elif tool in POLYGON_TOOLS and self.can_edit:
            if draft is None or draft.kind != POLYGON:
                self.tools.set_draft(Draft(POLYGON, (point,)))
            elif len(draft.points) >= 3 and distance(draft.points[0], point) <= snap_px:
                self.finish_polygon()
            else:
                self.tools.set_draft(Draft(POLYGON, (*draft.points, point)))
        elif tool == CALIPER:
            self.measure.select_at(point, snap_px)
        elif tool in SHAPE_TOOLS and self.state.image is not None:
            self.measure.click(point, snap_px)
        elif tool == DELETE_LESION and self.can_edit and not editor.delete_lesion(point):
            self.state.notify("No lesion under the cursor: click inside the one to delete")

    def double_click(self, point: Point) -> None:
        draft = self.tools.draft
        if draft is not None and draft.kind == POLYGON:
            self.finish_polygon()

    def finish_polygon(self) -> bool:
        """Enter: close the click-by-click polygon and apply it (a trace: add it)."""
        draft = self.tools.draft
        if self.tools.tool == TRACE:
            return self.measure.finish_trace()
        if draft is None or draft.kind != POLYGON:
            return False
        self.tools.set_draft(None)
        return self._apply_polygon(draft.points)

    def cancel(self) -> None:
        """Esc: drop whatever is being drawn (a stroke in progress is undone)."""
        if self.state.editor is not None:
            self.state.editor.cancel_stroke()
        self._dragging = False
        self.measure.cancel()
        self.calibration_line = None
        self.tools.set_draft(None)

    # -- calibration --------------------------------------------------------------------------

    def finish_calibration(self, known_mm: float) -> bool:
        line, self.calibration_line = self.calibration_line, None
        self.tools.set_draft(None)
        if line is None:
            return False
        return self.state.calibrate(line[0], line[1], known_mm)

    # -- internals ----------------------------------------------------------------------------

    def _smart_click(self, point: Point, positive: bool) -> None:
        self._prompt_smart(
            lambda editor, pixels: self.smart_click.click(editor, pixels, point, positive)
        )

    def _smart_box(self, start: Point, end: Point) -> None:
        box = Box(
            min(start[0], end[0]),
            min(start[1], end[1]),
            max(start[0], end[0]),
            max(start[1], end[1]),
        )
        if box.r1 - box.r0 < MIN_BOX_PX or box.c1 - box.c0 < MIN_BOX_PX:
            self.state.notify("Smart Click: the box is too thin; drag round the whole lesion")
            return
        self._prompt_smart(lambda editor, pixels: self.smart_click.drag_box(editor, pixels, box))

    def _prompt_smart(self, prompt) -> None:  # noqa: ANN001 - (MaskEditor, pixels) -> bool
        image, editor = self.state.image, self.state.editor
        if image is None or editor is None:
            return
        if editor.shape != (image.height, image.width):
            self.state.notify("Smart Click works on the analysed frame only")
            return
        try:
            prompt(editor, image.pixels)
        except Exception as exc:  # noqa: BLE001 - a missing bundle is a message, not a crash
            self.state.report_error(exc)

    def _apply_polygon(self, points: tuple[Point, ...]) -> bool:
        editor = self.state.editor
        if editor is None or len(points) < 3:
            return False
        return editor.fill_polygon(points, erase=self.tools.tool == POLYGON_SUBTRACT)

    def _line_text(self, start: Point, end: Point) -> str:
        if self.tools.tool == CALIPER and self.state.image is not None:
            return measure_caliper(self.state.image, start, end).text
        return f"{distance(start, end):.0f} px"
