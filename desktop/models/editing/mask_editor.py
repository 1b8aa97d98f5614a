"""The mask under correction, the class the clinician confirms, and undo/redo for both.

Qt-free (napari's model layer): the canvas forwards strokes here and redraws on events.
History entries are compact diffs - the bounding box an edit touched, with one bit per pixel
saying which flipped - so a long session of brush strokes on a large image costs kilobytes,
not a mask per step.

Events:
- mask_edited(box): pixels in `box` changed (during a stroke too, for a live overlay).
- changed(kind): an edit is complete - kind "mask", "label" or "saved" - so findings, undo
  buttons and the unsaved-changes mark can update once, not on every mouse move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop.models.editing.history import EditHistory
from desktop.models.editing.mask_ops import (
    LESION,
    SMOOTH_SIGMA_PX,
    Box,
    Point,
    changed_box,
    component_at,
    fill_polygon,
    filled_holes,
    paint_capsule,
    smoothed,
)
from desktop.models.events import Events

EDITOR_EVENTS = ("mask_edited", "changed")
MIN_BRUSH_RADIUS = 0.5  # one pixel


@dataclass(frozen=True)
class MaskPatch:
    """The pixels of `box` that one edit flipped, one bit each. A lesion mask is binary, so
    the same bits undo and redo the edit (XOR): the box's diff at 1/16 of the size of a
    before-and-after copy."""

    box: Box
    flipped: np.ndarray  # np.packbits of the box's (before != after), row-major

    @classmethod
    def between(cls, box: Box, before: np.ndarray, after: np.ndarray) -> MaskPatch:
        return cls(box, np.packbits(before != after))

    def apply(self, mask: np.ndarray) -> None:
        """Flip the pixels back (undo) or again (redo)."""
        rows, cols = self.box.row1 - self.box.row0, self.box.col1 - self.box.col0
        flips = np.unpackbits(self.flipped, count=rows * cols).reshape(rows, cols)
        mask[self.box.slices] ^= flips

    @property
    def nbytes(self) -> int:
        return int(self.flipped.nbytes)


@dataclass(frozen=True)
class Edit:
    """One undoable step: a mask patch, or a change of the confirmed class."""

    name: str
    patch: MaskPatch | None = None
    label_change: tuple[str | None, str | None] | None = None

    @property
    def nbytes(self) -> int:
        return 0 if self.patch is None else self.patch.nbytes


@dataclass
class _Stroke:
    name: str
    value: int
    radius: float
    last: Point
    before: np.ndarray  # the mask at the start of the stroke; the patch is cut from it
    box: Box | None = None


class MaskEditor(EditHistory):
    """Start from the AI mask (or a saved correction of it); every edit is undoable."""

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
        self.original = (original > 0).astype(np.uint8)
        self.original.flags.writeable = False
        self.mask = (start > 0).astype(np.uint8)
        self.label = label
        self.classes = tuple(classes)
        self.events = Events(EDITOR_EVENTS)
        self.subscribe = self.events.subscribe
        self._start_history()
        self._stroke: _Stroke | None = None
        # Interactive models whose outlines are in this mask (Smart Click): provenance
        # "reader-drawn with AI assistance".
        self.assisted_by: set[str] = set()

    # -- queries ------------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.mask.shape[0]), int(self.mask.shape[1]))

    @property
    def differs_from_ai(self) -> bool:
        return not np.array_equal(self.mask, self.original)

    @property
    def stroking(self) -> bool:
        return self._stroke is not None

    # -- brush and eraser strokes -------------------------------------------------------------

    def begin_stroke(self, point: Point, radius: float, erase: bool = False) -> Box:
        """Press: paint a disc at `point`. The stroke is one undo step however long it is."""
        self.end_stroke()
        radius = max(MIN_BRUSH_RADIUS, float(radius))
        self._stroke = _Stroke(
            "Eraser" if erase else "Brush", 0 if erase else LESION, radius, point, self.mask.copy()
        )
        return self.stroke_to(point)

    def stroke_to(self, point: Point) -> Box:
        """Move: sweep the disc from the last point to this one (no gaps at any speed)."""
        stroke = self._stroke
        if stroke is None:
            raise RuntimeError("stroke_to without begin_stroke")
        box = paint_capsule(self.mask, stroke.last, point, stroke.radius, stroke.value)
        stroke.last = point
        if not box.empty:
            stroke.box = box.union(stroke.box)
            self.events.emit("mask_edited", box)
        return box

    def end_stroke(self) -> Edit | None:
        """Release: record the stroke (nothing when it changed no pixel)."""
        stroke, self._stroke = self._stroke, None
        if stroke is None or stroke.box is None:
            return None
        before = stroke.before[stroke.box.slices]
        box = changed_box(before, self.mask[stroke.box.slices], offset=stroke.box)
        if box is None:
            return None
        patch = MaskPatch.between(box, stroke.before[box.slices], self.mask[box.slices])
        return self._record(stroke.name, patch, announce_pixels=False)  # shown while painting

    def cancel_stroke(self) -> None:
        """Esc during a stroke: put the pixels back as they were."""
        stroke, self._stroke = self._stroke, None
        if stroke is not None and stroke.box is not None:
            self.mask[stroke.box.slices] = stroke.before[stroke.box.slices]
            self.events.emit("mask_edited", stroke.box)

    # -- whole edits --------------------------------------------------------------------------

    def fill_polygon(self, points: Sequence[Point], erase: bool = False) -> bool:
        """Lasso or polygon: add the inside to the lesion, or cut it out (erase)."""
        self.end_stroke()
        before = self.mask.copy()
        box = fill_polygon(self.mask, points, 0 if erase else LESION)
        if box is None:
            return False
        name = "Polygon subtract" if erase else "Polygon add"
        return self._commit_from(before, box, name)

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

    # -- internals (undo and redo: desktop.models.editing.history) ---------------------------

    def _apply(self, edit: Edit, forward: bool) -> None:
        if edit.patch is not None:
            edit.patch.apply(self.mask)  # the same flips both ways
            self.events.emit("mask_edited", edit.patch.box)
            self.events.emit("changed", "mask")
        if edit.label_change is not None:
            self.label = edit.label_change[1] if forward else edit.label_change[0]
            self.events.emit("changed", "label")

    def _replace(self, after: np.ndarray, name: str) -> bool:
        """A whole-mask operation, recorded as the patch of the pixels it changed."""
        self.end_stroke()
        box = changed_box(self.mask, after)
        if box is None:
            return False
        patch = MaskPatch.between(box, self.mask[box.slices], after[box.slices])
        self.mask[box.slices] = after[box.slices]
        self._record(name, patch)
        return True

    def _commit_from(self, before: np.ndarray, region: Box, name: str) -> bool:
        box = changed_box(before[region.slices], self.mask[region.slices], offset=region)
        if box is None:
            return False
        self._record(name, MaskPatch.between(box, before[box.slices], self.mask[box.slices]))
        return True

    def _record(self, name: str, patch: MaskPatch, announce_pixels: bool = True) -> Edit:
        edit = Edit(name, patch=patch)
        self._push(edit)
        if announce_pixels:
            self.events.emit("mask_edited", patch.box)
        self.events.emit("changed", "mask")
        return edit
