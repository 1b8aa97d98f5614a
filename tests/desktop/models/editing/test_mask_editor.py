"""The Qt-free correction model: tools against brute-force references, undo/redo, events."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop.models.editing.mask_editor import MaskEditor
from desktop.models.editing.mask_ops import Box, capsule_box, paint_capsule

H, W = 40, 60


def disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    return ((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2).astype(np.uint8)


Pt = tuple[float, float]


def segment_distance(p: Pt, a: Pt, b: Pt) -> float:
    """Plain-Python point-to-segment distance: the reference for the vectorised brush."""
    ax, ay, bx, by, px, py = a[1], a[0], b[1], b[0], p[1], p[0]
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def stroke_reference(points: list[tuple[float, float]], radius: float) -> np.ndarray:
    out = np.zeros((H, W), np.uint8)
    for r in range(H):
        for c in range(W):
            segments = zip(points, points[1:], strict=False)
            if any(segment_distance((r, c), a, b) <= radius for a, b in segments):
                out[r, c] = 1
    return out


def record_events(editor: MaskEditor) -> list[tuple]:
    events: list[tuple] = []
    editor.subscribe("mask_edited", lambda box: events.append(("mask_edited", box)))
    editor.subscribe("changed", lambda kind: events.append(("changed", kind)))
    return events


@pytest.fixture
def editor() -> MaskEditor:
    ai = disc((H, W), (20, 20), 8)
    return MaskEditor(ai, "benign", ("benign", "malignant"))


def test_brush_stroke_matches_swept_disc_reference(editor: MaskEditor) -> None:
    empty = MaskEditor(np.zeros((H, W), np.uint8), None)
    points = [(5.0, 5.0), (5.4, 30.2), (30.0, 45.0)]  # a fast stroke: only three events
    empty.begin_stroke(points[0], radius=2.5)
    for point in points[1:]:
        empty.stroke_to(point)
    empty.end_stroke()
    assert np.array_equal(empty.mask, stroke_reference(points, 2.5))
    assert empty.undo_name == "Brush" and empty.modified


def test_eraser_cuts_and_single_click_paints_one_disc(editor: MaskEditor) -> None:
    editor.begin_stroke((20.0, 12.0), radius=3, erase=True)
    editor.stroke_to((20.0, 28.0))
    editor.end_stroke()
    expected = disc((H, W), (20, 20), 8) * (1 - stroke_reference([(20.0, 12.0), (20.0, 28.0)], 3))
    assert np.array_equal(editor.mask, expected)
    assert editor.undo_name == "Eraser"
    editor.begin_stroke((35.0, 50.0), radius=2)
    editor.end_stroke()
    assert np.array_equal(editor.mask[30:40, 45:55], disc((H, W), (35, 50), 2)[30:40, 45:55])


def inside_polygon(p: tuple[float, float], vertices: list[tuple[float, float]]) -> bool:
    """Ray casting in plain Python: the reference for the lasso fill."""
    inside = False
    for (r0, c0), (r1, c1) in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        if (r0 > p[0]) != (r1 > p[0]) and p[1] < c0 + (p[0] - r0) * (c1 - c0) / (r1 - r0):
            inside = not inside
    return inside


def test_polygon_add_and_subtract_follow_pixel_centres(editor: MaskEditor) -> None:
    triangle = [(2.0, 35.0), (30.0, 58.0), (30.0, 35.0)]
    edges = list(zip(triangle, triangle[1:] + triangle[:1], strict=True))
    before = editor.mask.copy()
    assert editor.fill_polygon(triangle)
    checked = 0
    for r in range(H):
        for c in range(W):
            if min(segment_distance((r, c), a, b) for a, b in edges) < 0.5:
                continue  # centres on an edge may go either way
            expected = 1 if inside_polygon((r, c), triangle) else before[r, c]
            assert editor.mask[r, c] == expected, (r, c)
            checked += 1
    assert checked > 0.9 * H * W
    square = [(14.0, 14.0), (14.0, 26.0), (26.0, 26.0), (26.0, 14.0)]
    assert editor.fill_polygon(square, erase=True)
    assert not editor.mask[15:26, 15:26].any() and editor.undo_name == "Polygon subtract"
    assert not editor.fill_polygon([(1.0, 1.0), (2.0, 2.0)])  # two points are no polygon


def test_fill_holes_smooth_and_delete_lesion() -> None:
    ring = disc((H, W), (20, 20), 9) - disc((H, W), (20, 20), 4)
    speck = np.zeros((H, W), np.uint8)
    speck[3, 55] = 1
    blob = disc((H, W), (30, 48), 5)
    editor = MaskEditor(ring | speck | blob, "benign")
    assert editor.fill_holes()
    assert np.array_equal(editor.mask, disc((H, W), (20, 20), 9) | speck | blob)
    assert not editor.fill_holes()  # nothing left to fill: no empty undo step
    assert editor.smooth(sigma_px=1.5)
    assert editor.mask[3, 55] == 0  # a one-pixel speck is gone
    area = int(disc((H, W), (20, 20), 9).sum())
    assert abs(int(editor.mask[:, :40].sum()) - area) < 0.1 * area  # the disc keeps its size
    assert not editor.delete_lesion((0.0, 0.0))  # background: nothing to delete
    assert editor.delete_lesion((30.2, 47.8))
    assert not editor.mask[24:37, 42:55].any() and editor.mask[20, 20] == 1


def test_undo_redo_restore_every_step_exactly(editor: MaskEditor) -> None:
    snapshots = [editor.mask.copy()]
    editor.begin_stroke((5.0, 40.0), 3)
    editor.stroke_to((30.0, 50.0))
    editor.end_stroke()
    snapshots.append(editor.mask.copy())
    editor.fill_polygon([(0.0, 0.0), (0.0, 10.0), (10.0, 0.0)])
    snapshots.append(editor.mask.copy())
    editor.delete_lesion((20.0, 20.0))
    snapshots.append(editor.mask.copy())
    editor.reset_to_ai()
    snapshots.append(editor.mask.copy())
    for expected in reversed(snapshots[:-1]):
        assert editor.undo()
        assert np.array_equal(editor.mask, expected)
    assert not editor.undo() and not editor.can_undo and not editor.modified
    for expected in snapshots[1:]:
        assert editor.redo()
        assert np.array_equal(editor.mask, expected)
    assert not editor.redo()
    editor.undo()
    editor.begin_stroke((35.0, 5.0), 1)
    editor.end_stroke()
    assert not editor.can_redo  # a new edit drops the redo branch


def test_history_stores_patches_not_masks() -> None:
    big = MaskEditor(np.zeros((768, 1024), np.uint8), None)
    for k in range(20):
        big.begin_stroke((100.0 + k, 100.0), 4)
        big.stroke_to((110.0 + k, 130.0))
        big.end_stroke()
    assert len(big._undo) == 20
    assert big.history_nbytes < 20 * 40 * 40 / 8  # each stroke's box is about 20×40 px, 1 bit each
    assert big.history_nbytes < big.mask.nbytes / 10


def test_class_confirmation_is_an_undoable_edit(editor: MaskEditor) -> None:
    events = record_events(editor)
    assert editor.set_label("malignant") and editor.label == "malignant"
    assert not editor.set_label("malignant")
    with pytest.raises(ValueError, match="unknown class"):
        editor.set_label("cyst")
    assert editor.undo() and editor.label == "benign"
    assert editor.redo() and editor.label == "malignant"
    assert events == [("changed", "label")] * 3


def test_modified_tracks_the_saved_point(editor: MaskEditor) -> None:
    assert not editor.modified and not editor.differs_from_ai
    editor.fill_holes()  # a full disc has no holes: no edit
    assert not editor.modified
    editor.begin_stroke((2.0, 2.0), 1.5)
    editor.end_stroke()
    assert editor.modified and editor.differs_from_ai
    editor.mark_saved()
    assert not editor.modified
    editor.undo()
    assert editor.modified and not editor.differs_from_ai  # back to the AI mask, but unsaved
    editor.redo()
    assert not editor.modified


def test_events_live_during_stroke_and_once_at_the_end(editor: MaskEditor) -> None:
    events = record_events(editor)
    editor.begin_stroke((5.0, 40.0), 2)
    editor.stroke_to((5.0, 44.0))
    assert [e[0] for e in events] == ["mask_edited", "mask_edited"]
    assert events[1][1] == capsule_box((5.0, 40.0), (5.0, 44.0), 2, (H, W))
    editor.end_stroke()
    assert events[-1] == ("changed", "mask") and len(events) == 3
    editor.undo()
    assert [e[0] for e in events[3:]] == ["mask_edited", "changed"]


def test_cancelled_stroke_leaves_no_trace(editor: MaskEditor) -> None:
    before = editor.mask.copy()
    editor.begin_stroke((2.0, 2.0), 3)
    editor.stroke_to((2.0, 50.0))
    editor.cancel_stroke()
    assert np.array_equal(editor.mask, before) and not editor.can_undo


def test_stroke_outside_the_image_is_clipped() -> None:
    mask = np.zeros((10, 10), np.uint8)
    box = paint_capsule(mask, (-5.0, -5.0), (-3.0, -3.0), 1.0, 1)
    assert box.empty and not mask.any()
    box = paint_capsule(mask, (-2.0, 5.0), (20.0, 5.0), 0.5, 1)
    assert box == Box(0, 10, 4, 7) and mask[:, 5].all() and mask.sum() == 10


def test_editor_rejects_mismatched_masks() -> None:
    with pytest.raises(ValueError, match="does not match"):
        MaskEditor(np.zeros((4, 4), np.uint8), None, mask=np.zeros((4, 5), np.uint8))
