"""Per-image latency of every network, torch eager vs onnxruntime CPU, same model, same run;
with parameter counts and FLOPs (torch.utils.flop_counter.FlopCounterMode, one image).

Each network is built at its production width and its model input size, exported to one
ONNX file (training.export, the exporter of the bundles) and timed on the
same random input with the same thread count in both runtimes: batch 1, a warm-up, then the
median (and 90th percentile) of `--reps` calls. Weights are random: latency does not depend
on them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils import flop_counter
from torch.utils.flop_counter import FlopCounterMode

from engine.atomic import write_json_atomic
from training.export import SIGNATURES, export_onnx, onnx_parity, onnx_session
from training.networks import build_network

# name -> (constructor arguments, per-sample input shapes, what the size is)
CASES: dict[str, tuple[dict, dict[str, tuple[int, ...]], str]] = {
    "hybrid-dual-task": ({"width": 16}, {"image": (1, 128, 128)}, "128×128 (shipped bundle)"),
    "cascaded-unet": ({"width": 16}, {"image": (1, 128, 128)}, "128×128, 48×48 lesion crop"),
    "two-view": (
        {"in_channels": 1, "num_classes": 2, "width": 8, "attention_blocks": 1},
        {"anterior": (1, 256, 96), "posterior": (1, 256, 96)},
        "2 views of 256×96 (shipped scinti-two-view)",
    ),
    "fusion-attention": (
        {"photo_channels": 3, "us_channels": 1, "num_classes": 2, "width": 8, "grid": 4},
        {"photo": (3, 128, 160), "us": (1, 128, 160)},
        "photo 3×128×160 + ultrasound 128×160 (shipped skin-fusion)",
    ),
    "unet3d": (
        {"width": 8},
        {"volume": (1, 32, 48, 48)},
        "32×48×48 window of the shipped kidney-ct sliding window",
    ),
}


def _cpu_attention_flops(query, key, value, *args, out_shape=None, **kwargs) -> int:  # noqa: ANN001, ANN003
    return flop_counter.sdpa_flop_count(query, key, value)


def flops_per_image(net: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> int:
    """With autograd on: under no_grad nn.MultiheadAttention takes a fused fast path whose
    op the counter does not know, and its projections and attention would go uncounted.
    The CPU flash-attention op gets the formula the counter uses for the GPU ones."""
    counter = FlopCounterMode(
        display=False,
        custom_mapping={
            torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _cpu_attention_flops
        },
    )
    with counter:
        net(*inputs)
    return int(counter.get_total_flops())


def median_ms(fn, reps: int) -> tuple[float, float]:  # noqa: ANN001
    fn()  # warm-up
    fn()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(1000 * (time.perf_counter() - t0))
    return statistics.median(samples), float(np.percentile(samples, 90))


def measure(name: str, reps: int, threads: int, tmp: Path) -> dict:
    kwargs, shapes, what = CASES[name]
    torch.manual_seed(0)
    net = build_network(name, **kwargs).eval()
    outputs = SIGNATURES[name][1]
    started = time.perf_counter()
    path = export_onnx(net, tmp / f"{name}.onnx", shapes, outputs)
    export_s = time.perf_counter() - started
    max_diff = onnx_parity(net, path, shapes, outputs).max_abs
    generator = torch.Generator().manual_seed(0)
    inputs = tuple(torch.rand(1, *s, generator=generator) for s in shapes.values())
    session = onnx_session(path, threads=threads)
    feed = {n: x.numpy() for n, x in zip(shapes, inputs, strict=True)}
    with torch.inference_mode():
        torch_ms, torch_p90 = median_ms(lambda: net(*inputs), reps)
    ort_ms, ort_p90 = median_ms(lambda: session.run(list(outputs), feed), reps)
    return {
        "input": what,
        "input_shapes": {n: [1, *s] for n, s in shapes.items()},
        "network_kwargs": kwargs,
        "parameters": sum(p.numel() for p in net.parameters()),
        "gflops_per_image": round(flops_per_image(net, inputs) / 1e9, 3),
        "onnx_mb": round(path.stat().st_size / 2**20, 2),
        "onnx_parity_max_abs": max_diff,
        "export_s": round(export_s, 1),
        "torch_eager_ms": round(torch_ms, 2),
        "torch_eager_ms_p90": round(torch_p90, 2),
        "onnxruntime_ms": round(ort_ms, 2),
        "onnxruntime_ms_p90": round(ort_p90, 2),
        "torch_over_onnxruntime": round(torch_ms / ort_ms, 2),
    }


def markdown_table(results: dict) -> str:
    lines = [
        "| network | input | parameters | GFLOPs | torch eager ms | onnxruntime ms | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['input']} | {r['parameters'] / 1e6:.2f} M | "
            f"{r['gflops_per_image']:.2f} | {r['torch_eager_ms']:.1f} | "
            f"{r['onnxruntime_ms']:.1f} | {r['torch_over_onnxruntime']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("bench/results/latency.json"))
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1, help="torch and onnxruntime alike")
    parser.add_argument("--networks", nargs="+", default=list(CASES), choices=list(CASES))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.time()
    load_before = os.getloadavg()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.networks:
            results[name] = measure(name, args.reps, args.threads, Path(tmp))
            print(f"{name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
    result = {
        "benchmark": "latency",
        "batch": 1,
        "threads": args.threads,
        "reps": args.reps,
        "flops_note": "torch.utils.flop_counter.FlopCounterMode, one image: a multiply-add "
        "is 2 FLOPs; convolutions, linear layers and attention counted, normalisation, "
        "activations, pooling and grid_sample not",
        "networks": results,
        "wall_time_s": round(time.time() - started, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    write_json_atomic(args.json, result)
    print(markdown_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
