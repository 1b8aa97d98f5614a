"""Canonical data set folders -> model-size tensors, through engine's own preprocessing."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.datasets import Dataset, read_mask
from engine.errors import DatasetError, LoadError
from engine.evaluation import find_image
from engine.io import load_image
from engine.preprocess import letterbox, letterbox_mask, normalise_intensity, to_gray_float
from training.losses import NO_LESION


@dataclass
class ArrayDataset:
    """Preprocessed cases held in memory: images N×1×S×S float32, masks N×1×S×S, labels N."""

    cases: list[str]
    images: np.ndarray
    masks: np.ndarray
    labels: np.ndarray
    splits: list[str]
    classes: tuple[str, ...]

    def subset(self, split: str) -> ArrayDataset:
        idx = [i for i, s in enumerate(self.splits) if s == split]
        return ArrayDataset(
            [self.cases[i] for i in idx],
            self.images[idx],
            self.masks[idx],
            self.labels[idx],
            [split] * len(idx),
            self.classes,
        )

    def __len__(self) -> int:
        return len(self.cases)


def load_cases(
    dataset: Dataset,
    size: int,
    classes: tuple[str, ...] = ("benign", "malignant"),
    case_ids: Iterable[str] | None = None,
    no_lesion_label: str | None = None,
    low_pct: float = 0.5,
    high_pct: float = 99.5,
) -> ArrayDataset:
    """Single-view cases of an indexed data set (any format engine.datasets reads) as model
    tensors, through engine's own preprocessing. Cases labelled `no_lesion_label` (e.g.
    BUSI's "normal") get the label NO_LESION and an empty mask; any other label must be one
    of `classes`. The case's split (from split.csv) is kept, "train" when it has none."""
    wanted = None if case_ids is None else set(case_ids)
    cases, images, masks, ys, splits = [], [], [], [], []
    for case in dataset.cases:
        if wanted is not None and case.case_id not in wanted:
            continue
        label = case.label or ""
        if label == no_lesion_label:
            y = NO_LESION
        elif label in classes:
            y = classes.index(label)
        else:
            raise DatasetError(f"{dataset.root}: case {case.case_id} has unknown label {label!r}")
        view = case.views[0]
        try:
            image = load_image(view.image) if view.image is not None else None
            if image is None:
                raise DatasetError(f"{dataset.root}: case {case.case_id} has no image")
            mask = (
                read_mask(view) > 0 if view.masks else np.zeros(image.pixels.shape[:2], dtype=bool)
            )
        except LoadError as exc:
            raise DatasetError(str(exc)) from exc
        if mask.shape != image.pixels.shape[:2]:
            raise DatasetError(
                f"{dataset.root}: case {case.case_id} mask size {mask.shape} != image size"
            )
        norm = normalise_intensity(to_gray_float(image.pixels), low_pct, high_pct)
        images.append(letterbox(norm, size)[0][None])
        masks.append((letterbox_mask(mask.astype(np.uint8), size) > 0)[None])
        ys.append(y)
        cases.append(case.case_id)
        splits.append(case.split or "train")
    if not cases:
        raise DatasetError(f"{dataset.root}: no cases to load")
    return ArrayDataset(
        cases,
        np.stack(images).astype(np.float32),
        np.stack(masks).astype(np.float32),
        np.asarray(ys, dtype=np.int64),
        splits,
        classes,
    )


def read_csv_map(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or len(reader.fieldnames) < 2:
            raise DatasetError(f"{path}: expected a header with two columns")
        key, value = reader.fieldnames[0], reader.fieldnames[1]
        return {row[key]: row[value] for row in reader}


def load_folder(
    root: str | Path,
    size: int,
    classes: tuple[str, ...] = ("benign", "malignant"),
    low_pct: float = 0.5,
    high_pct: float = 99.5,
) -> ArrayDataset:
    """Read images/, masks/, labels.csv and (optional) split.csv of a canonical folder."""
    root = Path(root)
    labels_csv = root / "labels.csv"
    if not labels_csv.is_file():
        raise DatasetError(f"{root}: labels.csv is missing")
    labels = read_csv_map(labels_csv)
    split_csv = root / "split.csv"
    splits = read_csv_map(split_csv) if split_csv.is_file() else {}
    cases, images, masks, ys, case_splits = [], [], [], [], []
    for case in sorted(labels):
        image_path = find_image(root, case)
        if labels[case] not in classes:
            raise DatasetError(f"{root}: case {case} has unknown label {labels[case]!r}")
        try:
            image = load_image(image_path)
            mask = np.asarray(load_image(root / "masks" / f"{case}.png").pixels)
        except LoadError as exc:
            raise DatasetError(str(exc)) from exc
        if mask.shape[:2] != image.pixels.shape[:2]:
            raise DatasetError(f"{root}: case {case} mask size {mask.shape} != image size")
        norm = normalise_intensity(to_gray_float(image.pixels), low_pct, high_pct)
        boxed, _ = letterbox(norm, size)
        images.append(boxed[None])
        masks.append((letterbox_mask((mask > 0).astype(np.uint8), size) > 0)[None])
        ys.append(classes.index(labels[case]))
        cases.append(case)
        case_splits.append(splits.get(case, "train"))
    if not cases:
        raise DatasetError(f"{root}: labels.csv lists no cases")
    return ArrayDataset(
        cases,
        np.stack(images).astype(np.float32),
        np.stack(masks).astype(np.float32),
        np.asarray(ys, dtype=np.int64),
        case_splits,
        classes,
    )
