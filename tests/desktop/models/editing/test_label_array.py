"""The n-dimensional label core of the 2D mask editor and the 3D label editor: packed patches,
the brush and eraser rule, undo/redo, voxel counts, in 2D and in 3D."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.models.editing.label_array import (
    LabelArray,
    LabelPatch,
    PackedValues,
    PlaneCut,
    Region,
    changed_region,
    offset_region,
    paint,
)
from desktop.models.editing.mask_ops import Box, Point
from desktop.models.events import Events


class SquareBrush(LabelArray):
    """The smallest editor on the core: a square brush of half-width `radius` (the core does
    not care how a footprint is swept), on a 2D or a 3D array."""

    edited_event = "edited"
    changed_kind = "labels"

    def __init__(self, original: np.ndarray, n_labels: int, start: np.ndarray | None = None):
        self.events = Events(("edited", "changed"))
        self.seen: list[tuple[str, object]] = []
        self.events.subscribe("edited", lambda region: self.seen.append(("edited", region)))
        self.events.subscribe("changed", lambda kind: self.seen.append(("changed", kind)))
        self._start_labels(original, original if start is None else start, n_labels)

    def _footprint(
        self, shape: tuple[int, ...], p0: Point, p1: Point, radius: float, row_scale: float
    ) -> tuple[Box, np.ndarray]:
        half = int(radius)  # the core's smallest brush (0.5) is one pixel
        r0 = max(0, round(min(p0[0], p1[0])) - half)
        r1 = min(shape[0], round(max(p0[0], p1[0])) + half + 1)
        c0 = max(0, round(min(p0[1], p1[1])) - half)
        c1 = min(shape[1], round(max(p0[1], p1[1])) + half + 1)
        box = Box(r0, max(r0, r1), c0, max(c0, c1))
        return box, np.ones((box.row1 - box.row0, box.col1 - box.col0), dtype=bool)


class SliceOfAxis0(PlaneCut):
    """Slice `index` along the first axis of a 3D array, with its rows shown upside down:
    the core must write display boxes into the right voxels of a flipped plane."""

    def __init__(self, index: int, rows: int) -> None:
        self.index, self.rows = index, rows

    def view(self, array: np.ndarray) -> np.ndarray:
        return array[self.index, ::-1]

    def region(self, box: Box) -> Region:
        return (
            slice(self.index, self.index + 1),
            slice(self.rows - box.row1, self.rows - box.row0),
            slice(box.col0, box.col1),
        )

    def block(self, display: np.ndarray) -> np.ndarray:
        return display[::-1][None].copy()


def test_packed_values_round_trip_at_one_bit_or_one_byte() -> None:
    rng = np.random.default_rng(0)
    for top, binary in ((1, True), (2, False), (200, False)):
        values = rng.integers(0, top + 1, size=(7, 11, 13), dtype=np.uint8)
        values.flat[0] = top
        packed = PackedValues.of(values)
        assert packed.binary == binary
        assert packed.nbytes == (-(-values.size // 8) if binary else values.size)
        assert np.array_equal(packed.unpack(), values) and packed.unpack().dtype == np.uint8
    assert PackedValues.of(np.zeros((0, 4), np.uint8)).unpack().shape == (0, 4)
    assert np.array_equal(PackedValues.of(np.zeros((3, 3), np.uint8)).unpack(), np.zeros((3, 3)))


def test_a_patch_of_a_binary_box_costs_two_bits_a_pixel() -> None:
    before = np.zeros((20, 40), np.uint8)
    after = before.copy()
    after[5:15, 10:30] = 1
    patch = LabelPatch.between((slice(3, 23), slice(0, 40)), before, after)
    assert patch.nbytes == 2 * 20 * 40 // 8
    assert np.array_equal(patch.before, before) and np.array_equal(patch.after, after)
    with pytest.raises(ValueError, match="differ"):
        LabelPatch.between((slice(0, 1),), before, after[:5])


def test_changed_region_is_tight_in_any_dimension() -> None:
    before = np.zeros((4, 5, 6), np.uint8)
    after = before.copy()
    assert changed_region(before, after) is None
    after[1, 2, 3] = after[2, 4, 1] = 2
    inner = changed_region(before, after)
    assert inner == (slice(1, 3), slice(2, 5), slice(1, 4))
    assert offset_region((slice(10, 20), slice(0, 5), slice(3, 9)), inner) == (
        slice(11, 13),
        slice(2, 5),
        slice(4, 7),
    )


def test_paint_sets_the_label_and_the_eraser_clears_only_it() -> None:
    block = np.array([[0, 1, 2], [1, 2, 0]], np.uint8)
    footprint = np.array([[True, True, True], [True, False, True]])
    erased = block.copy()
    paint(erased, footprint, 1, erase=True)
    assert erased.tolist() == [[0, 0, 2], [0, 2, 0]]
    painted = block.copy()
    paint(painted, footprint, 2, erase=False)
    assert painted.tolist() == [[2, 2, 2], [2, 2, 2]]


def test_2d_strokes_undo_redo_and_tight_patches() -> None:
    editor = SquareBrush(np.zeros((30, 40), np.uint8), n_labels=3)
    plane = PlaneCut()
    editor._begin_stroke(plane, (10.0, 10.0), 2.0, 1, erase=False)  # noqa: SLF001
    editor.stroke_to((10.0, 20.0))
    first = editor.end_stroke()
    assert first is not None and first.name == "Brush" and first.patch is not None
    assert first.patch.region == (slice(8, 13), slice(8, 23))  # the painted box, no wider
    assert first.patch.nbytes == 2 * -(-5 * 15 // 8)  # before and after: one bit a pixel each
    assert editor.label_counts.tolist() == [30 * 40 - 75, 75, 0]
    snapshot = editor.array.copy()
    editor._begin_stroke(plane, (10.0, 15.0), 1.0, 2, erase=False)  # noqa: SLF001
    editor.end_stroke()
    assert editor.label_counts.tolist() == [30 * 40 - 75, 75 - 9, 9]
    editor._begin_stroke(plane, (10.0, 10.0), 6.0, 1, erase=True)  # noqa: SLF001
    editor.end_stroke()
    assert editor.undo_name == "Eraser"
    assert not (editor.array[:, :17] == 1).any() and np.count_nonzero(editor.array == 2) == 9
    assert editor.undo() and editor.undo()
    assert np.array_equal(editor.array, snapshot) and editor.label_counts[2] == 0
    assert editor.redo() and editor.redo() and not editor.redo()
    assert np.count_nonzero(editor.array == 2) == 9 and editor.label_counts[1] == 75 - 9 - 36
    assert editor.differs_from_ai and editor.modified


def test_events_while_painting_and_once_when_the_edit_is_complete() -> None:
    editor = SquareBrush(np.zeros((10, 10), np.uint8), n_labels=2)
    editor._begin_stroke(PlaneCut(), (5.0, 5.0), 1.0, 1, erase=False)  # noqa: SLF001
    editor.stroke_to((5.0, 6.0))
    assert editor.seen == [
        ("edited", (slice(4, 7), slice(4, 7))),
        ("edited", (slice(4, 7), slice(4, 8))),
    ]
    editor.end_stroke()
    assert editor.seen[2:] == [("changed", "labels")]
    editor.undo()
    assert editor.seen[3:] == [("edited", (slice(4, 7), slice(4, 8))), ("changed", "labels")]


def test_a_stroke_that_changes_nothing_and_a_cancelled_stroke_leave_no_step() -> None:
    start = np.ones((10, 10), np.uint8)
    editor = SquareBrush(start, n_labels=2)
    editor._begin_stroke(PlaneCut(), (5.0, 5.0), 2.0, 1, erase=False)  # noqa: SLF001
    assert editor.end_stroke() is None and not editor.can_undo
    editor._begin_stroke(PlaneCut(), (5.0, 5.0), 2.0, 1, erase=True)  # noqa: SLF001
    assert not editor.array[5, 5] and editor.stroking
    editor.cancel_stroke()
    assert np.array_equal(editor.array, start) and not editor.can_undo and not editor.stroking
    assert editor.label_counts.tolist() == [0, 100]
    with pytest.raises(ValueError, match="label 2 is not one of 1..1"):
        editor._begin_stroke(PlaneCut(), (5.0, 5.0), 2.0, 2, erase=False)  # noqa: SLF001
    with pytest.raises(RuntimeError, match="without begin_stroke"):
        editor.stroke_to((1.0, 1.0))


def test_3d_stroke_on_a_flipped_plane_writes_the_right_voxels_and_undoes() -> None:
    editor = SquareBrush(np.zeros((4, 12, 12), np.uint8), n_labels=3)
    cut = SliceOfAxis0(2, rows=12)
    editor._begin_stroke(cut, (0.0, 5.0), 0.0, 2, erase=False)  # noqa: SLF001 - 0.5: one pixel
    edit = editor.end_stroke()
    assert editor.array[2, 11, 5] == 2 and np.count_nonzero(editor.array) == 1  # top = last row
    assert edit is not None and edit.patch is not None
    assert edit.patch.region == (slice(2, 3), slice(11, 12), slice(5, 6))
    assert edit.patch.before.shape == (1, 1, 1) and edit.patch.after.tolist() == [[[2]]]
    editor.undo()
    assert not editor.array.any() and editor.label_counts.tolist() == [4 * 144, 0, 0]


def test_3d_plane_label_and_whole_array_replacement_are_single_undo_steps() -> None:
    start = np.zeros((5, 8, 8), np.uint8)
    start[:, 2:4, 2:4] = 1  # kidney through every slice
    start[3, 6, 6] = 2  # a tumour voxel on slice 3
    editor = SquareBrush(start, n_labels=3)
    cut = SliceOfAxis0(3, rows=8)
    mask = np.zeros((8, 8), np.uint8)
    mask[0, 0:3] = 1  # display row 0 = array row 7
    edit = editor._set_plane_label(cut, mask, 1, "Smart click")  # noqa: SLF001
    assert edit is not None and edit.patch is not None
    assert editor.array[3, 7, 0:3].tolist() == [1, 1, 1] and not editor.array[3, 2:4, 2:4].any()
    assert editor.array[3, 6, 6] == 2 and np.array_equal(editor.array[2], start[2])
    assert edit.patch.region == (slice(3, 4), slice(2, 8), slice(0, 4))  # only what changed
    assert editor._set_plane_label(cut, mask, 1, "Smart click") is None  # noqa: SLF001
    everything = np.full(start.shape, 2, np.uint8)
    assert editor._replace(everything, "All tumour")  # noqa: SLF001
    assert not editor._replace(everything, "All tumour")  # noqa: SLF001 - no empty step
    assert editor.label_counts.tolist() == [0, 0, 5 * 64]
    assert editor.history_nbytes == 2 * 24 // 8 + 2 * 320  # binary box: bits; labels 0-2: bytes
    editor.undo()
    editor.undo()
    assert np.array_equal(editor.array, start) and not editor.differs_from_ai
    assert editor.label_counts.tolist() == [5 * 64 - 21, 20, 1]
    editor.mark_saved()
    assert not editor.modified
