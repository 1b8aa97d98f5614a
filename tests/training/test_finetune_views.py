"""Fine-tuning a multi-view bundle on confirmed studies of the datastore (training.finetune_views,
reached from training.finetune by the base's task), gated on the held-out studies through the
multi-view scorer: one real round of the shipped skin-fusion bundle, one epoch, seconds."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.bundle import read_bundle
from engine.datastore import HELDOUT, TRAIN, Datastore, split_for
from engine.datastore.studies import KIND, StudyStore
from engine.finetune_request import RequestError
from engine.jobs import JobError, datastore_request, judge_candidate, prepare_job
from engine.synth.dataset import write_dataset
from training import finetune

SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "models" / "skin-fusion"
BASE_ID = read_bundle(SHIPPED).spec.model_id


def _ids(split: str, n: int) -> list[str]:
    return [c for c in (f"st{k}" for k in range(500)) if split_for(c) == split][:n]


@pytest.fixture(scope="module")
def confirmed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A datastore with 4 training and 2 held-out confirmed skin studies (synthetic pairs,
    the generator's truth masks as the reader's), one unconfirmed study and one 2D case."""
    tmp = tmp_path_factory.mktemp("views-ft")
    synth = write_dataset("skin-pair", 7, tmp / "synth", seed=3, val_fraction=0.0)
    with (synth / "views.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    with (synth / "labels.csv").open(newline="") as fh:
        labels = {r["case"]: r["label"] for r in csv.DictReader(fh)}
    cases = list(dict.fromkeys(r["case"] for r in rows))
    store = StudyStore(Datastore(tmp / "home"))
    for case, case_id in zip(cases, _ids(TRAIN, 4) + _ids(HELDOUT, 2) + ["unread"], strict=True):
        views = {r["view"]: synth / r["file"] for r in rows if r["case"] == case}
        store.add_study(views, case_id=case_id)
        if case_id == "unread":
            continue
        masks = {
            r["view"]: np.asarray(PILImage.open(synth / r["mask"]).convert("L")) > 0
            for r in rows
            if r["case"] == case
        }
        store.save_prediction(
            case_id, {v: np.zeros_like(m) for v, m in masks.items()}, BASE_ID,
            {"benign": 0.5, "malignant": 0.5},
        )  # fmt: skip
        store.save_confirmation(case_id, labels[case], masks, "dr.a")
    image = tmp / "scan.png"
    PILImage.fromarray(np.full((32, 32), 80, np.uint8)).save(image)
    two_d = store.store.add_case(image)
    store.store.save_correction(two_d, np.ones((32, 32), np.uint8), "benign", "dr.a")
    return tmp / "home"


def test_a_views_round_trains_on_confirmed_studies_and_the_gate_judges_it(
    confirmed_home: Path, tmp_path: Path
) -> None:
    base = shutil.copytree(SHIPPED, tmp_path / "base")
    request = datastore_request(Datastore(confirmed_home), base, epochs=1, seed=0)
    assert request.train["kind"] == KIND and request.replay is None
    assert sorted(request.train["cases"]) == sorted(_ids(TRAIN, 4))  # no 2D case, no unread
    assert sorted(request.heldout["cases"]) == sorted(_ids(HELDOUT, 2))
    request = request.replace(recipe={"batch_size": 4}, gate={"min_cases": 2, "resamples": 200})
    path = prepare_job(request, root=tmp_path / "jobs-root")

    assert finetune.main(["--request", str(path)]) == 0
    events = [json.loads(line) for line in (path.parent / "log.jsonl").read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and "epoch" in kinds
    start, done = events[0], events[-1]
    assert (start["n_train"], start["n_heldout"], start["n_replay"]) == (4, 2, 0)
    epoch = next(e for e in events if e["event"] == "epoch")
    assert 0.0 <= epoch["val_dice"] <= 1.0  # skin-fusion segments the ultrasound view

    job = type(request).read(path)
    candidate = read_bundle(job.out)
    assert candidate.spec.task == "views" and candidate.spec.model_id == done["model_id"]
    assert candidate.spec.raw["parent_model_id"] == BASE_ID
    assert candidate.spec.card["fine_tuned"]["source"] == "reviewed cases of this site"
    assert candidate.metrics["finetune"]["heldout_cases"] == sorted(_ids(HELDOUT, 2))
    base_weights = (base / "weights.pt").read_bytes()
    assert (Path(job.out) / "weights.pt").read_bytes() != base_weights  # it did train

    verdict = judge_candidate(job)
    assert verdict.candidate_id == done["model_id"] and verdict.baseline_id == BASE_ID
    assert sorted(verdict.heldout_cases) == sorted(_ids(HELDOUT, 2))
    assert verdict.n == 2 and verdict.dice_difference is not None  # paired Dice per study
    assert verdict.candidate["n"] == 2 and "dice_us" in verdict.candidate
    assert verdict.promoted == (not verdict.reasons)


def test_a_views_request_is_refused_without_enough_studies_or_with_a_replay(
    confirmed_home: Path, tmp_path: Path
) -> None:
    empty = Datastore(tmp_path / "empty")
    with pytest.raises(JobError, match=r"training photo \+ us studies first"):
        datastore_request(empty, SHIPPED)
    request = datastore_request(Datastore(confirmed_home), SHIPPED, epochs=1)
    from engine.finetune_request import Replay

    with_replay = request.replace(replay=Replay(synth="nodes", n=4), job_dir=str(tmp_path / "j"))
    with pytest.raises(RequestError, match="replay is not supported"):
        finetune.run(with_replay, lambda _e: None)
    odd = request.replace(recipe={"steps_per_epoch": 3}, job_dir=str(tmp_path / "k"))
    with pytest.raises(RequestError, match="unknown recipe settings"):
        finetune.run(odd, lambda _e: None)
    # studies train only a multi-view model, and a multi-view model only on studies
    image_base = SHIPPED.parent / "default"
    with pytest.raises(RequestError, match="cannot be fine-tuned on multi-view studies"):
        finetune.run(request.replace(base=type(request.base)(str(image_base))), lambda _e: None)
    two_d = {**request.train, "kind": None}
    with pytest.raises(RequestError, match="cannot be fine-tuned on 2D image cases"):
        finetune.run(request.replace(train=two_d, heldout={**two_d}), lambda _e: None)
