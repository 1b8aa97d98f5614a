"""One network pass: fp32 vs an older int8 model vs the bundle's int8, and where time goes.

    python bench/int8_speed.py --bundle resources/models/default --old OLD.int8.onnx \\
        [--reps 30] [--json bench/results/int8_speed_default.json]

In ONE run, interleaved rep by rep (so load on the shared machine hits every model alike):
- wall time of one onnxruntime pass at batch 1 and 4 with the sessions engine.inference
  makes (load_model: intra-op threads min(4, cpus)); medians, quartiles, min;
- the same passes on one intra-op thread timed by the thread's CPU clock, which other
  processes on the machine barely move (the wall clock on a busy 2-core machine does);
- onnxruntime's per-op profile (SessionOptions.enable_profiling) of each model at each batch,
  summed by op type: the top ops and their share of the kernel time.
The input is a letterboxed synthetic node image, as inference feeds it.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from engine.atomic import write_json_atomic
from engine.inference import int8_model_path, load_model

BATCHES = (1, 4)


def _session(path: Path, threads: int, profile_dir: str | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    if profile_dir:
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(profile_dir) / "profile")
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _input(size: int, batch: int) -> np.ndarray:
    from engine.synth.nodes import generate_node_image

    pixels = generate_node_image(np.random.default_rng(3)).image.astype(np.float32)
    crop = pixels[:size, :size]
    crop = (crop - crop.min()) / (np.ptp(crop) or 1.0)
    out = np.zeros((batch, 1, size, size), np.float32)
    out[:, 0, : crop.shape[0], : crop.shape[1]] = crop
    return out


def _timings(sessions: dict, feeds: dict, reps: int, clock) -> dict:  # noqa: ANN001
    samples = {(name, b): [] for name in sessions for b in feeds}
    for session in sessions.values():
        for feed in feeds.values():
            session.run(None, feed)  # warm-up
    for _ in range(reps):
        for b, feed in feeds.items():
            for name, session in sessions.items():
                t0 = clock()
                session.run(None, feed)
                samples[(name, b)].append(1000 * (clock() - t0))
    out = {}
    for (name, b), values in samples.items():
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        out[f"{name}_batch{b}"] = {
            "median_ms": round(float(median), 2),
            "q1_ms": round(float(q1), 2),
            "q3_ms": round(float(q3), 2),
            "min_ms": round(float(min(values)), 2),
        }
    return out


def _speedups(timings: dict, names: list[str]) -> dict:
    out = {}
    for b in BATCHES:
        fp32 = timings[f"fp32_batch{b}"]["median_ms"]
        for name in names:
            if name != "fp32":
                out[f"{name}_batch{b}"] = round(fp32 / timings[f"{name}_batch{b}"]["median_ms"], 2)
    return out


def _profile(path: Path, feed: dict, threads: int, runs: int = 20, top: int = 8) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        session = _session(path, threads, tmp)
        for _ in range(runs):
            session.run(None, feed)
        events = json.loads(Path(session.end_profiling()).read_text())
    by_op: collections.Counter = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            by_op[event["args"]["op_name"]] += event["dur"]
    total = sum(by_op.values())
    return {
        "kernel_ms_per_pass": round(total / runs / 1000, 2),
        "top_ops": {
            op: {"ms": round(us / runs / 1000, 2), "share": round(us / total, 3)}
            for op, us in by_op.most_common(top)
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--old", type=Path, default=None, help="an older int8 model to compare")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    fp32 = load_model(args.bundle, device="cpu", precision="fp32")
    threads = fp32.session.get_session_options().intra_op_num_threads
    paths = {"fp32": fp32.bundle.onnx_path}
    if args.old is not None:
        paths["old_int8"] = args.old
    new = int8_model_path(fp32.bundle)
    if new is not None:
        paths["int8"] = new
    size = fp32.spec.inputs[0].size
    name = fp32.spec.inputs[0].name
    feeds = {b: {name: _input(size, b)} for b in BATCHES}
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    wall_sessions = {k: _session(p, threads) for k, p in paths.items()}
    cpu_sessions = {k: _session(p, 1) for k, p in paths.items()}
    wall = _timings(wall_sessions, feeds, args.reps, time.perf_counter)
    cpu = _timings(cpu_sessions, feeds, args.reps, time.thread_time)
    profiles = {
        f"{k}_batch{b}": _profile(p, feeds[b], threads) for k, p in paths.items() for b in BATCHES
    }
    result = {
        "benchmark": "int8_speed",
        "bundle": str(args.bundle),
        "model_id": fp32.spec.model_id,
        "models": {k: str(p) for k, p in paths.items()},
        "reps": args.reps,
        "intra_op_threads": threads,
        "onnxruntime": ort.__version__,
        "started_utc": started,
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "wall": wall,
        "wall_speedup_vs_fp32": _speedups(wall, list(paths)),
        "cpu_1_thread": cpu,
        "cpu_1_thread_speedup_vs_fp32": _speedups(cpu, list(paths)),
        "profile": profiles,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        write_json_atomic(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
