"""Score a model on a labelled data set, through the same path users run: one evaluate loop
for every kind of case, and the image kind (a canonical, BUSI, ... folder of 2D images).

A kind of case is a Scoring: the cases to score, one row per case, the summary of the rows
and the result as written (engine.study.evaluation and engine.volume.evaluation hold the
others). Adding a kind means adding one Scoring; `evaluate` iterates, scores, summarises and
keeps going past a case that fails when asked to."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.datasets.tables import read_mapping
from engine.errors import DatasetError
from engine.inference import LoadedModel
from engine.io import load_image
from engine.metrics import (
    classification_metrics,
    dice,
    hausdorff_95,
    iou,
    roc_auc,
    segmentation_metrics,
)
from engine.types import Analysis

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".dcm")


def read_labels(root: Path) -> dict[str, str]:
    """case -> label of a folder's labels.csv, which scoring cannot do without (read by
    engine.datasets, the one parser of data-set tables)."""
    path = root / "labels.csv"
    if not path.is_file():
        raise DatasetError(f"{root}: labels.csv is missing")
    return read_mapping(path, "case", "label")


def find_image(root: Path, case: str) -> Path:
    for suffix in IMAGE_SUFFIXES:
        candidate = root / "images" / f"{case}{suffix}"
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{root}: case {case} has no image in images/")


Progress = Callable[[int, int], None]
OnError = Callable[[str, Path | None, Exception], None]


@dataclass(frozen=True)
class CaseToScore:
    case_id: str
    file: Path | None  # named when the case fails
    item: Any  # what the kind's score() reads


class Scoring(ABC):
    """One kind of case as the evaluate loop scores it."""

    classes: tuple[str, ...] = ()
    # Whether `lesionlens evaluate` scores the rest when a case fails (images), or stops at
    # the first (studies and volumes, as they always have: exit status 2).
    goes_on_past_failures = True

    @abstractmethod
    def cases(self) -> Sequence[CaseToScore]:
        """The cases in scoring order (raises DatasetError when the data set does not fit)."""

    @abstractmethod
    def score(self, case: CaseToScore) -> dict[str, Any]:
        """One case's row: read, predict, compare with the truth."""

    @abstractmethod
    def summarise(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The summary of the rows (engine.metrics.classification_metrics and
        segmentation_metrics)."""

    def outputs(self, rows: list[dict[str, Any]], summary: dict[str, Any]) -> dict[str, Any]:
        """The result as written to --json."""
        return {"cases": rows, "summary": summary, "classes": list(self.classes)}


def evaluate(
    scoring: Scoring, progress: Progress | None = None, on_error: OnError | None = None
) -> dict[str, Any]:
    """Score every case of `scoring`, then summarise: its outputs (rows, summary, ...).

    on_error: None raises the first case that fails (to read, predict or score); given, it
    is called with (case id, file, exception), the case is left out and listed under
    "failed" ({"case", "file", "error"}), and the rest are scored. progress counts every
    case, failed or not."""
    cases = scoring.cases()
    rows: list[dict[str, Any]] = []
    failed: list[dict[str, str]] = []
    for i, case in enumerate(cases, start=1):
        try:
            row = scoring.score(case)
        except Exception as exc:
            if on_error is None:
                raise
            on_error(case.case_id, case.file, exc)
            failed.append({"case": case.case_id, "file": str(case.file or ""), "error": repr(exc)})
        else:
            rows.append(row)
        if progress:
            progress(i, len(cases))
    result = scoring.outputs(rows, scoring.summarise(rows))
    if failed:
        result["failed"] = failed
        result["summary"]["failed_cases"] = len(failed)
    return result


NO_LESION_LABEL = "normal"  # the data-set label of images without a lesion (BUSI's)


class ImageScoring(Scoring):
    """2D images through engine.analysis.analyze as users run it (TTA, the image's own size,
    findings after the minimum-area filter), from any data-set folder engine.datasets reads
    (canonical, BUSI, ...); `cases` limits the run to those case ids (a cross-validation
    fold). Cases labelled `no_lesion_label` (empty masks) are scored on whether they came
    back with no finding, and kept out of the segmentation and class metrics, which are
    about lesions. keep_masks also keeps {case: (image, truth, predicted)} for plotting the
    worst cases, returned under "masks"."""

    def __init__(
        self,
        root: str | Path,
        model: LoadedModel,
        keep_masks: bool = False,
        cases: Iterable[str] | None = None,
        no_lesion_label: str = NO_LESION_LABEL,
    ) -> None:
        from engine.datasets import load_dataset

        self.dataset, self.model, self.classes = load_dataset(root), model, model.spec.classes
        self.keep_masks, self.chosen, self.no_lesion_label = keep_masks, cases, no_lesion_label
        self.masks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def cases(self) -> list[CaseToScore]:
        dataset = self.dataset
        allowed = set(self.classes) | {self.no_lesion_label}
        chosen = dataset.cases if self.chosen is None else [dataset.case(c) for c in self.chosen]
        unknown = sorted({c.label or "" for c in chosen} - allowed)
        if unknown:
            raise DatasetError(
                f"{dataset.root}: labels {unknown} are not among the model's classes {self.classes}"
            )
        return [
            CaseToScore(case.case_id, case.views[0].image, case)
            for case in sorted(chosen, key=lambda c: c.case_id)
        ]

    def score(self, case: CaseToScore) -> dict[str, Any]:
        from engine.analysis import analyze
        from engine.datasets import read_mask

        view = case.item.views[0]
        if view.image is None:
            raise DatasetError(f"{self.dataset.root}: case {case.case_id} has no image")
        image = load_image(view.image)
        truth = read_mask(view) > 0 if view.masks else np.zeros(image.pixels.shape[:2], bool)
        if truth.shape != image.pixels.shape[:2]:
            raise DatasetError(
                f"{self.dataset.root}: case {case.case_id}: mask {truth.shape} != image size"
            )
        analysis = analyze(image, self.model, force=True)
        row = _case_row(case.case_id, case.item.label or "", analysis, truth, self.classes)
        if self.keep_masks:
            self.masks[case.case_id] = (image.pixels, truth, analysis.prediction.mask > 0)
        return row

    def summarise(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Lesion metrics over the rows labelled with one of the model's classes; detection
        metrics over every row."""
        classes = self.classes
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
        overlapped = [bool(r["lesion_overlapped"]) for r in lesions]
        summary["lesions_overlapped"] = float(np.mean(overlapped)) if lesions else float("nan")
        scores = [r["lesion_probability"] for r in rows]
        summary["presence_auc"] = (
            roc_auc(np.array([r["lesion"] for r in rows]), np.array(scores, dtype=float))
            if normals and lesions and all(s is not None for s in scores)
            else float("nan")
        )
        return summary

    def outputs(self, rows: list[dict[str, Any]], summary: dict[str, Any]) -> dict[str, Any]:
        result = super().outputs(rows, summary)
        if self.keep_masks:
            result["masks"] = self.masks
        return result


def evaluate_folder(
    root: str | Path,
    model: LoadedModel,
    progress: Progress | None = None,
    keep_masks: bool = False,
    cases: Iterable[str] | None = None,
    no_lesion_label: str = NO_LESION_LABEL,
    on_error: OnError | None = None,
) -> dict[str, Any]:
    """Per-case rows and a summary of an image data set (ImageScoring, through evaluate)."""
    scoring = ImageScoring(root, model, keep_masks, cases, no_lesion_label)
    return evaluate(scoring, progress, on_error)


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


IMAGE_CLASS_METRICS = ("accuracy", "sensitivity", "specificity", "auc", "ece")


def summarise(rows: list[dict], y_true: np.ndarray, y_prob: np.ndarray) -> dict[str, Any]:
    """Lesion metrics: Dice, IoU and HD95 of the rows, and the class metrics of y_prob."""
    return {
        "n": len(rows),
        **segmentation_metrics(rows, ("dice", "iou", "hd95")),
        **classification_metrics(y_true, y_prob, IMAGE_CLASS_METRICS),
    }
