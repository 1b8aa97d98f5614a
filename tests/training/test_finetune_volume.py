"""A fine-tuning round of a volume bundle on corrected CT volumes of the datastore, end to end:
request from the datastore, training.finetune's run (dispatched on the base's task), the
candidate bundle, and the registry's gate judging it on the held-out volumes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.datastore import Datastore
from engine.datastore.heldout import split_for
from engine.datastore.volumes import VolumeStore, pin_volume_cases
from engine.synth.kidney_ct import SHIFTED_CT, generate_kidney_ct
from engine.synth.nifti_out import write_nifti

NAMES = ("background", "kidney", "tumour")
SHAPE = (16, 32, 48)


def _tiny_volume_bundle(out: Path) -> Path:
    """A kidney-ct bundle at toy size (width 4, 8x16x16 patches), untrained: seconds."""
    import torch

    from training.bundle_writer import write_bundle
    from training.networks.unet3d import UNet3D
    from training.recipes.kidney_ct import PARITY_TOLERANCE, Config, bundle_spec

    torch.manual_seed(0)
    config = Config(width=4, patch=(8, 16, 16), steps=0)
    spec = bundle_spec(config, temperature=1.0, radiomics=None)  # type: ignore[arg-type]
    write_bundle(UNet3D(width=4), out, spec, {"status": "test"}, tolerance=PARITY_TOLERANCE)
    return out


def _case_ids(n_train: int, n_val: int) -> list[str]:
    """Case ids the fixed split puts n_train in training and n_val held out."""
    train, val, k = [], [], 0
    while len(train) < n_train or len(val) < n_val:
        name = f"ct{k}"
        (val if split_for(name) == "val" else train).append(name)
        k += 1
    return train[:n_train] + val[:n_val]


def _stored_volumes(tmp_path: Path) -> Datastore:
    store = Datastore(tmp_path / "home")
    volumes = VolumeStore(store)
    for i, case_id in enumerate(_case_ids(2, 2)):
        label = ("benign", "malignant")[i % 2]
        sample = generate_kidney_ct(np.random.default_rng(i), label, SHIFTED_CT, shape=SHAPE)
        path = tmp_path / "cts" / f"{case_id}.nii.gz"
        write_nifti(path, sample.volume, sample.spacing_mm)
        volumes.add_volume(path, case_id=case_id)
        volumes.save_correction(case_id, sample.labels, "dr.a", NAMES, label)
    return store


def test_a_volume_bundle_fine_tunes_on_stored_volumes_and_the_gate_judges_it(
    tmp_path: Path,
) -> None:
    from engine.bundle import read_bundle
    from engine.jobs import datastore_request, judge_candidate
    from training.finetune import run

    store = _stored_volumes(tmp_path)
    base = _tiny_volume_bundle(tmp_path / "base")
    request = datastore_request(store, base, epochs=2).replace(
        out=str(tmp_path / "candidate"),
        job_dir=str(tmp_path / "job"),
        job_id="ft-test",
        recipe={"steps_per_epoch": 2, "batch": 1, "monitor_cases": 1},
        gate={"min_cases": 2, "resamples": 100},
        threads=1,
    )
    assert request.train["kind"] == request.heldout["kind"] == "volume"
    assert len(request.train["cases"]) == 2 and len(request.heldout["cases"]) == 2

    events: list[dict] = []
    done = run(request, events.append)

    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds.count("epoch") == 2 and kinds[-1] == "export"
    assert events[0]["n_train"] == 2 and events[0]["n_heldout"] == 2
    assert all(0.0 <= e["val_dice"] <= 1.0 for e in events if e["event"] == "epoch")
    candidate = read_bundle(done["candidate"])
    assert candidate.spec.task == "volume"
    assert candidate.spec.raw["parent_model_id"] == read_bundle(base).spec.model_id
    assert candidate.spec.card["fine_tuned"]["n_cases"] == 2
    assert (Path(done["candidate"]) / "weights.pt").is_file()
    assert candidate.metrics["finetune"]["heldout_cases"] == sorted(request.heldout["cases"])
    assert not (tmp_path / "job" / "work").exists()

    verdict = judge_candidate(request)
    assert verdict.candidate_id == done["model_id"]
    assert verdict.n == 2 and set(verdict.heldout_cases) == set(request.heldout["cases"])
    assert verdict.dice_difference is not None and verdict.dice_ci is not None
    assert {"dice_kidney", "dice_tumour", "dice"} <= set(verdict.candidate)
    # the paired difference is exactly what the two models scored, case by case
    diffs = [c - b for _, b, c in verdict.paired_dice]
    assert verdict.dice_difference == pytest.approx(float(np.mean(diffs)))


def test_a_2d_model_never_takes_volume_cases_and_a_volume_recipe_is_checked(
    tmp_path: Path,
) -> None:
    from engine.bundle import default_bundle_dir
    from engine.finetune_request import RequestError
    from engine.jobs import JobError, datastore_readiness, datastore_request, finetune_request
    from training.finetune import run
    from training.finetune_volume import volume_recipe

    store = _stored_volumes(tmp_path)
    assert "training cases first (0 so far)" in (datastore_readiness(store) or "")
    assert datastore_readiness(store, volumes=True) is None
    with pytest.raises(JobError, match=r"training cases first \(0 so far\)"):
        datastore_request(store, default_bundle_dir())  # a 2D bundle: volumes are not its data
    volumes = VolumeStore(store)
    two_d = finetune_request(
        default_bundle_dir(), pin_volume_cases(volumes, "train"), pin_volume_cases(volumes, "val")
    ).replace(job_dir=str(tmp_path / "job"), out=str(tmp_path / "cand"))
    with pytest.raises(RequestError, match=r"cannot be fine-tuned on CT volume cases"):
        run(two_d, lambda _event: None)  # a 2D model is never trained on CT volumes
    with pytest.raises(RequestError, match="unknown recipe settings"):
        volume_recipe({"freeze": "encoder"})
    with pytest.raises(RequestError, match="lr must be positive"):
        volume_recipe({"lr": 0.0})


def test_finetune_cli_with_a_volume_model_trains_on_the_datastores_volumes(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """`lesionlens finetune --model <volume bundle>` without --data: the datastore's corrected
    CT volumes, in the child process, then the gate's verdict on the held-out volumes."""
    import json

    from engine.cli import main
    from engine.jobs import read_log

    store = _stored_volumes(tmp_path)
    base = _tiny_volume_bundle(tmp_path / "base")
    out = tmp_path / "candidate"
    args = ["finetune", "--model", str(base), "--out", str(out), "--epochs", "1"]
    assert main([*args, "--home", str(store.root)]) == 0
    captured = capsys.readouterr()
    assert "2 corrected training and 2 held-out volume cases" in captured.err
    assert "epoch 1/1" in captured.err
    assert "replay: none — a CT volume model trains on the stored cases alone" in captured.err
    assert "NOT PROMOTED (too few held-out cases)" in captured.out  # 2 < the default 10
    assert "on 2 held-out cases" in captured.out
    (job_dir,) = (store.root / "jobs").iterdir()
    start = next(e for e in read_log(job_dir) if e["event"] == "start")
    assert (start["n_train"], start["n_heldout"]) == (2, 2)
    assert json.loads((out / "model.json").read_text())["task"] == "volume"
