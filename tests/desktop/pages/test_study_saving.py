"""Saving a study in the real window (issue 17): Ctrl+S on the study page writes the study to
the datastore (views, the model's result once, the reader's class and view masks with Smart
Click's provenance); the study opened again from the datastore shows what was stored; leaving
it with unsaved changes asks, as for an image."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.main_window import CANCEL, DISCARD, SAVE, MainWindow
from desktop.models.image.state import CaseState
from engine.bundle import read_bundle
from engine.datastore import Datastore
from engine.datastore.studies import ASSISTED_METHOD, StudyStore


@pytest.fixture
def study_window(qtbot, make_study_analysis):  # noqa: ANN001, ANN201
    """The main window with no model for studies: the test shows a known analysis, as the
    worker would, each time a study opens."""
    window = MainWindow(CaseState())
    asked: list[str] = []
    answers = [DISCARD]
    window.ask_unsaved_changes = lambda what: asked.append(what) or answers[0]
    window.asked, window.answers = asked, answers
    state = window.study_page.state
    state.find_bundle = lambda _views: None
    spec = read_bundle().spec
    state.subscribe(
        "study_changed", lambda study: state.show_analysis(make_study_analysis(study), spec)
    )
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def _drawn(shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[5:25, 5:30] = 1
    return mask


def test_ctrl_s_stores_the_study_and_reopening_it_shows_what_was_stored(
    qtbot,
    study_window,
    skin_study_dir,
    datastore_home,  # noqa: ANN001
) -> None:
    window, state = study_window, study_window.study_page.state
    assert window.open_path(skin_study_dir)
    assert state.corrections is not None and not state.modified
    assert window.save_action.isEnabled()
    shape = state.corrections.editors["photo"].mask.shape
    state.corrections.target("photo").apply_mask(_drawn(shape), "Smart Click", "click-v1")
    state.confirm_label("benign")
    assert state.modified

    QTest.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not state.modified and state.last_error is None
    studies = StudyStore(Datastore(datastore_home))
    (record,) = studies.studies()
    assert [r.case_id for r in Datastore(datastore_home).cases()] == []  # not a 2D case
    final = record.final
    assert final is not None and final.label == "benign" and final.revision == 1
    assert final.assistance == {"method": ASSISTED_METHOD, "model_ids": ["click-v1"]}
    assert record.original is not None and record.original.model_id == "fake-views"
    assert record.original.label == "malignant"  # the model's class, as first shown
    masks = studies.final_masks(record.case_id)
    assert np.array_equal(masks["photo"], _drawn(shape) > 0)
    assert final.correction_dice["us"] == 1.0  # the model's ultrasound outline kept
    for view, path in record.views.items():
        assert path.read_bytes() == (skin_study_dir / f"{view}.png").read_bytes()

    # Opened again from the datastore's case list: the stored class and masks, nothing unsaved
    assert window.open_datastore_cases()
    (entry,) = window.cases.entries
    assert (entry.name, entry.status) == (record.case_id, "corrected")
    assert entry.path == record.views["photo"].parent and state.path == entry.path
    assert state.confirmed_label == "benign" and not state.modified
    assert np.array_equal(state.corrections.editors["photo"].mask, _drawn(shape))
    assert len(state.analysis.findings["photo"]) == 1  # the stored outline is the finding
    assert window.asked == []  # nothing was unsaved when it was left


def test_leaving_a_study_with_unsaved_changes_asks_as_for_an_image(
    qtbot,
    study_window,
    skin_study_dir,
    scinti_study_dir,
    datastore_home,  # noqa: ANN001
) -> None:
    window, state = study_window, study_window.study_page.state
    assert window.open_path(skin_study_dir)
    state.confirm_label("benign")
    window.answers[0] = CANCEL
    assert not window.open_path(scinti_study_dir)  # Cancel: the study stays on screen
    assert window.asked == ["opening another file"] and state.study.case_id == "skin_case"
    window.answers[0] = SAVE
    assert window.open_path(scinti_study_dir)  # Save: stored, then left
    (record,) = StudyStore(Datastore(datastore_home)).studies()
    assert record.final is not None and record.final.label == "benign"
    state.confirm_label("metastatic")
    window.answers[0] = DISCARD
    assert window.open_path(skin_study_dir)  # Discard: left, nothing stored
    assert len(StudyStore(Datastore(datastore_home)).studies()) == 1
    assert state.confirmed_label == "benign"  # the skin study as stored
