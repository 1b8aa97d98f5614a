"""Score a multi-view model on a multi-view data set (views.csv), through predict_study: the
path users run. One class per case; Dice on every view the model segments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.datasets.tables import read_table
from engine.errors import DatasetError
from engine.evaluation import CaseToScore, Scoring, evaluate, read_labels
from engine.inference import LoadedModel
from engine.io import load_image
from engine.io.study import load_study
from engine.metrics import classification_metrics, dice, segmentation_metrics
from engine.study.inference import predict_study


def read_view_masks(root: Path) -> dict[str, dict[str, Path]]:
    """case -> view -> truth mask file, from views.csv's optional mask column."""
    table = root / "views.csv"
    if not table.is_file():
        raise DatasetError(f"{root}: views.csv is missing (not a multi-view data set)")
    masks: dict[str, dict[str, Path]] = {}
    for row in read_table(table, ("case", "view")):
        if row.get("mask"):
            masks.setdefault(row["case"], {})[row["view"]] = root / row["mask"]
    return masks


class StudyScoring(Scoring):
    """Multi-view cases (views.csv) through predict_study: one class per case, Dice on every
    view the model segments that has a truth mask."""

    goes_on_past_failures = False

    def __init__(self, root: str | Path, model: LoadedModel, tta: bool = True) -> None:
        self.root, self.model, self.tta, self.classes = Path(root), model, tta, model.spec.classes
        self.labels = read_labels(self.root)
        self.truth_masks = read_view_masks(self.root)

    def cases(self) -> list[CaseToScore]:
        unknown = sorted({v for v in self.labels.values() if v not in self.classes})
        if unknown:
            raise DatasetError(
                f"{self.root}: labels {unknown} are not among the model's classes {self.classes}"
            )
        return [CaseToScore(case, None, self.labels[case]) for case in sorted(self.labels)]

    def score(self, case: CaseToScore) -> dict[str, Any]:
        prediction = predict_study(load_study(self.root, case.case_id), self.model, tta=self.tta)
        row: dict[str, Any] = {
            "case": case.case_id,
            "label": case.item,
            "predicted": prediction.label,
            "probabilities": {c: float(prediction.probabilities[c]) for c in self.classes},
        }
        for view, mask in prediction.masks.items():
            truth_file = self.truth_masks.get(case.case_id, {}).get(view)
            if truth_file is None:
                continue
            truth = np.asarray(load_image(truth_file).pixels) > 0
            if truth.shape != mask.shape:
                raise DatasetError(
                    f"{self.root}: case {case.case_id} view {view}: mask {truth.shape} != image"
                )
            row[f"dice_{view}"] = dice(mask, truth)
        return row

    def summarise(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """n, accuracy, F1, sensitivity, specificity, AUC, ECE, and dice_<view>."""
        summary: dict[str, Any] = {"n": len(rows)}
        if not rows:
            return summary
        y_true = np.array([self.classes.index(row["label"]) for row in rows])
        y_prob = np.array([[row["probabilities"][c] for c in self.classes] for row in rows])
        summary.update(classification_metrics(y_true, y_prob))
        dice_keys = sorted({k for row in rows for k in row if k.startswith("dice_")})
        summary.update(segmentation_metrics(rows, tuple(dice_keys)))
        return summary


def evaluate_study_folder(
    root: str | Path,
    model: LoadedModel,
    progress: Callable[[int, int], None] | None = None,
    tta: bool = True,
) -> dict[str, Any]:
    """Per-case rows and a summary of a multi-view data set (StudyScoring, through evaluate)."""
    return evaluate(StudyScoring(root, model, tta), progress)


def gate_scores(root: str | Path, model: LoadedModel) -> dict[str, Any]:
    """evaluate_study_folder for the registry's gate, which pairs one Dice per case: each
    case's "dice" is the mean of its dice_<view> (the views the model segments that have a
    truth mask), and the summary's "dice" their mean. A model that segments no view (a
    bone-scan pair: attention maps only) gets no "dice"; the gate pairs its confirmed-class
    probability instead (engine.registry.paired_class_probability)."""
    result = evaluate_study_folder(root, model)
    for row in result["cases"]:
        views = [float(v) for k, v in row.items() if k.startswith("dice_")]
        if views:
            row["dice"] = float(np.mean(views))
    scored = [row["dice"] for row in result["cases"] if "dice" in row]
    if scored:
        result["summary"]["dice"] = float(np.mean(scored))
    return result
