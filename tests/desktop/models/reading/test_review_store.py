"""Reviews to and from engine.datastore: import on first save, match by content, refuse what
the datastore cannot hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop.models.reading.review import AI_DONE, CORRECTED, NEW, REVIEWED, ReviewToSave
from desktop.models.reading.review_store import ReviewStore
from engine.datastore import DatastoreError
from engine.types import Prediction


def review_for(path: Path, mask: np.ndarray, kind: str = "image", frame: int = 0) -> ReviewToSave:
    ai = np.zeros_like(mask)
    ai[2:5, 2:5] = 1
    prediction = Prediction(ai, {"benign": 0.7, "malignant": 0.3}, ai.astype(np.float32), "m1")
    return ReviewToSave(path, kind, frame, prediction, mask, "benign", "dr.a")


@pytest.fixture
def small_png(tmp_path: Path) -> Path:
    from PIL import Image as PILImage

    path = tmp_path / "scan.png"
    PILImage.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(path)
    return path


def test_first_save_imports_then_updates(tmp_path: Path, small_png: Path) -> None:
    store = ReviewStore(tmp_path / "home")
    assert store.statuses([small_png]) == {small_png: NEW}
    assert store.saved_review(small_png) is None
    assert not (tmp_path / "home").exists()  # looking up created nothing
    mask = np.zeros((8, 8), np.uint8)
    mask[1:6, 1:6] = 1
    saved = store.save(review_for(small_png, mask))
    assert saved.status == CORRECTED and saved.author == "dr.a"
    assert store.statuses([small_png]) == {small_png: CORRECTED}
    again = store.save(review_for(small_png, mask * 0))
    (record,) = store.cases()  # matched by name and bytes: no second case
    assert record.final.revision == 2 and again.case_id == saved.case_id
    loaded = store.saved_review(small_png)
    assert loaded is not None and not loaded.mask.any() and loaded.label == "benign"
    original = store.store.original_mask(record.case_id)
    assert original[2:5, 2:5].all() and original.sum() == 9  # the AI mask, kept once


def test_same_name_other_content_is_another_case(tmp_path: Path, small_png: Path) -> None:
    store = ReviewStore(tmp_path / "home")
    store.save(review_for(small_png, np.ones((8, 8), np.uint8)))
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = other_dir / "scan.png"
    shutil.copy(small_png, other)
    assert store.case_id_for(other) is not None  # same bytes elsewhere: the same case
    other.write_bytes(small_png.read_bytes()[:-4] + b"\x00\x00\x00\x00")
    assert store.case_id_for(other) is None and store.saved_review(other) is None


def test_accepted_ai_mask_is_reviewed(tmp_path: Path, small_png: Path) -> None:
    store = ReviewStore(tmp_path / "home")
    review = review_for(small_png, np.zeros((8, 8), np.uint8))
    review = ReviewToSave(
        review.path, "image", 0, review.ai_prediction, review.ai_prediction.mask, "benign", ""
    )
    saved = store.save(review)
    assert saved.status == REVIEWED and saved.author  # an empty author falls back to the user


def test_refuses_what_the_datastore_cannot_pair(tmp_path: Path, small_png: Path) -> None:
    store = ReviewStore(tmp_path / "home")
    with pytest.raises(DatastoreError, match="volume slices"):
        store.save(review_for(small_png, np.zeros((8, 8), np.uint8), kind="volume"))
    with pytest.raises(DatastoreError, match="first frame of a cine"):
        store.save(review_for(small_png, np.zeros((8, 8), np.uint8), kind="cine", frame=2))
    assert store.cases() == []


def test_ai_done_status_from_a_stored_prediction(tmp_path: Path, small_png: Path) -> None:
    store = ReviewStore(tmp_path / "home")
    case_id = store.store.add_case(small_png)
    store.store.record_prediction(case_id, review_for(small_png, np.zeros((8, 8))).ai_prediction)
    assert store.statuses([small_png])[small_png] == AI_DONE
