"""Which tool the pointer drives, the brush size, and the shape being drawn right now.

Qt-free, and kept apart from CaseState: the tool and brush size are the reader's choice and
stay when the case changes; the draft (a lasso, a polygon, a caliper line in progress) is
what the canvas draws before the edit or measurement is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.models.events import Events

NAVIGATE = "navigate"
BRUSH = "brush"
ERASER = "eraser"
POLYGON_ADD = "polygon_add"
POLYGON_SUBTRACT = "polygon_subtract"
DELETE_LESION = "delete_lesion"
CALIPER = "caliper"
CALIBRATE = "calibrate"
SMART_CLICK = "smart_click"
ELLIPSE = "ellipse"
TRACE = "trace"
ANGLE = "angle"

TOOL_NAMES = {
    NAVIGATE: "Pan / zoom",
    BRUSH: "Brush",
    ERASER: "Eraser",
    POLYGON_ADD: "Polygon add",
    POLYGON_SUBTRACT: "Polygon subtract",
    DELETE_LESION: "Delete lesion",
    SMART_CLICK: "Smart Click",
    CALIPER: "Caliper",
    ELLIPSE: "Ellipse",
    TRACE: "Trace",
    ANGLE: "Angle",
    CALIBRATE: "Calibrate",
}
EDIT_TOOLS = frozenset({BRUSH, ERASER, POLYGON_ADD, POLYGON_SUBTRACT, DELETE_LESION, SMART_CLICK})
POLYGON_TOOLS = frozenset({POLYGON_ADD, POLYGON_SUBTRACT})
SHAPE_TOOLS = frozenset({ELLIPSE, TRACE, ANGLE})
# The reader's measurements: their handles drag, Del deletes the selected one, Ctrl+Z undoes.
MEASURE_TOOLS = frozenset({CALIPER, *SHAPE_TOOLS})
# Brush radii in image pixels; [ and ] step through them.
BRUSH_RADII = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0, 64.0)
DEFAULT_BRUSH_RADIUS = 6.0

LASSO, POLYGON, LINE = "lasso", "polygon", "line"
OUTLINE, OPEN = "outline", "open"  # a closed outline (ellipse), an open polyline (angle)
BOX = "box"  # a rubber-band rectangle (Smart Click): points are the two opposite corners


@dataclass(frozen=True)
class Draft:
    """A shape being drawn: a freehand lasso, a click-by-click polygon, a line, an ellipse's
    outline, an angle's arms or a Smart Click box."""

    kind: str
    points: tuple[tuple[float, float], ...]  # (row, col)
    text: str = ""  # e.g. the live caliper length


class ToolState:
    EVENTS = ("tool_changed", "draft_changed")

    def __init__(self) -> None:
        self.tool = NAVIGATE
        self.brush_radius = DEFAULT_BRUSH_RADIUS
        self.draft: Draft | None = None
        self.events = Events(self.EVENTS)
        self.subscribe = self.events.subscribe

    def set_tool(self, tool: str) -> None:
        if tool not in TOOL_NAMES:
            raise ValueError(f"unknown tool {tool!r}; known: {', '.join(TOOL_NAMES)}")
        if tool != self.tool:
            self.tool = tool
            self.set_draft(None)
            self.events.emit("tool_changed")

    def set_brush_radius(self, radius: float) -> None:
        radius = min(BRUSH_RADII[-1], max(BRUSH_RADII[0], float(radius)))
        if radius != self.brush_radius:
            self.brush_radius = radius
            self.events.emit("tool_changed")

    def grow_brush(self) -> None:
        bigger = [r for r in BRUSH_RADII if r > self.brush_radius]
        self.set_brush_radius(bigger[0] if bigger else BRUSH_RADII[-1])

    def shrink_brush(self) -> None:
        smaller = [r for r in BRUSH_RADII if r < self.brush_radius]
        self.set_brush_radius(smaller[-1] if smaller else BRUSH_RADII[0])

    def set_draft(self, draft: Draft | None) -> None:
        if draft != self.draft:
            self.draft = draft
            self.events.emit("draft_changed", draft)

    @property
    def label(self) -> str:
        name = TOOL_NAMES[self.tool]
        if self.tool in (BRUSH, ERASER):
            return f"{name} {2 * self.brush_radius:g} px"
        return name
