"""INT8 static quantisation of an image bundle, kept only if it is as accurate as fp32.

    python -m engine.quantize BUNDLE [--data DIR] [--tolerance 0.005] [--json OUT]

The network's inputs for calibration are recorded from the real inference path
(engine.inference: tissue area, panels, letterbox, every TTA pass) on calibration images, fed
to onnxruntime.quantization.quantize_static (QDQ, per-channel, u8 activations / s8 weights:
the x86 VNNI kernel) through a CalibrationDataReader, only on the nodes where int8 is faster
on the CPU (engine.quantize_graph says which and why). Then both models analyse a held-out
set through engine.evaluation (the path users run) and the gate keeps the int8 model only if
its Dice and AUC each differ from fp32's by less than the tolerance. Passed: the bundle gets
model.int8.onnx and model.json an "int8" record (gate numbers, the sha256 of the model.onnx
it was made from); engine.inference then runs it on the CPU. Refused: nothing in the bundle
changes; the numbers are printed and written to --json anyway.

Data: --data DIR is a data-set folder (engine.datasets). The held-out cases are the bundle's
own (metrics.json "heldout_cases", the fold the shipped model never trained on), else fold
metrics.json "heldout_fold" (or 0) of engine.datasets.grouped_folds; calibration images are
drawn from the other cases. Without --data, both sets are synthetic lymph-node images
(engine.synth), the default bundle's own kind of data, from seeds it was not trained on.
Onnxruntime.quantization needs onnx and numpy only, so this stays in the torch-free engine.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import write_bytes_atomic, write_json_atomic
from engine.errors import BundleError
from engine.inference import LoadedModel, file_sha256, load_model
from engine.io import load_image
from engine.quantize_graph import (
    QUANTISED_OPS,
    name_nodes,
    nodes_to_keep_fp32,
    shapes_from_int8,
)
from engine.types import Image

INT8_FILE = "model.int8.onnx"
GATE_METRICS = ("dice", "auc")
DEFAULT_TOLERANCE = 0.005
# Synthetic sets for a bundle without --data: seeds the default bundle never saw (it trained
# on seed 7 and was tested on 1007).
CALIBRATION_SEED, HELDOUT_SEED = 5150, 1007
QUANTISATION = (
    "onnxruntime.quantization.quantize_static QDQ, per-channel, u8 activations / s8 weights, "
    "MinMax; Conv (GEMM K >= 32, N >= 16), Gemm, MatMul with a weight; the rest fp32 "
    "(engine.quantize_graph)"
)


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    tolerance: float
    fp32: dict[str, float]
    int8: dict[str, float]
    differences: dict[str, float] = field(default_factory=dict)
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "gate": "passed" if self.passed else "refused",
            "tolerance": self.tolerance,
            "metrics": list(GATE_METRICS),
            "fp32": self.fp32,
            "int8": self.int8,
            "abs_difference": self.differences,
            "reason": self.reason,
        }


def accuracy_gate(
    fp32: dict[str, float], int8: dict[str, float], tolerance: float = DEFAULT_TOLERANCE
) -> GateVerdict:
    """Passed only if every gate metric of int8 differs from fp32's by less than tolerance
    (strictly: tolerance 0 can never pass) and none is missing or NaN."""
    differences, problems = {}, []
    for name in GATE_METRICS:
        a, b = fp32.get(name), int8.get(name)
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
            problems.append(f"{name} is not defined on the held-out set")
            continue
        differences[name] = abs(float(b) - float(a))
        if not differences[name] < tolerance:
            problems.append(f"{name} moved {differences[name]:.4f} (tolerance {tolerance})")
    return GateVerdict(
        passed=not problems,
        tolerance=tolerance,
        fp32={k: float(fp32[k]) for k in GATE_METRICS if k in fp32},
        int8={k: float(int8[k]) for k in GATE_METRICS if k in int8},
        differences=differences,
        reason="; ".join(problems) or f"Dice and AUC within {tolerance} of fp32",
    )


class _RecordingSession:
    """Stands in for the onnxruntime session and keeps every feed the model is given."""

    def __init__(self, session) -> None:  # noqa: ANN001 - ort.InferenceSession
        self.session = session
        self.feeds: list[dict[str, np.ndarray]] = []

    def run(self, names, feed):  # noqa: ANN001, ANN201 - the InferenceSession.run signature
        self.feeds.append({k: np.array(v, copy=True) for k, v in feed.items()})
        return self.session.run(names, feed)

    def get_inputs(self):  # noqa: ANN201
        return self.session.get_inputs()


def network_inputs(model: LoadedModel, images: Iterable[Image]) -> list[dict[str, np.ndarray]]:
    """The network's input batches for these images, exactly as inference builds them (one
    batch per panel or tile: the TTA passes of that crop)."""
    recorder = _RecordingSession(model.session)
    recording = LoadedModel(model.bundle, recorder, model.scope_model, model.batch_tta)
    for image in images:
        recording.predict(image, tta=True)
    return recorder.feeds


class FeedReader:
    """onnxruntime.quantization CalibrationDataReader over recorded feeds."""

    def __init__(self, feeds: Sequence[dict[str, np.ndarray]]) -> None:
        self._feeds = iter(list(feeds))

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)

    def rewind(self) -> None:  # some onnxruntime versions call it between passes
        pass


def quantize_onnx(fp32_path: Path, out_path: Path, feeds: Sequence[dict[str, np.ndarray]]) -> Path:
    """QDQ int8 model (per-channel s8 weights, u8 activations, MinMax ranges) at out_path,
    with the nodes int8 does not pay on left fp32 (engine.quantize_graph: the attention's
    activation x activation MatMuls, narrow Convs, ConvTranspose) and Shape reading the
    int8 tensors. u8 activations with s8 weights is the x86 VNNI kernel: s8 activations
    (symmetric) measured 1.3 x slower than u8; per-tensor weights and the QOperator format
    were no faster and less accurate (docs/benchmarks.md INT8)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(FeedReader, CalibrationDataReader):
        pass

    with tempfile.TemporaryDirectory() as tmp:
        prepared, quantised = Path(tmp) / "prepared.onnx", Path(tmp) / "quantised.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        network = onnx.load(str(prepared))
        if name_nodes(network):
            onnx.save(network, str(prepared))
        quantize_static(
            str(prepared),
            str(quantised),
            Reader(feeds),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=list(QUANTISED_OPS),
            nodes_to_exclude=nodes_to_keep_fp32(network),
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"CalibTensorRangeSymmetric": False},
        )
        model = onnx.load(str(quantised))
        shapes_from_int8(model)
        write_bytes_atomic(out_path, model.SerializeToString())
    return out_path


