"""The case list: folder scanning, statuses, held-out marks, next/previous keeping unsaved
corrections as a draft (never in the datastore) on case change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from desktop.models.editing.tool_state import BRUSH
from desktop.models.reading.case_list import CaseEntry, CaseList, folder_entries
from desktop.models.reading.review import AI_DONE, CORRECTED, NEW
from engine.datastore import Datastore

ANALYSIS_TIMEOUT_MS = 15_000


def test_folder_entries_lists_images_and_series(tmp_path: Path) -> None:
    (tmp_path / "b.png").write_bytes(b"x")
    (tmp_path / "A.dcm").write_bytes(b"x")
    (tmp_path / "ct.nii.gz").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    series = tmp_path / "series1"
    series.mkdir()
    (series / "1.dcm").write_bytes(b"x")
    (tmp_path / "empty_folder").mkdir()
    names = [e.name for e in folder_entries(tmp_path)]
    assert names == ["A.dcm", "b.png", "ct.nii.gz", "series1/"]
    assert all(e.status == NEW for e in folder_entries(tmp_path))


def test_a_series_folder_is_one_case(tmp_path: Path) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    for k in range(2):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID, ds.Modality = CTImageStorage, "CT"
        ds.ImagePositionPatient = [0, 0, 2.5 * k]
        ds.save_as(tmp_path / f"slice{k}.dcm", enforce_file_format=True)
    assert [(e.path, e.name) for e in folder_entries(tmp_path)] == [(tmp_path, f"{tmp_path.name}/")]


def test_case_list_neighbours_and_status(tmp_path: Path) -> None:
    cases = CaseList()
    events: list[str] = []
    cases.subscribe("cases_changed", lambda: events.append("cases"))
    cases.subscribe("current_changed", lambda i: events.append(f"current {i}"))
    entries = [CaseEntry(tmp_path / f"{n}.png", f"{n}.png") for n in "abc"]
    cases.set_entries(entries, "folder")
    assert cases.neighbour(1).name == "a.png" and cases.neighbour(-1).name == "c.png"
    cases.set_current_path(tmp_path / "b.png")
    assert cases.neighbour(1).name == "c.png" and cases.neighbour(-1).name == "a.png"
    cases.set_current_path(tmp_path / "c.png")
    assert cases.neighbour(1) is None
    cases.set_status(tmp_path / "c.png", CORRECTED)
    assert cases.entries[2].status == CORRECTED
    assert events == ["cases", "current 1", "current 2", "cases"]


def two_cases(folder: Path, node_sample) -> list[Path]:  # noqa: ANN001
    folder.mkdir()
    paths = []
    for k, name in enumerate(("case1.png", "case2.png")):
        path = folder / name
        PILImage.fromarray(np.roll(node_sample.image, 7 * k, axis=0)).save(path)
        paths.append(path)
    return paths


def wait_for_analysis(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    qtbot.waitUntil(
        lambda: window.state.analysis is not None and not window.state.busy,
        timeout=ANALYSIS_TIMEOUT_MS,
    )


def test_folder_navigation_keeps_unsaved_edits_as_a_draft_not_in_the_datastore(
    qtbot, window: MainWindow, tmp_path: Path, node_sample, mouse, datastore_home: Path
) -> None:  # noqa: ANN001
    """An accidental dab followed by Next must not become training data: the edit stays a
    draft of the case (memory only), comes back when the case is reopened, and reaches the
    datastore only on an explicit save."""
    first, second = two_cases(tmp_path / "cases", node_sample)
    assert window.open_folder(first.parent)
    dock = window.case_dock
    assert dock.row_count() == 2 and dock.current_row() == 0
    wait_for_analysis(qtbot, window)
    assert window.state.path == first and dock.row_text(0).endswith(AI_DONE)

    window.tools.set_tool(BRUSH)
    mouse.drag(window.canvas, [(240.0, 20.0), (240.0, 80.0)])
    assert window.state.modified
    edited = window.state.editor.mask.copy()
    window.activateWindow()
    qtbot.keyClick(window.canvas.viewport(), Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert window.state.path == second and dock.current_row() == 1
    assert dock.row_text(0).endswith(f"{AI_DONE} ✎")  # a draft, not corrected
    assert "never trained on" in dock.table.topLevelItem(0).toolTip(1)
    assert Datastore(datastore_home).cases() == []  # nothing stored, nothing to train on
    assert "kept as a draft" in window.statusBar().currentMessage()

    wait_for_analysis(qtbot, window)
    qtbot.keyClick(window.canvas.viewport(), Qt.Key.Key_PageUp)
    assert window.state.path == first
    wait_for_analysis(qtbot, window)
    assert window.state.modified and window.state.saved is None  # the draft, still unsaved
    assert np.array_equal(window.state.editor.mask, edited)
    assert window.case_dock.cases.neighbour(-1) is None

    assert window.save_review()  # the explicit save
    (record,) = Datastore(datastore_home).cases()
    assert record.source == "case1.png" and record.final is not None
    assert dock.row_text(0).endswith(CORRECTED) and not window.state.drafts


def test_clicking_a_row_opens_that_case(
    qtbot, window: MainWindow, tmp_path: Path, node_sample
) -> None:  # noqa: ANN001
    _first, second = two_cases(tmp_path / "cases", node_sample)
    window.open_folder(second.parent)
    window.case_dock.choose_row(1)
    assert window.state.path == second
    assert window.case_dock.current_row() == 1


def test_datastore_cases_list_stored_cases(
    qtbot, window: MainWindow, tmp_path: Path, node_sample, datastore_home: Path
) -> None:  # noqa: ANN001
    first, _second = two_cases(tmp_path / "cases", node_sample)
    Datastore(datastore_home).add_case(first)
    assert window.open_datastore_cases()
    assert window.case_dock.row_count() == 1
    assert window.case_dock.row_text(0).startswith("case1")
    assert window.state.path.is_relative_to(datastore_home)
    wait_for_analysis(qtbot, window)
    assert window.save_review()
    assert len(Datastore(datastore_home).cases()) == 1  # the stored case itself, no copy
    assert window.case_dock.row_text(0).endswith("reviewed")


def test_sample_cases_open_each_kind_in_its_own_view(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """File ▸ Open Sample Cases: one case of each kind a shipped model reads."""
    window.samples_folder_action.trigger()
    dock = window.case_dock
    names = [Path(e.path).name for e in window.cases.entries]
    assert names == [
        "sample_bone_scan",
        "sample_kidney_ct.nii.gz",
        "sample_node.dcm",
        "sample_node_malignant.png",
        "sample_skin_pair",
    ]
    assert dock.current_row() == 0 and window.study_page.active  # views side by side
    qtbot.waitUntil(lambda: window.study_page.state.analysis is not None, timeout=60_000)
    assert window.step_case(1)
    assert window.volume_mode.active and not window.study_page.active  # three views
    assert window.step_case(1)
    assert not window.volume_mode.active
    wait_for_analysis(qtbot, window)
    assert window.state.analysis is not None  # the ultrasound model on the node


def test_held_out_cases_are_marked_in_the_list(
    qtbot, window: MainWindow, tmp_path: Path, node_sample, datastore_home: Path
) -> None:  # noqa: ANN001
    """The fixed held-out split (judges fine-tuned models, never trains) is visible per row:
    for the datastore's own cases, for files of a folder that are in it, and as soon as a
    newly saved case falls in it."""
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in ("case01", "case02", "case03"):  # held out, training, held out (split_for)
        PILImage.fromarray(node_sample.image).save(folder / f"{name}.png")
    store = Datastore(datastore_home)
    store.add_case(folder / "case01.png", case_id="case01")
    store.add_case(folder / "case02.png", case_id="case02")
    assert store.case("case01").heldout and not store.case("case02").heldout

    assert window.open_datastore_cases()
    dock = window.case_dock
    assert [dock.row_heldout(r) for r in range(2)] == [True, False]
    assert dock.row_text(0).endswith("◆") and "held out" in dock.table.topLevelItem(0).toolTip(0)
    assert "held out" not in dock.table.topLevelItem(1).toolTip(0)

    assert window.open_folder(folder)
    assert [dock.row_heldout(r) for r in range(3)] == [True, False, False]
    window.case_dock.choose_row(2)
    wait_for_analysis(qtbot, window)
    assert window.state.path == folder / "case03.png" and window.save_review()
    assert dock.row_heldout(2)  # imported on its first save, into the held-out split


def test_closing_with_drafts_of_other_cases_asks_first(
    qtbot, window: MainWindow, tmp_path: Path, node_sample, mouse
) -> None:  # noqa: ANN001
    first, _second = two_cases(tmp_path / "cases", node_sample)
    assert window.open_folder(first.parent)
    wait_for_analysis(qtbot, window)
    window.tools.set_tool(BRUSH)
    mouse.drag(window.canvas, [(240.0, 20.0), (240.0, 80.0)])
    assert window.step_case(1)
    asked: list[list[str]] = []
    window.ask_discard_drafts = lambda names: asked.append(names) or False
    assert not window.close() and window.isVisible()  # the draft would be lost: cancelled
    assert asked == [["case1.png"]]
    window.ask_discard_drafts = lambda _names: True
    assert window.close()


def test_a_synth_data_set_folder_lists_its_images_calibrated_by_meta_csv(tmp_path) -> None:  # noqa: ANN001
    """Issue 20, item 4: the folder `lesionlens synth nodes` writes opened as "No images", and
    its images/ lost the meta.csv calibration."""
    import csv

    from engine.io import load_any
    from engine.synth.dataset import write_dataset

    root = write_dataset("nodes", 3, tmp_path / "nodes", seed=1)
    entries = folder_entries(root)
    assert len(entries) == 3 and all(e.path.parent == root / "images" for e in entries)
    assert [e.name for e in entries] == sorted(e.path.stem for e in entries)
    with (root / "meta.csv").open() as fh:
        spacing = {row["case"]: float(row["spacing_mm"]) for row in csv.DictReader(fh)}
    for entry in entries:
        image = load_any(entry.path)
        assert image.spacing_mm == (spacing[entry.path.stem], spacing[entry.path.stem])
    assert [e.name for e in folder_entries(root / "images")] == [e.path.name for e in entries]
