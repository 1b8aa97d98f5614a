"""ONNX export (one self-contained file) with a parity check against torch."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from engine.atomic import write_bytes_atomic

INPUT_NAME = "image"
OUTPUT_NAMES = ("segmentation", "classification")


def output_names(net: torch.nn.Module) -> tuple[str, ...]:
    """The network's ONNX outputs: its own `output_names` (a presence head adds "presence"
    and "features"), else the two of every dual-task network."""
    return tuple(getattr(net, "output_names", OUTPUT_NAMES))


def export_onnx(net: torch.nn.Module, path: str | Path, size: int, channels: int = 1) -> Path:
    net = net.eval()
    example = torch.zeros(2, channels, size, size)  # batch 2: a batch of 1 gets specialised
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / "model.onnx"
        torch.onnx.export(
            net,
            (example,),
            str(tmp_path),
            input_names=[INPUT_NAME],
            output_names=list(output_names(net)),
            dynamic_shapes=({0: torch.export.Dim.DYNAMIC},),
            external_data=False,
            dynamo=True,
            verbose=False,
        )
        return write_bytes_atomic(path, tmp_path.read_bytes())


def onnx_parity(
    net: torch.nn.Module, path: str | Path, size: int, channels: int = 1, relative: bool = False
) -> float:
    """Largest absolute difference between torch and onnxruntime outputs on random input;
    relative: each output's difference divided by its largest magnitude (at least 1), since
    a trained network's logits in the tens carry float32 rounding of ~1e-6 of that."""
    import onnxruntime as ort

    x = torch.rand(2, channels, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = [t.numpy() for t in net.eval()(x)]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(list(output_names(net)), {INPUT_NAME: x.numpy()})
    pairs = list(zip(expected, got, strict=True))
    if relative:
        return float(max(np.abs(a - b).max() / max(1.0, np.abs(a).max()) for a, b in pairs))
    return float(max(np.abs(a - b).max() for a, b in pairs))
