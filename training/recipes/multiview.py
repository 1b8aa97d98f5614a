"""The multi-view recipes (`make models-multiview`, training.make_multiview): the shipped
multi-view bundles trained from synthetic data.

- resources/models/scinti-two-view: anterior + posterior bone scan -> normal/metastatic, with
  a spatial attention map per view (method 2 of SCIENCE.md);
- resources/models/skin-fusion: clinical photo + skin ultrasound -> benign/malignant, with
  the lesion segmented on the ultrasound and an attention map per view (method 5).

Seeded end to end and CPU-sized (inputs at half the synthetic resolution, a few hundred
cases, minutes per model). Data: the `scinti` / `skin-pair` generators; the last 20 % of the
training set is the validation split (best epoch, temperature); a separate held-out test set
and one of the shifted camera/scanner profile are scored through the engine (onnxruntime,
engine.study.evaluation), so the numbers are what users get.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from engine.inference import load_model
from engine.study.evaluation import evaluate_study_folder
from engine.synth.dataset import write_dataset
from training.bundle_writer import (
    PERCENTILE,
    add_metrics,
    hash_cases,
    image_input,
    model_json,
    write_bundle,
)
from training.fit import TrainConfig, config_dict, emit, fit_temperature
from training.fit_views import ViewsObjective, fit_views, predict_views
from training.networks import build_network
from training.view_data import ViewDataset, ViewInput, load_views_folder

COLOUR = {"mode": "scale", "scale": 255.0}


@dataclass(frozen=True)
class MultiviewPlan:
    """Everything that differs between the two shipped multi-view models."""

    kind: str  # engine.synth kind
    bundle_name: str
    architecture: str
    classes: tuple[str, ...]
    inputs: tuple[ViewInput, ...]
    network_kwargs: dict[str, Any]
    output_names: tuple[str, ...]  # ONNX outputs, in the order forward returns them
    objective: ViewsObjective
    summary: str
    lr: float = 2e-3

    def scaled(self, factor: float, width: int | None) -> MultiviewPlan:
        """The same plan with smaller inputs (multiples of 8) and/or a narrower network."""
        inputs = tuple(
            replace(i, shape=tuple(max(8, int(s * factor) // 8 * 8) for s in i.shape))  # type: ignore[arg-type]
            for i in self.inputs
        )
        kwargs = {**self.network_kwargs, **({"width": width} if width else {})}
        return replace(self, inputs=inputs, network_kwargs=kwargs)


PLANS: dict[str, MultiviewPlan] = {
    "scinti": MultiviewPlan(
        kind="scinti",
        bundle_name="scinti-two-view",
        architecture="two-view",
        classes=("normal", "metastatic"),
        inputs=(
            ViewInput("anterior", 1, (256, 96), PERCENTILE),
            ViewInput("posterior", 1, (256, 96), PERCENTILE),
        ),
        network_kwargs={"in_channels": 1, "num_classes": 2, "width": 8, "attention_blocks": 1},
        output_names=("classification", "attention_anterior", "attention_posterior"),
        objective=ViewsObjective(feed=("anterior", "posterior"), augment="flip-gain"),
        summary="Whole-body bone scintigraphy, anterior + posterior views: one normal/"
        "metastatic call per patient from both views (shared CNN + attention backbone, "
        "attention-pooled features aggregated across views), with a spatial attention map "
        "per view.",
    ),
    "skin-pair": MultiviewPlan(
        kind="skin-pair",
        bundle_name="skin-fusion",
        architecture="fusion-attention",
        classes=("benign", "malignant"),
        inputs=(
            ViewInput("photo", 3, (128, 160), COLOUR),
            ViewInput("us", 1, (128, 160), PERCENTILE),
        ),
        network_kwargs={
            "photo_channels": 3,
            "us_channels": 1,
            "num_classes": 2,
            "width": 8,
            "grid": 4,
        },
        output_names=("classification", "segmentation_us", "attention_photo", "attention_us"),
        objective=ViewsObjective(feed=("photo", "us"), seg_input=1, augment="scanner"),
        summary="Skin lesion seen as a clinical photograph + high-frequency ultrasound: "
        "benign/malignant from attention-guided local and global fusion of both modalities "
        "(trained with a feature-reconstruction loss), the lesion segmented on the ultrasound, "
        "and an attention map per view.",
    ),
}


def build_bundle(plan: MultiviewPlan, args: argparse.Namespace, work: Path, out: Path) -> Path:
    started = time.time()
    sets = synth_sets(plan.kind, work, args.n_train, args.n_test, args.seed)
    train_dir, test_dir, shift_dir = sets
    data = load_views_folder(train_dir, plan.inputs, plan.classes)
    train, val = data.subset("train"), data.subset("val")
    emit({"event": "data", "kind": plan.kind, "train": len(train), "val": len(val)})
    config = TrainConfig(epochs=args.epochs, seed=args.seed, lr=plan.lr, batch_size=16)
    net, history = train_network(plan, train, val, config, plan.objective)
    logits, _ = predict_views(net, val, plan.objective)
    temperature = fit_temperature(logits, val.labels)
    emit({"event": "temperature", "kind": plan.kind, "value": temperature})
    spec = bundle_spec(plan, temperature, train, args.seed, args.n_train)
    metrics: dict[str, Any] = {
        "history": history,
        "train_config": config_dict(config),
        "dataset_id": f"synth-{plan.kind}-seed{args.seed}-n{args.n_train}",
    }
    write_bundle(net, out, spec, metrics)
    model = load_model(out, device="cpu")  # scored through the engine, as a user runs it
    scores = {
        "test": evaluate_study_folder(test_dir, model)["summary"],
        "test_shifted": evaluate_study_folder(shift_dir, model)["summary"],
        "wall_time_s": round(time.time() - started, 1),
    }
    add_metrics(out, scores)
    size_mb = (out / "model.onnx").stat().st_size / 1e6
    emit(
        {
            "event": "done",
            "bundle": str(out),
            "onnx_mb": round(size_mb, 2),
            "test": scores["test"],
            "shift": scores["test_shifted"],
        }
    )
    return out


def synth_sets(kind: str, work: Path, n_train: int, n_test: int, seed: int) -> tuple[Path, ...]:
    """Training (+ validation) set, held-out test set, shifted test set; reused when present."""
    sets = (
        (work / "train", n_train, {"seed": seed, "val_fraction": 0.2}),
        (work / "test", n_test, {"seed": seed + 1000, "val_fraction": 0.0}),
        (work / "test-shift", n_test, {"seed": seed + 2000, "shift": True, "val_fraction": 0.0}),
    )
    for out, n, options in sets:
        labels = out / "labels.csv"
        if not (labels.is_file() and len(labels.read_text().splitlines()) == n + 1):
            emit({"event": "synth", "kind": kind, "n": n, "out": str(out)})
            write_dataset(kind, n, out, **options)  # type: ignore[arg-type]
    return tuple(out for out, _, _ in sets)


def train_network(
    plan: MultiviewPlan,
    train: ViewDataset,
    val: ViewDataset,
    config: TrainConfig,
    objective: ViewsObjective,
    log: Callable[[dict], None] = emit,
) -> tuple[torch.nn.Module, list[dict]]:
    torch.manual_seed(config.seed)
    net = build_network(plan.architecture, **plan.network_kwargs)
    return fit_views(net, train, val, config, objective, log=log)


def bundle_spec(
    plan: MultiviewPlan, temperature: float, train: ViewDataset, seed: int, n: int
) -> dict[str, Any]:
    return model_json(
        task="views",
        model_id=f"{plan.bundle_name}-s{seed}",
        architecture=plan.architecture,
        network_kwargs=plan.network_kwargs,
        inputs=[
            image_input(
                i.view, max(i.shape), i.channels, i.normalisation, shape=i.shape, view=i.view
            )
            for i in plan.inputs
        ],
        outputs=plan.output_names,
        classes=plan.classes,
        temperature=temperature,
        views=[i.view for i in plan.inputs],
        training_data_hash=hash_cases(train.cases, train.labels.tolist()),
        card={
            "intended_use": "research use; not for diagnosis",
            "summary": plan.summary,
            "training_data": f"SYNTHETIC ONLY: {len(train)} training cases of the "
            f"engine.synth '{plan.kind}' generator (seed {seed}, {n} cases with the "
            "validation split). No patient data.",
            "limitations": "Trained on simulated images; accuracy on real cameras and scanners "
            "is unknown. Two classes only. The attention maps show where the model pooled its "
            "evidence, not a lesion segmentation.",
            "reproduce": "make models-multiview",
        },
    )
