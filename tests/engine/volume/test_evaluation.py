"""engine.volume.evaluation.volume_cases: the optional labels.csv of a folder of volumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import TableError
from engine.volume.evaluation import volume_cases


def folder_of_volumes(root: Path, cases: list[str]) -> Path:
    """images/ and masks/ with one (empty) NIfTI-named file per case: volume_cases only
    pairs the files, it reads no voxels."""
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True)
        for case in cases:
            (root / sub / f"{case}.nii.gz").write_bytes(b"")
    return root


def test_labels_are_optional_stripped_and_checked_for_their_columns(tmp_path: Path) -> None:
    root = folder_of_volumes(tmp_path / "ct", ["c1", "c2"])
    assert [(c, klass) for c, _, _, klass in volume_cases(root)] == [("c1", None), ("c2", None)]
    (root / "labels.csv").write_text("case,label\n c1 , malignant \nc2,\n", encoding="utf-8")
    assert [(c, klass) for c, _, _, klass in volume_cases(root)] == [
        ("c1", "malignant"),
        ("c2", None),  # "" means the class is not given
    ]
    (root / "labels.csv").write_text("case,class\nc1,malignant\n", encoding="utf-8")
    with pytest.raises(TableError, match="needs the column\\(s\\) label") as caught:
        volume_cases(root)
    assert caught.value.path == root / "labels.csv"
