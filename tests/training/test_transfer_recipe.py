"""training.transfer_recipe.dataset_classes: the classes of a folder's labels.csv, read by
position through engine.datasets (whatever the header calls the two columns)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import DatasetError
from training.transfer_recipe import dataset_classes


def test_classes_come_from_the_second_column_stripped(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="labels.csv is missing"):
        dataset_classes(tmp_path)
    table = tmp_path / "labels.csv"
    table.write_text("id,diagnosis\na, nevus \nb,melanoma\n\n", encoding="utf-8")
    assert dataset_classes(tmp_path) == ("melanoma", "nevus")
    table.write_text("case,label\na,malignant\nb,benign\n", encoding="utf-8")
    assert dataset_classes(tmp_path) == ("benign", "malignant")
    table.write_text("case\na\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="two columns") as caught:
        dataset_classes(tmp_path)
    assert str(table) in str(caught.value)
