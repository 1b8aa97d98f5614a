"""Analyze all: the Qt-free batch generator, and the case-list button with progress and Cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import desktop.models.image.batch_analysis as batch_module
from desktop.models.image.batch_analysis import AnalysisCache, batch_steps
from desktop.models.reading.case_list import folder_entries
from desktop.models.reading.review import AI_DONE, NEW
from engine.analysis import analyze
from engine.inference import LoadedModel
from engine.io import load_image
from engine.synth.nodes import NodeSample

BATCH_TIMEOUT_MS = 20_000


@pytest.fixture
def case_folder(tmp_path: Path, node_sample: NodeSample) -> Path:
    """Three cases: an unreadable one first, then two images (the second one flipped)."""
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a_bad.png").write_bytes(b"not a png at all")
    PILImage.fromarray(node_sample.image).save(folder / "b.png")
    PILImage.fromarray(np.ascontiguousarray(node_sample.image[:, ::-1])).save(folder / "c.png")
    return folder


def test_batch_steps_report_every_case_and_match_analyze(
    case_folder: Path, model: LoadedModel
) -> None:
    paths = sorted(case_folder.iterdir())
    steps = list(batch_steps(paths, model))
    assert [(s.done, s.total, s.path) for s in steps] == [(k, 3, p) for k, p in enumerate(paths, 1)]
    bad, *good = steps
    assert bad.analysis is None and bad.error and bad.status.startswith("error: ")
    for step in good:
        assert step.error is None and step.status == AI_DONE
        reference = analyze(load_image(step.path), model)
        np.testing.assert_array_equal(step.analysis.prediction.mask, reference.prediction.mask)
        assert step.analysis.prediction.probabilities == pytest.approx(
            reference.prediction.probabilities, abs=1e-6
        )
        assert len(step.analysis.findings) == len(reference.findings)


def test_batch_skips_images_out_of_the_models_domain(ct_nifti: Path, model: LoadedModel) -> None:
    assert model.spec.raw.get("views"), "the test model must declare the views it reads"
    (step,) = batch_steps([ct_nifti], model)
    assert step.analysis is None and step.error is None and "Not analysed" in step.skipped


def test_analysis_cache_is_per_model(case_folder: Path, model: LoadedModel) -> None:
    path = case_folder / "b.png"
    (step,) = batch_steps([path], model)
    cache = AnalysisCache()
    cache.put(path, step.analysis)
    assert cache.get(path, model.spec.model_id) is step.analysis
    assert cache.get(path, "another-model") is None


def pin_folder_model(window) -> None:  # noqa: ANN001
    """Model ▸ Model for This Folder ▸ the model on screen, as a reader pins it: the cases of the
    folder are then read by the batch's model, not each by the model proposed for it (with
    several shipped bundles a proposal may pick another one, and the batch result is not it)."""
    picker = window.model_picker
    bundle = window.state.model.bundle.directory.resolve()
    action = next(a for b, a in picker._folder_actions.items() if b and b.resolve() == bundle)
    action.trigger()


def test_analyze_all_updates_statuses_and_progress(window, qtbot, case_folder: Path) -> None:  # noqa: ANN001
    window.open_folder(case_folder)  # the first case is unreadable: nothing is analysed yet
    pin_folder_model(window)
    assert [e.status for e in window.cases.entries] == [NEW, NEW, NEW]
    qtbot.mouseClick(window.case_dock.analyze_button, _left())
    assert window.batch_running
    qtbot.waitUntil(lambda: not window.batch_running, timeout=BATCH_TIMEOUT_MS)
    statuses = [e.status for e in window.cases.entries]
    assert statuses[0].startswith("error: ") and statuses[1:] == [AI_DONE, AI_DONE]
    assert window.case_dock.batch_text() == "3 / 3"
    assert "a_bad.png" in window.error_bar.message()
    # opening an analysed case shows its batch result at once, without a second run
    window.go_to_case(window.cases.entries[2])
    assert window.state.analysis is not None and not window.state.busy
    cached = window.batch_results.get(case_folder / "c.png", window.state.model.spec.model_id)
    np.testing.assert_array_equal(window.state.analysis.prediction.mask, cached.prediction.mask)


def test_cancel_stops_the_batch_between_cases(
    window,
    qtbot,
    case_folder: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    (case_folder / "a_bad.png").unlink()
    PILImage.fromarray(load_image(case_folder / "b.png").pixels).save(case_folder / "d.png")
    window.cases.set_entries(folder_entries(case_folder), str(case_folder))  # listed, not opened
    release = threading.Event()
    calls: list[Path] = []
    real_analyze = batch_module.analyze

    def gated(image, model):  # noqa: ANN001, ANN202 - the second case waits for the test
        calls.append(image)
        if len(calls) == 2:
            release.wait(10)
        return real_analyze(image, model)

    monkeypatch.setattr(batch_module, "analyze", gated)
    window.analyze_all()
    qtbot.waitUntil(lambda: window.cases.entries[0].status == AI_DONE, timeout=BATCH_TIMEOUT_MS)
    qtbot.mouseClick(window.case_dock.cancel_button, _left())
    release.set()
    qtbot.waitUntil(lambda: not window.batch_running, timeout=BATCH_TIMEOUT_MS)
    statuses = [e.status for e in window.cases.entries]
    assert statuses == [AI_DONE, AI_DONE, NEW]  # the case running at Cancel finishes; no more
    assert len(calls) == 2
    assert window.case_dock.batch_text() == "2 / 3"


def _left():  # noqa: ANN202
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_batch_results_of_datastore_cases_go_to_labels_original(
    window,
    qtbot,
    case_folder: Path,
    datastore_home: Path,  # noqa: ANN001
) -> None:
    from engine.datastore import Datastore

    store = Datastore(datastore_home)
    ids = [store.add_case(case_folder / name) for name in ("b.png", "c.png")]
    window.open_datastore_cases()  # opens and analyses the first case the usual way
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=BATCH_TIMEOUT_MS)
    assert window.analyze_all()
    qtbot.waitUntil(lambda: not window.batch_running, timeout=BATCH_TIMEOUT_MS)
    assert window.case_dock.batch_text() == "1 / 1"
    assert store.case(ids[0]).original is None  # only batch results are recorded
    stored = store.original_mask(ids[1])
    cached = window.batch_results.get(store.case(ids[1]).image, window.state.model.spec.model_id)
    np.testing.assert_array_equal(stored > 0, cached.prediction.mask > 0)


def test_analyze_all_goes_on_past_mutated_vendor_files_and_any_exception(
    window,  # noqa: ANN001
    qtbot,  # noqa: ANN001
    case_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 22: a truncated vendor DICOM, one with lying Rows, and an analysis that raises
    something unexpected each end as one error status; every other case is analysed."""
    import io

    import pydicom
    from pydicom.data import get_testdata_file

    (case_folder / "a_bad.png").unlink()
    us = Path(get_testdata_file("US1_UNCR.dcm")).read_bytes()
    (case_folder / "a_truncated.dcm").write_bytes(us[: len(us) // 2])
    lying = pydicom.dcmread(get_testdata_file("US1_UNCR.dcm"))
    lying.Rows = 960
    buf = io.BytesIO()
    lying.save_as(buf)
    (case_folder / "a_lying_rows.dcm").write_bytes(buf.getvalue())
    PILImage.fromarray(load_image(case_folder / "b.png").pixels).save(case_folder / "d_boom.png")
    real_analyze = batch_module.analyze

    def exploding(image, model):  # noqa: ANN001, ANN202
        if image.source.endswith("d_boom.png"):
            raise RuntimeError("kernel exploded")
        return real_analyze(image, model)

    monkeypatch.setattr(batch_module, "analyze", exploding)
    window.cases.set_entries(folder_entries(case_folder), str(case_folder))
    window.analyze_all()
    qtbot.waitUntil(lambda: not window.batch_running, timeout=BATCH_TIMEOUT_MS)
    status = {Path(e.path).name: e.status for e in window.cases.entries}
    assert status["b.png"] == AI_DONE and status["c.png"] == AI_DONE
    assert status["a_truncated.dcm"].startswith("error: file is truncated")
    assert status["a_lying_rows.dcm"].startswith("error: file is truncated")
    assert status["d_boom.png"] == "error: RuntimeError: kernel exploded"
    assert window.case_dock.batch_text() == "5 / 5"


def _click_row(qtbot, dock, row: int) -> None:  # noqa: ANN001
    """A real click on a row of the case list."""
    from PySide6.QtCore import Qt

    table = dock.table
    item = table.topLevelItem(row)
    pos = table.visualItemRect(item).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_a_batch_analysed_case_shows_its_contour_as_soon_as_it_is_opened(
    window,
    qtbot,
    case_folder: Path,  # noqa: ANN001
) -> None:
    """Issue 20, item 1: the findings table came with the case but the overlay and contours
    were drawn only after a brush dab (a stale 'no analysis' event cleared the canvas)."""
    window.open_folder(case_folder)
    pin_folder_model(window)
    qtbot.mouseClick(window.case_dock.analyze_button, _left())
    qtbot.waitUntil(lambda: not window.batch_running, timeout=BATCH_TIMEOUT_MS)
    _click_row(qtbot, window.case_dock, 2)
    assert window.state.path == case_folder / "c.png"
    analysis = window.state.analysis
    assert analysis is not None and analysis.findings and not window.state.busy
    canvas = window.canvas
    assert canvas.overlay_item.image is not None  # the mask overlay is on screen ...
    assert canvas.overlay_item.image.shape[:2] == analysis.prediction.mask.shape
    assert canvas.overlay_item.image[..., 3].any()
    assert len(canvas.finding_items) >= len(analysis.findings)  # ... and every contour
    assert window.state.mask_displayed


def test_a_case_whose_mask_was_never_on_screen_is_not_saved_as_reviewed(
    window,
    qtbot,
    case_folder: Path,  # noqa: ANN001
) -> None:
    """Issue 20, item 1: cases were saved as reviewed without their masks ever on screen. With
    the contours hidden (C) and the overlay at zero opacity ({), Ctrl+S refuses and says why;
    once the contours are shown again (C) the same Ctrl+S saves."""
    from PySide6.QtCore import Qt

    from desktop.models.reading.review import REVIEWED

    window.open_folder(case_folder)
    pin_folder_model(window)
    qtbot.mouseClick(window.case_dock.analyze_button, _left())
    qtbot.waitUntil(lambda: not window.batch_running, timeout=BATCH_TIMEOUT_MS)
    keys = window.canvas.viewport()
    qtbot.keyClick(keys, Qt.Key.Key_C)
    for _ in range(4):
        qtbot.keyClick(keys, Qt.Key.Key_BraceLeft)
    assert not window.state.contours_visible and window.state.overlay_opacity == 0.0
    _click_row(qtbot, window.case_dock, 2)
    assert window.state.analysis is not None and not window.state.mask_displayed
    qtbot.keyClick(window.canvas.viewport(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.cases.entries[2].status == AI_DONE  # not saved
    assert window.review_store.saved_review(case_folder / "c.png") is None
    assert "never on screen" in window.error_bar.message()
    qtbot.keyClick(window.canvas.viewport(), Qt.Key.Key_C)  # the contours are drawn again
    assert window.state.mask_displayed
    qtbot.keyClick(window.canvas.viewport(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.cases.entries[2].status == REVIEWED
    assert window.review_store.saved_review(case_folder / "c.png") is not None
