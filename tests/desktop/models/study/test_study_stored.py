"""Qt-free: a study's unsaved state, its save to the datastore and its restoration
(desktop.models.study.stored and StudyState.modified / mark_saved)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop.models.reading.review import CORRECTED, REVIEWED
from desktop.models.reading.review_store import ReviewStore
from desktop.models.study.state import StudyState
from desktop.models.study.stored import StudyReviews
from engine.datastore.studies import StudyStore


def _state(reviews: StudyReviews, make_study_analysis) -> StudyState:  # noqa: ANN001
    state = StudyState(find_bundle=lambda _views: None, find_stored=reviews.stored)
    state.subscribe("study_changed", lambda s: state.show_analysis(make_study_analysis(s)))
    return state


def test_save_restore_and_what_counts_as_unsaved(
    tmp_path: Path,
    scinti_study_dir: Path,
    make_study_analysis,  # noqa: ANN001
) -> None:
    reviews = StudyReviews(ReviewStore(tmp_path / "home"))
    state = _state(reviews, make_study_analysis)
    assert state.open(scinti_study_dir)
    assert not (tmp_path / "home").exists()  # looking a study up creates nothing
    assert not state.modified
    state.confirm_label(state.analysis.prediction.label)
    assert state.modified  # confirming the AI's class is a decision to save
    state.confirm_label(None)
    assert not state.modified

    saved = reviews.save(state, "dr.a")  # the AI's class and masks, accepted
    state.mark_saved(saved)
    assert saved.label == "metastatic" and saved.status == REVIEWED and not state.modified
    corrections = state.corrections
    assert corrections is not None
    mask = np.zeros(corrections.editors["anterior"].mask.shape, np.uint8)
    mask[10:20, 5:15] = 1
    corrections.target("anterior").apply_mask(mask, "Brush")
    assert state.modified
    state.confirm_label("normal")
    saved = reviews.save(state, " ")  # no reviewer name: the login name, never empty
    state.mark_saved(saved)
    assert (saved.revision, saved.status, saved.label) == (2, CORRECTED, "normal")
    assert saved.author.strip()

    again = _state(reviews, make_study_analysis)
    assert again.open(scinti_study_dir)  # the same files: the stored study
    assert again.stored is not None and again.stored.case_id == saved.case_id
    assert again.confirmed_label == "normal" and not again.modified
    assert np.array_equal(again.corrections.editors["anterior"].mask, mask)
    assert not again.corrections.editors["posterior"].mask.any()
    (record,) = StudyStore(reviews.reviews.store).studies()
    assert record.original is not None and record.original.label == "metastatic"


def test_a_study_never_saved_is_shown_as_the_model_made_it(
    tmp_path: Path,
    skin_study_dir: Path,
    make_study_analysis,  # noqa: ANN001
) -> None:
    reviews = StudyReviews(ReviewStore(tmp_path / "home"))
    state = _state(reviews, make_study_analysis)
    assert state.open(skin_study_dir)
    assert state.stored is None and state.confirmed_label is None
    assert state.corrections.editors["us"].mask[15, 30] == 1  # the model's outline
