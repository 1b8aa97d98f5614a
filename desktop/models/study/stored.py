"""The open study to and from the datastore (engine.datastore.studies). Qt-free.

Saving a study (Ctrl+S on the study page) stores its views byte for byte on the first save,
the model's class and per-view masks once (as first shown), and the reader's class with
every 2D view's mask, with Smart Click's provenance, so confirmed studies feed fine-tuning as
2D corrections do. A study opened again (from the datastore's images/<case>/ folder or the
same files elsewhere) is found by its files and shows the stored class and masks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desktop.models.reading.review import AI_DONE, CORRECTED, NEW, REVIEWED
from desktop.models.reading.review_store import ReviewStore, default_author
from engine.datastore import DatastoreError
from engine.datastore.studies import StudyRecord, StudyStore
from engine.types import Image, Study

if TYPE_CHECKING:
    from desktop.models.study.state import StudyState


@dataclass(frozen=True)
class StoredStudy:
    """The reader's stored confirmation of a study, as the study page restores it."""

    case_id: str
    label: str
    masks: dict[str, np.ndarray]  # view -> the reader's mask (0/1)
    author: str
    updated: str
    revision: int
    heldout: bool
    status: str  # the case list's word: corrected, or reviewed (the AI's result accepted)

    def summary(self) -> str:
        held = "held out (never trained on)" if self.heldout else "for training"
        return f"{self.label}, revision {self.revision} by {self.author}, {held}"


def view_files(study: Study) -> dict[str, Path]:
    """The file each 2D view was read from (what the datastore copies in byte for byte)."""
    files = {}
    for view, image in study.views.items():
        if not isinstance(image, Image) or not image.source:
            raise DatastoreError(f"study {study.case_id}: view {view!r} is not a stored 2D file")
        path = Path(image.source)
        if not path.is_file():
            raise DatastoreError(f"study {study.case_id}: {path} (view {view!r}) is gone")
        files[view] = path
    return files


class StudyReviews:
    """Studies in the datastore that the ReviewStore of the window opens (same data root)."""

    def __init__(self, reviews: ReviewStore) -> None:
        self.reviews = reviews

    def records(self) -> list[StudyRecord]:
        """Every stored study, in the order they were added ([] before anything is stored)."""
        return StudyStore(self.reviews.store).studies() if self.reviews.exists else []

    def stored(self, study: Study) -> StoredStudy | None:
        """The stored confirmation of this study, or None (never stored, or not confirmed).
        Looking up never creates the data root."""
        if not self.reviews.exists:
            return None
        try:
            files = view_files(study)
        except DatastoreError:
            return None
        studies = StudyStore(self.reviews.store)
        case_id = studies.find(files)
        if case_id is None:
            return None
        record = studies.study(case_id)
        if record.final is None:
            return None
        return _stored(record, studies.final_masks(case_id))

    def save(self, state: StudyState, author: str) -> StoredStudy:
        """Import the study on its first save, keep the model's result once, then store the
        reader's class (the model's when the reader left it) and every view's mask."""
        analysis, corrections = state.analysis, state.corrections
        if analysis is None or corrections is None or state.study is None:
            raise DatastoreError("nothing to save: the study has no analysis yet")
        files = view_files(state.study)
        studies = StudyStore(self.reviews.store)
        case_id = studies.find(files)
        if case_id is None:
            case_id = studies.add_study(files, source=state.study.case_id)
        prediction = analysis.prediction
        if studies.study(case_id).original is None:
            studies.save_prediction(
                case_id, corrections.ai_masks(), prediction.model_id, prediction.probabilities
            )
        label = state.confirmed_label or prediction.label
        record = studies.save_confirmation(
            case_id,
            label,
            corrections.masks(),
            author.strip() or default_author(),
            corrections.assistance(),
        )
        return _stored(record, studies.final_masks(case_id))


def study_folder(record: StudyRecord) -> Path:
    """Where a stored study opens from: its folder of view files, images/<case>/."""
    return next(iter(record.views.values())).parent


def study_status(record: StudyRecord) -> str:
    """The case list's word for a stored study: new, AI done, corrected, or reviewed (the
    model's class and masks accepted unchanged), as for an image."""
    final = record.final
    if final is None:
        return AI_DONE if record.original is not None else NEW
    accepted = record.original is not None and final.label == record.original.label
    unchanged = all(d == 1.0 for d in final.correction_dice.values())
    return REVIEWED if accepted and unchanged else CORRECTED


def _stored(record: StudyRecord, masks: dict[str, np.ndarray]) -> StoredStudy:
    final = record.final
    assert final is not None
    return StoredStudy(
        case_id=record.case_id,
        label=final.label,
        masks={view: mask.astype(np.uint8) for view, mask in masks.items()},
        author=final.author,
        updated=final.updated,
        revision=final.revision,
        heldout=record.heldout,
        status=study_status(record),
    )
