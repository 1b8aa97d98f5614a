from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.atomic import replace_folder_atomic, write_csv_atomic, write_json_atomic


def test_failed_folder_fill_leaves_the_old_folder_and_no_staging(tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    replace_folder_atomic(target, lambda d: (d / "a.txt").write_text("old"))

    def broken(staging: Path) -> None:
        (staging / "a.txt").write_text("half")
        raise RuntimeError("export failed")

    with pytest.raises(RuntimeError):
        replace_folder_atomic(target, broken)
    assert (target / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]
    replace_folder_atomic(target, lambda d: (d / "b.txt").write_text("new"))
    assert [p.name for p in target.iterdir()] == ["b.txt"]
    assert target.stat().st_mode & 0o005  # readable by others, unlike mkdtemp's 0700


def test_json_is_strict_and_csv_round_trips(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "m.json", {"hd95": float("inf"), "x": [float("nan"), 1.5]})
    assert json.loads((tmp_path / "m.json").read_text()) == {"hd95": None, "x": [None, 1.5]}
    write_csv_atomic(tmp_path / "t.csv", ("case", "label"), [("a", "benign"), ("b", "x,y")])
    assert (tmp_path / "t.csv").read_text() == 'case,label\na,benign\nb,"x,y"\n'
    assert not list(tmp_path.glob(".*.tmp"))
