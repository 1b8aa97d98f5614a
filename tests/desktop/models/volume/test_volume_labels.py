"""The label-volume editor: strokes on any plane, interpolation between edited slices, mL."""

from __future__ import annotations

import math

import numpy as np
import pytest

from desktop.models.volume.labels import (
    VolumeLabels,
    interpolated_shapes,
    label_volumes_ml,
    signed_distance,
    swept_disc,
)
from desktop.models.volume.planes import AXIAL, CORONAL, SAGITTAL, PlaneLayout
from engine.types import Volume

NAMES = ("background", "kidney", "tumour")


def layout(plane: str, shape=(11, 64, 64), spacing=(1.0, 1.0, 1.0), head_first=False):  # noqa: ANN001, ANN201
    return PlaneLayout(plane, shape, spacing, flip_rows=plane != AXIAL and head_first)


def disc_area(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask))


def test_volume_in_ml_of_a_known_box() -> None:
    labels = np.zeros((10, 20, 30), dtype=np.uint8)
    labels[2:6, 5:15, 10:20] = 1  # 4 × 10 × 10 voxels
    labels[3, 8, 12] = 2
    ml = label_volumes_ml(labels, NAMES, (2.5, 0.8, 0.8))
    assert ml["kidney"] == pytest.approx((400 - 1) * 2.5 * 0.64 / 1000)
    assert ml["tumour"] == pytest.approx(2.5 * 0.64 / 1000)
    editor = VolumeLabels(labels, NAMES, (2.5, 0.8, 0.8))
    assert editor.volumes_ml() == pytest.approx(ml)


def test_signed_distance_is_negative_inside_in_mm() -> None:
    mask = np.zeros((9, 9), dtype=bool)
    mask[2:7, 2:7] = True
    sdf = signed_distance(mask, (2.0, 1.0))
    assert sdf[4, 4] < 0 < sdf[0, 4]
    assert sdf[0, 4] == pytest.approx(4.0)  # two rows of 2 mm to the nearest inside centre
    assert sdf[4, 4] == pytest.approx(-3.0)  # three columns of 1 mm beat three rows of 2 mm
    assert np.array_equal(sdf < 0, mask)


def test_interpolated_discs_have_linear_radii() -> None:
    yy, xx = np.mgrid[:64, :64]
    r1, r2 = 6.0, 20.0
    first = (yy - 32) ** 2 + (xx - 30) ** 2 <= r1**2
    last = (yy - 32) ** 2 + (xx - 30) ** 2 <= r2**2
    shapes = interpolated_shapes(first, last, 9, (1.0, 1.0))
    for k, shape in enumerate(shapes, start=1):
        radius = r1 + (r2 - r1) * k / 10
        assert disc_area(shape) == pytest.approx(math.pi * radius**2, rel=0.06)
        assert shape[32, 30] and not shape[32, 30 + math.ceil(radius) + 1]


def test_brush_strokes_on_two_slices_then_interpolate_fills_between() -> None:
    editor = VolumeLabels(np.zeros((11, 64, 64), np.uint8), NAMES, (1.0, 1.0, 1.0))
    axial = layout(AXIAL)
    kidney = editor.value_of("kidney")
    editor.begin_stroke(axial, 0, (32.0, 30.0), 6.0, kidney)
    editor.end_stroke()
    editor.begin_stroke(axial, 10, (32.0, 30.0), 20.0, kidney)
    editor.end_stroke()
    assert editor.edited_slices(0, kidney) == [0, 10]
    assert not editor.labels[5].any()
    assert editor.interpolate(0, kidney) == 9
    areas = [disc_area(editor.labels[k] == kidney) for k in range(11)]
    for k in range(1, 10):
        radius = 6.0 + 14.0 * k / 10
        assert areas[k] == pytest.approx(math.pi * radius**2, rel=0.06)
    assert areas == sorted(areas)
    ml = editor.volumes_ml()["kidney"]
    assert ml == pytest.approx(sum(areas) / 1000)
    assert editor.undo_name == "Interpolate"
    editor.undo()
    assert not editor.labels[1:10].any() and editor.labels[0].any()
    editor.undo()  # the second stroke: slice 10 is no longer an edited slice
    assert editor.edited_slices(0, kidney) == [0]
    assert editor.interpolate(0, kidney) == 0
    editor.redo()
    editor.redo()
    assert editor.volumes_ml()["kidney"] == pytest.approx(ml)


