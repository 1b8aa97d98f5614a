"""INT8 quantisation: close outputs, a gate that can refuse, a record inference trusts."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort

from engine.inference import load_model
from engine.quantize import accuracy_gate, network_inputs, quantize_bundle, quantize_onnx
from engine.synth.nodes import generate_node_image
from engine.types import Image


def _images(n: int) -> list[Image]:
    out = []
    for i in range(n):
        s = generate_node_image(np.random.default_rng(50 + i))
        out.append(Image(pixels=s.image, spacing_mm=s.spacing_mm))
    return out


def test_quantised_tiny_model_gives_close_outputs(tmp_path, make_tiny_bundle) -> None:
    bundle = make_tiny_bundle(tmp_path / "tiny")
    model = load_model(bundle, device="cpu")
    feeds = network_inputs(model, _images(3))
    assert feeds and feeds[0]["image"].shape == (4, 1, 32, 32)  # every TTA pass recorded
    out = quantize_onnx(bundle / "model.onnx", tmp_path / "int8.onnx", feeds)
    fp32 = ort.InferenceSession(str(bundle / "model.onnx"), providers=["CPUExecutionProvider"])
    int8 = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert any("QuantizeLinear" in n.op_type for n in onnx.load(str(out)).graph.node)
    for feed in feeds:
        for a, b in zip(fp32.run(None, feed), int8.run(None, feed), strict=True):
            scale = float(np.abs(a).max()) or 1.0
            assert float(np.abs(a - b).max()) < 0.05 * scale


def test_gate_refuses_an_impossible_tolerance_and_missing_metrics() -> None:
    same = {"dice": 0.8, "auc": 0.9}
    assert not accuracy_gate(same, same, tolerance=0.0).passed
    assert accuracy_gate(same, {"dice": 0.803, "auc": 0.898}, tolerance=0.005).passed
    assert not accuracy_gate(same, {"dice": 0.79, "auc": 0.9}, tolerance=0.005).passed
    assert not accuracy_gate(same, {"dice": 0.8, "auc": float("nan")}, tolerance=0.005).passed


def test_quantize_bundle_installs_only_past_the_gate(
    tmp_path, make_tiny_bundle, tiny_image_model
) -> None:
    bundle = make_tiny_bundle(tmp_path / "tiny")
    spec_before = (bundle / "model.json").read_text()
    refused = quantize_bundle(bundle, tolerance=0.0, n_calibration=1, n_heldout=2)
    assert refused["gate"] == "refused"
    assert not (bundle / "model.int8.onnx").exists()
    assert (bundle / "model.json").read_text() == spec_before
    passed = quantize_bundle(bundle, tolerance=1.0, n_calibration=1, n_heldout=2)
    assert passed["gate"] == "passed" and (bundle / "model.int8.onnx").is_file()
    record = json.loads((bundle / "model.json").read_text())["int8"]
    assert record["gate"] == "passed" and record["fp32"].keys() == {"dice", "auc"}
    assert load_model(bundle, device="cpu").precision == "int8"
    assert load_model(bundle, device="cpu", precision="fp32").precision == "fp32"
    # A retrained model.onnx makes the int8 copy stale: inference falls back to fp32.
    onnx.save(tiny_image_model(seed=1), str(bundle / "model.onnx"))
    assert load_model(bundle, device="cpu").precision == "fp32"
