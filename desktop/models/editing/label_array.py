"""One n-dimensional label array under correction: the core of the 2D mask editor and the 3D
label editor. Qt-free.

A label array is uint8 (0 background, then the labels: 1 lesion in 2D; 1 kidney, 2 tumour in
a volume). Both editors change it in the same few ways - a brush or eraser stroke on a plane,
"make label L on this plane exactly this mask" (Smart Click), a whole-array replacement - and
undo every change the same way, so that bookkeeping is written once here:

- a change is a patch: the tightest box around the voxels it changed with their values before
  and after, at one bit a value when they are only 0 and 1, so undo costs the size of what
  changed, not a copy of the image or the volume;
- painting sets the active label over whatever was there (the reader decides); erasing clears
  only the active label, so erasing kidney never removes tumour;
- the count of voxels of each label is kept patch by patch (a volume's mL without a pass over
  the volume on every stroke);
- undo, redo and "saved here" come from EditHistory, as for every editor.

What is genuinely 2D or 3D stays in the editors: how a brush is swept (a capsule in image
pixels; a disc round in mm on a thick-slice reformat), the planes of a volume (a PlaneCut
each), a 2D mask's confirmed class, a volume's edited slices and interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from desktop.models.editing.history import EditHistory
from desktop.models.editing.mask_ops import Box, Point, full_box

Region = tuple[slice, ...]
MIN_BRUSH_RADIUS = 0.5  # one pixel


def changed_region(before: np.ndarray, after: np.ndarray) -> Region | None:
    """The tightest box (one slice per axis) around the values that differ; None when none
    does."""
    where = np.nonzero(before != after)
    if where[0].size == 0:
        return None
    return tuple(slice(int(axis.min()), int(axis.max()) + 1) for axis in where)


def offset_region(region: Region, inner: Region) -> Region:
    """`inner`, a region of the block at `region`, in the coordinates of the whole array."""
    return tuple(
        slice(outer.start + part.start, outer.start + part.stop)
        for outer, part in zip(region, inner, strict=True)
    )


def paint(block: np.ndarray, footprint: np.ndarray, label: int, erase: bool) -> None:
    """The brush and eraser rule, in place: the footprint becomes `label`, or (erase) the
    footprint's voxels of `label` become background and every other label stays."""
    if erase:
        block[footprint & (block == label)] = 0
    else:
        block[footprint] = label


@dataclass(frozen=True)
class PackedValues:
    """A block of uint8 labels, one bit a value when it holds only 0 and 1 (a lesion mask's
    box, a brush stroke of one label on background), else a byte."""

    shape: tuple[int, ...]
    binary: bool
    data: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> PackedValues:
        values = np.ascontiguousarray(values, dtype=np.uint8)
        if int(values.max(initial=0)) <= 1:
            return cls(values.shape, True, np.packbits(values))
        return cls(values.shape, False, values.copy())

    def unpack(self) -> np.ndarray:
        if not self.binary:
            return self.data.copy()
        count = int(np.prod(self.shape, dtype=np.int64))
        return np.unpackbits(self.data, count=count).reshape(self.shape)

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)


@dataclass(frozen=True)
class LabelPatch:
    """The values of a box (one slice per axis) before and after one edit: the same patch
    undoes and redoes it."""

    region: Region
    packed_before: PackedValues
    packed_after: PackedValues

    @classmethod
    def between(cls, region: Region, before: np.ndarray, after: np.ndarray) -> LabelPatch:
        if before.shape != after.shape:
            raise ValueError(f"patch before {before.shape} and after {after.shape} differ")
        return cls(region, PackedValues.of(before), PackedValues.of(after))

    @property
    def before(self) -> np.ndarray:
        return self.packed_before.unpack()

    @property
    def after(self) -> np.ndarray:
        return self.packed_after.unpack()

    @property
    def nbytes(self) -> int:
        return self.packed_before.nbytes + self.packed_after.nbytes


@dataclass(frozen=True)
class PatchEdit:
    """One undoable step that may change labels; an editor's own steps add their fields."""

    name: str
    patch: LabelPatch | None = None

    @property
    def nbytes(self) -> int:
        return 0 if self.patch is None else self.patch.nbytes