def test_interpolation_keeps_higher_labels_and_nests() -> None:
    labels = np.zeros((5, 32, 32), np.uint8)
    labels[2, 15, 15] = 2  # a tumour voxel between the edited slices
    editor = VolumeLabels(labels, NAMES, (1.0, 1.0, 1.0))
    axial = layout(AXIAL, shape=(5, 32, 32))
    for index in (0, 4):
        editor.begin_stroke(axial, index, (16.0, 16.0), 6.0, 1)
        editor.end_stroke()
    editor.begin_stroke(axial, 0, (16.0, 16.0), 2.0, 2)  # tumour inside the kidney outline
    editor.end_stroke()
    disc = np.count_nonzero(editor.labels[4] == 1)
    assert editor.edited_slices(0, 1) == [0, 4] and editor.edited_slices(0, 2) == [0]
    assert editor.interpolate(0, 1) == 3
    assert editor.labels[2, 15, 15] == 2  # never overwritten by the lower label
    assert np.count_nonzero(editor.labels[2] >= 1) == disc  # the outline is whole


def test_eraser_clears_only_the_active_label() -> None:
    labels = np.zeros((3, 16, 16), np.uint8)
    labels[1, 4:12, 4:12] = 1
    labels[1, 7:9, 7:9] = 2
    editor = VolumeLabels(labels, NAMES, (1.0, 1.0, 1.0))
    editor.begin_stroke(layout(AXIAL, shape=(3, 16, 16)), 1, (8.0, 8.0), 6.0, 1, erase=True)
    editor.end_stroke()
    assert not (editor.labels == 1).any() and np.count_nonzero(editor.labels == 2) == 4
    assert editor.modified and editor.differs_from_ai
    editor.mark_saved()
    assert not editor.modified


@pytest.mark.parametrize("plane", [CORONAL, SAGITTAL])
def test_strokes_on_reformats_write_the_right_voxels(plane: str) -> None:
    volume = Volume(np.zeros((6, 10, 12), np.int16), (2.0, 1.0, 1.0))  # head first: normal +z
    lay = PlaneLayout.of(volume, plane)
    assert lay.flip_rows and lay.shape == ((6, 12) if plane == CORONAL else (6, 10))
    editor = VolumeLabels(np.zeros((6, 10, 12), np.uint8), NAMES, (2.0, 1.0, 1.0))
    editor.begin_stroke(lay, 4, (0.0, 3.0), 0.5, 2)  # top display row: the last slice
    edit = editor.end_stroke()
    voxel = lay.voxel(4, 0.0, 3.0)
    assert voxel == ((5, 4, 3) if plane == CORONAL else (5, 3, 4))
    assert editor.labels[voxel] == 2 and np.count_nonzero(editor.labels) == 1
    assert lay.plane_point(voxel) == (4, 0, 3)
    assert edit is not None and edit.marks == ((lay.axis, 4, 2),)
    editor.undo()
    assert not editor.labels.any()


def test_interpolation_along_a_reformat_axis_stays_in_the_outline_box() -> None:
    shape = (20, 30, 40)
    editor = VolumeLabels(np.zeros(shape, np.uint8), NAMES, (2.0, 1.0, 1.0))
    coronal = PlaneLayout(CORONAL, shape, (2.0, 1.0, 1.0), flip_rows=True)
    for index in (5, 15):
        editor.begin_stroke(coronal, index, (10.0, 20.0), 4.0, 1)  # display row 10 = z 9
        editor.end_stroke()
    assert editor.edited_slices(1, 1) == [5, 15]
    assert editor.interpolate(1, 1) == 9
    disc = np.count_nonzero(editor.labels[:, 5, :])
    for y in range(6, 15):
        assert np.count_nonzero(editor.labels[:, y, :]) == disc
    assert editor.labels[9, 10, 20] == 1 and not editor.labels[:, :5].any()
    patch = editor._undo[-1].patch  # noqa: SLF001 - the box kept for undo
    assert patch.region[1] == slice(6, 15) and patch.before.shape[0] < shape[0]


