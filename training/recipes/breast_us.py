"""The breast ultrasound recipe: real BUSI-style images, pretrained on our synthetic domain.

Data: a data-set folder engine.datasets reads (busi-dev: benign, malignant and normal images
with lesion masks, near_duplicates.csv). Cross-validation folds are grouped
(engine.datasets.grouped_folds): a near-duplicate chain never straddles two folds.

Network: the hybrid CNN + attention dual-task net (method 1 of SCIENCE.md) with a presence
head (normal scans are an answer: "no lesion") and a features output (the scope score).
Transfer: the encoder and decoder start from the shipped synthetic lymph-node model
(resources/models/default, trained by `make model` on engine.synth.nodes); the task heads
start fresh. Training: a fixed budget (no selection on the held-out fold, which calibrates
and scores), bf16 autocast on the CPU, scanner augmentation plus burned-in calipers and text
on half of the images.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from engine.bundle import default_bundle_dir
from engine.datasets import Dataset, grouped_folds, load_dataset
from engine.evaluation import evaluate_folder
from engine.inference import load_model
from training.bundle_writer import add_metrics, hash_cases, model_json, write_bundle
from training.data import ArrayDataset, load_cases
from training.fit import TrainConfig, config_dict, emit, fit
from training.networks import build_network
from training.recipes.calibration import Calibration, calibrate
from training.transfer import load_pretrained_weights

ARCHITECTURE = "hybrid-dual-task"
CLASSES = ("benign", "malignant")
NO_LESION_LABEL = "normal"
FOLDS = 5


@dataclass(frozen=True)
class BreastRecipe:
    size: int = 128
    stem_stride: int = 1  # 2: a strided first convolution reads a twice larger input
    width: int = 16
    attention_blocks: int = 2
    epochs: int = 10  # busi-dev fold 0, scratch: 40 epochs Dice 0.68, 100 epochs 0.65
    batch_size: int = 16
    lr: float = 2e-3
    annotations: float = 0.5
    presence_weight: float = 0.5
    cls_weight: float = 0.5
    # "synthetic": the encoder/decoder of the shipped synthetic model; None: from scratch.
    init: str | None = "synthetic"
    ema: float = 0.0  # > 0: keep a moving average of the weights (TrainConfig.ema)

    def network_kwargs(self) -> dict[str, Any]:
        return {
            "in_channels": 1,
            "num_classes": len(CLASSES),
            "width": self.width,
            "attention_blocks": self.attention_blocks,
            "presence": True,
            "stem_stride": self.stem_stride,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def train_config(self, seed: int, progress_bar: bool = False) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            seed=seed,
            cls_weight=self.cls_weight,
            presence_weight=self.presence_weight,
            annotations=self.annotations,
            bf16=True,
            select="last",
            progress_bar=progress_bar,
            ema=self.ema,
        )


@dataclass(frozen=True)
class FoldData:
    dataset: Dataset
    train: ArrayDataset
    heldout: ArrayDataset
    heldout_fold: int
    heldout_ids: tuple[str, ...]


def fold_data(root: str | Path, heldout_fold: int, size: int, seed: int = 0) -> FoldData:
    """Training arrays of every fold but one, held-out arrays of that fold."""
    dataset = load_dataset(root)
    folds = grouped_folds(dataset, k=FOLDS, seed=seed)
    heldout_ids = tuple(sorted(c for c, f in folds.items() if f == heldout_fold))
    train_ids = [c for c, f in folds.items() if f != heldout_fold]

    def arrays(ids) -> ArrayDataset:  # noqa: ANN001
        return load_cases(dataset, size, CLASSES, ids, no_lesion_label=NO_LESION_LABEL)

    return FoldData(dataset, arrays(train_ids), arrays(heldout_ids), heldout_fold, heldout_ids)


def build(recipe: BreastRecipe, seed: int, log=emit) -> torch.nn.Module:  # noqa: ANN001
    torch.manual_seed(seed)
    net = build_network(ARCHITECTURE, **recipe.network_kwargs())
    if recipe.init == "synthetic":
        load_pretrained_weights(net, default_bundle_dir(), log=log)
    elif recipe.init is not None:
        load_pretrained_weights(net, recipe.init, log=log)
    return net


def train(
    recipe: BreastRecipe, data: FoldData, seed: int, log=emit, progress_bar: bool = False
) -> tuple[torch.nn.Module, list[dict], Calibration]:  # noqa: ANN001
    """Train on data.train for the fixed budget, then calibrate on data.heldout."""
    net = build(recipe, seed, log)
    # The held-out fold is never used to choose weights; fit() still logs its scores.
    config = recipe.train_config(seed, progress_bar)
    net, history = fit(net, data.train, data.heldout, config, log=log)
    return net, history, calibrate(net, data.train, data.heldout)


BUSI_CITATION = (
    "Al-Dhabyani W, Gomaa M, Khaled H, Fahmy A. Dataset of breast ultrasound images. "
    "Data in Brief 28:104863, 2020."
)


def bundle_spec(
    recipe: BreastRecipe,
    calibration: Calibration,
    model_id: str,
    training_data_hash: str,
    card: dict,
    outputs: tuple[str, ...],
) -> dict:
    spec = model_json(
        model_id=model_id,
        architecture=ARCHITECTURE,
        size=recipe.size,
        classes=CLASSES,
        temperature=calibration.temperature,
        network_kwargs=recipe.network_kwargs(),
        training_data_hash=training_data_hash,
        card=card,
        outputs=outputs,
    )
    spec["presence_threshold"] = round(calibration.presence_threshold, 6)
    if calibration.operating_points:
        spec["presence_operating_points"] = calibration.operating_points
    spec["presence_temperature"] = round(calibration.presence_temperature, 6)
    spec["no_lesion_label"] = NO_LESION_LABEL
    spec["scope"] = {
        "file": "scope.json",
        "threshold": round(calibration.scope_threshold, 6),
        "body_parts": ["BREAST"],
        "probe": "linear",
        "description": "breast ultrasound (B-mode, linear probe)",
    }
    return spec


def card(data: Path, n_train: int, n_heldout: int, seed: int) -> dict:
    return {
        "intended_use": "research use; not for diagnosis",
        "summary": "Breast lesion segmentation, lesion presence and benign/malignant "
        "classification on B-mode ultrasound (hybrid CNN + self-attention encoder shared by "
        "the heads), with a scope score that withholds findings on images unlike its "
        "training images.",
        "training_data": f"REAL IMAGES: {n_train} breast ultrasound images of BUSI (busi-dev "
        f"folder, four of five grouped folds, seed {seed}; benign, malignant and normal), "
        f"calibrated on the {n_heldout} images of the fifth fold. BUSI: {BUSI_CITATION} "
        "LOGIQ E9 scanners, Baheya Hospital, Cairo, 2018; CC BY 4.0. Encoder and decoder "
        "pretrained on synthetic lymph-node ultrasound (resources/models/default).",
        "dataset": {"name": "BUSI (busi-dev)", "citation": BUSI_CITATION, "folder": data.name},
        "limitations": "One scanner family and one hospital; masks drawn by different people "
        "with different care. Accuracy on other breast scanners, other sites and other "
        "organs is unknown: see the scope score and docs/breast_model.md. Two lesion classes "
        "(benign, malignant) plus 'no lesion'.",
        "reproduce": "make model-breast",
    }


def write_breast_bundle(
    net: torch.nn.Module,
    out: Path,
    recipe: BreastRecipe,
    data: FoldData,
    calibration: Calibration,
    history: list[dict],
    seed: int,
    data_root: Path,
    started: float,
    model_id: str | None = None,
) -> dict[str, Any]:
    """Write the bundle, score it on the held-out fold through the engine (onnxruntime, TTA,
    each image at its own size) and add those scores to its metrics.json; returns them all."""
    spec = bundle_spec(
        recipe,
        calibration,
        model_id=model_id or f"breast-us-busi-s{seed}",
        training_data_hash=hash_cases(data.train.cases, data.train.labels.tolist()),
        card=card(Path(data_root), len(data.train), len(data.heldout), seed),
        outputs=tuple(net.output_names),
    )
    metrics: dict[str, Any] = {
        "history": history,
        "recipe": recipe.as_dict(),
        "calibration": {**calibration.heldout, "presence_threshold": spec["presence_threshold"]},
        "heldout_fold": data.heldout_fold,
        "dataset_id": f"busi-dev-grouped{FOLDS}-fold{data.heldout_fold}",
        "train_config": config_dict(recipe.train_config(seed)),
    }
    write_bundle(net, out, spec, metrics, {"scope.json": calibration.scope})
    heldout = evaluate_folder(data_root, load_model(out, device="cpu"), cases=data.heldout_ids)
    scores = {
        "heldout": heldout["summary"],
        "heldout_cases": heldout["cases"],
        "wall_time_s": round(time.time() - started, 1),
    }
    add_metrics(out, scores)
    return {**metrics, **scores}
