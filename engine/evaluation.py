"""Score a model on a canonical data set folder, through the same path users run."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DatasetError
from engine.inference import LoadedModel
from engine.io import load_image
from engine.metrics import (
    accuracy,
    dice,
    expected_calibration_error,
    hausdorff_95,
    iou,
    roc_auc,
)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".dcm")


def read_labels(root: Path) -> dict[str, str]:
    path = root / "labels.csv"
    if not path.is_file():
        raise DatasetError(f"{root}: labels.csv is missing")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"case", "label"} <= set(reader.fieldnames):
            raise DatasetError(f"{path}: needs the columns case,label")
        return {row["case"]: row["label"] for row in reader}


def find_image(root: Path, case: str) -> Path:
    for suffix in IMAGE_SUFFIXES:
        candidate = root / "images" / f"{case}{suffix}"
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{root}: case {case} has no image in images/")


def evaluate_folder(
    root: str | Path,
    model: LoadedModel,
    progress: Callable[[int, int], None] | None = None,
    keep_masks: bool = False,
) -> dict[str, Any]:
    """Per-case rows and a summary. keep_masks also returns {case: (image, truth, predicted)}
    for plotting the worst cases."""
    root = Path(root)
    labels = read_labels(root)
    classes = model.spec.classes
    unknown = sorted({v for v in labels.values() if v not in classes})
    if unknown:
        raise DatasetError(f"{root}: labels {unknown} are not among the model's classes {classes}")
    cases, rows, y_true, y_prob = sorted(labels), [], [], []
    kept: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for i, case in enumerate(cases):
        image = load_image(find_image(root, case))
        truth = np.asarray(load_image(root / "masks" / f"{case}.png").pixels) > 0
        if truth.shape != image.pixels.shape[:2]:
            raise DatasetError(f"{root}: case {case}: mask {truth.shape} != image size")
        prediction = model.predict(image)
        probs = np.array([prediction.probabilities[c] for c in classes])
        y_true.append(classes.index(labels[case]))
        y_prob.append(probs)
        rows.append(
            {
                "case": case,
                "label": labels[case],
                "predicted": prediction.label,
                "dice": dice(prediction.mask, truth),
                "iou": iou(prediction.mask, truth),
                "hd95": hausdorff_95(prediction.mask, truth, image.spacing_mm),
                "hd95_units": "mm" if image.spacing_mm else "px",
                "probabilities": {c: float(p) for c, p in zip(classes, probs, strict=True)},
            }
        )
        if keep_masks:
            kept[case] = (image.pixels, truth, prediction.mask > 0)
        if progress:
            progress(i + 1, len(cases))
    result: dict[str, Any] = {
        "cases": rows,
        "summary": summarise(rows, np.array(y_true), np.array(y_prob)),
        "classes": list(classes),
    }
    if keep_masks:
        result["masks"] = kept
    return result


def summarise(rows: list[dict], y_true: np.ndarray, y_prob: np.ndarray) -> dict[str, float]:
    predicted = y_prob.argmax(axis=1)
    positive = 1  # the second class is the finding of interest (malignant)
    tp = int(((predicted == positive) & (y_true == positive)).sum())
    tn = int(((predicted != positive) & (y_true != positive)).sum())
    pos, neg = int((y_true == positive).sum()), int((y_true != positive).sum())
    hd95 = np.array([r["hd95"] for r in rows], dtype=np.float64)
    finite = np.isfinite(hd95)
    units = {r["hd95_units"] for r in rows}
    return {
        "n": len(rows),
        "dice": float(np.mean([r["dice"] for r in rows])),
        "iou": float(np.mean([r["iou"] for r in rows])),
        # Mean over cases where both masks are non-empty; the others are counted separately.
        "hd95": float(hd95[finite].mean()) if finite.any() else float("nan"),
        "hd95_units": units.pop() if len(units) == 1 else "mixed",
        "hd95_undefined_cases": int((~finite).sum()),
        "accuracy": accuracy(y_true, predicted),
        "sensitivity": tp / pos if pos else float("nan"),
        "specificity": tn / neg if neg else float("nan"),
        "auc": roc_auc(y_true == positive, y_prob[:, positive]),
        "ece": expected_calibration_error(y_true, y_prob),
    }
