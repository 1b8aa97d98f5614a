"""Every shipped bundle's weights.pt is the network of its model.onnx: fine-tuning starts from
the weights users run. (kidney-ct's weights.pt was recovered from its model.onnx after the
bundle had shipped without one; this is the check that the recovery is exact.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from engine.bundle import read_bundle
from training.checkpoint import network_from_bundle

MODELS = Path(__file__).resolve().parents[2] / "resources" / "models"
SINGLE_INPUT = ("default", "breast-us", "kidney-ct")


@pytest.mark.parametrize("name", SINGLE_INPUT)
def test_weights_match_the_onnx_model(name: str) -> None:
    bundle = read_bundle(MODELS / name)
    net = network_from_bundle(bundle.directory)
    session = ort.InferenceSession(str(bundle.onnx_path), providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    if bundle.spec.task == "volume":
        shape = (1, 1, 32, 48, 48)
    else:
        spec_input = bundle.spec.inputs[0]
        shape = (1, spec_input.channels, spec_input.size, spec_input.size)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    onnx_out = session.run(None, {inp.name: x})
    with torch.no_grad():
        torch_out = net(torch.from_numpy(x))
    torch_out = torch_out if isinstance(torch_out, tuple | list) else [torch_out]
    assert len(onnx_out) == len(torch_out)
    for got, want in zip(onnx_out, torch_out, strict=True):
        np.testing.assert_allclose(got, want.numpy(), atol=1e-3, rtol=1e-3)
