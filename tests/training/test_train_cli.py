"""`lesionlens train` end to end on tiny data: pretrain on skin, fine-tune on nodes, write a
bundle that the engine runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine import cli
from engine.bundle import read_bundle
from engine.inference import load_model
from engine.io import load_image
from engine.synth.dataset import write_dataset
from training import train_cli

TINY = ["--size", "64", "--width", "8", "--batch-size", "4", "--threads", "1"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("train-cli")
    source = write_dataset("skin", 5, root / "skin", seed=3, val_fraction=0.2)
    target = write_dataset("nodes", 8, root / "nodes", seed=5, val_fraction=0.25)
    return source, target


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_lesionlens_train_pretrains_fine_tunes_and_writes_a_bundle(
    folders: tuple[Path, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Through the real `lesionlens train` (a child process running training.train_cli)."""
    source, target = folders
    out, work = tmp_path / "model", tmp_path / "work"
    argv = ["train", "--source", str(source), "--target", str(target), "--out", str(out)]
    argv += ["--epochs", "2", "--source-epochs", "1", "--work", str(work), *TINY]
    assert cli.main(argv) == 0
    lines = _json_lines(capfd.readouterr().out)
    events = [line.get("event") for line in lines]
    assert events[0] == "start" and events[-1] == "done"
    assert lines[-1]["origin"] == "source"
    transfer = next(line for line in lines if line.get("event") == "transfer")
    assert transfer["copied"] > 0 and transfer["skipped_heads"]
    assert all(name.startswith("cls_head") for name in transfer["skipped_heads"])
    assert not transfer["skipped_shape"] and not transfer["missing_in_source"]
    assert [line["frozen"] for line in lines if line.get("event") == "freezing"][0]
    source_epochs = [line for line in lines if line.get("stage") == "source" and "loss" in line]
    target_epochs = [line for line in lines if line.get("stage") == "target" and "loss" in line]
    assert len(source_epochs) == 1 and [e["epoch"] for e in target_epochs] == [1, 2]
    assert (work / "pretrained.pt").is_file() and (work / "target.ckpt").is_file()

    bundle = read_bundle(out)
    assert bundle.spec.architecture == "hybrid-dual-task" and bundle.spec.inputs[0].size == 64
    assert bundle.metrics["transfer"]["copied"] == transfer["copied"]
    assert bundle.metrics["onnx_parity_max_abs"] <= 1e-4
    image = load_image(next((target / "images").iterdir()))
    prediction = load_model(out, device="cpu").predict(image, tta=False)
    assert prediction.mask.shape == image.pixels.shape[:2]
    assert abs(sum(prediction.probabilities.values()) - 1.0) < 1e-5
    assert np.isfinite(bundle.metrics["validation"]["dice"])


def test_bad_target_fails_with_a_json_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    code = train_cli.main(["--target", str(tmp_path / "empty"), "--out", str(tmp_path / "m")])
    assert code == 2
    error = _json_lines(capfd.readouterr().out)[-1]
    assert error["event"] == "error" and "labels.csv" in error["message"]
    assert not (tmp_path / "m").exists()
