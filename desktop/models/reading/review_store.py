"""Reviews to and from engine.datastore, for whatever file the GUI has open.

The datastore keeps its own copy of each case's image; a file opened from anywhere is
matched to its case by name and content, and imported on its first save. The AI mask goes to
labels/original once (never replaced); the corrected mask and the confirmed class to
labels/final, atomically, by engine.datastore.

Status shown in the case list: new (nothing stored), AI done (analysed, not reviewed),
corrected (stored mask differs from the AI's), reviewed (the AI mask accepted unchanged).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from desktop.models.editing.caliper import CaseMeasurements
from desktop.models.image.series import CINE, VOLUME
from desktop.models.reading.review import (
    AI_DONE,
    CORRECTED,
    NEW,
    REVIEWED,
    ReviewToSave,
    SavedReview,
)
from engine.datastore import Datastore, DatastoreError, data_root
from engine.datastore.index import INDEX_NAME
from engine.datastore.lookup import case_id_for_file
from engine.datastore.records import CaseRecord
from engine.reader_measurements import parse_stored
from engine.types import Prediction


def default_author() -> str:
    try:
        return getpass.getuser() or "reviewer"
    except (KeyError, OSError):
        return "reviewer"


def record_status(record: CaseRecord) -> str:
    if record.final is not None:
        return REVIEWED if record.final.correction_dice == 1.0 else CORRECTED
    return AI_DONE if record.original is not None else NEW


class ReviewStore:
    """One datastore (LESIONLENS_HOME or the user data folder unless `root` is given),
    opened on first use so that starting the GUI touches no disk."""

    def __init__(self, root: str | Path | None = None) -> None:
        self._root = root
        self._store: Datastore | None = None

    @property
    def store(self) -> Datastore:
        if self._store is None:
            self._store = Datastore(self._root)
        return self._store

    @property
    def root(self) -> Path:
        return self.store.root if self._store is not None else data_root(self._root)

    @property
    def exists(self) -> bool:
        """Whether anything was ever stored: looking a file up never creates the data root."""
        return self._store is not None or (self.root / INDEX_NAME).is_file()

    def cases(self) -> list[CaseRecord]:
        return self.store.cases() if self.exists else []

    def case_id_for(
        self, path: str | Path, records: Iterable[CaseRecord] | None = None
    ) -> str | None:
        """The stored case this file is: a file inside the datastore, or an imported copy
        (same name, same bytes) of a file opened from elsewhere."""
        return case_id_for_file(self.root, self.cases() if records is None else records, path)

    def statuses(self, paths: Iterable[Path]) -> dict[Path, str]:
        """The case-list status of each file (one index read for the whole list)."""
        records = self.cases()
        by_id = {r.case_id: r for r in records}
        result = {}
        for path in paths:
            case_id = self.case_id_for(path, records)
            result[path] = record_status(by_id[case_id]) if case_id is not None else NEW
        return result

    def heldout_paths(self, paths: Iterable[Path]) -> set[Path]:
        """The files whose datastore case is in the fixed held-out split (one index read)."""
        records = self.cases()
        held = {r.case_id for r in records if r.heldout}
        return {p for p in paths if held and self.case_id_for(p, records) in held}

    def saved_review(self, path: str | Path) -> SavedReview | None:
        """The stored correction of this file, if it has one."""
        if not self.exists:
            return None
        case_id = self.case_id_for(path)
        if case_id is None:
            return None
        record = self.store.case(case_id)
        if record.final is None:
            return None
        mask = self.store.final_mask(case_id)
        assert mask is not None
        return _saved(record, mask.astype(np.uint8))

    def record_ai(self, path: str | Path, prediction: Prediction) -> bool:
        """A batch result of a case already in the datastore goes to labels/original (kept
        once, never replaced); a file from elsewhere is not imported for it. True if stored."""
        if not self.exists:
            return False
        case_id = self.case_id_for(path)
        if case_id is None or self.store.case(case_id).original is not None:
            return False
        self.store.record_prediction(case_id, prediction)
        return True

    def save(self, review: ReviewToSave) -> SavedReview:
        """Import the file if needed, keep the AI mask once, store the correction and the
        reader's measurements (calibration, calipers)."""
        _check_storable(review)
        store = self.store
        case_id = self.case_id_for(review.path)
        if case_id is None:
            case_id = store.add_case(review.path)
        if store.case(case_id).original is None:
            store.record_prediction(case_id, review.ai_prediction)
        author = review.author.strip() or default_author()
        assistance = (
            {"method": "reader-drawn with AI assistance", "model_ids": list(review.assisted_by)}
            if review.assisted_by
            else None
        )
        record = store.save_correction(
            case_id, review.mask, review.label, author, review.descriptor_choices, assistance
        )
        if review.measurements is not None:
            store.save_measurements(case_id, _measurements_json(review.measurements))
        return _saved(record, review.mask)

    def measurements(self, path: str | Path) -> CaseMeasurements | None:
        """The stored calibration, calipers and shapes of this file's case, None when there are none
        (or the file is not in the datastore)."""
        if not self.exists:
            return None
        case_id = self.case_id_for(path)
        if case_id is None:
            return None
        raw = self.store.measurements(case_id)
        return parse_stored(raw, f"case {case_id}", self.root / INDEX_NAME) if raw else None

    def save_measurements(self, path: str | Path, measurements: CaseMeasurements) -> bool:
        """Update the measurements of a case already in the datastore (a file not stored yet
        gets them with its first Save Review). True if stored."""
        if not self.exists:
            return False
        case_id = self.case_id_for(path)
        if case_id is None:
            return False
        self.store.save_measurements(case_id, _measurements_json(measurements))
        return True


def _measurements_json(measurements: CaseMeasurements) -> dict:
    return {} if measurements.empty else measurements.to_json()


def _check_storable(review: ReviewToSave) -> None:
    """The datastore keeps one 2D mask per case, for the first view as load_image reads it
    (the first frame of a cine). Anything else would pair a mask with the wrong pixels."""
    if review.kind == VOLUME:
        raise DatastoreError(
            f"{review.path.name}: corrections of volume slices cannot be stored yet "
            "(the datastore keeps one 2D mask per case)"
        )
    if review.kind == CINE and review.frame_index != 0:
        raise DatastoreError(
            f"{review.path.name}: only the first frame of a cine can be stored yet "
            f"(this is frame {review.frame_index + 1}; the datastore records no frame number)"
        )


def _saved(record: CaseRecord, mask: np.ndarray) -> SavedReview:
    final = record.final
    assert final is not None
    return SavedReview(
        case_id=record.case_id,
        mask=mask,
        label=final.label,
        author=final.author,
        updated=final.updated,
        status=record_status(record),
        heldout=record.heldout,
        descriptor_choices={int(k): dict(v) for k, v in final.descriptor_choices.items()},
    )
