"""Smart Click on the planes of a CT volume in the main window, with real mouse and key
events and the shipped interactive bundle: a click or a box on a plane outlines the structure
in the active label on that slice only (one undo step, in the label brush's history), the
encoder sees the HU slice through the soft-tissue window whatever W/L is on screen, and it
works on the coronal plane as on the axial."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.main_window import MainWindow
from desktop.models.editing.smart_click import BOX_EDIT_NAME, EDIT_NAME
from desktop.models.editing.tool_state import SMART_CLICK
from desktop.models.volume.planes import AXIAL, CORONAL
from engine.interactive import iou
from engine.interactive.ct import soft_tissue_slice
from engine.synth.nifti_out import write_nifti

SHAPE = (48, 72, 72)  # z, y, x; 1 mm voxels so every plane shows the sphere as a disc
CENTRE, RADIUS = (24, 36, 36), 14  # with tissue round it on every plane
MOVE_GAP_MS = 15  # pyqtgraph drops mouse moves closer than 10 ms apart


def sphere() -> np.ndarray:
    z, y, x = np.ogrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    c = CENTRE
    return (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2 <= RADIUS**2


@pytest.fixture
def lesion_ct(tmp_path: Path) -> Path:
    """Soft tissue (60 HU) with a hypodense sphere (-60 HU), as a cyst or a necrotic node, and
    CT noise (SD 20 HU; the interactive model outlines noise-free flat discs poorly)."""
    noise = np.random.default_rng(3).normal(0.0, 20.0, SHAPE)
    hu = np.rint(np.where(sphere(), -60, 60) + noise).astype(np.int16)
    return write_nifti(tmp_path / "lesion.nii.gz", hu, (1.0, 1.0, 1.0))


@pytest.fixture
def workspace(qtbot, window: MainWindow, lesion_ct: Path):  # noqa: ANN001, ANN201
    assert window.open_path(lesion_ct)
    workspace = window.volume_mode.workspace
    qtbot.wait(50)  # the views laid out before mouse positions are mapped
    QTest.keyClick(window, Qt.Key.Key_A)  # the window's key for Label Smart Click
    assert window.tools.tool == SMART_CLICK
    return workspace


def test_a_click_on_the_axial_plane_outlines_the_lesion_on_that_slice(
    qtbot, window: MainWindow, workspace
) -> None:  # noqa: ANN001
    session, axial = workspace.session, workspace.canvas(AXIAL)
    assert session.position[0] == CENTRE[0]
    session.apply_preset("Bone")  # the reader's W/L: not what the model is given
    qtbot.mouseClick(axial.viewport(), Qt.MouseButton.LeftButton, pos=axial.viewport_point(36, 36))
    labels = session.labels.labels
    target = sphere()[CENTRE[0]]
    assert iou(labels[CENTRE[0]] == 1, target) > 0.7  # kidney, the active label
    others = np.delete(labels, CENTRE[0], axis=0)
    assert not others.any()  # only the slice shown
    assert session.labels.undo_name == EDIT_NAME and session.labels.assisted_by
    seen = axial.controller.smart_click.series._pixels  # what was encoded
    assert np.array_equal(seen, soft_tissue_slice(session.volume.voxels[CENTRE[0]]))
    assert abs(np.median(seen[sphere()[CENTRE[0]]]) - 0.25) <= 0.01  # -60 HU through W400 L40
    assert abs(np.median(seen[~sphere()[CENTRE[0]]]) - 0.55) <= 0.01  # 60 HU
    assert session.labels.edited_slices(0, 1) == [CENTRE[0]]  # counts for interpolation
    assert window.volume_mode.undo_action.isEnabled()
    window.volume_mode.undo_action.trigger()
    assert not labels.any()


def test_a_box_on_another_slice_and_a_right_click_remove(qtbot, window, workspace) -> None:  # noqa: ANN001
    session, axial = workspace.session, workspace.canvas(AXIAL)
    workspace.readout.group.button(2).click()  # tumour
    k = CENTRE[0] - 4
    workspace.panels[AXIAL].slider.setValue(k)
    viewport = axial.viewport()
    start, end = (18.0, 18.0), (54.0, 54.0)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=axial.viewport_point(*start))
    for t in np.linspace(0.2, 1.0, 5):
        qtbot.wait(MOVE_GAP_MS)
        point = [a + t * (b - a) for a, b in zip(start, end, strict=True)]
        qtbot.mouseMove(viewport, pos=axial.viewport_point(*point))
    qtbot.wait(MOVE_GAP_MS)
    assert axial.box_line.isVisible()  # the rubber band while dragging
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=axial.viewport_point(*end))
    assert not axial.box_line.isVisible()
    labels = session.labels.labels
    assert iou(labels[k] == 2, sphere()[k]) > 0.7
    assert session.labels.undo_name == BOX_EDIT_NAME
    assert not np.delete(labels, k, axis=0).any()
    before = np.count_nonzero(labels[k])
    qtbot.mouseClick(viewport, Qt.MouseButton.RightButton, pos=axial.viewport_point(36, 36))
    assert np.count_nonzero(labels[k]) < before  # a negative click takes some away
    assert [c.positive for c in axial.controller.smart_click.series.clicks] == [False]
    session.undo()
    assert np.count_nonzero(labels[k]) == before


def test_a_click_on_the_coronal_plane_writes_that_coronal_slice(qtbot, window, workspace) -> None:  # noqa: ANN001
    session, coronal = workspace.session, workspace.canvas(CORONAL)
    layout = session.layouts[CORONAL]
    y = session.position[1]
    row, col = layout.plane_point(CENTRE)[1:]
    qtbot.mouseClick(
        coronal.viewport(), Qt.MouseButton.LeftButton, pos=coronal.viewport_point(row, col)
    )
    labels = session.labels.labels
    assert iou(labels[:, y, :] == 1, sphere()[:, y, :]) > 0.7
    assert not np.delete(labels, y, axis=1).any()
    assert session.active_plane == CORONAL
