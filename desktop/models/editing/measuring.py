"""The reader's ellipses, traces and angles on the frame on screen, and undo for every
measurement: a mixin of CaseState (desktop.models.image.state), which keeps the calipers.

Qt-free. Every change emits "calipers_changed" (the one event for the reader's measurements:
the canvas redraws them, the window stores them with the case) and a status line with the
value. At most one measurement is selected, a caliper or a shape: Del deletes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desktop.models.editing.caliper import Caliper, measure_caliper
from desktop.models.editing.measurement_history import MeasurementHistory, Snapshot
from desktop.models.editing.reader_shape import ReaderShape, measure_reader_shape
from engine.reader_measurements import ReaderMeasurement, measure_all
from engine.reader_shapes import Shape

if TYPE_CHECKING:
    from engine.types import Image

Point = tuple[float, float]


class ShapeMeasuring:
    """Needs `image`, `calipers`, `selected_caliper` and `_emit` from its host."""

    image: Image | None
    calipers: list[Caliper]
    selected_caliper: int | None
    _emit: Callable[..., Any]

    def _init_measuring(self) -> None:
        self.shapes: list[ReaderShape] = []
        self.selected_shape: int | None = None  # Del deletes it; drawn highlighted
        self.measure_history = MeasurementHistory()

    def _reset_measuring(self) -> None:
        """Another case or frame: its shapes and their history are not this one's."""
        self.shapes, self.selected_shape = [], None
        self.measure_history.clear()

    # -- shapes -------------------------------------------------------------------------------

    def add_shape(self, shape: Shape) -> ReaderShape | None:
        """A new ellipse, trace or angle; it becomes the selected measurement."""
        if self.image is None:
            return None
        measured = measure_reader_shape(self.image, shape)
        self.record_measurement(f"Add {measured.kind}")
        self.shapes.append(measured)
        self._select(shape_index=len(self.shapes) - 1)
        self._emit("calipers_changed")
        self._emit("status", measured.detail)
        return measured

    def set_shape(self, index: int, shape: Shape) -> ReaderShape | None:
        """A handle or the whole shape dragged: re-measured live (one undo step per drag,
        recorded when the drag started: record_measurement)."""
        if self.image is None or not 0 <= index < len(self.shapes):
            return None
        measured = measure_reader_shape(self.image, shape)
        self.shapes[index] = measured
        self._select(shape_index=index)
        self._emit("calipers_changed")
        self._emit("status", measured.detail)
        return measured

    def set_caliper_points(self, index: int, start: Point, end: Point) -> Caliper | None:
        """A caliper's whole line dragged: both ends moved, re-measured."""
        if self.image is None or not 0 <= index < len(self.calipers):
            return None
        caliper = measure_caliper(self.image, start, end)
        self.calipers[index] = caliper
        self._select(caliper_index=index)
        self._emit("calipers_changed")
        self._emit("status", caliper.detail)
        return caliper

    def shape_handle_near(self, point: Point, snap_px: float) -> tuple[int, int] | None:
        """(shape index, handle index) of the handle nearest `point` within snap_px; the most
        recent shape wins a tie, as it is drawn on top."""
        best: tuple[float, int, int] | None = None
        for index, shape in enumerate(self.shapes):
            for handle, at in enumerate(shape.handles()):
                d = ((at[0] - point[0]) ** 2 + (at[1] - point[1]) ** 2) ** 0.5
                if d <= snap_px and (best is None or d <= best[0]):
                    best = (d, index, handle)
        return None if best is None else (best[1], best[2])

    def shape_near(self, point: Point, snap_px: float) -> int | None:
        """The shape whose outline passes within snap_px of `point` (the most recent first)."""
        for index in range(len(self.shapes) - 1, -1, -1):
            if self.shapes[index].distance_to(point) <= snap_px:
                return index
        return None

    def select_shape(self, index: int | None) -> None:
        if index is not None and not 0 <= index < len(self.shapes):
            index = None
        if index is not None and getattr(self, "selected_lesion", None) is not None:
            self.selected_lesion = None  # Del deletes what was selected last
            self._emit("lesion_selected", None)
        if index != self.selected_shape or (
            index is not None and self.selected_caliper is not None
        ):
            self._select(shape_index=index)
            self._emit("calipers_changed")

    def _select(self, caliper_index: int | None = None, shape_index: int | None = None) -> None:
        self.selected_caliper, self.selected_shape = caliper_index, shape_index

    def delete_selected_shape(self) -> bool:
        index = self.selected_shape
        if index is None or not 0 <= index < len(self.shapes):
            return False
        self.record_measurement(f"Delete {self.shapes[index].kind}")
        removed = self.shapes.pop(index)
        self.selected_shape = None
        self._emit("calipers_changed")
        self._emit("status", f"{removed.kind.capitalize()} {removed.text} deleted")
        return True

    def shape_measurements(self) -> tuple[ReaderMeasurement, ...]:
        """The ellipses, traces and angles on the frame on screen, as the exports take them
        (E1.., T1.., A1..)."""
        if self.image is None:
            return ()
        return measure_all(self.image, (), [s.shape for s in self.shapes])

    def _remeasure_shapes(self, image: Image) -> None:
        self._remeasure_shapes_from(tuple(s.shape for s in self.shapes), image)

    def _remeasure_shapes_from(self, shapes: tuple[Shape, ...], image: Image | None = None) -> None:
        image = image or self.image
        self.shapes = [] if image is None else [measure_reader_shape(image, s) for s in shapes]

    # -- undo ---------------------------------------------------------------------------------

    def _snapshot(self) -> Snapshot:
        return Snapshot(tuple(self.calipers), tuple(self.shapes))

    def record_measurement(self, name: str) -> None:
        """Call before changing the measurements: the state to go back to on undo."""
        self.measure_history.record(name, self._snapshot(), self._mask_depth())

    def _mask_depth(self) -> int:
        editor = getattr(self, "editor", None)
        return editor.undo_depth if editor is not None else 0

    @property
    def measurement_undo_first(self) -> bool:
        """Ctrl+Z takes back a measurement action: it came after the mask edits still on the
        undo stack (none made since, or they were undone)."""
        h = self.measure_history
        return h.can_undo and self._mask_depth() <= h.undo_mask_depth

    @property
    def measurement_redo_first(self) -> bool:
        """Redo brings back a measurement action first: it was made with the mask as deep in
        edits as it is now (the mask edits after it are redone after it)."""
        h = self.measure_history
        return h.can_redo and self._mask_depth() >= h.redo_mask_depth

    def undo_measurement(self) -> bool:
        name = self.measure_history.undo_name
        return self._restore(self.measure_history.undo(self._snapshot()), f"Undo {name}")

    def redo_measurement(self) -> bool:
        name = self.measure_history.redo_name
        return self._restore(self.measure_history.redo(self._snapshot()), f"Redo {name}")

    def _restore(self, snapshot: Snapshot | None, what: str) -> bool:
        if snapshot is None or self.image is None:
            return False
        # Re-measured: a calibration since the snapshot applies to what comes back.
        self.calipers = [measure_caliper(self.image, c.start, c.end) for c in snapshot.calipers]
        self.shapes = [measure_reader_shape(self.image, s.shape) for s in snapshot.shapes]
        self._select()
        self._emit("calipers_changed")
        self._emit("status", what)
        return True
