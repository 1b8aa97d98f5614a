"""Score a multi-view model on a multi-view data set (views.csv), through predict_study: the
path users run. One class per case; Dice on every view the model segments."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DatasetError
from engine.evaluation import read_labels
from engine.inference import LoadedModel
from engine.io import load_image
from engine.io.study import load_study
from engine.metrics import accuracy, dice, expected_calibration_error, roc_auc
from engine.study_inference import predict_study


def read_view_masks(root: Path) -> dict[str, dict[str, Path]]:
    """case -> view -> truth mask file, from views.csv's optional mask column."""
    table = root / "views.csv"
    if not table.is_file():
        raise DatasetError(f"{root}: views.csv is missing (not a multi-view data set)")
    with table.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    masks: dict[str, dict[str, Path]] = {}
    for row in rows:
        if row.get("mask"):
            masks.setdefault(row["case"], {})[row["view"]] = root / row["mask"]
    return masks


def evaluate_study_folder(
    root: str | Path,
    model: LoadedModel,
    progress: Callable[[int, int], None] | None = None,
    tta: bool = True,
) -> dict[str, Any]:
    """Per-case rows and a summary (accuracy, F1, sensitivity, specificity, AUC, ECE, and
    dice_<view> for the segmented views)."""
    root = Path(root)
    labels = read_labels(root)
    truth_masks = read_view_masks(root)
    classes = model.spec.classes
    unknown = sorted({v for v in labels.values() if v not in classes})
    if unknown:
        raise DatasetError(f"{root}: labels {unknown} are not among the model's classes {classes}")
    cases, rows, y_true, y_prob = sorted(labels), [], [], []
    for i, case in enumerate(cases):
        study = load_study(root, case)
        prediction = predict_study(study, model, tta=tta)
        probs = np.array([prediction.probabilities[c] for c in classes])
        y_true.append(classes.index(labels[case]))
        y_prob.append(probs)
        row: dict[str, Any] = {
            "case": case,
            "label": labels[case],
            "predicted": prediction.label,
            "probabilities": {c: float(p) for c, p in zip(classes, probs, strict=True)},
        }
        for view, mask in prediction.masks.items():
            truth_file = truth_masks.get(case, {}).get(view)
            if truth_file is None:
                continue
            truth = np.asarray(load_image(truth_file).pixels) > 0
            if truth.shape != mask.shape:
                raise DatasetError(f"{root}: case {case} view {view}: mask {truth.shape} != image")
            row[f"dice_{view}"] = dice(mask, truth)
        rows.append(row)
        if progress:
            progress(i + 1, len(cases))
    return {
        "cases": rows,
        "summary": summarise_studies(rows, np.array(y_true), np.array(y_prob)),
        "classes": list(classes),
    }


def summarise_studies(rows: list[dict], y_true: np.ndarray, y_prob: np.ndarray) -> dict[str, Any]:
    predicted = y_prob.argmax(axis=1)
    positive = 1  # the second class is the finding of interest (metastatic, malignant)
    tp = int(((predicted == positive) & (y_true == positive)).sum())
    tn = int(((predicted != positive) & (y_true != positive)).sum())
    pos, neg = int((y_true == positive).sum()), int((y_true != positive).sum())
    summary: dict[str, Any] = {
        "n": len(rows),
        "accuracy": accuracy(y_true, predicted),
        "f1": f1_score(y_true, predicted, positive),
        "sensitivity": tp / pos if pos else float("nan"),
        "specificity": tn / neg if neg else float("nan"),
        "auc": roc_auc(y_true == positive, y_prob[:, positive]),
        "ece": expected_calibration_error(y_true, y_prob),
    }
    dice_keys = sorted({k for row in rows for k in row if k.startswith("dice_")})
    for key in dice_keys:
        summary[key] = float(np.mean([row[key] for row in rows if key in row]))
    return summary


def f1_score(labels: np.ndarray, predicted: np.ndarray, positive: int = 1) -> float:
    """F1 of the positive class: 2·TP / (2·TP + FP + FN); nan when nothing is positive."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    tp = int(((predicted == positive) & (labels == positive)).sum())
    fp = int(((predicted == positive) & (labels != positive)).sum())
    fn = int(((predicted != positive) & (labels == positive)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
