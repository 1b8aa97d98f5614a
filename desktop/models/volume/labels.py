"""A D×H×W label map under correction: brush and eraser on any plane, shape-based
interpolation between edited slices, undo/redo, and the volume of each label in mL. Qt-free.

Labels are uint8 values (0 background, then e.g. 1 kidney, 2 tumour). Painting with the brush
sets the active label over whatever was there (the reader decides); the eraser clears only the
active label, so erasing kidney never removes tumour. Labels nest by value: when a slice of
label L is interpolated, its shape is every voxel >= L (the tumour lies inside the kidney
outline) and it never overwrites a higher label.

The label array, its patches (a (z, y, x) box with its values before and after, so undo costs
the size of what changed, not a copy of the volume), the brush and eraser rule and the voxel
counts are the n-dimensional core shared with the 2D mask editor
(desktop.models.editing.label_array); this module adds what only a volume has: planes, a
brush round in mm, the edited slices and the interpolation between them.

The slices a reader edited are remembered per (axis, label) through the history (undoing an
edit un-marks its slice), and `interpolate` fills the slices between consecutive edited ones:
signed distance maps of the two outlines (in mm, scipy.ndimage.distance_transform_edt), blended
linearly, inside where the blend is negative. Two discs of radius r1 and r2 give discs whose
radius runs linearly from r1 to r2 (Raya and Udupa's shape-based interpolation).

Events: labels_edited(region) while pixels change (live overlay), changed(kind) when an edit
is complete ("labels", "saved") so readouts update once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from desktop.models.editing.label_array import LabelArray, PatchEdit, PlaneCut, Region
from desktop.models.editing.mask_ops import Box, Point
from desktop.models.events import Events
from desktop.models.volume.planes import PlaneLayout

LABEL_EVENTS = ("labels_edited", "changed")
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


class SliceCut(PlaneCut):
    """Slice `index` of a plane as a stroke sees it: display rows of a head-first reformat run
    the other way than the array's, and a reformat's rows may be thick slices."""

    def __init__(self, layout: PlaneLayout, index: int) -> None:
        self.layout, self.index = layout, index
        row_mm, col_mm = layout.pixel_mm
        self.row_scale = row_mm / col_mm

    def view(self, array: np.ndarray) -> np.ndarray:
        return self.layout.view(array, self.index)

    def region(self, box: Box) -> Region:
        return self.layout.region(self.index, *box.slices)

    def block(self, display: np.ndarray) -> np.ndarray:
        block = display[::-1] if self.layout.flip_rows else display
        return np.expand_dims(block, self.layout.axis).copy()


@dataclass(frozen=True)
class LabelEdit(PatchEdit):
    marks: tuple[SliceMark, ...] = ()  # slices this edit counts as "edited by the reader"


class VolumeLabels(LabelArray):
    """Start from the AI labels (or a saved correction); every edit is undoable."""

    edited_event = "labels_edited"
    changed_kind = "labels"
    edit_type = LabelEdit

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
        self.label_names = tuple(label_names)
        self.spacing_mm = tuple(float(s) for s in spacing_mm)
        self.events = Events(LABEL_EVENTS)
        self.subscribe = self.events.subscribe
        self._start_labels(original, start, n_labels=len(self.label_names))

    # -- queries ------------------------------------------------------------------------------

    @property
    def labels(self) -> np.ndarray:
        """The labels as they are now (D×H×W uint8): the label array itself."""
        return self.array

    def volumes_ml(self) -> dict[str, float]:
        """mL per label of the labels as they are now (kept up to date edit by edit)."""
        unit = voxel_ml(self.spacing_mm)
        counts = self.label_counts
        return {n: float(counts[v]) * unit for v, n in enumerate(self.label_names) if v}

    def value_of(self, name: str) -> int:
        return self.label_names.index(name)

    def edited_slices(self, axis: int, label: int) -> list[int]:
        """Slice indices along `axis` the reader edited for `label` (in the undo history)."""
        marks = {m[1] for e in self._undo for m in e.marks if m[0] == axis and m[2] == label}
        return sorted(marks)

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
        mark = (layout.axis, index, label)
        return self._begin_stroke(
            SliceCut(layout, index), point, radius, label, erase, marks=(mark,)
        )

    def _footprint(
        self, shape: tuple[int, ...], p0: Point, p1: Point, radius: float, row_scale: float
    ) -> tuple[Box, np.ndarray]:
        return swept_disc((int(shape[0]), int(shape[1])), p0, p1, radius, row_scale)

    def set_slice_mask(
        self, layout: PlaneLayout, index: int, label: int, mask: np.ndarray, name: str
    ) -> bool:
        """Make `label` on slice `index` of a plane exactly `mask` (display orientation, the
        plane's shape): its pixels become `label`, the label's other pixels on the slice
        become background, as the eraser clears them. One undo step (Smart Click); the
        slice counts as edited for interpolation. False when nothing changed."""
        self.end_stroke()
        self._check_label(label)
        plane = layout.view(self.labels, index)
        if mask.shape != plane.shape:
            raise ValueError(
                f"mask {mask.shape} does not match the {layout.plane} slice {plane.shape}"
            )
        marks = ((layout.axis, index, label),)
        return (
            self._set_plane_label(SliceCut(layout, index), mask, label, name, marks=marks)
            is not None
        )

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
        self._commit("Interpolate", region_t, before)
        return filled

    def reset_to_ai(self) -> bool:
        return self.replace(self.original.copy(), "Reset to AI labels")

    def replace(self, labels: np.ndarray, name: str) -> bool:
        """A whole-volume change (loaded labels, AI reset), undoable like a stroke."""
        self.end_stroke()
        if labels.shape != self.labels.shape:
            raise ValueError(f"labels {labels.shape} do not match the volume {self.labels.shape}")
        return self._replace(labels.astype(np.uint8), name)