class PlaneCut:
    """A 2D plane of the label array as a stroke sees it (display orientation): this one is
    the whole of a 2D array, shown as stored; a volume's planes override the four."""

    row_scale = 1.0  # how many column pixels one display row is tall (round brushes in mm)

    def view(self, array: np.ndarray) -> np.ndarray:
        """The plane of `array` as shown: a writable view."""
        return array

    def region(self, box: Box) -> Region:
        """The array region of a display box of the plane."""
        return box.slices

    def block(self, display: np.ndarray) -> np.ndarray:
        """A display box of the plane as a copy in array order (the block at region(box))."""
        return display.copy()


@dataclass
class Stroke:
    """A brush or eraser stroke in progress: one undo step however long it is."""

    name: str
    cut: PlaneCut
    label: int
    erase: bool
    radius: float
    last: Point
    before: np.ndarray  # the plane as it was (display orientation); the patch is cut from it
    fields: dict[str, Any] = field(default_factory=dict)  # the editor's own fields of the edit
    box: Box | None = None


class LabelArray(EditHistory):
    """Base of a label editor: call `_start_labels` in __init__; set `edited_event` (emitted
    with the changed region while values change), `changed_kind` (the kind of the "changed"
    event when an edit is complete) and `edit_type`; implement `_footprint` for strokes."""

    edited_event: ClassVar[str]
    changed_kind: ClassVar[str]
    edit_type: ClassVar[type[PatchEdit]] = PatchEdit

    def _start_labels(self, original: np.ndarray, start: np.ndarray, n_labels: int) -> None:
        self.original = np.ascontiguousarray(original, dtype=np.uint8)
        self.original.flags.writeable = False
        self.array = np.array(start, dtype=np.uint8, copy=True)
        self.n_labels = int(n_labels)
        self._counts = np.bincount(self.array.ravel(), minlength=self.n_labels)
        # Interactive models whose outlines went into these labels (Smart Click): provenance
        # "reader-drawn with AI assistance".
        self.assisted_by: set[str] = set()
        self._start_history()
        self._stroke: Stroke | None = None

    # -- queries ------------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.array.shape)

    @property
    def differs_from_ai(self) -> bool:
        return not np.array_equal(self.array, self.original)

    @property
    def stroking(self) -> bool:
        return self._stroke is not None

    @property
    def label_counts(self) -> np.ndarray:
        """Voxels of each label value now (index = value), kept up to date edit by edit."""
        return self._counts.copy()

    def _check_label(self, label: int) -> None:
        if not 0 < label < self.n_labels:
            raise ValueError(f"label {label} is not one of 1..{self.n_labels - 1}")

    # -- strokes ------------------------------------------------------------------------------

    def _footprint(
        self, shape: tuple[int, ...], p0: Point, p1: Point, radius: float, row_scale: float
    ) -> tuple[Box, np.ndarray]:
        """The box of a plane of `shape` a brush swept from p0 to p1 may cover, and the mask
        of the pixels of that box it does cover."""
        raise NotImplementedError

    def _begin_stroke(
        self,
        cut: PlaneCut,
        point: Point,
        radius: float,
        label: int,
        erase: bool,
        **fields: Any,
    ) -> Box:
        self.end_stroke()
        self._check_label(label)
        self._stroke = Stroke(
            "Eraser" if erase else "Brush",
            cut,
            label,
            erase,
            max(MIN_BRUSH_RADIUS, float(radius)),
            point,
            cut.view(self.array).copy(),
            fields,
        )
        return self.stroke_to(point)

    def stroke_to(self, point: Point) -> Box:
        """Move: sweep the brush from the last point to this one (no gaps at any speed)."""
        stroke = self._stroke
        if stroke is None:
            raise RuntimeError("stroke_to without begin_stroke")
        plane = stroke.cut.view(self.array)
        box, footprint = self._footprint(
            plane.shape, stroke.last, point, stroke.radius, stroke.cut.row_scale
        )
        stroke.last = point
        if box.empty:
            return box
        paint(plane[box.slices], footprint, stroke.label, stroke.erase)
        stroke.box = box.union(stroke.box)
        self._announce(stroke.cut.region(box))
        return box

    def end_stroke(self) -> PatchEdit | None:
        """Release: record the stroke (nothing when it changed no pixel). Not announced as
        edited pixels again: they were shown while painting."""
        stroke, self._stroke = self._stroke, None
        if stroke is None or stroke.box is None:
            return None
        before = stroke.cut.block(stroke.before[stroke.box.slices])
        region = stroke.cut.region(stroke.box)
        return self._commit(stroke.name, region, before, announce=False, **stroke.fields)

    def cancel_stroke(self) -> None:
        """Esc during a stroke: put the pixels back as they were."""
        stroke, self._stroke = self._stroke, None
        if stroke is not None and stroke.box is not None:
            plane = stroke.cut.view(self.array)
            plane[stroke.box.slices] = stroke.before[stroke.box.slices]
            self._announce(stroke.cut.region(stroke.box))

    # -- whole edits --------------------------------------------------------------------------

    def _paint_plane(
        self,
        cut: PlaneCut,
        box: Box,
        footprint: np.ndarray,
        label: int,
        erase: bool,
        name: str,
        **fields: Any,
    ) -> PatchEdit | None:
        """Paint (or erase) a footprint of a plane's box as one undoable step."""
        self.end_stroke()
        self._check_label(label)
        block = cut.view(self.array)[box.slices]
        before = cut.block(block)
        paint(block, footprint, label, erase)
        return self._commit(name, cut.region(box), before, **fields)

    def _set_plane_label(
        self, cut: PlaneCut, mask: np.ndarray, label: int, name: str, **fields: Any
    ) -> PatchEdit | None:
        """Make `label` on a plane exactly `mask` (display orientation, the plane's shape):
        its pixels become `label`, the label's other pixels become background, as the eraser
        clears them. One undoable step; None when nothing changed."""
        self.end_stroke()
        self._check_label(label)
        plane = cut.view(self.array)
        before = cut.block(plane)
        inside = mask > 0
        paint(plane, ~inside, label, erase=True)
        paint(plane, inside, label, erase=False)
        return self._commit(name, cut.region(full_box(plane.shape)), before, **fields)

    def _replace(self, after: np.ndarray, name: str, **fields: Any) -> bool:
        """A whole-array change (loaded labels, AI reset, a mask operation), recorded as the
        patch of the values it changed."""
        self.end_stroke()
        region = changed_region(self.array, after)
        if region is None:
            return False
        before = self.array[region].copy()
        self.array[region] = after[region]
        self._commit(name, region, before, **fields)
        return True

    def _commit(
        self, name: str, region: Region, before: np.ndarray, announce: bool = True, **fields: Any
    ) -> PatchEdit | None:
        """Record the change of `region` (the array holds the new values; `before` the old
        ones, in array order) as the patch of the box of the values that changed, and tell
        the listeners; None when nothing did."""
        after = self.array[region]
        inner = changed_region(before, after)
        if inner is None:
            return None
        patch = LabelPatch.between(offset_region(region, inner), before[inner], after[inner])
        edit = self.edit_type(name, patch, **fields)
        self._push(edit)
        self._count(before[inner], after[inner])
        if announce:
            self._announce(patch.region)
        self.events.emit("changed", self.changed_kind)
        return edit

    # -- undo and redo (desktop.models.editing.history) ---------------------------------------

    def _apply(self, edit: Any, forward: bool) -> None:
        patch = edit.patch
        if patch is None:
            return
        values, replaced = (patch.after, patch.before) if forward else (patch.before, patch.after)
        self.array[patch.region] = values
        self._count(replaced, values)
        self._announce(patch.region)
        self.events.emit("changed", self.changed_kind)

    def _announce(self, region: Region) -> None:
        self.events.emit(self.edited_event, self._edited_payload(region))

    def _edited_payload(self, region: Region) -> Any:
        """What the edited event carries for a region (the region itself unless overridden)."""
        return region

    def _count(self, removed: np.ndarray, added: np.ndarray) -> None:
        n = self.n_labels
        self._counts = (
            self._counts
            - np.bincount(removed.ravel(), minlength=n)
            + np.bincount(added.ravel(), minlength=n)
        )