@dataclass(frozen=True)
class QuantiseData:
    """Where the calibration images and the held-out cases come from."""

    heldout_root: Path
    heldout_cases: list[str] | None
    calibration_images: list[Path]
    description: str


def choose_data(
    bundle_dir: Path, data: Path | None, work: Path, n_calibration: int, n_heldout: int
) -> QuantiseData:
    if data is None:
        from engine.synth.dataset import write_dataset

        cal = write_dataset("nodes", n_calibration, work / "calibration", seed=CALIBRATION_SEED)
        held = write_dataset("nodes", n_heldout, work / "heldout", seed=HELDOUT_SEED)
        return QuantiseData(
            held,
            None,
            sorted((cal / "images").iterdir()),
            f"synthetic nodes: calibration seed {CALIBRATION_SEED} x {n_calibration}, "
            f"held-out seed {HELDOUT_SEED} x {n_heldout}",
        )
    from engine.datasets import grouped_folds, load_dataset

    dataset = load_dataset(data)
    metrics_path = bundle_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    ids = {c.case_id for c in dataset.cases}
    named = [r["case"] for r in metrics.get("heldout_cases", []) if r.get("case") in ids]
    if named:
        heldout, how = named, f"the {len(named)} held-out cases of the bundle's metrics.json"
    else:
        fold = int(metrics.get("heldout_fold", 0))
        folds = grouped_folds(dataset)
        heldout = [c for c, f in folds.items() if f == fold]
        how = f"grouped fold {fold} of 5 ({len(heldout)} cases)"
    rest = sorted(ids - set(heldout))
    rng = np.random.default_rng(0)
    picked = sorted(rng.choice(rest, size=min(n_calibration, len(rest)), replace=False))
    images = [dataset.case(c).views[0].image for c in picked]
    return QuantiseData(
        Path(data),
        heldout,
        [p for p in images if p is not None],
        f"{Path(data).name}: held-out {how}; calibration {len(picked)} other cases",
    )


