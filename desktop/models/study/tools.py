"""Pointer input on one view of a study -> Smart Click on that view's mask. Qt-free.

The same interface as desktop.models.editing.tool_controller.ToolController, so the study's
panes reuse the 2D canvas's ToolViewBox (right-drag window/level, middle drag pans, wheel
zooms): with Smart Click a click outlines the lesion under it (Shift+click or right click
removes) and a left drag draws a box round it, one undo step each, into the view's
correction (desktop.models.study.corrections); with Pan/zoom a left drag pans.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop.models.editing.smart_click import SmartClick, shared_interactive_model
from desktop.models.editing.tool_state import SMART_CLICK, ToolState
from desktop.models.study.state import StudyState
from engine.interactive import Box
from engine.types import Image

Point = tuple[float, float]
MIN_BOX_PX = 2.0  # a box thinner than this (image px) is refused with a message
NO_ANALYSIS = "Smart Click on a study: analyse it first (its findings are what the outline edits)"


class StudyViewController:
    def __init__(
        self,
        state: StudyState,
        tools: ToolState,
        view: str,
        smart_click: SmartClick | None = None,
    ) -> None:
        self.state, self.tools, self.view = state, tools, view
        self.smart_click = smart_click or SmartClick(shared_interactive_model)
        self._dragging = False
        # The box being dragged on this view (its two corners) and who draws it.
        self.box: tuple[Point, Point] | None = None
        self.box_changed: Callable[[tuple[Point, Point] | None], None] = lambda _box: None

    @property
    def smart(self) -> bool:
        return self.tools.tool == SMART_CLICK

    @property
    def can_edit(self) -> bool:
        state = self.state
        return (
            state.corrections is not None
            and not state.busy
            and self.view in state.corrections.editors
        )

    @property
    def wants_drag(self) -> bool:
        return self.smart and self.can_edit

    def press(self, point: Point, snap_px: float = 3.0) -> None:  # noqa: ARG002 - no handles
        self._dragging = self.wants_drag
        if self._dragging:
            self._set_box((point, point))

    def move(self, point: Point) -> None:
        if self._dragging and self.box is not None:
            self._set_box((self.box[0], point))

    def release(self, point: Point) -> None:
        if not self._dragging or self.box is None:
            return
        self.move(point)
        self._dragging = False
        (r0, c0), (r1, c1) = self.box
        self._set_box(None)
        box = Box(min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1))
        if box.r1 - box.r0 < MIN_BOX_PX or box.c1 - box.c0 < MIN_BOX_PX:
            self.state.notify("Smart Click: the box is too thin; drag round the whole lesion")
            return
        self._prompt(lambda target, pixels: self.smart_click.drag_box(target, pixels, box))

    def click(self, point: Point, snap_px: float = 3.0, positive: bool = True) -> None:  # noqa: ARG002
        if not self.smart:
            return
        if self.state.corrections is None:
            self.state.notify(NO_ANALYSIS)
            return
        self._prompt(lambda target, pixels: self.smart_click.click(target, pixels, point, positive))

    def double_click(self, point: Point) -> None:
        """Nothing extra: the first click of the pair already acted."""

    def cancel(self) -> None:
        self._dragging = False
        self._set_box(None)

    def _set_box(self, box: tuple[Point, Point] | None) -> None:
        self.box = box
        self.box_changed(box)

    def _prompt(self, prompt: Callable[..., bool]) -> None:
        state = self.state
        if not self.can_edit or state.study is None or state.corrections is None:
            return
        image = state.study.views[self.view]
        assert isinstance(image, Image)
        try:
            prompt(state.corrections.target(self.view), image.pixels)
        except Exception as exc:  # noqa: BLE001 - a missing bundle is a message, not a crash
            state.report_error(str(exc))
