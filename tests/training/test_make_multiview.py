"""training.make_multiview end to end at toy size: the bundle must load in the engine and
answer a study through onnxruntime exactly as the torch network does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.bundle import read_bundle
from engine.inference import load_model
from engine.io.study import load_study
from engine.study.inference import predict_study
from engine.view_preprocess import prepare_view
from training.make_multiview import PLANS, main
from training.networks import build_network


def test_make_multiview_writes_a_bundle_the_engine_runs(tmp_path: Path) -> None:
    args = ["--kind", "scinti", "--n-train", "8", "--n-test", "4", "--epochs", "1"]
    args += ["--width", "4", "--input-scale", "0.25", "--seed", "3"]
    assert main([*args, "--work", str(tmp_path / "work"), "--out-root", str(tmp_path)]) == 0
    bundle = read_bundle(tmp_path / "scinti-two-view")
    spec = bundle.spec
    assert spec.task == "views" and [i.view for i in spec.inputs] == ["anterior", "posterior"]
    assert spec.raw["inputs"][0]["shape"] == [64, 24]
    assert set(spec.outputs) == {"classification", "attention_anterior", "attention_posterior"}
    assert "not for diagnosis" in spec.intended_use
    assert bundle.metrics["onnx_parity_max_abs"] <= 1e-4
    assert bundle.metrics["test"]["n"] == bundle.metrics["test_shifted"]["n"] == 4
    assert bundle.onnx_path.stat().st_size < 20e6
    study = load_study(tmp_path / "work" / "scinti" / "test", "scinti1003_00001")
    prediction = predict_study(study, load_model(bundle.directory, device="cpu"))
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    for view in ("anterior", "posterior"):
        assert prediction.view_maps[view].shape == study.views[view].pixels.shape
    assert prediction.masks == {}
    history = json.loads((bundle.directory / "metrics.json").read_text())["history"]
    assert len(history) == 1
    # The engine's probability is the torch network's, through the same preprocessing.
    plan = PLANS["scinti"].scaled(0.25, 4)
    net = build_network(plan.architecture, **plan.network_kwargs).eval()
    net.load_state_dict(torch.load(bundle.directory / "weights.pt", weights_only=True))
    tensors = [
        torch.from_numpy(prepare_view(study.views[i.view], i.channels, i.normalisation, i.shape)[0])
        for i in plan.inputs
    ]
    with torch.no_grad():
        logits = net(*(t[None] for t in tensors))[0][0]
    expected = torch.softmax(logits / spec.temperature, dim=0)[1].item()
    no_tta = predict_study(study, load_model(bundle.directory, device="cpu"), tta=False)
    assert no_tta.probabilities["metastatic"] == pytest.approx(expected, abs=1e-4)
