"""`make model`: train the shipped default bundle from synthetic lymph-node ultrasound.

Seeded end to end. Data: the `nodes` generator (default scanner profile) for training and
validation; a separate held-out test set of the same profile, and one of the *shifted*
profile (another scanner) that training never sees, both scored through the real engine
(onnxruntime, letterbox back to the source size) so the numbers are what users get.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from engine.bundle import default_bundle_dir
from engine.evaluation import evaluate_folder
from engine.inference import load_model
from engine.synth.dataset import write_dataset
from training.bundle_writer import add_metrics, hash_cases, model_json, write_bundle
from training.data import load_folder
from training.fit import (
    TrainConfig,
    calibration_logits,
    config_dict,
    emit,
    fit,
    fit_temperature,
)
from training.networks import build_network
from training.recipes.calibration import features_of
from training.scope_fit import fit_scope

ARCHITECTURE = "hybrid-dual-task"
CLASSES = ("benign", "malignant")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_bundle_dir())
    parser.add_argument("--n-train", type=int, default=1600)
    parser.add_argument("--n-test", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="keep synthetic data here")
    parser.add_argument(
        "--from-weights",
        type=Path,
        default=None,
        metavar="WEIGHTS_PT",
        help="skip training: calibrate, export and score these weights (a state dict); the "
        "training history is taken from the existing bundle's metrics.json",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.time()
    work = args.work or Path(tempfile.mkdtemp(prefix="lesionlens-model-"))
    try:
        train_dir, test_dir, shift_dir = work / "train", work / "test", work / "test-shift"
        emit({"event": "synth", "n": args.n_train, "out": str(train_dir)})
        _synth_once(train_dir, args.n_train, seed=args.seed, val_fraction=0.2)
        _synth_once(test_dir, args.n_test, seed=args.seed + 1000, val_fraction=0.0)
        _synth_once(shift_dir, args.n_test, seed=args.seed + 2000, shift=True, val_fraction=0.0)
        data = load_folder(train_dir, args.size, CLASSES)
        train, val = data.subset("train"), data.subset("val")
        network_kwargs = {
            "in_channels": 1,
            "num_classes": len(CLASSES),
            "width": 16,
            "attention_blocks": 2,
            "features": True,  # for the scope score (engine.scope); the weights are the same
        }
        torch.manual_seed(args.seed)
        net = build_network(ARCHITECTURE, **network_kwargs)
        config = TrainConfig(epochs=args.epochs, seed=args.seed)
        if args.from_weights is None:
            net, history = fit(net, train, val, config)
            provenance = "trained by training.make_default"
        else:
            net.load_state_dict(torch.load(args.from_weights, weights_only=True))
            history = _previous_history(args.out)
            earlier = _previous_metrics(args.out).get("weights_provenance", "")
            provenance = f"weights from {args.from_weights.name}; history of the earlier run" + (
                f" ({earlier})" if earlier else ""
            )
        cal_logits, cal_labels = calibration_logits(net, val, seed=args.seed)
        temperature = fit_temperature(cal_logits, cal_labels)
        emit({"event": "temperature", "value": temperature})
        test = load_folder(test_dir, args.size, CLASSES)
        scope, scope_threshold = fit_scope(
            features_of(net, train.images), features_of(net, test.images)
        )
        emit({"event": "scope", "threshold": scope_threshold})
        spec = default_spec(
            args,
            temperature=temperature,
            network_kwargs=network_kwargs,
            data_hash=hash_cases(train.cases, train.labels.tolist()),
            n_train=len(train),
            n_val=len(val),
            outputs=tuple(net.output_names),
            scope_threshold=scope_threshold,
        )
        metrics = {
            "history": history,
            "train_config": config_dict(config),
            "weights_provenance": provenance,
        }
        write_bundle(net, args.out, spec, metrics, {"scope.json": scope})
        # Score the exported bundle through the engine, as a user would run it.
        model = load_model(args.out, device="cpu")
        scores = {
            "test": evaluate_folder(test_dir, model)["summary"],
            "test_shifted_scanner": evaluate_folder(shift_dir, model)["summary"],
            "dataset_id": f"synth-nodes-seed{args.seed}-n{args.n_train}",
            "wall_time_s": round(time.time() - started, 1),
        }
        add_metrics(args.out, scores)
        emit({"event": "done", "test": scores["test"], "shift": scores["test_shifted_scanner"]})
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _synth_once(out: Path, n: int, **options: object) -> None:
    """The generator is deterministic per seed, so a complete folder in --work is reused."""
    labels = out / "labels.csv"
    if labels.is_file() and len(labels.read_text().splitlines()) == n + 1:
        return
    write_dataset("nodes", n, out, **options)  # type: ignore[arg-type]


def _previous_metrics(bundle_dir: Path) -> dict:
    path = bundle_dir / "metrics.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _previous_history(bundle_dir: Path) -> list[dict]:
    return _previous_metrics(bundle_dir).get("history", [])


def default_spec(
    args: argparse.Namespace,
    *,
    temperature: float,
    network_kwargs: dict,
    data_hash: str,
    n_train: int,
    n_val: int,
    outputs: tuple[str, ...],
    scope_threshold: float,
) -> dict:
    """model.json of the default bundle (args: seed and size). It names its descriptor
    template, so the template follows the model: every analysis of this node model describes
    its nodes (engine.descriptors.template_for), and its scope is lymph-node ultrasound."""
    spec = model_json(
        model_id=f"lymph-node-default-s{args.seed}",
        architecture=ARCHITECTURE,
        size=args.size,
        classes=CLASSES,
        temperature=temperature,
        network_kwargs=network_kwargs,
        training_data_hash=data_hash,
        card=_card(args, n_train, n_val),
        outputs=outputs,
        descriptors="lymph-node",
    )
    spec["scope"] = {
        "file": "scope.json",
        "threshold": round(scope_threshold, 6),
        "body_parts": ["NECK", "LYMPH", "NODE", "AXILLA"],
        "probe": "linear",
        "description": "lymph-node ultrasound (B-mode, linear probe)",
    }
    return spec


def _card(args: argparse.Namespace, n_train: int, n_val: int) -> dict:
    return {
        "intended_use": "research use; not for diagnosis",
        "summary": "Joint lymph-node segmentation and benign/malignant classification on B-mode "
        "ultrasound (hybrid CNN + self-attention encoder shared by both heads).",
        "training_data": f"SYNTHETIC ONLY: {n_train} train / {n_val} validation simulated neck "
        f"lymph-node B-mode images (engine.synth.nodes, seed {args.seed}). No patient data.",
        "limitations": "Trained on simulated images; accuracy on real scanners is unknown. "
        "Two classes only (benign/reactive vs malignant/metastatic).",
        "reproduce": "make model",
    }


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
