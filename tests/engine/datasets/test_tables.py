"""engine.datasets.tables: the one parser of data-set CSV tables, and its clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.datasets.tables import read_mapping, read_pairs, read_table
from engine.errors import DatasetError, TableError


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_are_stripped_blank_rows_dropped_and_a_bom_ignored(tmp_path: Path) -> None:
    text = "\ufeff case , label \n a1 , benign \n,\n\nb2,malignant\n"
    table = write(tmp_path / "labels.csv", text)
    assert read_table(table, ("case", "label")) == [
        {"case": "a1", "label": "benign"},
        {"case": "b2", "label": "malignant"},
    ]


def test_a_missing_column_names_the_file_and_the_column(tmp_path: Path) -> None:
    table = write(tmp_path / "views.csv", "case,view\nc1,us\n")
    with pytest.raises(TableError, match="needs the column\\(s\\) file") as caught:
        read_table(table, ("case", "view", "file"))
    assert caught.value.path == table and str(table) in str(caught.value)
    assert isinstance(caught.value, DatasetError)  # callers that catch DatasetError still do


def test_an_unreadable_table_is_a_table_error_not_a_unicode_error(tmp_path: Path) -> None:
    table = write(tmp_path / "meta.csv", "case,spacing_mm\nc1,0.1\n", encoding="utf-16")
    with pytest.raises(TableError, match="cannot be read") as caught:
        read_table(table, ())
    assert caught.value.path == table
    with pytest.raises(TableError, match="cannot be read"):
        read_table(tmp_path / "absent.csv", ())


def test_mapping_is_empty_without_the_file_and_skips_rows_without_a_key(tmp_path: Path) -> None:
    assert read_mapping(tmp_path / "split.csv", "case", "split") == {}
    table = write(tmp_path / "split.csv", "case,split\nc1,train\n,val\nc2,val\n")
    assert read_mapping(table, "case", "split") == {"c1": "train", "c2": "val"}


def test_pairs_take_the_first_two_columns_whatever_their_names(tmp_path: Path) -> None:
    table = write(tmp_path / "labels.csv", "id,diagnosis,note\nc1,benign,x\nc2,malignant,\n")
    assert read_pairs(table) == {"c1": "benign", "c2": "malignant"}
    short = write(tmp_path / "one.csv", "case\nc1\n")
    with pytest.raises(TableError, match="two columns") as caught:
        read_pairs(short)
    assert caught.value.path == short