def test_brush_is_round_in_mm_on_thick_slice_reformats() -> None:
    box, disc = swept_disc((40, 40), (20.0, 20.0), (20.0, 20.0), 6.0, row_scale=3.0)
    rows, cols = np.nonzero(disc)
    assert (rows + box.row0).min() == 18 and (rows + box.row0).max() == 22  # ±6 mm in 3 mm rows
    assert (cols + box.col0).min() == 14 and (cols + box.col0).max() == 26  # ±6 px of 1 mm
    _, round_disc = swept_disc((40, 40), (20.0, 20.0), (20.0, 20.0), 6.0)
    assert np.count_nonzero(round_disc) == sum(
        1 for r in range(-6, 7) for c in range(-6, 7) if r * r + c * c <= 36
    )
    editor = VolumeLabels(np.zeros((10, 40, 40), np.uint8), NAMES, (3.0, 1.0, 1.0))
    editor.begin_stroke(layout(CORONAL, (10, 40, 40), (3.0, 1.0, 1.0)), 20, (5.0, 20.0), 6.0, 1)
    editor.end_stroke()
    assert np.nonzero(editor.labels[:, 20, 20])[0].tolist() == [3, 4, 5, 6, 7]


def test_views_are_named_by_what_they_show_in_the_patient() -> None:
    axial_ct = Volume(np.zeros((4, 5, 6), np.int16), (3.0, 1.0, 1.0))
    assert [PlaneLayout.of(axial_ct, p).title for p in (AXIAL, CORONAL, SAGITTAL)] == [
        "Axial",
        "Coronal",
        "Sagittal",
    ]
    # A sagittal MR series: rows run towards the feet, columns to the back.
    sagittal_mr = Volume(np.zeros((4, 5, 6), np.int16), (3.0, 1.0, 1.0), (0, 1, 0, 0, 0, -1))
    layouts = [PlaneLayout.of(sagittal_mr, p) for p in (AXIAL, CORONAL, SAGITTAL)]
    assert [lay.title for lay in layouts] == ["Sagittal", "Axial", "Coronal"]
    assert not any(lay.flip_rows for lay in layouts)  # its slices do not run towards the head


def test_a_slice_mask_replaces_one_label_on_a_flipped_plane_in_one_undo_step() -> None:
    """Smart Click's write: on a head-first coronal slice (rows flipped on screen) the mask's
    display rows land on the right voxels; the label's other pixels on the slice go, the
    other label stays where the mask does not reach, other slices are untouched."""
    shape = (6, 12, 10)
    start = np.zeros(shape, dtype=np.uint8)
    start[:, 5, 1:3] = 1  # kidney on every coronal slice y=5, cols 1-2
    start[0, 5, 8] = 2  # a tumour voxel at z=0 (the bottom display row of a flipped slice)
    editor = VolumeLabels(start, NAMES, (2.0, 1.0, 1.0))
    coronal = layout(CORONAL, shape, (2.0, 1.0, 1.0), head_first=True)
    mask = np.zeros((6, 10), dtype=np.uint8)
    mask[0, 4:7] = 1  # display row 0 = z 5 (flipped)
    assert editor.set_slice_mask(coronal, 5, 1, mask, "Smart click")
    after = editor.labels
    assert after[5, 5, 4:7].tolist() == [1, 1, 1]  # written at z=5
    assert not after[:5, 5, 1:3].any() and not after[5, 5, 1:3].any()  # the old kidney went
    assert after[0, 5, 8] == 2  # the tumour stays
    assert (after[:, 4] == start[:, 4]).all() and (after[:, 6] == start[:, 6]).all()
    assert editor.undo_name == "Smart click" and editor.edited_slices(1, 1) == [5]
    assert not editor.set_slice_mask(coronal, 5, 1, mask, "Smart click")  # nothing changes
    editor.undo()
    assert np.array_equal(editor.labels, start)
    with pytest.raises(ValueError, match="does not match"):
        editor.set_slice_mask(coronal, 5, 1, np.zeros((5, 5), np.uint8), "Smart click")
