"""Score a volume model on a labelled folder of volumes (`lesionlens synth kidney-ct` layout):
Dice per label, and the tumour class from the deep head vs the radiomics classifier.

Folder: images/<case>.nii.gz, masks/<case>.nii.gz (label values as mask_labels.csv or the
model's label_names), labels.csv (case,label). A case where no tumour was found has no
radiomics answer; it counts as probability 0.5 (a coin), so both classifiers are scored on
every case.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DatasetError
from engine.inference import LoadedModel
from engine.io.nifti import is_nifti_name, read_nifti
from engine.metrics import accuracy, dice, roc_auc
from engine.types import Volume
from engine.volume_inference import predict_volume

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
    labels: dict[str, str] = {}
    table = folder / "labels.csv"
    if table.is_file():
        with open(table, newline="", encoding="utf-8") as handle:
            labels = {row["case"]: row["label"] for row in csv.DictReader(handle)}
    cases = []
    for case, image in images.items():
        mask = folder / "masks" / image.name
        if not mask.is_file():
            raise DatasetError(f"{folder}: case {case} has no masks/{image.name}")
        cases.append((case, image, mask, labels.get(case)))
    return cases


def _stem(path: Path) -> str:
    name = path.name
    return name[: -len(".nii.gz")] if name.lower().endswith(".nii.gz") else path.stem


def evaluate_volumes(
    cases: list[tuple[str, Volume, np.ndarray, str | None]],
    model: LoadedModel,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """cases: (case, volume, true label map, true class or None)."""
    spec = model.bundle.spec
    positive = spec.classes[-1]
    rows = []
    names: tuple[str, ...] = ()
    for i, (case, volume, truth, klass) in enumerate(cases, start=1):
        pred = predict_volume(volume, model)
        names = pred.label_names
        row: dict[str, Any] = {"case": case, "label": klass, "volumes_ml": pred.volumes_ml}
        for value, name in enumerate(names):
            if value:
                row[f"dice_{name}"] = dice(pred.labels == value, truth == value)
        row["deep_" + positive] = pred.probabilities[positive]
        row["radiomics_" + positive] = pred.radiomics_probabilities.get(positive, 0.5)
        row["tumour_found"] = bool(pred.radiomics_probabilities)
        rows.append(row)
        if progress:
            progress(i, len(cases))
    summary: dict[str, Any] = {"cases": len(rows)}
    for name in names[1:]:
        summary[f"dice_{name}"] = float(np.mean([r[f"dice_{name}"] for r in rows]))
    summary["tumour_found"] = int(sum(r["tumour_found"] for r in rows))
    labelled = [r for r in rows if r["label"] is not None]
    if labelled:
        y = np.array([r["label"] == positive for r in labelled], dtype=int)
        for source in ("deep", "radiomics"):
            p = np.array([r[f"{source}_{positive}"] for r in labelled])
            summary[f"accuracy_{source}"] = accuracy(y, (p >= 0.5).astype(int))
            summary[f"auc_{source}"] = roc_auc(y, p)
    return {"summary": summary, "cases": rows}


def evaluate_volume_folder(
    folder: str | Path, model: LoadedModel, progress: Progress | None = None
) -> dict[str, Any]:
    cases = [
        (case, read_nifti(image), read_nifti(mask).voxels.astype(np.uint8), label)
        for case, image, mask, label in volume_cases(folder)
    ]
    return evaluate_volumes(cases, model, progress)
