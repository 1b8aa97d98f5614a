"""Multi-view data set folders (views.csv) -> model-size tensors per view, through engine's
own view preprocessing (engine.view_preprocess), so training and inference agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.datasets.tables import read_pairs, read_table
from engine.errors import DatasetError
from engine.io import load_image
from engine.view_preprocess import letterbox_mask_to, prepare_view


@dataclass(frozen=True)
class ViewInput:
    """One network input: which study view it takes and how that view is prepared."""

    view: str
    channels: int
    shape: tuple[int, int]  # (height, width) of the model input
    normalisation: dict[str, Any] = field(default_factory=lambda: {"mode": "percentile"})


@dataclass
class ViewDataset:
    """Preprocessed cases in memory: per view N×C×H×W float32 and N×1×H×W masks (0/1)."""

    cases: list[str]
    labels: np.ndarray
    views: dict[str, np.ndarray]
    masks: dict[str, np.ndarray]
    splits: list[str]
    classes: tuple[str, ...]

    def subset(self, split: str) -> ViewDataset:
        idx = [i for i, s in enumerate(self.splits) if s == split]
        return ViewDataset(
            [self.cases[i] for i in idx],
            self.labels[idx],
            {v: a[idx] for v, a in self.views.items()},
            {v: a[idx] for v, a in self.masks.items()},
            [split] * len(idx),
            self.classes,
        )

    def __len__(self) -> int:
        return len(self.cases)


def load_views_folder(
    root: str | Path, inputs: tuple[ViewInput, ...], classes: tuple[str, ...]
) -> ViewDataset:
    """Read views.csv, labels.csv and (optional) split.csv of a multi-view canonical folder."""
    root = Path(root)
    table = root / "views.csv"
    if not table.is_file():
        raise DatasetError(f"{root}: views.csv is missing (not a multi-view data set)")
    files: dict[str, dict[str, tuple[str, str]]] = {}
    for row in read_table(table, ("case", "view", "file")):
        files.setdefault(row["case"], {})[row["view"]] = (row["file"], row.get("mask") or "")
    labels = read_pairs(root / "labels.csv")
    split_path = root / "split.csv"
    splits = read_pairs(split_path) if split_path.is_file() else {}
    cases = sorted(labels)
    views = {i.view: [] for i in inputs}
    masks = {i.view: [] for i in inputs}
    for case in cases:
        if labels[case] not in classes:
            raise DatasetError(f"{root}: case {case} label {labels[case]!r} not in {classes}")
        for inp in inputs:
            if inp.view not in files.get(case, {}):
                raise DatasetError(f"{root}: case {case} has no {inp.view!r} view in views.csv")
            image_file, mask_file = files[case][inp.view]
            tensor, _ = prepare_view(
                load_image(root / image_file), inp.channels, inp.normalisation, inp.shape
            )
            views[inp.view].append(tensor)
            mask = np.zeros(inp.shape, dtype=np.uint8)
            if mask_file:
                mask = letterbox_mask_to(np.asarray(load_image(root / mask_file).pixels), inp.shape)
            masks[inp.view].append(mask[None].astype(np.float32))
    return ViewDataset(
        cases=cases,
        labels=np.array([classes.index(labels[c]) for c in cases], dtype=np.int64),
        views={v: np.stack(a) for v, a in views.items()},
        masks={v: np.stack(a) for v, a in masks.items()},
        splits=[splits.get(c, "train") for c in cases],
        classes=classes,
    )
