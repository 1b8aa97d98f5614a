"""The time of one `analyze` around the network, and proof that a faster tree says the same.

Subcommands (each measures the tree on PYTHONPATH, except `versus`, which runs two):

- `split SET [--tta]`: engine.analysis.analyze over an image set with the steps it calls
  wrapped in timers; per step the mean per image (ms; a step's time holds what it calls,
  "other" is the analysis minus the outermost timed steps). It patches the names the
  analysis looks up, so it measures whichever tree it runs in.
- `dump SET OUT [--tta]`: every output of every image's analysis at full precision (mask and
  uncertainty-map bytes as sha256, probabilities, scope, every finding field, contour,
  measurements, descriptors with categories and reasons) as JSON.
- `compare A B`: the differences of two dumps (floats within --tolerance, 1e-9).
- `versus --before TREE [--after TREE]`: dumps both trees on both sets with and without TTA
  and compares them; then times both, interleaved round by round (the order alternating),
  without and with TTA, and writes medians over the rounds, their spread and the split.
  TREE is a clean copy of a commit (`git archive main | tar -x -C DIR`), not a working tree
  someone may be editing while it runs.

Image sets: "synth" (the bench/analyze.py DICOMs: 20 synthetic calibrated lymph nodes,
the default bundle) or "busi" (every --every-th image of busi-dev, read in place, never
copied, with resources/models/breast-us).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

BUSI = Path("/work/shared/data/busi-dev")


def image_files(which: str, folder: Path, every: int, out_dir: Path) -> list[Path]:
    """The image set: synthetic DICOMs written to out_dir, or every `every`-th busi image."""
    if which == "synth":
        from engine.synth.dicom_out import write_ultrasound_dicom
        from engine.synth.nodes import generate_node_image

        files = []
        for i in range(20):
            s = generate_node_image(np.random.default_rng(1000 + i))
            path = out_dir / f"{i}.dcm"
            files.append(write_ultrasound_dicom(path, s.image, s.spacing_mm, s.region))
        return files
    if which == "busi":
        images = folder / "images"
        if not images.is_dir():
            raise SystemExit(f"{images}: no such folder (busi-dev is read in place)")
        return sorted(images.glob("*.png"))[::every]
    raise SystemExit(f"image set must be synth or busi, not {which!r}")


def model_for(which: str) -> Any:  # noqa: ANN401 - engine.inference.LoadedModel
    from engine.bundle import default_bundle_dir
    from engine.inference import load_model

    default = default_bundle_dir()  # the tree's own resources/models/default
    bundle = default if which == "synth" else default.parent / "breast-us"
    return load_model(bundle, device="cpu", precision="fp32")


# (module, attribute) of the steps timed: what engine.inference / engine.analysis look up.
STEPS = (
    ("engine.inference", "bmode_gray"),
    ("engine.inference", "to_gray_float"),
    ("engine.inference", "tissue_area_of"),
    ("engine.inference", "fill_overlay"),
    ("engine.inference", "normalise_intensity"),
    ("engine.inference", "letterbox"),
    ("engine.inference", "unletterbox"),
    ("engine.inference", "_binary_entropy"),
    ("engine.analysis", "lesion_components"),
    ("engine.analysis", "outer_contour"),
    ("engine.analysis", "measure_component"),
    ("engine.analysis", "describe_lesion"),
)


_depth = [0]  # how many timed steps are running: only the outermost count toward "other"
OUTER = "(outermost steps)"


def _timed(name: str, fn: Callable, totals: dict[str, float]) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        _depth[0] += 1
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _depth[0] -= 1
            seconds = time.perf_counter() - t0
            totals[name] += seconds
            if _depth[0] == 0:
                totals[OUTER] += seconds

    return wrapper


def install_timers(totals: dict[str, float]) -> None:
    """Wrap every step of STEPS (and the onnxruntime call, LoadedModel._run) in a timer."""
    import importlib

    from engine.inference import LoadedModel

    for module_name, attr in STEPS:
        module = importlib.import_module(module_name)
        if hasattr(module, attr):
            setattr(module, attr, _timed(attr, getattr(module, attr), totals))
    LoadedModel._run = _timed("network (onnxruntime)", LoadedModel._run, totals)
    # The scope check asks for the tissue area again (the cache's hit): timed inside it.
    LoadedModel.assess_scope = _timed("scope", LoadedModel.assess_scope, totals)


def split(files: list[Path], model: Any, tta: bool, repeats: int) -> dict[str, float]:  # noqa: ANN401
    """Median per image (ms) of every timed step and of the whole analysis."""
    from engine.analysis import analyze
    from engine.io import load_image

    images = [load_image(f) for f in files]
    totals: dict[str, float] = defaultdict(float)
    install_timers(totals)
    for image in images:  # warm-up (also fills nothing: the tissue cache is per array)
        analyze(image, model, tta=tta)
    per_image: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeats):
        for path in files:
            image = load_image(path)  # a new array: the tissue area is found again, as in use
            totals.clear()
            t0 = time.perf_counter()
            analyze(image, model, tta=tta)
            whole = time.perf_counter() - t0
            per_image["analysis"].append(1000 * whole)
            for name, seconds in totals.items():
                if name != OUTER:
                    per_image[name].append(1000 * seconds)
            per_image["other"].append(1000 * (whole - totals[OUTER]))
    n = len(files) * repeats
    means = {k: round(statistics.fmean(v + [0.0] * (n - len(v))), 2) for k, v in per_image.items()}
    # The median image: steadier than the mean on a shared machine (the steps' means add up).
    return {**means, "analysis_median": round(statistics.median(per_image["analysis"]), 2)}


def _plain(value: Any) -> Any:  # noqa: ANN401 - JSON-ready copy at full precision
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        if value.ndim >= 2 and value.size > 64:  # an image-sized map: its bytes
            digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
            return {"shape": list(value.shape), "dtype": str(value.dtype), "sha256": digest}
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def dump(files: list[Path], model: Any, tta: bool) -> list[dict[str, Any]]:  # noqa: ANN401
    """Every output of each image's analysis: the prediction (mask and uncertainty bytes),
    the scope, every finding field at full precision (contours as points, descriptors as
    their JSON), and findings.json's document (engine.analysis.analysis_to_json)."""
    from engine.analysis import analysis_to_json, analyze
    from engine.io import load_image

    out = []
    for path in files:
        analysis = analyze(load_image(path), model, tta=tta)
        prediction = analysis.prediction
        findings = []
        for finding in analysis.findings:
            fields = {
                f.name: _plain(getattr(finding, f.name))
                for f in dataclasses.fields(finding)
                if f.name not in ("descriptors", "contour")
            }
            fields["contour"] = np.asarray(finding.contour).tolist()
            described = finding.descriptors
            fields["descriptors"] = None if described is None else described.as_json()
            # as_json rounds measurements to 4 places: the raw numbers too, unrounded.
            fields["descriptor_measurements"] = (
                None
                if described is None
                else {
                    "measurements": [_plain(d.measurement) for d in described.descriptors],
                    "extras": _plain(described.extras),
                }
            )
            findings.append(fields)
        out.append(
            {
                "image": path.name,
                "prediction": _plain(prediction),
                "mask_bytes": _plain(np.ascontiguousarray(prediction.mask).reshape(1, -1)),
                "scope": None if analysis.scope is None else analysis.scope.as_json(),
                "findings": findings,
                # The source is the file's path: the synthetic set's differs run to run.
                "findings_json": {
                    **_plain(analysis_to_json(analysis)),
                    "source": path.name,
                },
            }
        )
    return out


