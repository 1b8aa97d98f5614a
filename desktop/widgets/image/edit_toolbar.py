"""The correction toolbar: tools, brush size, undo/redo and the whole-mask operations.

Each action is enabled through one check on the state (Slicer's "can apply?"), and its
shortcut works everywhere in the window (B brush, E eraser, P polygon, [ ] brush size,
Ctrl+Z / Ctrl+Shift+Z, Esc; M caliper, O ellipse, T trace, G angle). The window puts the
same actions in its menus. Undo and redo take back whichever came last, a measurement
(desktop.models.editing.measurement_history) or a mask edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QToolBar, QWidget

from desktop.models.editing.tool_controller import ToolController
from desktop.models.editing.tool_state import (
    ANGLE,
    BRUSH,
    BRUSH_RADII,
    CALIBRATE,
    CALIPER,
    DELETE_LESION,
    EDIT_TOOLS,
    ELLIPSE,
    ERASER,
    NAVIGATE,
    POLYGON_ADD,
    POLYGON_SUBTRACT,
    SMART_CLICK,
    TOOL_NAMES,
    TRACE,
    ToolState,
)
from desktop.models.image.state import CaseState

TOOL_SHORTCUTS = {
    NAVIGATE: "N",
    BRUSH: "B",
    ERASER: "E",
    POLYGON_ADD: "P",
    POLYGON_SUBTRACT: "Shift+P",
    DELETE_LESION: "D",
    CALIPER: "M",
    ELLIPSE: "O",
    TRACE: "T",
    ANGLE: "G",
    CALIBRATE: "K",
    SMART_CLICK: "A",
}
TOOL_TIPS = {
    NAVIGATE: "Left-drag pans; wheel zooms; right-drag sets window/level",
    BRUSH: "Paint lesion; [ and ] change the size",
    ERASER: "Erase lesion; [ and ] change the size",
    POLYGON_ADD: "Drag a lasso, or click vertices and double-click / Enter to close",
    POLYGON_SUBTRACT: "Cut a lasso or polygon out of the mask",
    DELETE_LESION: "Click a lesion to remove it (a false positive)",
    CALIPER: "Drag to measure: mm where calibrated, refused across ultrasound regions; drag an "
    "end point to move it or the middle of its line to move it all, click one to select it, Del "
    "deletes it",
    ELLIPSE: "Drag the first axis, then drag a side handle to the edge: area and perimeter "
    "(mm² / mm where calibrated); drag a handle or the outline to edit, Del deletes",
    TRACE: "Drag around the structure, or click vertices and double-click / Enter to close: "
    "area and perimeter; drag a vertex or the outline to edit, Del deletes",
    ANGLE: "Click the first point, the vertex, then the second point: the angle in degrees; "
    "drag a point or an arm to edit, Del deletes",
    CALIBRATE: "Draw a line of known length on an uncalibrated image, then type its mm",
    SMART_CLICK: "Click a lesion to outline it: left click adds, Shift+click or right click "
    "removes, a drag draws a box round it; each click or box is one undo step",
}


# Shorter button labels where the full name would push the measuring tools off a 1280-px
# wide window (they went behind the toolbar's » menu); menus and tooltips keep the name.
BUTTON_TEXT = {
    POLYGON_ADD: "Polygon +",
    POLYGON_SUBTRACT: "Polygon −",
    DELETE_LESION: "Delete",
    SMART_CLICK: "Smart",
}


class EditToolBar(QToolBar):
    def __init__(
        self,
        state: CaseState,
        tools: ToolState,
        controller: ToolController,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Tools", parent)
        self.setObjectName("editToolBar")
        self.state, self.tools, self.controller = state, tools, controller
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.unavailable: str | None = None  # why the image tools are off (the study page)
        self.tool_actions: dict[str, QAction] = {}
        for tool, name in TOOL_NAMES.items():
            action = self._action(
                name, lambda _checked=False, t=tool: tools.set_tool(t), TOOL_SHORTCUTS[tool]
            )
            action.setCheckable(True)
            action.setIconText(BUTTON_TEXT.get(tool, name))  # the menus keep the full name
            action.setToolTip(f"{name} ({TOOL_SHORTCUTS[tool]}): {TOOL_TIPS[tool]}")
            self.group.addAction(action)
            self.tool_actions[tool] = action
        self.size_spin = QDoubleSpinBox()
        self.size_spin.setRange(2 * BRUSH_RADII[0], 2 * BRUSH_RADII[-1])
        self.size_spin.setDecimals(0)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush diameter in image pixels ([ smaller, ] larger)")
        self.grow_action = self._action("Larger Brush", tools.grow_brush, "]")
        self.shrink_action = self._action("Smaller Brush", tools.shrink_brush, "[")
        self.undo_action = self._action("Undo", self._undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action("Redo", self._redo, "Ctrl+Shift+Z")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.fill_holes_action = self._action("Fill Holes", self._edit("fill_holes"), "H")
        self.smooth_action = self._action("Smooth", self._edit("smooth"), "S")
        self.reset_action = self._action("Reset to AI Mask", self._edit("reset_to_ai"), "Ctrl+R")
        self.reset_action.setIconText("Reset to AI")
        self.cancel_action = self._action("Cancel Drawing", self.cancel, "Esc")
        self.finish_polygon_action = self._action(
            "Close Polygon", controller.finish_polygon, "Return"
        )
        self.clear_calipers_action = self._action("Clear Measurements", state.clear_calipers)
        self.delete_caliper_action = self._action(
            "Delete Selected Measurement or Lesion",
            self.delete_selected,
            QKeySequence.StandardKey.Delete,
        )
        self.delete_caliper_action.setToolTip(
            "Del: delete the selected caliper, ellipse, trace or angle (click one with a "
            "measuring tool) or the selected lesion (click its row in the findings table; "
            "Ctrl+Z brings it back)"
        )

        edit_tools = (NAVIGATE, BRUSH, ERASER, POLYGON_ADD, POLYGON_SUBTRACT, DELETE_LESION)
        for tool in (*edit_tools, SMART_CLICK):
            self.addAction(self.tool_actions[tool])
        self.addWidget(QLabel("  Size "))
        self.addWidget(self.size_spin)
        self.addSeparator()
        for action in (self.undo_action, self.redo_action):
            self.addAction(action)
        self.addSeparator()
        for action in (self.fill_holes_action, self.smooth_action, self.reset_action):
            self.addAction(action)
        self.addSeparator()
        for tool in (CALIPER, ELLIPSE, TRACE, ANGLE, CALIBRATE):
            self.addAction(self.tool_actions[tool])
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        self.size_spin.valueChanged.connect(lambda d: tools.set_brush_radius(d / 2.0))
        tools.subscribe("tool_changed", self.refresh)
        events = ("review_changed", "analysis_changed", "busy_changed", "image_changed")
        for event in (*events, "calipers_changed"):
            state.subscribe(event, lambda *_: self.refresh())
        self.refresh()

    def _action(
        self, text: str, slot: Callable[..., Any], shortcut: QKeySequence.StandardKey | str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    @property
    def actions_for_window(self) -> list[QAction]:
        """Every action with a shortcut: the window adds them so the keys work anywhere."""
        return [
            *self.tool_actions.values(),
            self.grow_action,
            self.shrink_action,
            self.undo_action,
            self.redo_action,
            self.fill_holes_action,
            self.smooth_action,
            self.reset_action,
            self.cancel_action,
            self.finish_polygon_action,
            self.delete_caliper_action,
        ]

    def set_unavailable(self, reason: str | None) -> None:
        """Switch the image tools off, saying why in their tooltips and status tips (a study
        page shows several views, not the one image these tools draw on); None: back on."""
        self.unavailable = reason
        if reason is not None:
            self.controller.cancel()
            self.tools.set_tool(NAVIGATE)
        self.refresh()

    def refresh(self) -> None:
        editor = self.state.editor
        off = self.unavailable
        editable = editor is not None and not self.state.busy and off is None
        self.tool_actions[self.tools.tool].setChecked(True)
        for tool in EDIT_TOOLS:
            self.tool_actions[tool].setEnabled(editable)
        for tool in (CALIPER, ELLIPSE, TRACE, ANGLE, CALIBRATE):
            self.tool_actions[tool].setEnabled(off is None)
        for tool, action in self.tool_actions.items():
            name, key = TOOL_NAMES[tool], TOOL_SHORTCUTS[tool]
            tip = TOOL_TIPS[tool] if off is None or tool == NAVIGATE else f"off here: {off}"
            action.setToolTip(f"{name} ({key}): {tip}")
            action.setStatusTip(f"{name}: {tip}")
        history = self.state.measure_history
        if self.state.measurement_undo_first:
            self.undo_action.setEnabled(True)
            self.undo_action.setText(f"Undo {history.undo_name}")
        else:
            self.undo_action.setEnabled(editable and editor.can_undo)
            self.undo_action.setText(
                f"Undo {editor.undo_name}" if editable and editor.can_undo else "Undo"
            )
        if self.state.measurement_redo_first:
            self.redo_action.setEnabled(True)
            self.redo_action.setText(f"Redo {history.redo_name}")
        else:
            self.redo_action.setEnabled(editable and editor.can_redo)
            self.redo_action.setText(
                f"Redo {editor.redo_name}" if editable and editor.can_redo else "Redo"
            )
        # The buttons keep one width ("Undo", "Redo"), so the tools after them do not jump
        # as the step's name changes; the tooltip and the Edit menu name the step.
        for action, word, key in (
            (self.undo_action, "Undo", "Ctrl+Z"),
            (self.redo_action, "Redo", "Ctrl+Y"),
        ):
            action.setIconText(word)
            action.setToolTip(f"{action.text()} ({key})")
        for action in (self.fill_holes_action, self.smooth_action, self.reset_action):
            action.setEnabled(editable)
        with QSignalBlocker(self.size_spin):
            self.size_spin.setValue(2 * self.tools.brush_radius)

    def cancel(self) -> None:
        """Esc: drop the drawing in progress; with nothing in progress, back to pan/zoom."""
        drawing = self.tools.draft is not None or (
            self.state.editor is not None and self.state.editor.stroking
        )
        self.controller.cancel()
        if not drawing:
            self.tools.set_tool(NAVIGATE)

    def delete_selected(self) -> bool:
        """Del: the selected measurement (caliper or shape), else the selected lesion (one
        selection at a time: whichever was selected last)."""
        state = self.state
        measurement = state.selected_caliper is not None or state.selected_shape is not None
        if not measurement and state.selected_lesion is not None:
            self.controller.cancel()
            return state.delete_selected_lesion()
        return state.delete_selected_caliper()

    def _undo(self) -> None:
        if self.state.measurement_undo_first:
            self.controller.cancel()
            self.state.undo_measurement()
        elif self.state.editor is not None:
            self.controller.cancel()
            self.state.editor.undo()

    def _redo(self) -> None:
        if self.state.measurement_redo_first:
            self.state.redo_measurement()
        elif self.state.editor is not None:
            self.state.editor.redo()

    def _edit(self, name: str) -> Callable[[], None]:
        def run() -> None:
            editor = self.state.editor
            if editor is None or self.state.busy:
                return
            if not getattr(editor, name)():
                self.state.notify(f"{name.replace('_', ' ').capitalize()}: nothing changed")

        return run
