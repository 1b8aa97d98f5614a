"""`load_dataset(path)`: detect the format of a data set folder and index it.

Detection order: nnU-Net raw (dataset.json + imagesTr/), canonical (labels.csv + images/),
BUSI (benign/ malignant/ normal/ with *_mask*.png), ISIC 2018 (ISIC_*.jpg). Whatever the
format, split.csv (case,split) and patients.csv (case,patient) beside the data apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from engine.datasets.busi import looks_busi, read_busi
from engine.datasets.canonical import looks_canonical, read_canonical
from engine.datasets.cases import Dataset
from engine.datasets.isic import looks_isic, read_isic
from engine.datasets.nnunet import looks_nnunet, read_nnunet
from engine.datasets.tables import read_mapping
from engine.errors import DatasetError

READERS: tuple[tuple[str, Callable[[Path], bool], Callable[[Path], Dataset]], ...] = (
    ("nnunet", looks_nnunet, read_nnunet),
    ("canonical", looks_canonical, read_canonical),
    ("busi", looks_busi, read_busi),
    ("isic2018", looks_isic, read_isic),
)


def detect_format(root: Path) -> str:
    for name, looks, _ in READERS:
        if looks(root):
            return name
    raise DatasetError(
        f"{root}: not a data set folder LesionLens knows: expected labels.csv + images/ "
        "(canonical), dataset.json + imagesTr/ (nnU-Net), benign/ malignant/ normal/ with "
        "*_mask.png (BUSI) or ISIC_*.jpg with a ground-truth CSV (ISIC 2018)"
    )


def load_dataset(path: str | Path, format: str | None = None) -> Dataset:  # noqa: A002
    """Index a data set folder (no pixels are read). `format` skips detection."""
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    name = format or detect_format(root)
    readers = {n: reader for n, _, reader in READERS}
    if name not in readers:
        raise DatasetError(f"unknown data set format {name!r}; known: {', '.join(readers)}")
    dataset = readers[name](root)
    splits = read_mapping(root / "split.csv", "case", "split")
    patients = read_mapping(root / "patients.csv", "case", "patient")
    cases = tuple(
        replace(
            c,
            split=splits.get(c.case_id, c.split),
            patient=patients.get(c.case_id, c.patient),
        )
        for c in dataset.cases
    )
    return replace(dataset, cases=cases)