def heldout_summary(model: LoadedModel, data: QuantiseData) -> dict[str, Any]:
    from engine.evaluation import evaluate_folder

    return evaluate_folder(data.heldout_root, model, cases=data.heldout_cases)["summary"]


def quantize_bundle(
    bundle_dir: str | Path,
    data: str | Path | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    n_calibration: int = 64,
    n_heldout: int = 100,
) -> dict[str, Any]:
    """Calibrate, quantise, gate; write model.int8.onnx and model.json's "int8" record only
    if the gate passes. Returns the report (also when refused)."""
    bundle_dir = Path(bundle_dir)
    fp32 = load_model(bundle_dir, device="cpu", precision="fp32")
    if fp32.spec.task != "image":
        raise BundleError(bundle_dir, "int8 quantisation is for single-image bundles")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        chosen = choose_data(
            bundle_dir, Path(data) if data else None, work, n_calibration, n_heldout
        )
        _say(f"data: {chosen.description}")
        feeds = network_inputs(fp32, (load_image(p) for p in chosen.calibration_images))
        candidate = quantize_onnx(fp32.bundle.onnx_path, work / INT8_FILE, feeds)
        _say(f"quantised from {len(feeds)} calibration batches; scoring the held-out set")
        int8 = _session_model(fp32, candidate)
        fp32_summary, int8_summary = heldout_summary(fp32, chosen), heldout_summary(int8, chosen)
        verdict = accuracy_gate(fp32_summary, int8_summary, tolerance)
        report = {
            "bundle": str(bundle_dir),
            "model_id": fp32.spec.model_id,
            "data": chosen.description,
            "calibration_batches": len(feeds),
            "quantisation": QUANTISATION,
            **verdict.as_json(),
            "fp32_heldout": _plain(fp32_summary),
            "int8_heldout": _plain(int8_summary),
            "seconds": round(time.perf_counter() - started, 1),
        }
        if verdict.passed:
            _install(bundle_dir, candidate, report, fp32.bundle.onnx_path)
    return report


def _session_model(template: LoadedModel, onnx_path: Path) -> LoadedModel:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = template.session.get_session_options().intra_op_num_threads
    options.log_severity_level = 3
    session = ort.InferenceSession(
        str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return LoadedModel(template.bundle, session, template.scope_model, template.batch_tta, "int8")


def _install(bundle_dir: Path, candidate: Path, report: dict[str, Any], fp32_path: Path) -> None:
    """model.int8.onnx in place, then the record in model.json (existing keys unchanged);
    without the record engine.inference ignores the file, so the order is crash-safe."""
    import shutil

    target = bundle_dir / INT8_FILE
    shutil.copyfile(candidate, target.with_suffix(".tmp"))
    target.with_suffix(".tmp").replace(target)
    spec_path = bundle_dir / "model.json"
    raw = json.loads(spec_path.read_text(encoding="utf-8"))
    raw["int8"] = {
        "file": INT8_FILE,
        "gate": "passed",
        "fp32_sha256": file_sha256(fp32_path),
        "int8_sha256": file_sha256(target),
        "tolerance": report["tolerance"],
        "data": report["data"],
        "fp32": report["fp32"],
        "int8": report["int8"],
        "quantisation": report["quantisation"],
        "used_on": "CPU (model.onnx stays the fallback and runs on GPU providers)",
    }
    write_json_atomic(spec_path, raw)


def _say(text: str) -> None:
    import sys

    print(f"[quantize] {text}", file=sys.stderr, flush=True)


def _plain(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, int | float | str)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--data", type=Path, default=None, help="data-set folder (else synth)")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    parser.add_argument("--calibration", type=int, default=64, help="calibration images")
    parser.add_argument("--heldout", type=int, default=100, help="synthetic held-out images")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report = quantize_bundle(args.bundle, args.data, args.tolerance, args.calibration, args.heldout)
    print(json.dumps(report, indent=2))
    if args.json:
        write_json_atomic(args.json, report)
    return 0 if report["gate"] == "passed" else 1


if __name__ == "__main__":
    raise SystemExit(main())
