"""engine.evaluation.read_labels: labels.csv of a scored folder, read by engine.datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import DatasetError
from engine.evaluation import read_labels


def test_labels_are_read_stripped_and_a_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="labels.csv is missing"):
        read_labels(tmp_path)
    table = tmp_path / "labels.csv"
    table.write_text("case, label\nc1, benign\n,\nc2,malignant\n", encoding="utf-8")
    assert read_labels(tmp_path) == {"c1": "benign", "c2": "malignant"}
    table.write_text("case,diagnosis\nc1,benign\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="needs the column\\(s\\) label") as caught:
        read_labels(tmp_path)
    assert str(table) in str(caught.value)
