"""The training state's model family, without a display: the CT model is offered once CT
volume cases are stored, a study model once studies of its views are; choosing one makes
the readiness, the counts, the request's base and rollback that family's, and a change there
never reloads the window's 2D model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from desktop.models.feedback.families import offered_families
from desktop.models.feedback.state import STARTING, TrainingState
from desktop.models.reading.review_store import ReviewStore
from engine.bundle import default_bundle_dir, read_bundle
from engine.datastore import HELDOUT, TRAIN, Datastore, split_for
from engine.datastore.studies import StudyStore
from engine.finetune_request import FinetuneRequest
from engine.model_catalog import bundle_for_volume, shipped_bundles
from engine.registry import IMAGE, VOLUME, Registry, Verdict, views_family


class PromotingGate:
    """A verdict that promotes without scoring (the registry's bookkeeping is under test)."""

    def judge(self, candidate_dir: str | Path, baseline_dir: str | Path) -> Verdict:
        return Verdict(
            promoted=True,
            candidate_id=read_bundle(candidate_dir).spec.model_id,
            baseline_id=read_bundle(baseline_dir).spec.model_id,
            candidate={"n": 1, "dice": 0.5, "accuracy": 1.0},
            baseline={"n": 1, "dice": 0.4, "accuracy": 1.0},
            heldout="held-out",
            heldout_id="test",
            dice_margin=0.01,
            accuracy_margin=0.02,
        )


@pytest.fixture(scope="module")
def shipped_ct() -> Path:
    bundle = bundle_for_volume()
    assert bundle is not None, "no shipped volume model: make model-ct"
    return bundle.directory


def test_the_ct_model_is_offered_once_ct_cases_are_stored(tmp_path: Path, store_ct_cases) -> None:
    home = tmp_path / "home"
    state = TrainingState(ReviewStore(home))
    state.refresh()
    assert state.families == [IMAGE] and state.family == IMAGE
    assert not state.set_family(VOLUME)  # nothing to fine-tune it on yet

    store_ct_cases(home, 1, 0)
    changes: list[str] = []
    state.subscribe("families_changed", lambda: changes.append(state.family))
    state.refresh()
    assert state.families == [IMAGE, VOLUME] and changes == [IMAGE]
    assert offered_families(None, Registry(home)) == [IMAGE]  # nothing stored: images only


def test_choosing_the_ct_model_changes_readiness_counts_and_the_requests_base(
    tmp_path: Path, shipped_ct: Path, store_ct_cases
) -> None:
    home = tmp_path / "home"
    store_ct_cases(home, 2, 1)
    state = TrainingState(ReviewStore(home))
    state.refresh()
    image_model = read_bundle(default_bundle_dir()).spec.model_id
    assert state.active_bundle.spec.model_id == image_model
    assert state.readiness == "correct at least 2 training cases first (0 so far)"
    assert state.corrected_counts == (0, 0)

    assert state.set_family(VOLUME)
    ct_model = read_bundle(shipped_ct).spec.model_id
    assert state.active_bundle.directory == shipped_ct and state.readiness is None
    assert state.corrected_counts == (2, 1)
    assert state.readiness_text().startswith(
        f"Ready: fine-tunes {ct_model} on 2 corrected training CT volume cases; "
        "1 held-out CT volume case (never trained on) judge it."
    )
    assert [e.model_id for e in state.entries] == [ct_model]

    path = state.prepare(epochs=1)
    assert path is not None and state.phase == STARTING
    request = FinetuneRequest.read(path)
    assert Path(request.base.dir) == shipped_ct.resolve() and request.base.model_id == ct_model
    assert request.train["kind"] == request.heldout["kind"] == "volume"
    assert len(request.train["cases"]) == 2 and len(request.heldout["cases"]) == 1
    assert not state.set_family(IMAGE)  # a job is starting: the family stays


def test_a_ct_promotion_and_rollback_stay_in_the_volume_family(
    tmp_path: Path, shipped_ct: Path, store_ct_cases
) -> None:
    home = tmp_path / "home"
    store_ct_cases(home, 2, 1)
    candidate = tmp_path / "ct-a"
    shutil.copytree(shipped_ct, candidate)
    spec = json.loads((candidate / "model.json").read_text())
    spec["model_id"] = "ct-a"
    (candidate / "model.json").write_text(json.dumps(spec))
    Registry(home).promote(candidate, PromotingGate())

    state = TrainingState(ReviewStore(home))
    reloads: list[object] = []
    state.subscribe("active_model_changed", reloads.append)
    state.refresh()
    image_model = read_bundle(default_bundle_dir()).spec.model_id
    assert state.previous_id is None and not state.can_roll_back  # the image family's
    assert state.set_family(VOLUME)
    assert state.active_bundle.spec.model_id == "ct-a" and state.can_roll_back
    assert state.rollback()
    ct_model = read_bundle(shipped_ct).spec.model_id
    registry = Registry(home)
    assert registry.active_id(VOLUME) == ct_model and registry.active_id() == image_model
    assert state.active_bundle.spec.model_id == ct_model
    assert reloads == []  # the window's 2D model is not replaced by a CT model
    assert state.activate("ct-a") and registry.active_id(VOLUME) == "ct-a" and reloads == []


def _store_studies(
    home: Path, views: list[str], label: str, n_train: int, n_heldout: int, prefix: str = "st"
) -> None:
    """Confirmed studies of these views (flat 32x32 PNGs, a square as every view's mask),
    their ids chosen so the fixed split puts n_train in training and n_heldout held out."""

    def ids(split: str, n: int) -> list[str]:
        return [c for c in (f"{prefix}{k}" for k in range(500)) if split_for(c) == split][:n]

    store = StudyStore(Datastore(home))
    mask = np.zeros((32, 32), bool)
    mask[8:20, 8:20] = True
    for case_id in ids(TRAIN, n_train) + ids(HELDOUT, n_heldout):
        files = {}
        for view in views:
            files[view] = home.parent / "studies" / case_id / f"{view}.png"
            files[view].parent.mkdir(parents=True, exist_ok=True)
            PILImage.fromarray(np.full((32, 32), 90, np.uint8)).save(files[view])
        store.add_study(files, case_id=case_id)
        store.save_confirmation(case_id, label, {v: mask for v in views}, "dr.a")


def test_a_study_model_is_offered_for_stored_studies_and_fine_tunes_on_them(
    tmp_path: Path,
) -> None:
    study = next(b for b in shipped_bundles() if b.spec.task == "views")
    views = [i.view for i in study.spec.inputs]
    family = views_family(views)
    home = tmp_path / "home"
    _store_studies(home, views, study.spec.classes[0], 2, 1)
    # Studies of other views belong to another family: never counted or trained on here.
    _store_studies(home, ["left", "right"], study.spec.classes[0], 2, 1, prefix="other")
    state = TrainingState(ReviewStore(home))
    state.refresh()
    assert family in state.families and IMAGE in state.families
    assert state.set_family(family)
    assert state.active_bundle.directory == study.directory and state.readiness is None
    assert state.corrected_counts == (2, 1)
    assert state.readiness_text().startswith(
        f"Ready: fine-tunes {study.spec.model_id} on 2 corrected training studies; "
        "1 held-out study (never trained on) judge it."
    )
    path = state.prepare(epochs=1)
    assert path is not None
    request = FinetuneRequest.read(path)
    assert Path(request.base.dir) == study.directory.resolve()
    assert request.train["kind"] == request.heldout["kind"] == "study"
    assert all(c.startswith("st") for c in [*request.train["cases"], *request.heldout["cases"]])
