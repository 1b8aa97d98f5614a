"""Which cases must stay on one side of any split: same patient, or the same scan saved twice.

A patient's images (patients.csv) and near-duplicate images (near_duplicates.csv: case_a,
case_b — the same scan re-saved, re-cropped, rescaled or an adjacent frame) are joined into
one group, transitively. Splitting such a group between training and held-out data makes
held-out numbers optimistic: the model has seen the held-out image already.
"""

from __future__ import annotations

from pathlib import Path

from engine.datasets.cases import Dataset
from engine.datasets.tables import read_table

NEAR_DUPLICATES = "near_duplicates.csv"


def near_duplicate_pairs(root: Path) -> list[tuple[str, str]]:
    """The (case_a, case_b) rows of near_duplicates.csv beside a data set; [] without one."""
    path = Path(root) / NEAR_DUPLICATES
    if not path.is_file():
        return []
    return [(r["case_a"], r["case_b"]) for r in read_table(path, ("case_a", "case_b"))]


def case_groups(dataset: Dataset) -> dict[str, str]:
    """case id -> group key; cases of one patient or one near-duplicate chain share a key."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def join(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    ids = {c.case_id for c in dataset.cases}
    for case in dataset.cases:
        find(f"case:{case.case_id}")
        if case.patient:
            join(f"case:{case.case_id}", f"patient:{case.patient}")
    for a, b in near_duplicate_pairs(dataset.root):
        if a in ids and b in ids:
            join(f"case:{a}", f"case:{b}")
    return {c.case_id: find(f"case:{c.case_id}") for c in dataset.cases}
