"""The breast recipe's bundle at toy size: one ONNX export per bundle, the held-out scores
added to metrics.json afterwards."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import training.bundle_writer
from engine.bundle import read_bundle
from engine.synth.dataset import write_dataset
from training.recipes.breast_us import BreastRecipe, build, fold_data, write_breast_bundle
from training.recipes.calibration import calibrate


def test_breast_bundle_exports_once_and_adds_heldout_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exports = []
    real_export = training.bundle_writer.export_onnx

    def counting_export(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        exports.append(args[1])
        return real_export(*args, **kwargs)

    monkeypatch.setattr(training.bundle_writer, "export_onnx", counting_export)
    data_root = write_dataset("nodes", 15, tmp_path / "data", seed=11, val_fraction=0.0)
    recipe = BreastRecipe(size=64, width=8, attention_blocks=1, epochs=1, init=None)
    data = fold_data(data_root, 4, recipe.size)
    net = build(recipe, seed=0, log=lambda record: None)
    calibration = calibrate(net, data.train, data.heldout)
    out = tmp_path / "bundle"
    metrics = write_breast_bundle(
        net, out, recipe, data, calibration, [], 0, data_root, time.time()
    )
    assert len(exports) == 1
    bundle = read_bundle(out)
    # metrics.json stores undefined scores (NaN) as null; the defined ones are the returned ones
    assert set(bundle.metrics["heldout"]) == set(metrics["heldout"])
    assert bundle.metrics["heldout"]["dice"] == pytest.approx(metrics["heldout"]["dice"])
    assert bundle.metrics["heldout"]["n"] == len(data.heldout_ids)
    assert bundle.metrics["onnx_parity_max_abs"] <= 1e-4
    assert bundle.spec.raw["scope"]["file"] == "scope.json" and (out / "scope.json").is_file()
    assert (out / "weights.pt").is_file()
    # the operating points come with the bundle when the held-out split has normal images
    present = data.heldout.masks.reshape(len(data.heldout), -1).max(axis=1) > 0
    names = [p.name for p in bundle.spec.operating_points]
    assert names == (["sensitive", "balanced", "specific"] if (~present).any() else [])
