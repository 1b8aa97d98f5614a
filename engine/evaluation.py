"""Score a model on a canonical data set folder, through the same path users run."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
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
from engine.types import Analysis

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


NO_LESION_LABEL = "normal"  # the data-set label of images without a lesion (BUSI's)


def evaluate_folder(
    root: str | Path,
    model: LoadedModel,
    progress: Callable[[int, int], None] | None = None,
    keep_masks: bool = False,
    cases: Iterable[str] | None = None,
    no_lesion_label: str = NO_LESION_LABEL,
    on_error: Callable[[str, Path | None, Exception], None] | None = None,
) -> dict[str, Any]:
    """Per-case rows and a summary, through engine.analysis.analyze as users run it (TTA,
    the image's own size, findings after the minimum-area filter).

    Any data-set folder engine.datasets reads (canonical, BUSI, ...); `cases` limits the
    run to those case ids (a cross-validation fold). Cases labelled `no_lesion_label` (empty
    masks) are scored on whether they came back with no finding, and kept out of the
    segmentation and class metrics, which are about lesions. keep_masks also returns
    {case: (image, truth, predicted)} for plotting the worst cases.

    on_error: None raises the first case that fails (to read, predict or score); given, it
    is called with (case id, image file, exception), the case is left out and listed under
    "failed" ({"case", "file", "error"}), and the rest are scored. progress counts every
    case, failed or not."""
    from engine.analysis import analyze
    from engine.datasets import load_dataset, read_mask

    dataset = load_dataset(root)
    classes = model.spec.classes
    allowed = set(classes) | {no_lesion_label}
    chosen = dataset.cases if cases is None else [dataset.case(c) for c in cases]
    unknown = sorted({c.label or "" for c in chosen} - allowed)
    if unknown:
        raise DatasetError(
            f"{dataset.root}: labels {unknown} are not among the model's classes {classes}"
        )
    rows = []
    failed: list[dict[str, str]] = []
    kept: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for i, case in enumerate(sorted(chosen, key=lambda c: c.case_id)):
        view = case.views[0]
        try:
            if view.image is None:
                raise DatasetError(f"{dataset.root}: case {case.case_id} has no image")
            image = load_image(view.image)
            truth = read_mask(view) > 0 if view.masks else np.zeros(image.pixels.shape[:2], bool)
            if truth.shape != image.pixels.shape[:2]:
                raise DatasetError(
                    f"{dataset.root}: case {case.case_id}: mask {truth.shape} != image size"
                )
            analysis = analyze(image, model, force=True)
            row = _case_row(case.case_id, case.label or "", analysis, truth, classes)
        except Exception as exc:
            if on_error is None:
                raise
            on_error(case.case_id, view.image, exc)
            failed.append({"case": case.case_id, "file": str(view.image or ""), "error": repr(exc)})
        else:
            rows.append(row)
            if keep_masks:
                kept[case.case_id] = (image.pixels, truth, analysis.prediction.mask > 0)
        if progress:
            progress(i + 1, len(chosen))
    result: dict[str, Any] = {
        "cases": rows,
        "summary": summarise_rows(rows, classes),
        "classes": list(classes),
    }
    if failed:
        result["failed"] = failed
        result["summary"]["failed_cases"] = len(failed)
    if keep_masks:
        result["masks"] = kept
    return result


def _case_row(
    case: str, label: str, analysis: Analysis, truth: np.ndarray, classes: tuple[str, ...]
) -> dict[str, Any]:
    prediction, image = analysis.prediction, analysis.image
    from skimage.draw import polygon

    found = np.zeros(truth.shape, dtype=bool)
    for finding in analysis.findings:
        found[polygon(finding.contour[:, 0], finding.contour[:, 1], truth.shape)] = True
    return {
        "case": case,
        "label": label,
        "lesion": bool(truth.any()),
        "predicted": prediction.label,
        "findings": len(analysis.findings),
        # Whether a finding lies on the true lesion (a lesion "found", whatever its outline).
        "lesion_overlapped": bool((found & truth).any()) if truth.any() else None,
        "lesion_probability": prediction.lesion_probability,
        "scope_score": analysis.scope.score if analysis.scope is not None else None,
        "dice": dice(prediction.mask, truth),
        "iou": iou(prediction.mask, truth),
        "hd95": hausdorff_95(prediction.mask, truth, image.spacing_mm),
        "hd95_units": "mm" if image.spacing_mm else "px",
        "probabilities": {c: float(prediction.probabilities[c]) for c in classes},
    }


def summarise_rows(rows: list[dict[str, Any]], classes: tuple[str, ...]) -> dict[str, Any]:
    """The summary of evaluate_folder rows: lesion metrics over the rows labelled with one of
    the model's classes; detection metrics over every row."""
    lesion_rows = [r for r in rows if r["label"] in classes]
    summary: dict[str, Any] = {"n": len(rows), "n_lesion": len(lesion_rows)}
    if lesion_rows:
        y_true = np.array([classes.index(r["label"]) for r in lesion_rows])
        y_prob = np.array([[r["probabilities"][c] for c in classes] for r in lesion_rows])
        summary.update(summarise(lesion_rows, y_true, y_prob))
        summary["n"] = len(rows)
    normals = [r for r in rows if not r["lesion"]]
    lesions = [r for r in rows if r["lesion"]]
    summary["no_lesion_cases"] = len(normals)
    summary["no_lesion_clear"] = (
        float(np.mean([r["findings"] == 0 for r in normals])) if normals else float("nan")
    )
    summary["lesions_overlapped"] = (
        float(np.mean([bool(r["lesion_overlapped"]) for r in lesions])) if lesions else float("nan")
    )
    scores = [r["lesion_probability"] for r in rows]
    summary["presence_auc"] = (
        roc_auc(np.array([r["lesion"] for r in rows]), np.array(scores, dtype=float))
        if normals and lesions and all(s is not None for s in scores)
        else float("nan")
    )
    return summary


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
