"""End-to-end `analyze` time per 2D image (decode, tissue area, every TTA pass, findings).

Writes one JSON result. In ONE run, on the same synthetic calibrated DICOMs (generated
first, not timed), interleaved image by image so load on a shared machine hits every
configuration alike:
- one plain fp32 onnxruntime pass (batch 1) of the network: `onnxruntime_fp32_ms`;
- the whole analysis with TTA, fp32 vs int8 (the bundle's gated model.int8.onnx, if it has
  one) x TTA passes in one batched call vs one call per pass; several repeats, medians and
  their spread; the ratio of the fastest to the plain fp32 pass (the floor asks <= 2);
- with --folder DIR: folder throughput (images/s) over up to --folder-n real images, decoding
  in a reader thread while the main thread runs the analysis, against doing both in turn.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import queue
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from engine.analysis import analyze
from engine.atomic import write_json_atomic
from engine.bundle import default_bundle_dir
from engine.inference import LoadedModel, int8_model_path, load_model
from engine.io import load_image
from engine.synth.dicom_out import write_ultrasound_dicom
from engine.synth.nodes import generate_node_image


def _median_ms(fn, reps: int) -> tuple[float, list[float]]:  # noqa: ANN001
    fn()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(1000 * (time.perf_counter() - t0))
    return statistics.median(samples), samples


def _runtime_ratio(model: LoadedModel, reps: int = 30) -> dict:
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
    ort_ms, _ = _median_ms(lambda: model.session.run(names, feed), reps)
    with torch.inference_mode():
        tx = torch.from_numpy(x)
        torch_ms, _ = _median_ms(lambda: net(tx), reps)
    return {
        "onnxruntime_ms": round(ort_ms, 2),
        "torch_eager_ms": round(torch_ms, 2),
        "torch_over_onnxruntime": round(torch_ms / ort_ms, 2),
        "torch_threads": torch.get_num_threads(),
    }


def _plain_pass_ms(model: LoadedModel, batch: int, reps: int) -> float:
    size = model.spec.inputs[0].size
    x = np.random.default_rng(0).random((batch, 1, size, size), dtype=np.float32)
    names = list(model.spec.outputs.values())
    return _median_ms(lambda: model.session.run(names, {model.spec.inputs[0].name: x}), reps)[0]


def _configurations(bundle_dir: Path) -> dict[str, LoadedModel]:
    fp32 = load_model(bundle_dir, device="cpu", precision="fp32")
    configs = {
        "fp32_batched": fp32,
        "fp32_unbatched": dataclasses.replace(fp32, batch_tta=False),
    }
    if int8_model_path(fp32.bundle) is not None:
        int8 = load_model(bundle_dir, device="cpu", precision="int8")
        configs["int8_batched"] = int8
        configs["int8_unbatched"] = dataclasses.replace(int8, batch_tta=False)
    return configs


def _whole_analysis(files: list[Path], configs: dict[str, LoadedModel], repeats: int) -> dict:
    """Per configuration: the median over images of decode + analyze with TTA, per repeat."""
    for model in configs.values():  # warm-up
        analyze(load_image(files[0]), model)
    per_repeat: dict[str, list[float]] = {name: [] for name in configs}
    every: dict[str, list[float]] = {name: [] for name in configs}
    decode, no_tta = [], []
    for _ in range(repeats):
        samples: dict[str, list[float]] = {name: [] for name in configs}
        for path in files:
            for name, model in configs.items():
                t0 = time.perf_counter()
                analyze(load_image(path), model)
                samples[name].append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            image = load_image(path)
            t1 = time.perf_counter()
            analyze(image, configs["fp32_batched"], tta=False)
            t2 = time.perf_counter()
            decode.append(1000 * (t1 - t0))
            no_tta.append(1000 * (t2 - t0))
        for name in configs:
            per_repeat[name].append(statistics.median(samples[name]))
            every[name] += samples[name]
    out = {}
    for name in configs:
        medians = per_repeat[name]
        out[name] = {
            "median_ms": round(statistics.median(medians), 2),
            "repeat_medians_ms": [round(m, 2) for m in medians],
            "spread_ms": round(max(medians) - min(medians), 2),
            "p95_ms": round(float(np.percentile(every[name], 95)), 2),
        }
    return {
        "configs": out,
        "decode_ms_median": round(statistics.median(decode), 2),
        "fp32_without_tta_ms_median": round(statistics.median(no_tta), 2),
    }


def _folder_throughput(folder: Path, n: int, bundle_dir: Path) -> dict:
    """images/s over the folder's images: decode then analyze in turn, vs a reader thread
    decoding ahead (a queue of 8) while the main thread analyses."""
    images_dir = folder / "images" if (folder / "images").is_dir() else folder
    files = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in (".png", ".dcm"))[:n]
    model = load_model(bundle_dir, device="cpu")
    analyze(load_image(files[0]), model)

    def sequential() -> float:
        t0 = time.perf_counter()
        for path in files:
            analyze(load_image(path), model)
        return len(files) / (time.perf_counter() - t0)

    def pipelined() -> float:
        todo: queue.Queue = queue.Queue(maxsize=8)

        def reader() -> None:
            for path in files:
                todo.put(load_image(path))
            todo.put(None)

        t0 = time.perf_counter()
        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        while (image := todo.get()) is not None:
            analyze(image, model)
        thread.join()
        return len(files) / (time.perf_counter() - t0)

    seq, pipe = sequential(), pipelined()
    return {
        "folder": folder.name,
        "images": len(files),
        "model": model.spec.model_id,
        "precision": model.precision,
        "tta": True,
        "sequential_images_per_s": round(seq, 2),
        "pipelined_images_per_s": round(pipe, 2),
        "pipelined_over_sequential": round(pipe / seq, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", type=Path, default=default_bundle_dir())
    parser.add_argument("--folder", type=Path, default=None, help="real images for throughput")
    parser.add_argument("--folder-n", type=int, default=500)
    parser.add_argument("--folder-model", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=Path("bench/results/analyze.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(args.n):
            s = generate_node_image(np.random.default_rng(1000 + i))
            files.append(
                write_ultrasound_dicom(Path(tmp) / f"{i}.dcm", s.image, s.spacing_mm, s.region)
            )
        t0 = time.perf_counter()
        default = load_model(args.model, device="cpu")
        load_s = time.perf_counter() - t0
        configs = _configurations(args.model)
        fp32 = configs["fp32_batched"]
        plain_fp32 = _plain_pass_ms(fp32, 1, 50)
        plain = {
            "onnxruntime_fp32_ms": round(plain_fp32, 2),
            "onnxruntime_fp32_batch4_ms": round(_plain_pass_ms(fp32, 4, 30), 2),
        }
        if "int8_batched" in configs:
            int8 = configs["int8_batched"]
            plain["onnxruntime_int8_ms"] = round(_plain_pass_ms(int8, 1, 50), 2)
            plain["onnxruntime_int8_batch4_ms"] = round(_plain_pass_ms(int8, 4, 30), 2)
        whole = _whole_analysis(files, configs, args.repeats)
    fastest = min(whole["configs"], key=lambda k: whole["configs"][k]["median_ms"])
    default_name = f"{default.precision}_batched"
    ratio = whole["configs"][fastest]["median_ms"] / plain_fp32
    result = {
        "benchmark": "analyze",
        "images": args.n,
        "repeats": args.repeats,
        "image_size": "256 x ~300 px ultrasound DICOM",
        "model": default.spec.model_id,
        "default_precision_on_cpu": default.precision,
        "graph_takes_any_batch": fp32.batch_tta,
        "model_load_s": round(load_s, 3),
        "decode_ms_median": whole["decode_ms_median"],
        # The shipped path (what `lesionlens analyze` runs on this CPU), with TTA.
        "total_ms_median": whole["configs"][default_name]["median_ms"],
        "total_ms_p95": whole["configs"][default_name]["p95_ms"],
        "total_ms_median_without_tta": whole["fp32_without_tta_ms_median"],
        **plain,
        "whole_analysis_with_tta": whole["configs"],
        "fastest_config": fastest,
        "floor": {
            "asked": "whole analysis with TTA <= 2 x onnxruntime_fp32_ms",
            "ratio": round(ratio, 2),
            "met": bool(ratio <= 2.0),
        },
        **_runtime_ratio(fp32),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    if args.folder is not None:
        result["folder_throughput"] = _folder_throughput(
            args.folder, args.folder_n, args.folder_model or args.model
        )
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))
    write_json_atomic(args.json, result)


if __name__ == "__main__":
    main()
