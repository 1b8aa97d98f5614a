"""Export any registered network — one or several inputs — to one ONNX file and check it
against torch. training.export covers the 2D dual-task bundle; this covers the rest (and
the latency bench) with the same exporter settings: dynamo, no external data, dynamic batch.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from engine.atomic import write_bytes_atomic

# name -> (inputs as (name, channels), outputs); spatial sizes come from input_shapes.
SIGNATURES: dict[str, tuple[tuple[tuple[str, int], ...], tuple[str, ...]]] = {
    "hybrid-dual-task": ((("image", 1),), ("segmentation", "classification")),
    "cascaded-unet": ((("image", 1),), ("segmentation", "classification")),
    "plain-unet": ((("image", 1),), ("segmentation", "classification")),
    "two-view": (
        (("anterior", 1), ("posterior", 1)),
        ("classification", "attention_anterior", "attention_posterior"),
    ),
    "fusion-attention": (
        (("photo", 3), ("us", 1)),
        ("classification", "segmentation_us", "attention_photo", "attention_us"),
    ),
    "unet3d": ((("volume", 1),), ("segmentation", "classification")),
}


def input_shapes(name: str, size: int, depth: int | None = None) -> dict[str, tuple[int, ...]]:
    """Per-sample input shapes (no batch axis): C×S×S, or C×D×S×S for volumes."""
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


def export_network(
    net: torch.nn.Module,
    path: str | Path,
    shapes: dict[str, tuple[int, ...]],
    output_names: tuple[str, ...],
) -> Path:
    net = net.eval()
    example = example_inputs(shapes)  # batch 2: a batch of 1 gets specialised
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / "model.onnx"
        torch.onnx.export(
            net,
            example,
            str(tmp_path),
            input_names=list(shapes),
            output_names=list(output_names),
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


def parity(
    net: torch.nn.Module,
    path: str | Path,
    shapes: dict[str, tuple[int, ...]],
    output_names: tuple[str, ...],
) -> float:
    """Largest absolute difference between torch and onnxruntime on random inputs."""
    inputs = example_inputs(shapes, seed=1)
    with torch.no_grad():
        out = net.eval()(*inputs)
    expected = [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]
    feed = {name: x.numpy() for name, x in zip(shapes, inputs, strict=True)}
    got = onnx_session(path).run(list(output_names), feed)
    return float(max(np.abs(a - b).max() for a, b in zip(expected, got, strict=True)))
