"""Score a volume model on a labelled folder of volumes (`lesionlens synth kidney-ct` layout):
Dice per label, and the tumour class from the deep head vs the radiomics classifier.

Folder: images/<case>.nii.gz, masks/<case>.nii.gz (label values as mask_labels.csv or the
model's label_names), labels.csv (case,label). A case where no tumour was found has no
radiomics answer; it counts as probability 0.5 (a coin), so both classifiers are scored on
every case.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.datasets.tables import read_mapping
from engine.errors import DatasetError
from engine.evaluation import CaseToScore, Scoring, evaluate
from engine.inference import LoadedModel
from engine.io.nifti import is_nifti_name, read_nifti
from engine.metrics import classification_metrics, dice, segmentation_metrics
from engine.types import Volume
from engine.volume.inference import predict_volume

Progress = Callable[[int, int], None]


def is_volume_dataset(folder: str | Path) -> bool:
    images = Path(folder) / "images"
    return images.is_dir() and any(is_nifti_name(p) for p in images.iterdir())


def volume_cases(folder: str | Path) -> list[tuple[str, Path, Path, str | None]]:
    """(case, image, mask, class label or None), in labels.csv order when there is one."""
    folder = Path(folder)
    images = {_stem(p): p for p in sorted((folder / "images").iterdir()) if is_nifti_name(p)}
    if not images:
        raise DatasetError(f"{folder}: no NIfTI volumes in images/")
    labels = read_mapping(folder / "labels.csv", "case", "label")  # optional: {} without one
    cases = []
    for case, image in images.items():
        mask = folder / "masks" / image.name
        if not mask.is_file():
            raise DatasetError(f"{folder}: case {case} has no masks/{image.name}")
        cases.append((case, image, mask, labels.get(case) or None))  # "": class not given
    return cases


def _stem(path: Path) -> str:
    name = path.name
    return name[: -len(".nii.gz")] if name.lower().endswith(".nii.gz") else path.stem


VolumeCase = tuple[str, Volume | Path, np.ndarray | Path, str | None]


class VolumeScoring(Scoring):
    """Volumes through predict_volume: Dice per label, and the tumour class from the deep
    head and from radiomics. cases: (case, volume, true label map, true class or None), the
    volume and label map in memory or as their NIfTI files (volume_cases)."""

    goes_on_past_failures = False

    def __init__(self, cases: list[VolumeCase], model: LoadedModel) -> None:
        self.to_score, self.model = cases, model
        self.positive = model.bundle.spec.classes[-1]

    def cases(self) -> list[CaseToScore]:
        return [
            CaseToScore(case, image if isinstance(image, Path) else None, (image, mask, klass))
            for case, image, mask, klass in self.to_score
        ]

    def score(self, case: CaseToScore) -> dict[str, Any]:
        image, mask, klass = case.item
        volume = image if isinstance(image, Volume) else read_nifti(image)
        truth = mask if isinstance(mask, np.ndarray) else read_nifti(mask).voxels.astype(np.uint8)
        pred = predict_volume(volume, self.model)
        row: dict[str, Any] = {"case": case.case_id, "label": klass, "volumes_ml": pred.volumes_ml}
        for value, name in enumerate(pred.label_names):
            if value:
                row[f"dice_{name}"] = dice(pred.labels == value, truth == value)
        row["deep_" + self.positive] = pred.probabilities[self.positive]
        row["radiomics_" + self.positive] = pred.radiomics_probabilities.get(self.positive, 0.5)
        row["tumour_found"] = bool(pred.radiomics_probabilities)
        return row

    def summarise(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """cases, dice_<label>, tumour_found, and accuracy and AUC of each classifier (at 0.5)
        over the cases with a class."""
        dice_keys = tuple(dict.fromkeys(k for r in rows for k in r if k.startswith("dice_")))
        summary: dict[str, Any] = {"cases": len(rows), **segmentation_metrics(rows, dice_keys)}
        summary["tumour_found"] = int(sum(r["tumour_found"] for r in rows))
        labelled = [r for r in rows if r["label"] is not None]
        if labelled:
            y = np.array([r["label"] == self.positive for r in labelled], dtype=int)
            for source in ("deep", "radiomics"):
                p = np.array([r[f"{source}_{self.positive}"] for r in labelled])
                scores = classification_metrics(
                    y, np.stack([1 - p, p], axis=1), ("accuracy", "auc"), threshold=0.5
                )
                summary[f"accuracy_{source}"] = scores["accuracy"]
                summary[f"auc_{source}"] = scores["auc"]
        return summary

    def outputs(self, rows: list[dict[str, Any]], summary: dict[str, Any]) -> dict[str, Any]:
        return {"summary": summary, "cases": rows}


def evaluate_volumes(
    cases: list[VolumeCase], model: LoadedModel, progress: Progress | None = None
) -> dict[str, Any]:
    """Per-case rows and a summary (VolumeScoring, through evaluate)."""
    return evaluate(VolumeScoring(cases, model), progress)


def volume_folder_fingerprint(folder: str | Path) -> str:
    """A short id of a volume folder's content (cases, classes, CT and label bytes), so a
    gate verdict or a fine-tuned card says exactly which volumes it was measured or trained
    on (engine.datastore.folder_fingerprint is the 2D folders' id)."""
    import hashlib

    from engine.datastore.masks import file_sha256

    digest = hashlib.sha256()
    for case, image, mask, klass in sorted(volume_cases(folder)):
        digest.update(f"{case},{klass or ''},{file_sha256(image)},{file_sha256(mask)}\n".encode())
    return digest.hexdigest()[:16]


def gate_scores(folder: str | Path, model: LoadedModel) -> dict[str, Any]:
    """evaluate_volumes of a held-out volume folder in the terms the registry's gate compares:
    each row's "dice" is the mean Dice over the foreground labels (kidney and tumour alike:
    a correction of either is what the reader gave), the summary's "dice" their mean, its
    "accuracy" the deep head's and "n" the number of cases."""
    result = evaluate_volumes(volume_cases(folder), model)
    for row in result["cases"]:
        scores = [v for k, v in row.items() if k.startswith("dice_")]
        row["dice"] = float(np.mean(scores)) if scores else float("nan")
    summary = result["summary"]
    summary["n"] = summary["cases"]
    summary["dice"] = float(np.mean([r["dice"] for r in result["cases"]]))
    if "accuracy_deep" in summary:
        summary["accuracy"] = summary["accuracy_deep"]
    return result
