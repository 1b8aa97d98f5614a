"""End-to-end `analyze` time per 2D image (decode, infer, postprocess) on this machine.

Writes one JSON result. Synthetic calibrated DICOMs are generated first (not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from engine.analysis import analyze
from engine.atomic import write_json_atomic
from engine.inference import load_model
from engine.io import load_image
from engine.synth.dicom_out import write_ultrasound_dicom
from engine.synth.nodes import generate_node_image


def _runtime_ratio(model, reps: int = 30) -> dict:  # noqa: ANN001
    """Same network, same input, same process: onnxruntime vs torch eager, batch 1."""
    try:
        import torch

        from training.checkpoint import network_from_bundle

        net = network_from_bundle(model.bundle.directory)
    except Exception as exc:  # noqa: BLE001 - the comparison is optional, report why it is absent
        return {"torch_comparison": f"skipped: {exc}"}
    size = model.spec.inputs[0].size
    x = np.random.default_rng(0).random((1, 1, size, size), dtype=np.float32)
    names = list(model.spec.outputs.values())
    feed = {model.spec.inputs[0].name: x}

    def timed(fn) -> float:  # noqa: ANN001
        fn()
        samples = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        return 1000 * statistics.median(samples)

    ort_ms = timed(lambda: model.session.run(names, feed))
    with torch.inference_mode():
        tx = torch.from_numpy(x)
        torch_ms = timed(lambda: net(tx))
    return {
        "onnxruntime_ms": round(ort_ms, 2),
        "torch_eager_ms": round(torch_ms, 2),
        "torch_over_onnxruntime": round(torch_ms / ort_ms, 2),
        "torch_threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--json", type=Path, default=Path("bench/results/analyze.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(args.n):
            s = generate_node_image(np.random.default_rng(1000 + i))
            files.append(
                write_ultrasound_dicom(Path(tmp) / f"{i}.dcm", s.image, s.spacing_mm, s.region)
            )
        t0 = time.perf_counter()
        model = load_model(device="cpu")
        load_s = time.perf_counter() - t0
        analyze(load_image(files[0]), model)  # warm-up
        decode, total, total_no_tta = [], [], []
        for path in files:
            t0 = time.perf_counter()
            image = load_image(path)
            t1 = time.perf_counter()
            analyze(image, model)
            t2 = time.perf_counter()
            analyze(image, model, tta=False)
            t3 = time.perf_counter()
            decode.append(t1 - t0)
            total.append(t2 - t0)
            total_no_tta.append(t1 - t0 + t3 - t2)
    result = {
        "benchmark": "analyze",
        "images": args.n,
        "image_size": "256 x ~300 px ultrasound DICOM",
        "model": model.spec.model_id,
        "model_load_s": round(load_s, 3),
        "decode_ms_median": round(1000 * statistics.median(decode), 2),
        "total_ms_median": round(1000 * statistics.median(total), 2),
        "total_ms_p95": round(1000 * float(np.percentile(total, 95)), 2),
        "total_ms_median_without_tta": round(1000 * statistics.median(total_no_tta), 2),
        **_runtime_ratio(model),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))
    write_json_atomic(args.json, result)


if __name__ == "__main__":
    main()
