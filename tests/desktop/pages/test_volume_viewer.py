"""The three-view CT viewer in the main window: planes and aspect, linked crosshair, HU
presets, brush strokes into the label volume, interpolation, mL readout, label files, and the
volume model (stubbed here; its own tests live with engine.volume.inference)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

import desktop.pages.volume as volume_mode
from desktop.main_window import MainWindow
from desktop.models.editing.tool_state import BRUSH, NAVIGATE
from desktop.models.reading.case_list import folder_entries
from desktop.models.volume.display import format_ml
from desktop.models.volume.label_files import (
    labels_path_for,
    read_labels,
    volume_affine,
    write_labels,
)
from desktop.models.volume.planes import AXIAL, CORONAL, SAGITTAL
from engine.io import read_nifti
from engine.synth.kidney_ct import generate_kidney_ct
from engine.synth.nifti_out import write_nifti
from engine.types import VolumePrediction

SHAPE = (9, 40, 48)  # z, y, x
SPACING = (3.0, 1.0, 1.0)
VOXEL_ML = 3.0 / 1000


@pytest.fixture
def ct_volume(tmp_path: Path) -> Path:
    """HU that name their voxel: 100 z + y - 500 (x adds nothing), air at x >= 44."""
    z, y, x = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    hu = (100 * z + y - 500).astype(np.int16)
    hu[x >= 44] = -1000
    return write_nifti(tmp_path / "kidney.nii.gz", hu, SPACING)


def open_volume(window: MainWindow, path: Path, qtbot=None):  # noqa: ANN001, ANN201
    """The workspace, laid out (mouse positions are mapped through the settled views)."""
    assert window.open_path(path)
    workspace = window.volume_mode.workspace
    assert window.canvas_stack.currentWidget() is workspace
    if qtbot is not None:
        qtbot.wait(50)
    return workspace


def test_three_views_with_true_aspect_and_linked_crosshair(
    qtbot, window: MainWindow, ct_volume: Path, mouse
) -> None:  # noqa: ANN001
    workspace = open_volume(window, ct_volume, qtbot)
    session, volume = workspace.session, read_nifti(ct_volume)
    assert not window.side_scroll.isVisible() and not window.frame_controls.isVisible()
    assert not window.toolbar.isVisible()  # 2D tools; the volume panel has its own
    assert session.position == (4, 20, 24)
    axial, coronal, sagittal = (workspace.canvas(p) for p in (AXIAL, CORONAL, SAGITTAL))
    assert axial.image_item.image.shape == (40, 48)
    assert coronal.image_item.image.shape == (9, 48)
    assert sagittal.image_item.image.shape == (9, 40)
    assert np.array_equal(axial.image_item.image, volume.voxels[4])
    assert np.array_equal(coronal.image_item.image, volume.voxels[::-1, 20, :])  # head up
    assert np.array_equal(sagittal.image_item.image, volume.voxels[::-1, :, 24])
    ratio = coronal.view.state["aspectLocked"]
    assert ratio == pytest.approx(1.0 / 3.0)  # 3 mm slices are drawn 3 times as tall
    assert axial.view.state["aspectLocked"] == pytest.approx(1.0)

    window.tools.set_tool(NAVIGATE)
    mouse.click(axial, (10.0, 30.0))  # row y=10, col x=30 of the axial slice
    assert session.position == (4, 10, 30)
    assert np.array_equal(coronal.image_item.image, volume.voxels[::-1, 10, :])
    assert np.array_equal(sagittal.image_item.image, volume.voxels[::-1, :, 30])
    assert axial.h_line.value() == pytest.approx(10.5) and axial.v_line.value() == 30.5
    mouse.click(coronal, (0.0, 5.0))  # the top row of the coronal view is the last slice
    assert session.position == (8, 10, 5)
    assert np.array_equal(axial.image_item.image, volume.voxels[8])
    assert workspace.panels[AXIAL].slider.value() == 8
    wheel(axial, (20.0, 20.0), -120)  # one notch down: the slice below
    assert session.position == (7, 10, 5) and axial.view.state["aspectLocked"] == 1.0
    workspace.panels[SAGITTAL].slider.setValue(40)  # clamped to the last column
    assert session.position == (7, 10, 40)
    assert "z 7  y 10  x 40:  210 HU  background" in workspace.readout.position_value.text()


def wheel(canvas, point: tuple[float, float], delta: int) -> None:  # noqa: ANN001
    position = QPointF(canvas.viewport_point(*point))
    event = QWheelEvent(
        position,
        QPointF(canvas.viewport().mapToGlobal(position.toPoint())),
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)


def test_hu_presets_set_the_levels_of_all_views(window: MainWindow, ct_volume: Path) -> None:
    workspace = open_volume(window, ct_volume)
    box = workspace.controls.window_box
    names = [box.itemText(i) for i in range(box.count())]
    assert names[:5] == [
        "Abdomen  W400 L40",
        "Liver  W160 L60",
        "Bone  W1800 L400",
        "Lung  W1500 L-600",
        "Brain  W80 L40",
    ]
    assert workspace.canvas(AXIAL).image_item.getLevels() == pytest.approx((-160.0, 240.0))
    box.activated.emit(2)
    for plane in (AXIAL, CORONAL, SAGITTAL):
        assert workspace.canvas(plane).image_item.getLevels() == pytest.approx((-500.0, 1300.0))
    box.activated.emit(3)
    assert workspace.canvas(CORONAL).image_item.getLevels() == pytest.approx((-1350.0, 150.0))
    workspace.session.drag_window(30, 0)
    assert box.currentText().startswith("Custom")


def test_brush_strokes_interpolation_and_ml_readout(
    qtbot, window: MainWindow, ct_volume: Path, mouse
) -> None:  # noqa: ANN001
    workspace = open_volume(window, ct_volume, qtbot)
    session, readout = workspace.session, workspace.readout
    axial = workspace.canvas(AXIAL)
    assert readout.ml_text("kidney") == "0.0 mL"
    window.tools.set_tool(BRUSH)
    window.tools.set_brush_radius(4.0)
    # The window may still be laying out (the views' range moved by half a pixel during the
    # first stroke now and then, so slice 1 and slice 7 got strokes one pixel apart and the
    # midway interpolated slice, a tie, lost a row): let it settle before mapping the mouse.
    qtbot.wait(50)
    workspace.panels[AXIAL].slider.setValue(1)
    mouse.drag(axial, [(20.0, 14.0), (20.0, 24.0)])
    labels = session.labels.labels
    painted = np.count_nonzero(labels[1] == 1)
    assert painted > 60 and not labels[0].any() and not labels[2:].any()
    assert labels[1, 20, 14:25].all() and not labels[1, 20, 30]
    assert readout.ml_text("kidney") == f"{painted * VOXEL_ML:.1f} mL"
    assert window.volume_mode.undo_action.isEnabled()

    readout.group.button(2).click()  # tumour
    assert session.active_label == 2
    workspace.panels[AXIAL].slider.setValue(7)
    mouse.drag(axial, [(20.0, 14.0), (20.0, 24.0)])
    assert np.count_nonzero(labels[7] == 2) == pytest.approx(painted, abs=3)
    workspace.controls.interpolate_button.click()  # tumour: only one edited slice
    assert not labels[2:7].any()
    assert "Nothing to interpolate" in window.statusBar().currentMessage()

    readout.group.button(1).click()
    mouse.drag(axial, [(20.0, 14.0), (20.0, 24.0)])  # kidney on slice 7: tumour overwritten
    assert session.labels.edited_slices(0, 1) == [1, 7]
    workspace.controls.interpolate_button.click()
    for k in range(2, 7):
        assert np.count_nonzero(labels[k] == 1) == pytest.approx(painted, rel=0.1)
    total = np.count_nonzero(labels == 1)
    assert readout.ml_text("kidney") == f"{total * VOXEL_ML:.1f} mL"
    assert "Interpolated kidney: 5 axial slices" in window.statusBar().currentMessage()
    coronal = workspace.canvas(CORONAL)
    session.set_position((4, 20, 20))
    alpha = coronal.overlay_item.image[..., 3]
    assert np.array_equal(alpha[::-1, 20] > 0, labels[:, 20, 20] > 0)  # the reformat shows it
    assert window.volume_mode.undo_action.isEnabled()
    window.volume_mode.undo_action.trigger()
    assert not labels[2:7].any()


def test_labels_are_saved_beside_the_ct_and_come_back(
    window: MainWindow, ct_volume: Path, tmp_path: Path
) -> None:
    workspace = open_volume(window, ct_volume)
    session = workspace.session
    edited = np.zeros(SHAPE, np.uint8)
    edited[2:5, 10:20, 5:15] = 1
    edited[3, 12:14, 8:10] = 2
    session.labels.replace(edited, "test")
    assert session.modified and window.volume_mode.save_labels_action.isEnabled()
    assert window.windowTitle() == "LesionLens — kidney.nii.gz *"
    assert "Ctrl+S" in [k.toString() for k in window.volume_mode.save_labels_action.shortcuts()]
    window.volume_mode.save_labels_action.trigger()
    saved = labels_path_for(ct_volume)
    assert saved == tmp_path / "labels" / "kidney.labels.nii.gz" and saved.is_file()
    assert not session.modified and window.windowTitle() == "LesionLens — kidney.nii.gz"
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]  # atomic: no temporary
    assert [e.path for e in folder_entries(tmp_path)] == [ct_volume]  # not listed as a case
    volume = read_nifti(ct_volume)
    assert np.allclose(volume_affine(read_nifti(saved)), volume_affine(volume))
    assert np.array_equal(read_labels(saved, volume, 3), edited)

    session.labels.replace(np.zeros(SHAPE, np.uint8), "clear")
    window.ask_unsaved_changes = lambda _what: "discard"
    assert window.open_path(ct_volume)  # reopened: the saved labels are back, unmodified
    assert np.array_equal(workspace.session.labels.labels, edited)
    assert not workspace.session.modified
    assert workspace.readout.ml_text("tumour") == f"{4 * VOXEL_ML:.1f} mL"


def test_label_file_of_another_grid_is_refused(
    window: MainWindow, ct_volume: Path, tmp_path: Path
) -> None:
    workspace = open_volume(window, ct_volume)
    other = read_nifti(ct_volume)
    small = write_nifti(tmp_path / "small.nii.gz", np.zeros((4, 4, 4), np.uint8), SPACING)
    assert not workspace.session.load_labels(small)
    assert "small.nii.gz" in window.error_bar.message()
    bad = tmp_path / "bad.labels.nii.gz"
    write_labels(bad, np.full(SHAPE, 2, np.uint8), other)
    assert read_labels(bad, other, 3).max() == 2
    with pytest.raises(Exception, match="values 0..1"):
        read_labels(bad, other, 2)


def test_unsaved_label_edits_are_guarded(window: MainWindow, ct_volume: Path, node_png) -> None:  # noqa: ANN001
    workspace = open_volume(window, ct_volume)
    workspace.session.labels.replace(np.ones(SHAPE, np.uint8), "fill")
    window.ask_unsaved_changes = lambda _what: "cancel"
    assert not window.open_path(node_png)
    assert window.canvas_stack.currentWidget() is workspace
    window.ask_unsaved_changes = lambda _what: "save"
    assert window.open_path(node_png)
    assert labels_path_for(ct_volume).is_file()
    assert window.canvas_stack.currentWidget() is window.canvas
    assert window.side_scroll.isVisible() and workspace.session.volume is None
    assert window.toolbar.isVisible() and not window.volume_mode.brush_action.isEnabled()
    assert window.state.model.spec.model_id in window.banner.text()  # the 2D model's card


def test_analyze_without_a_volume_model_says_so(
    window: MainWindow, ct_volume: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(volume_mode, "default_bundle", lambda *_a, **_k: None)
    workspace = open_volume(window, ct_volume)
    assert not window.volume_mode.analyze()
    assert "No volume model is shipped" in window.error_bar.message()
    assert not window.has_running_jobs() and not workspace.session.busy
    assert window.volume_mode.analyze_action.isEnabled()


def test_analyze_runs_the_volume_model_on_the_worker(
    qtbot, window: MainWindow, ct_volume: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    labels = np.zeros(SHAPE, np.uint8)
    labels[3:6, 10:20, 10:20] = 1
    labels[4, 12:14, 12:14] = 2
    prediction = VolumePrediction(
        labels=labels,
        label_names=("background", "kidney", "tumour"),
        probabilities={"benign": 0.2, "malignant": 0.8},
        volumes_ml={"kidney": 296 * VOXEL_ML, "tumour": 4 * VOXEL_ML},
        model_id="kidney-ct-test",
        radiomics_probabilities={"benign": 0.35, "malignant": 0.65},
    )
    seen = []

    def fake_steps(request):  # noqa: ANN001, ANN202
        seen.append(request)
        yield "Segmenting…"
        return prediction

    spec = SimpleNamespace(
        model_id="kidney-ct-test",
        version="1",
        intended_use="research use",
        card={"training_data": "SYNTHETIC kidney CT"},
    )
    bundle = SimpleNamespace(directory=Path("/nowhere"), spec=spec)
    monkeypatch.setattr(volume_mode, "default_bundle", lambda *_a, **_k: bundle)
    monkeypatch.setattr(volume_mode, "volume_analysis_steps", fake_steps)
    workspace = open_volume(window, ct_volume)
    assert "Volume model: kidney-ct-test v1" in workspace.controls.note.text()
    assert "is not run on CT slices" in workspace.controls.note.text()  # the 2D domain check
    assert window.volume_mode.analyze()
    qtbot.waitUntil(lambda: workspace.session.prediction is not None, timeout=5_000)
    assert seen[0].volume.voxels.shape == SHAPE
    readout = workspace.readout
    assert readout.finding_values["Tumour class"].text() == "malignant 0.80 (benign 0.20)"
    assert readout.finding_values["Radiomics"].text() == "malignant 0.65 (benign 0.35)"
    assert readout.finding_values["Result"].text().startswith("malignant: the deep classifier")
    assert readout.ml_text("kidney") == "0.9 mL" and readout.rows["kidney"][2].text() == "0.9 mL"
    assert np.array_equal(workspace.session.labels.original, labels)
    assert "Volume analysed: tumour malignant" in window.statusBar().currentMessage()
    assert window.state.analysis is None  # the 2D model still did not run on the slices
    assert "kidney-ct-test v1" in window.banner.text()  # the card of the model on screen
    assert "SYNTHETIC kidney CT" in window.banner.text()
    controls = workspace.controls
    assert not controls.reset_button.isEnabled()  # the AI labels are on screen
    workspace.session.labels.replace(np.zeros(SHAPE, np.uint8), "clear")
    assert readout.finding_values["Labels"].text().startswith("corrected by the reader")
    controls.reset_button.click()
    assert np.array_equal(workspace.session.labels.labels, labels)
    window.open_path(ct_volume.parent / "missing.png")  # a failed open keeps the volume
    assert "kidney-ct-test" in window.banner.text()


def test_the_shipped_volume_model_runs_from_the_window(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:  # noqa: ANN001
    bundle = window.volume_mode.volume_bundle()
    assert bundle is not None, "no shipped volume model: make model-ct"
    sample = generate_kidney_ct(np.random.default_rng(5), "malignant")
    path = write_nifti(tmp_path / "kidney_ct.nii.gz", sample.volume, sample.spacing_mm)
    workspace = open_volume(window, path)
    assert window.volume_mode.analyze_action.isEnabled()
    window.volume_mode.analyze_action.trigger()
    assert workspace.session.busy and not workspace.controls.analyze_button.isEnabled()
    qtbot.waitUntil(lambda: not workspace.session.busy, timeout=60_000)
    prediction = workspace.session.prediction
    assert prediction is not None, window.error_bar.message()
    assert prediction.model_id == bundle.spec.model_id
    assert prediction.labels.shape == sample.labels.shape
    kidney_true = sample.labels >= 1
    kidney_ai = prediction.labels >= 1
    dice = 2 * np.count_nonzero(kidney_true & kidney_ai) / (kidney_true.sum() + kidney_ai.sum())
    assert dice > 0.5  # a loose check that the labels land on this volume's grid
    ours = workspace.session.volumes_ml()  # counted by the editor; the engine counts its own
    assert ours == pytest.approx(prediction.volumes_ml, rel=1e-6)
    assert workspace.readout.ml_text("kidney") == format_ml(ours["kidney"])
    assert workspace.readout.finding_values["Tumour class"].text().split()[0] in (
        "benign",
        "malignant",
    )

    # File ▸ Export… writes the labels on screen, corrections included, as SEG + JSON + NIfTI.
    import json

    import highdicom as hd

    from desktop.widgets.volume.export_dialog import volume_export_request

    assert window.export_action.isEnabled()
    edited = prediction.labels.copy()
    edited[edited == 2] = 1  # the reader calls the tumour kidney
    workspace.session.labels.replace(edited, "Reader correction")
    dialog = window.open_export_dialog()
    assert (
        dialog is not None
        and dialog.corrected
        and set(dialog.outputs())
        == {
            "seg",
            "json",
            "labels_nifti",
        }
    )
    dialog.reject()
    out = tmp_path / "export"
    request = volume_export_request(out, "kidney_ct", set(dialog.outputs()), corrected=True)
    assert window.volume_mode.start_export(request)
    qtbot.waitUntil(lambda: all(p.is_file() for p in request.outputs), timeout=60_000)
    seg = hd.seg.segread(request.seg)
    types = {d.SegmentAlgorithmType for d in seg.SegmentSequence}
    assert types == {"SEMIAUTOMATIC"} and len(seg.SegmentSequence) == 2
    record = json.loads(request.json.read_text())
    assert record["labels"] == "corrected by the reader"
    assert record["volumes_ml"]["tumour"] == 0.0
    assert record["volumes_ml"]["kidney"] == pytest.approx(ours["kidney"] + ours["tumour"])
    saved = read_nifti(request.labels_nifti).voxels
    np.testing.assert_array_equal(saved, edited)
    assert {p.name for p in request.outputs} == {  # de-identified: no case name in file names
        "case_seg.dcm",
        "case_finding.json",
        "case_labels.nii.gz",
    }


def test_every_view_carries_its_orientation_letters(window: MainWindow, ct_volume: Path) -> None:
    """Issue 20, item 6: A/P, R/L, S/I at the edges of the three views, inside the viewport."""
    workspace = open_volume(window, ct_volume)
    expected = {
        AXIAL: {"top": "A", "bottom": "P", "left": "R", "right": "L"},
        CORONAL: {"top": "S", "bottom": "I", "left": "R", "right": "L"},
        SAGITTAL: {"top": "S", "bottom": "I", "left": "A", "right": "P"},
    }
    for plane, letters in expected.items():
        canvas = workspace.panels[plane].canvas
        assert {side: label.text() for side, label in canvas.letters.items()} == letters
        for label in canvas.letters.values():
            assert label.isVisible() and canvas.rect().contains(label.geometry())


def test_oblique_axes_get_two_letters() -> None:
    from desktop.models.volume.planes import PlaneLayout, edge_letters
    from engine.types import Volume

    c = np.cos(np.radians(30))
    s = np.sin(np.radians(30))
    volume = Volume(
        np.zeros((4, 8, 8), np.float32), (2.0, 1.0, 1.0), orientation=(c, s, 0, -s, c, 0)
    )
    letters = edge_letters(volume, PlaneLayout.of(volume, AXIAL))
    assert letters["right"] == "LP" and letters["left"] == "RA" and letters["top"] == "AL"


def test_a_volume_gets_no_2d_model_proposal(qtbot, ct_volume: Path) -> None:  # noqa: ANN001
    """A CT opened before any model is loaded used to start the 2D model picker, whose
    status line ("breast-us: none is in scope") then replaced the CT's."""
    from desktop.main_window import DISCARD
    from desktop.models.image.state import CaseState

    window = MainWindow(CaseState())
    window.ask_unsaved_changes = lambda _what: DISCARD
    qtbot.addWidget(window)
    started: list = []
    window.model_picker._start_job = lambda *args: started.append(args)
    open_volume(window, ct_volume)
    assert not started and not window.model_picker.choosing
    assert "scope" not in window.statusBar().currentMessage()
