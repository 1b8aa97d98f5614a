"""A D×H×W label map under correction: brush and eraser on any plane, shape-based
interpolation between edited slices, undo/redo, and the volume of each label in mL. Qt-free.

Labels are uint8 values (0 background, then e.g. 1 kidney, 2 tumour). Painting with the brush
sets the active label over whatever was there (the reader decides); the eraser clears only the
active label, so erasing kidney never removes tumour. Labels nest by value: when a slice of
label L is interpolated, its shape is every voxel >= L (the tumour lies inside the kidney
outline) and it never overwrites a higher label.

History entries are patches - a (z, y, x) box with its values before and after - so undo
costs the size of what changed, not a copy of the volume. The slices a reader edited are
remembered per (axis, label) through the history (undoing an edit un-marks its slice), and
`interpolate` fills the slices between consecutive edited ones: signed distance maps of the
two outlines (in mm, scipy.ndimage.distance_transform_edt), blended linearly, inside where the
blend is negative. Two discs of radius r1 and r2 give discs whose radius runs linearly from r1
to r2 (Raya and Udupa's shape-based interpolation).

Events: labels_edited(region) while pixels change (live overlay), changed(kind) when an edit
is complete ("labels", "saved") so readouts update once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from desktop.models.editing.history import EditHistory
from desktop.models.editing.mask_ops import Box, Point
from desktop.models.events import Events
from desktop.models.volume.planes import PlaneLayout

LABEL_EVENTS = ("labels_edited", "changed")
MIN_BRUSH_RADIUS = 0.5
Region = tuple[slice, slice, slice]
SliceMark = tuple[int, int, int]  # (axis, index, label)


def voxel_ml(spacing_mm: Sequence[float]) -> float:
    """Volume of one voxel in millilitres (1 mL = 1000 mm³)."""
    return float(np.prod([float(s) for s in spacing_mm])) / 1000.0


def label_volumes_ml(
    labels: np.ndarray, label_names: Sequence[str], spacing_mm: Sequence[float]
) -> dict[str, float]:
    """mL per named label (background, value 0, left out)."""
    counts = np.bincount(labels.ravel(), minlength=len(label_names))
    unit = voxel_ml(spacing_mm)
    return {name: float(counts[v]) * unit for v, name in enumerate(label_names) if v > 0}


def signed_distance(mask: np.ndarray, sampling: Sequence[float]) -> np.ndarray:
    """Distance in mm to the outline: negative inside, positive outside. An empty mask is far
    outside everywhere, so a shape interpolated towards it shrinks away."""
    if not mask.any():
        far = float(np.hypot(*(n * s for n, s in zip(mask.shape, sampling, strict=True))))
        return np.full(mask.shape, far, dtype=np.float64)
    outside = ndimage.distance_transform_edt(~mask, sampling=sampling)
    inside = ndimage.distance_transform_edt(mask, sampling=sampling)
    # Distances run between pixel centres: the last inside and the first outside pixel are
    # -1 and +1 pixel away, so the zero level lies midway between them.
    return np.where(mask, -inside, outside)


def interpolated_shapes(
    first: np.ndarray, last: np.ndarray, count: int, sampling: Sequence[float]
) -> list[np.ndarray]:
    """The `count` shapes evenly between two binary outlines (neither end included)."""
    sdf_a, sdf_b = signed_distance(first, sampling), signed_distance(last, sampling)
    shapes = []
    for k in range(1, count + 1):
        t = k / (count + 1)
        shapes.append((1.0 - t) * sdf_a + t * sdf_b < 0)
    return shapes


def swept_disc(
    shape: tuple[int, int], p0: Point, p1: Point, radius: float, row_scale: float = 1.0
) -> tuple[Box, np.ndarray]:
    """The pixels a brush of `radius` column pixels covers when swept from p0 to p1, where one
    row is `row_scale` column pixels tall: round in millimetres on a reformat whose rows are
    3 mm slices and whose columns are 0.8 mm pixels. Returns the box and a mask of it."""
    h, w = int(shape[0]), int(shape[1])
    row_radius = radius / row_scale
    r0 = max(0, math.floor(min(p0[0], p1[0]) - row_radius))
    r1 = min(h, math.ceil(max(p0[0], p1[0]) + row_radius) + 1)
    c0 = max(0, math.floor(min(p0[1], p1[1]) - radius))
    c1 = min(w, math.ceil(max(p0[1], p1[1]) + radius) + 1)
    box = Box(r0, max(r0, r1), c0, max(c0, c1))
    if box.empty:
        return box, np.zeros((0, 0), dtype=bool)
    rows = np.arange(box.row0, box.row1, dtype=np.float64)[:, None] * row_scale
    cols = np.arange(box.col0, box.col1, dtype=np.float64)[None, :]
    a_r, a_c = p0[0] * row_scale, p0[1]
    dr, dc = p1[0] * row_scale - a_r, p1[1] - a_c
    length2 = dr * dr + dc * dc
    if length2 > 0:
        t = np.clip(((rows - a_r) * dr + (cols - a_c) * dc) / length2, 0.0, 1.0)
        near_r, near_c = a_r + t * dr, a_c + t * dc
    else:
        near_r, near_c = a_r, a_c
    inside = (rows - near_r) ** 2 + (cols - near_c) ** 2 <= radius * radius + 1e-6
    return box, inside


def _padded_box(mask: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns around a 2D mask, one pixel wider on each side (so the distance
    maps inside the box see background around every outline)."""
    rows, cols = np.nonzero(mask)
    h, w = mask.shape
    return (
        slice(max(int(rows.min()) - 1, 0), min(int(rows.max()) + 2, h)),
        slice(max(int(cols.min()) - 1, 0), min(int(cols.max()) + 2, w)),
    )


