"""ONNX export of any network (one image, several views, a volume) to one self-contained
file, and its parity against torch.

The caller names the inputs with their per-sample shapes (C×H×W, or C×D×H×W for a volume);
the exporter settings are the same for every bundle: dynamo, no external data, a dynamic
batch axis. training.bundle_writer takes the shapes from model.json; the network tests and
the latency bench take them from SIGNATURES.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from engine.atomic import write_bytes_atomic

INPUT_NAME = "image"
OUTPUT_NAMES = ("segmentation", "classification")

# name -> (inputs as (name, channels), outputs); spatial sizes come from input_shapes.
SIGNATURES: dict[str, tuple[tuple[tuple[str, int], ...], tuple[str, ...]]] = {
    "hybrid-dual-task": (((INPUT_NAME, 1),), OUTPUT_NAMES),
    "cascaded-unet": (((INPUT_NAME, 1),), OUTPUT_NAMES),
    "plain-unet": (((INPUT_NAME, 1),), OUTPUT_NAMES),
    "two-view": (
        (("anterior", 1), ("posterior", 1)),
        ("classification", "attention_anterior", "attention_posterior"),
    ),
    "fusion-attention": (
        (("photo", 3), ("us", 1)),
        ("classification", "segmentation_us", "attention_photo", "attention_us"),
    ),
    "unet3d": ((("volume", 1),), OUTPUT_NAMES),
}


class Parity(NamedTuple):
    """Largest torch/onnxruntime difference over all outputs: absolute, and each output's
    difference divided by its largest magnitude (at least 1), since a trained network's
    logits in the tens carry float32 rounding of ~1e-6 of that."""

    max_abs: float
    max_rel: float


def output_names(net: torch.nn.Module, default: tuple[str, ...] = OUTPUT_NAMES) -> tuple[str, ...]:
    """The network's ONNX outputs in forward order: its own `output_names` (a presence head
    adds "presence", a features output "features"), else `default`."""
    return tuple(getattr(net, "output_names", default))


def input_shapes(name: str, size: int, depth: int | None = None) -> dict[str, tuple[int, ...]]:
    """Per-sample input shapes of a registered network (no batch axis): C×S×S, or C×D×S×S
    for volumes."""
    inputs, _ = SIGNATURES[name]
    if name == "unet3d":
        d = depth if depth is not None else max(4, size // 2 // 4 * 4)
        return {n: (c, d, size, size) for n, c in inputs}
    return {n: (c, size, size) for n, c in inputs}


def example_inputs(
    shapes: dict[str, tuple[int, ...]], batch: int = 2, seed: int = 0
) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.rand(batch, *shape, generator=generator) for shape in shapes.values())


def export_onnx(
    net: torch.nn.Module,
    path: str | Path,
    shapes: dict[str, tuple[int, ...]],
    outputs: tuple[str, ...] | None = None,
) -> Path:
    """shapes: ONNX input name -> per-sample shape, in forward-argument order; outputs: ONNX
    output names in forward order (default: output_names(net))."""
    net = net.eval()
    example = example_inputs(shapes)  # batch 2: a batch of 1 gets specialised
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / "model.onnx"
        torch.onnx.export(
            net,
            example,
            str(tmp_path),
            input_names=list(shapes),
            output_names=list(outputs or output_names(net)),
            dynamic_shapes=tuple({0: torch.export.Dim.DYNAMIC} for _ in shapes),
            external_data=False,
            dynamo=True,
            verbose=False,
        )
        return write_bytes_atomic(path, tmp_path.read_bytes())


def onnx_session(path: str | Path, threads: int = 1):  # noqa: ANN201 - ort.InferenceSession
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_parity(
    net: torch.nn.Module,
    path: str | Path,
    shapes: dict[str, tuple[int, ...]],
    outputs: tuple[str, ...] | None = None,
) -> Parity:
    """torch against onnxruntime on random inputs (not the export example)."""
    inputs = example_inputs(shapes, seed=1)
    with torch.no_grad():
        out = net.eval()(*inputs)
    expected = [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]
    feed = {name: x.numpy() for name, x in zip(shapes, inputs, strict=True)}
    got = onnx_session(path).run(list(outputs or output_names(net)), feed)
    pairs = list(zip(expected, got, strict=True))
    return Parity(
        max_abs=float(max(np.abs(a - b).max() for a, b in pairs)),
        max_rel=float(max(np.abs(a - b).max() / max(1.0, np.abs(a).max()) for a, b in pairs)),
    )
