"""Canonical data set folders -> model-size tensors, through engine's own preprocessing."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.datasets import Dataset, read_mask
from engine.datasets.tables import read_pairs
from engine.errors import DatasetError, LoadError
from engine.evaluation import find_image
from engine.io import load_image
from engine.preprocess import letterbox, letterbox_mask, normalise_intensity, to_gray_float
from engine.progress import failure_reason
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
    # (case, reason) of every case left out because its files could not be read or prepared.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def subset(self, split: str) -> ArrayDataset:
        return self.take([i for i, s in enumerate(self.splits) if s == split])

    def take(self, idx: Sequence[int]) -> ArrayDataset:
        """The cases at these positions, in this order."""
        idx = list(idx)
        return ArrayDataset(
            [self.cases[i] for i in idx],
            self.images[idx],
            self.masks[idx],
            self.labels[idx],
            [self.splits[i] for i in idx],
            self.classes,
            list(self.skipped),
        )

    def __len__(self) -> int:
        return len(self.cases)


# A case that cannot be loaded: (case id, its image file or None, the exception).
OnError = Callable[[str, Path | None, Exception], None]


def report_skipped(case: str, path: Path | None, exc: Exception) -> None:
    """The default on_error: one line on stderr (stdout carries the JSON progress lines)."""
    where = f" ({path})" if path is not None else ""
    print(f"lesionlens: skipped case {case}{where}: {failure_reason(exc)}", file=sys.stderr)


def _prepared(
    image_pixels: np.ndarray, mask: np.ndarray, size: int, low_pct: float, high_pct: float
) -> tuple[np.ndarray, np.ndarray]:
    norm = normalise_intensity(to_gray_float(image_pixels), low_pct, high_pct)
    return letterbox(norm, size)[0][None], (letterbox_mask(mask.astype(np.uint8), size) > 0)[None]


def load_cases(
    dataset: Dataset,
    size: int,
    classes: tuple[str, ...] = ("benign", "malignant"),
    case_ids: Iterable[str] | None = None,
    no_lesion_label: str | None = None,
    low_pct: float = 0.5,
    high_pct: float = 99.5,
    on_error: OnError | None = report_skipped,
) -> ArrayDataset:
    """Single-view cases of an indexed data set (any format engine.datasets reads) as model
    tensors, through engine's own preprocessing. Cases labelled `no_lesion_label` (e.g.
    BUSI's "normal") get the label NO_LESION and an empty mask; any other label must be one
    of `classes`. The case's split (from split.csv) is kept, "train" when it has none.

    A case whose image or mask cannot be read or prepared (any exception) is left out:
    on_error is called with it (default: one line on stderr) and it is listed in
    `skipped`; on_error=None raises instead. No loadable case at all is a DatasetError."""
    wanted = None if case_ids is None else set(case_ids)
    cases, images, masks, ys, splits, skipped = [], [], [], [], [], []
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
            if view.image is None:
                raise DatasetError(f"{dataset.root}: case {case.case_id} has no image")
            image = load_image(view.image)
            mask = (
                read_mask(view) > 0 if view.masks else np.zeros(image.pixels.shape[:2], dtype=bool)
            )
            if mask.shape != image.pixels.shape[:2]:
                raise DatasetError(
                    f"{dataset.root}: case {case.case_id} mask size {mask.shape} != image size"
                )
            boxed, boxed_mask = _prepared(image.pixels, mask, size, low_pct, high_pct)
        except Exception as exc:
            if on_error is None and isinstance(exc, LoadError):
                raise DatasetError(str(exc)) from exc
            if on_error is None:
                raise
            on_error(case.case_id, view.image, exc)
            skipped.append((case.case_id, failure_reason(exc)))
            continue
        images.append(boxed)
        masks.append(boxed_mask)
        ys.append(y)
        cases.append(case.case_id)
        splits.append(case.split or "train")
    if not cases:
        skipped_note = f" ({len(skipped)} skipped)" if skipped else ""
        raise DatasetError(f"{dataset.root}: no cases to load{skipped_note}")
    return ArrayDataset(
        cases,
        np.stack(images).astype(np.float32),
        np.stack(masks).astype(np.float32),
        np.asarray(ys, dtype=np.int64),
        splits,
        classes,
        skipped,
    )


def load_folder(
    root: str | Path,
    size: int,
    classes: tuple[str, ...] = ("benign", "malignant"),
    low_pct: float = 0.5,
    high_pct: float = 99.5,
    on_error: OnError | None = report_skipped,
) -> ArrayDataset:
    """Read images/, masks/, labels.csv and (optional) split.csv of a canonical folder.

    A case whose files are missing, unreadable or do not match (any exception) is left out,
    as in load_cases: on_error (default: one line on stderr), listed in `skipped`;
    on_error=None raises instead."""
    root = Path(root)
    labels_csv = root / "labels.csv"
    if not labels_csv.is_file():
        raise DatasetError(f"{root}: labels.csv is missing")
    labels = read_pairs(labels_csv)
    split_csv = root / "split.csv"
    splits = read_pairs(split_csv) if split_csv.is_file() else {}
    cases, images, masks, ys, case_splits, skipped = [], [], [], [], [], []
    for case in sorted(labels):
        if labels[case] not in classes:
            raise DatasetError(f"{root}: case {case} has unknown label {labels[case]!r}")
        image_path = None
        try:
            image_path = find_image(root, case)
            image = load_image(image_path)
            mask = np.asarray(load_image(root / "masks" / f"{case}.png").pixels)
            if mask.shape[:2] != image.pixels.shape[:2]:
                raise DatasetError(f"{root}: case {case} mask size {mask.shape} != image size")
            boxed, boxed_mask = _prepared(image.pixels, mask > 0, size, low_pct, high_pct)
        except Exception as exc:
            if on_error is None and isinstance(exc, LoadError):
                raise DatasetError(str(exc)) from exc
            if on_error is None:
                raise
            on_error(case, image_path, exc)
            skipped.append((case, failure_reason(exc)))
            continue
        images.append(boxed)
        masks.append(boxed_mask)
        ys.append(classes.index(labels[case]))
        cases.append(case)
        case_splits.append(splits.get(case, "train"))
    if not cases:
        raise DatasetError(
            f"{root}: no loadable cases ({len(skipped)} skipped)"
            if skipped
            else f"{root}: labels.csv lists no cases"
        )
    return ArrayDataset(
        cases,
        np.stack(images).astype(np.float32),
        np.stack(masks).astype(np.float32),
        np.asarray(ys, dtype=np.int64),
        case_splits,
        classes,
        skipped,
    )