def _array_block(layout: PlaneLayout, display_box: np.ndarray) -> np.ndarray:
    """A display-orientation box of a plane as the (z, y, x) block LabelPatch stores."""
    block = display_box[::-1] if layout.flip_rows else display_box
    return np.expand_dims(block, layout.axis).copy()


@dataclass(frozen=True)
class LabelPatch:
    """The values of a (z, y, x) box before and after one edit: the same patch undoes and
    redoes it."""

    region: Region
    before: np.ndarray
    after: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.before.nbytes + self.after.nbytes)


@dataclass(frozen=True)
class LabelEdit:
    name: str
    patch: LabelPatch
    marks: tuple[SliceMark, ...] = ()  # slices this edit counts as "edited by the reader"

    @property
    def nbytes(self) -> int:
        return self.patch.nbytes


@dataclass
class _Stroke:
    layout: PlaneLayout
    index: int
    label: int
    erase: bool
    radius: float
    last: Point
    before: np.ndarray  # the plane as it was (display orientation)
    box: Box | None = None


class VolumeLabels(EditHistory):
    """Start from the AI labels (or a saved correction); every edit is undoable."""

    def __init__(
        self,
        original: np.ndarray,
        label_names: Sequence[str],
        spacing_mm: Sequence[float],
        labels: np.ndarray | None = None,
    ) -> None:
        if original.ndim != 3:
            raise ValueError(f"a label volume is D×H×W, not {original.shape}")
        start = original if labels is None else labels
        if start.shape != original.shape:
            raise ValueError(f"labels {start.shape} do not match the volume {original.shape}")
        if len(label_names) < 2 or int(start.max(initial=0)) >= len(label_names):
            raise ValueError(f"label values exceed the names {tuple(label_names)}")
        self.original = np.ascontiguousarray(original, dtype=np.uint8)
        self.original.flags.writeable = False
        self.labels = np.array(start, dtype=np.uint8, copy=True)
        self.label_names = tuple(label_names)
        self.spacing_mm = tuple(float(s) for s in spacing_mm)
        self.events = Events(LABEL_EVENTS)
        self.subscribe = self.events.subscribe
        self._counts = np.bincount(self.labels.ravel(), minlength=len(self.label_names))
        # Interactive models whose outlines went into these labels (Smart Click on a plane).
        self.assisted_by: set[str] = set()
        self._start_history()
        self._stroke: _Stroke | None = None

    # -- queries ------------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.labels.shape)  # type: ignore[return-value]

    def volumes_ml(self) -> dict[str, float]:
        """mL per label of the labels as they are now (kept up to date edit by edit)."""
        unit = voxel_ml(self.spacing_mm)
        return {n: float(self._counts[v]) * unit for v, n in enumerate(self.label_names) if v}

    def value_of(self, name: str) -> int:
        return self.label_names.index(name)

    def edited_slices(self, axis: int, label: int) -> list[int]:
        """Slice indices along `axis` the reader edited for `label` (in the undo history)."""
        marks = {m[1] for e in self._undo for m in e.marks if m[0] == axis and m[2] == label}
        return sorted(marks)

    @property
    def differs_from_ai(self) -> bool:
        return not np.array_equal(self.labels, self.original)

    @property
    def stroking(self) -> bool:
        return self._stroke is not None

    # -- strokes on one plane -----------------------------------------------------------------

    def begin_stroke(
        self,
        layout: PlaneLayout,
        index: int,
        point: Point,
        radius: float,
        label: int,
        erase: bool = False,
    ) -> Box:
        """Press on slice `index` of a plane, at display (row, col). One undo step per stroke."""
        self.end_stroke()
        if not 0 < label < len(self.label_names):
            raise ValueError(f"label {label} is not one of 1..{len(self.label_names) - 1}")
        plane = layout.view(self.labels, index)
        self._stroke = _Stroke(
            layout,
            index,
            label,
            erase,
            max(MIN_BRUSH_RADIUS, float(radius)),
            point,
            plane.copy(),
        )
        return self.stroke_to(point)

    def stroke_to(self, point: Point) -> Box:
        stroke = self._stroke
        if stroke is None:
            raise RuntimeError("stroke_to without begin_stroke")
        plane = stroke.layout.view(self.labels, stroke.index)
        row_mm, col_mm = stroke.layout.pixel_mm
        box, disc = swept_disc(plane.shape, stroke.last, point, stroke.radius, row_mm / col_mm)
        stroke.last = point
        if box.empty:
            return box
        patch = plane[box.slices]
        if stroke.erase:
            patch[disc & (patch == stroke.label)] = 0
        else:
            patch[disc] = stroke.label
        stroke.box = box.union(stroke.box)
        self.events.emit("labels_edited", stroke.layout.region(stroke.index, *box.slices))
        return box

    def end_stroke(self) -> LabelEdit | None:
        stroke, self._stroke = self._stroke, None
        if stroke is None or stroke.box is None:
            return None
        plane = stroke.layout.view(self.labels, stroke.index)
        before, after = stroke.before[stroke.box.slices], plane[stroke.box.slices]
        if np.array_equal(before, after):
            return None
        region = stroke.layout.region(stroke.index, *stroke.box.slices)
        patch = LabelPatch(region, self._in_array_order(stroke, before), self.labels[region].copy())
        mark = (stroke.layout.axis, stroke.index, stroke.label)
        name = "Eraser" if stroke.erase else "Brush"
        return self._record(name, patch, (mark,), announce=False)

    def cancel_stroke(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is not None and stroke.box is not None:
            plane = stroke.layout.view(self.labels, stroke.index)
            plane[stroke.box.slices] = stroke.before[stroke.box.slices]
            self.events.emit(
                "labels_edited", stroke.layout.region(stroke.index, *stroke.box.slices)
            )

    @staticmethod
    def _in_array_order(stroke: _Stroke, display_box: np.ndarray) -> np.ndarray:
        return _array_block(stroke.layout, display_box)

    def set_slice_mask(
        self, layout: PlaneLayout, index: int, label: int, mask: np.ndarray, name: str
    ) -> bool:
        """Make `label` on slice `index` of a plane exactly `mask` (display orientation, the
        plane's shape): its pixels become `label`, the label's other pixels on the slice
        become background, as the eraser clears them. One undo step (Smart Click); the
        slice counts as edited for interpolation. False when nothing changed."""
        self.end_stroke()
        if not 0 < label < len(self.label_names):
            raise ValueError(f"label {label} is not one of 1..{len(self.label_names) - 1}")
        plane = layout.view(self.labels, index)
        if mask.shape != plane.shape:
            raise ValueError(
                f"mask {mask.shape} does not match the {layout.plane} slice {plane.shape}"
            )
        after = plane.copy()
        after[(after == label) & (mask == 0)] = 0
        after[mask > 0] = label
        rows, cols = np.nonzero(after != plane)
        if rows.size == 0:
            return False
        box = Box(int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1)
        before_block = _array_block(layout, plane[box.slices])
        plane[box.slices] = after[box.slices]
        region = layout.region(index, *box.slices)
        patch = LabelPatch(region, before_block, self.labels[region].copy())
        self._record(name, patch, ((layout.axis, index, label),))
        return True

    # -- whole edits --------------------------------------------------------------------------

    def interpolate(self, axis: int, label: int) -> int:
        """Fill the slices between consecutive edited slices of `label` along `axis`; returns
        how many slices were filled (0 when fewer than two slices were edited or all gaps are
        adjacent). One undo step."""
        self.end_stroke()
        edited = self.edited_slices(axis, label)
        gaps = [(a, b) for a, b in zip(edited, edited[1:], strict=False) if b - a > 1]
        if not gaps:
            return 0
        sampling = [s for i, s in enumerate(self.spacing_mm) if i != axis]
        stack = np.moveaxis(self.labels, axis, 0)  # a view: slices along `axis` first
        # Only the in-plane box the outlines (and the label between them) cover is computed
        # and kept for undo: an interpolation across 512×512 slices stores a kidney-sized box.
        jobs = []
        for a, b in gaps:
            ends = stack[[a, b]] >= label
            footprint = ends.any(axis=0) | (stack[a + 1 : b] == label).any(axis=0)
            if footprint.any():
                jobs.append((a, b, ends, _padded_box(footprint)))
        if not jobs:
            return 0
        rows = slice(min(j[3][0].start for j in jobs), max(j[3][0].stop for j in jobs))
        cols = slice(min(j[3][1].start for j in jobs), max(j[3][1].stop for j in jobs))
        others = [i for i in range(3) if i != axis]
        region: list[slice] = [slice(None)] * 3
        region[axis] = slice(jobs[0][0] + 1, jobs[-1][1])
        region[others[0]], region[others[1]] = rows, cols
        region_t: Region = tuple(region)  # type: ignore[assignment]
        before = self.labels[region_t].copy()
        filled = 0
        for a, b, ends, (r, c) in jobs:
            shapes = interpolated_shapes(ends[0][r, c], ends[1][r, c], b - a - 1, sampling)
            for k, shape in zip(range(a + 1, b), shapes, strict=True):
                plane = stack[k, r, c]
                plane[(plane == label) & ~shape] = 0
                plane[shape & (plane < label)] = label
                filled += 1
        after = self.labels[region_t].copy()
        if not np.array_equal(before, after):
            self._record("Interpolate", LabelPatch(region_t, before, after), ())
        return filled

    def reset_to_ai(self) -> bool:
        return self.replace(self.original.copy(), "Reset to AI labels")

    def replace(self, labels: np.ndarray, name: str) -> bool:
        """A whole-volume change (loaded labels, AI reset), undoable like a stroke."""
        self.end_stroke()
        if labels.shape != self.labels.shape:
            raise ValueError(f"labels {labels.shape} do not match the volume {self.labels.shape}")
        diff = np.nonzero(labels != self.labels)
        if diff[0].size == 0:
            return False
        region = tuple(slice(int(d.min()), int(d.max()) + 1) for d in diff)
        patch = LabelPatch(region, self.labels[region].copy(), labels[region].astype(np.uint8))  # type: ignore[arg-type]
        self.labels[region] = patch.after  # type: ignore[index]
        self._record(name, patch, ())
        return True

    # -- history ------------------------------------------------------------------------------

    def _apply(self, edit: LabelEdit, forward: bool) -> None:
        patch = edit.patch
        if forward:
            self._put(patch, patch.after, patch.before)
        else:
            self._put(patch, patch.before, patch.after)

    def _put(self, patch: LabelPatch, values: np.ndarray, replaced: np.ndarray) -> None:
        self.labels[patch.region] = values
        self._count(replaced, values)
        self.events.emit("labels_edited", patch.region)
        self.events.emit("changed", "labels")

    def _record(
        self, name: str, patch: LabelPatch, marks: tuple[SliceMark, ...], announce: bool = True
    ) -> LabelEdit:
        edit = LabelEdit(name, patch, marks)
        self._push(edit)
        self._count(patch.before, patch.after)
        if announce:
            self.events.emit("labels_edited", patch.region)
        self.events.emit("changed", "labels")
        return edit

    def _count(self, removed: np.ndarray, added: np.ndarray) -> None:
        n = len(self.label_names)
        self._counts = (
            self._counts
            - np.bincount(removed.ravel(), minlength=n)
            + np.bincount(added.ravel(), minlength=n)
        )
