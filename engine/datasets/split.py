"""A fixed held-out split, drawn once per data set and stored beside it as split.csv.

Drawn by group (engine.datasets.groups: a patient of patients.csv, or a chain of
near-duplicate images of near_duplicates.csv, never in two splits), stratified by label,
seeded. Once split.csv exists it is the truth: it is never re-drawn, so held-out numbers
stay comparable across models. Cases added later are appended:
to "val" when their patient is already held out, else to "train".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from engine.datasets.cases import Dataset
from engine.datasets.groups import case_groups
from engine.datasets.tables import read_mapping, write_table
from engine.errors import DatasetError

SPLIT_NAMES = ("train", "val", "test")


def draw_split(dataset: Dataset, fraction: float = 0.2, seed: int = 0) -> dict[str, str]:
    """case -> "train"/"val": about `fraction` of each label's groups held out."""
    if not 0 <= fraction < 1:
        raise ValueError("fraction must be in [0, 1)")
    group_of = case_groups(dataset)
    groups: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, Counter] = defaultdict(Counter)
    for case in dataset.cases:
        group = group_of[case.case_id]
        groups[group].append(case.case_id)
        labels[group][case.label or ""] += 1
    strata: dict[str, list[str]] = defaultdict(list)
    for group in sorted(groups):
        strata[labels[group].most_common(1)[0][0]].append(group)
    rng = np.random.default_rng(seed)
    held: set[str] = set()
    for label in sorted(strata):
        members = strata[label]
        n_val = int(round(fraction * len(members)))
        if fraction > 0 and n_val == 0 and len(members) >= 2:
            n_val = 1
        held.update(members[i] for i in rng.permutation(len(members))[:n_val])
    return {c: ("val" if g in held else "train") for g, cs in groups.items() for c in cs}


def ensure_fixed_split(
    dataset: Dataset, fraction: float = 0.2, seed: int = 0, path: Path | None = None
) -> Dataset:
    """The data set with its fixed split applied; split.csv is created once (atomically)."""
    path = Path(path) if path is not None else dataset.root / "split.csv"
    existing = read_mapping(path, "case", "split")
    if not existing:
        splits = draw_split(dataset, fraction, seed)
        _write(path, [(c.case_id, splits[c.case_id]) for c in dataset.cases])
        return dataset.with_splits(splits)
    held_patients = {
        c.patient for c in dataset.cases if c.patient and existing.get(c.case_id) == "val"
    }
    added = []
    for case in dataset.cases:
        if case.case_id not in existing:
            split = "val" if case.patient in held_patients else "train"
            existing[case.case_id] = split
            added.append((case.case_id, split))
    if added:
        _write(path, list(existing.items()))
    return dataset.with_splits(existing)


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    try:
        write_table(path, ("case", "split"), rows)
    except OSError as exc:
        raise DatasetError(f"{path}: cannot store the fixed split ({exc.strerror})") from exc
