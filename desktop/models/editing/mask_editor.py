"""The mask under correction, the class the clinician confirms, and undo/redo for both.

Qt-free (napari's model layer): the canvas forwards strokes here and redraws on events. The
mask is a 2D label array with the one label 1 (desktop.models.editing.label_array: patches,
brush and eraser, undo and redo, written once for 2D and 3D); this module adds what only a
lesion mask has: the round brush in image pixels, the lasso, the mask operations, and the
class the clinician confirms, undone in the same history. A history entry is the box an edit
changed with its pixels before and after at one bit a pixel each, so a long session of brush
strokes on a large image costs kilobytes, not a mask per step.

Events:
- mask_edited(box): pixels in `box` changed (during a stroke too, for a live overlay).
- changed(kind): an edit is complete - kind "mask", "label" or "saved" - so findings, undo
  buttons and the unsaved-changes mark can update once, not on every mouse move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from desktop.models.editing.label_array import LabelArray, PatchEdit, PlaneCut, Region
from desktop.models.editing.mask_ops import (
    LESION,
    SMOOTH_SIGMA_PX,
    Box,
    Point,
    capsule,
    component_at,
    filled_holes,
    polygon,
    smoothed,
)
from desktop.models.events import Events

EDITOR_EVENTS = ("mask_edited", "changed")
_PLANE = PlaneCut()  # the mask itself


@dataclass(frozen=True)
class Edit(PatchEdit):
    """One undoable step: a mask patch, or a change of the confirmed class."""

    label_change: tuple[str | None, str | None] | None = None


class MaskEditor(LabelArray):
    """Start from the AI mask (or a saved correction of it); every edit is undoable."""

    edited_event = "mask_edited"
    changed_kind = "mask"
    edit_type = Edit

    def __init__(
        self,
        original: np.ndarray,
        label: str | None,
        classes: Sequence[str] = (),
        mask: np.ndarray | None = None,
    ) -> None:
        if original.ndim != 2:
            raise ValueError(f"a lesion mask is H×W, not {original.shape}")
        start = original if mask is None else mask
        if start.shape != original.shape:
            raise ValueError(f"mask {start.shape} does not match the AI mask {original.shape}")
        self.label = label
        self.classes = tuple(classes)
        self.events = Events(EDITOR_EVENTS)
        self.subscribe = self.events.subscribe
        self._start_labels((original > 0).astype(np.uint8), start > 0, n_labels=LESION + 1)

    # -- queries ------------------------------------------------------------------------------

    @property
    def mask(self) -> np.ndarray:
        """The mask as it is now (H×W uint8, 1 lesion): the label array itself."""
        return self.array

    # -- brush and eraser strokes -------------------------------------------------------------

    def begin_stroke(self, point: Point, radius: float, erase: bool = False) -> Box:
        """Press: paint a disc at `point`. The stroke is one undo step however long it is."""
        return self._begin_stroke(_PLANE, point, radius, LESION, erase)

    def _footprint(
        self, shape: tuple[int, ...], p0: Point, p1: Point, radius: float, row_scale: float
    ) -> tuple[Box, np.ndarray]:
        return capsule(p0, p1, radius, shape)  # square pixels: row_scale is 1

    # -- whole edits --------------------------------------------------------------------------

    def fill_polygon(self, points: Sequence[Point], erase: bool = False) -> bool:
        """Lasso or polygon: add the inside to the lesion, or cut it out (erase)."""
        self.end_stroke()
        inside = polygon(points, self.array.shape)
        if inside is None:
            return False
        name = "Polygon subtract" if erase else "Polygon add"
        return self._paint_plane(_PLANE, *inside, LESION, erase, name) is not None

    def fill_holes(self) -> bool:
        return self._replace(filled_holes(self.mask), "Fill holes")

    def smooth(self, sigma_px: float = SMOOTH_SIGMA_PX) -> bool:
        return self._replace(smoothed(self.mask, sigma_px), "Smooth")

    def delete_lesion(self, point: Point) -> bool:
        """Remove the whole connected lesion under the point (a false positive)."""
        self.end_stroke()
        component = component_at(self.mask, point)
        if component is None:
            return False
        after = self.mask.copy()
        after[component] = 0
        return self._replace(after, "Delete lesion")

    def restore_draft(self, mask: np.ndarray, label: str | None) -> None:
        """Put back unsaved edits kept as a draft when the case was left: undoable, and
        unsaved (modified) until the clinician saves them."""
        if mask.shape != self.mask.shape:
            raise ValueError(f"draft mask {mask.shape} does not match {self.mask.shape}")
        self._replace((mask > 0).astype(np.uint8), "Draft")
        known = not self.classes or label in self.classes
        if label is not None and label != self.label and known:
            self.set_label(label)

    def apply_mask(self, after: np.ndarray, name: str, assisted_by: str | None = None) -> bool:
        """Replace the mask with `after` as one undoable step named `name` (Smart Click);
        assisted_by: the interactive model that proposed it, kept for provenance."""
        if after.shape != self.mask.shape:
            raise ValueError(f"mask {after.shape} does not match {self.mask.shape}")
        changed = self._replace((after > 0).astype(np.uint8), name)
        if changed and assisted_by is not None:
            self.assisted_by.add(assisted_by)
        return changed

    def reset_to_ai(self) -> bool:
        """Back to the model's mask; undoable like any other edit."""
        return self._replace(self.original.copy(), "Reset to AI mask")

    def set_label(self, label: str) -> bool:
        """Confirm a class (one of the model's classes when the editor knows them)."""
        if self.classes and label not in self.classes:
            raise ValueError(f"unknown class {label!r}; the model's classes: {self.classes}")
        if label == self.label:
            return False
        self.end_stroke()
        self._push(Edit("Class", label_change=(self.label, label)))
        self.label = label
        self.events.emit("changed", "label")
        return True

    # -- internals (patches, undo and redo: desktop.models.editing.label_array) --------------

    def _apply(self, edit: Any, forward: bool) -> None:
        super()._apply(edit, forward)
        if edit.label_change is not None:
            self.label = edit.label_change[1] if forward else edit.label_change[0]
            self.events.emit("changed", "label")

    def _edited_payload(self, region: Region) -> Box:
        rows, cols = region
        return Box(rows.start, rows.stop, cols.start, cols.stop)