def differences(a: Any, b: Any, tolerance: float, where: str = "") -> list[str]:  # noqa: ANN401
    """Where two dumps differ: floats by more than tolerance, anything else at all."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(set(a) ^ set(b))} in one only"]
        return [d for k in a for d in differences(a[k], b[k], tolerance, f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, tolerance, f"{where}[{i}]")
        ]
    if isinstance(a, float) or isinstance(b, float):
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
        if numbers and ((math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= tolerance):
            return []
        return [f"{where}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{where}: {a!r} vs {b!r}"]


def largest_float_gap(a: Any, b: Any) -> float:  # noqa: ANN401
    """The largest |a - b| over the floats of two dumps of the same structure."""
    if isinstance(a, dict) and isinstance(b, dict):
        return max((largest_float_gap(a[k], b[k]) for k in a if k in b), default=0.0)
    if isinstance(a, list) and isinstance(b, list):
        return max((largest_float_gap(x, y) for x, y in zip(a, b, strict=False)), default=0.0)
    if isinstance(a, float) and isinstance(b, float) and math.isfinite(a) and math.isfinite(b):
        return abs(a - b)
    return 0.0


SETS = ("synth", "busi")


def _run(tree: Path, *args: str) -> str:
    """This script's subcommand in another tree (its engine, its resources)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", ""),
    }
    env = {k: v for k, v in env.items() if v != ""}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def versus(before: Path, after: Path, rounds: int, repeats: int, every: int, out: Path) -> dict:
    """Sameness of both trees' outputs, then their times interleaved (module docstring)."""
    load_before = os.getloadavg()
    sameness = {}
    with tempfile.TemporaryDirectory() as tmp:
        for which in SETS:
            for tta in (False, True):
                flag = ["--tta"] if tta else []
                dumps = []
                for label, tree in (("before", before), ("after", after)):
                    path = Path(tmp) / f"{which}-{tta}-{label}.json"
                    _run(tree, "dump", which, str(path), "--every", str(every), *flag)
                    dumps.append(json.loads(path.read_text()))
                diffs = differences(dumps[0], dumps[1], TOLERANCE)
                sameness[f"{which}{'_tta' if tta else ''}"] = {
                    "images": len(dumps[0]),
                    "lesions": sum(len(d["findings"]) for d in dumps[0]),
                    "differences": diffs[:50],
                    "difference_count": len(diffs),
                    "largest_float_gap": largest_float_gap(dumps[0], dumps[1]),
                }
    timings: dict[str, dict[str, list]] = {}
    for r in range(rounds):
        order = (("before", before), ("after", after))
        order = order if r % 2 == 0 else order[::-1]
        for which in SETS:
            for tta in (False, True):
                key = f"{which}{'_tta' if tta else ''}"
                flag = ["--tta"] if tta else []
                for label, tree in order:
                    got = json.loads(
                        _run(
                            tree,
                            "split",
                            which,
                            "--repeats",
                            str(repeats),
                            "--every",
                            str(every),
                            *flag,
                        )
                    )
                    timings.setdefault(key, {}).setdefault(label, []).append(got["mean_ms"])
    summary = {}
    for key, by_tree in timings.items():
        summary[key] = {}
        for label, runs in by_tree.items():
            whole = [run["analysis"] for run in runs]
            medians = [run["analysis_median"] for run in runs]
            network = [run.get("network (onnxruntime)", 0.0) for run in runs]
            steps = sorted({k for run in runs for k in run})
            summary[key][label] = {
                "analysis_ms_median": round(statistics.median(whole), 2),
                # per round the median image's time; its median over the rounds
                "median_image_ms": round(statistics.median(medians), 2),
                "round_median_images_ms": medians,
                "median_image_spread_ms": round(max(medians) - min(medians), 2),
                "round_means_ms": whole,
                "spread_ms": round(max(whole) - min(whole), 2),
                "network_ms_median": round(statistics.median(network), 2),
                "non_network_ms_median": round(
                    statistics.median(w - n for w, n in zip(whole, network, strict=True)), 2
                ),
                "split_ms_median": {
                    k: round(statistics.median(run.get(k, 0.0) for run in runs), 2)
                    for k in steps
                    if k != "analysis_median"
                },
            }
    result = {
        "benchmark": "analysis_overhead",
        "before": str(before),
        "after": str(after),
        "rounds": rounds,
        "repeats_per_round": repeats,
        "busi_every": every,
        "sameness": sameness,
        "timing": summary,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    from engine.atomic import write_json_atomic

    write_json_atomic(out, result)
    return result


TOLERANCE = 1e-9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("split", "dump"):
        p = sub.add_parser(name)
        p.add_argument("images", choices=SETS)
        if name == "dump":
            p.add_argument("out", type=Path)
        p.add_argument("--tta", action="store_true")
        p.add_argument("--repeats", type=int, default=3)
        p.add_argument("--every", type=int, default=16)
        p.add_argument("--folder", type=Path, default=BUSI)
    p = sub.add_parser("compare")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--tolerance", type=float, default=TOLERANCE)
    p = sub.add_parser("versus")
    p.add_argument("--before", type=Path, required=True, help="the tree to compare with (main)")
    p.add_argument("--after", type=Path, default=Path(__file__).resolve().parents[1])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--every", type=int, default=16)
    p.add_argument("--json", type=Path, default=Path("bench/results/analysis_overhead.json"))
    args = parser.parse_args()
    if args.command == "compare":
        diffs = differences(
            json.loads(args.a.read_text()), json.loads(args.b.read_text()), args.tolerance
        )
        print("\n".join(diffs) or "identical")
        raise SystemExit(1 if diffs else 0)
    if args.command == "versus":
        result = versus(
            args.before.resolve(),
            args.after.resolve(),
            args.rounds,
            args.repeats,
            args.every,
            args.json,
        )
        print(json.dumps(result, indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = image_files(args.images, args.folder, args.every, Path(tmp))
        model = model_for(args.images)
        if args.command == "dump":
            from engine.atomic import write_json_atomic

            write_json_atomic(args.out, dump(files, model, args.tta))
            return
        result = split(files, model, args.tta, args.repeats)
    print(json.dumps({"images": args.images, "n": len(files), "tta": args.tta, "mean_ms": result}))


if __name__ == "__main__":
    main()
