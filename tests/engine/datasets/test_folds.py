"""Grouped cross-validation folds: near-duplicates and patients never straddle two folds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.datasets import case_groups, draw_split, grouped_folds, load_dataset


def _folder(files: SimpleNamespace, root: Path, n: int = 40) -> Path:
    rows = ["case,label"]
    for i in range(n):
        label = ("benign", "malignant", "normal")[i % 3]
        files.save_png(root / "images" / f"c{i}.png", files.gray(8, 8, seed=i))
        files.save_png(root / "masks" / f"c{i}.png", files.blob_mask(8, 8, (4, 4), 2))
        rows.append(f"c{i},{label}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    # A chain c0-c3-c6-c9 (same scan saved four times) and a pair c1-c4.
    (root / "near_duplicates.csv").write_text(
        "case_a,case_b,thumb24_mad\nc0,c3,1.0\nc6,c3,0.5\nc9,c6,2.0\nc1,c4,0.7\n"
    )
    (root / "patients.csv").write_text("case,patient\nc2,P1\nc5,P1\nc9,P2\nc12,P2\n")
    return root


def test_groups_join_near_duplicates_and_patients(tmp_path: Path, files: SimpleNamespace) -> None:
    groups = case_groups(load_dataset(_folder(files, tmp_path / "d")))
    assert len({groups[c] for c in ("c0", "c3", "c6", "c9", "c12")}) == 1  # chain + patient P2
    assert groups["c1"] == groups["c4"] != groups["c0"]
    assert groups["c2"] == groups["c5"]
    assert groups["c7"] not in {groups[c] for c in ("c0", "c1", "c2")}


def test_folds_keep_groups_together_and_stratify(tmp_path: Path, files: SimpleNamespace) -> None:
    ds = load_dataset(_folder(files, tmp_path / "d", n=60))
    folds = grouped_folds(ds, k=4, seed=3)
    groups = case_groups(ds)
    assert set(folds) == {c.case_id for c in ds.cases} and set(folds.values()) == {0, 1, 2, 3}
    for group in set(groups.values()):
        assert len({folds[c] for c, g in groups.items() if g == group}) == 1
    per_fold = Counter((folds[c.case_id], c.label) for c in ds.cases)
    for label in ("benign", "malignant", "normal"):
        sizes = [per_fold[(k, label)] for k in range(4)]
        assert max(sizes) - min(sizes) <= 5, sizes  # the 5-case chain is the largest unit
    assert grouped_folds(ds, k=4, seed=3) == folds
    assert grouped_folds(ds, k=4, seed=4) != folds


def test_held_out_split_keeps_near_duplicates_together(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    ds = load_dataset(_folder(files, tmp_path / "d"))
    for seed in range(5):
        splits = draw_split(ds, 0.3, seed=seed)
        assert len({splits[c] for c in ("c0", "c3", "c6", "c9", "c12")}) == 1
        assert splits["c1"] == splits["c4"]


def test_too_few_groups_is_refused(tmp_path: Path, files: SimpleNamespace) -> None:
    with pytest.raises(ValueError, match="independent groups"):
        grouped_folds(load_dataset(_folder(files, tmp_path / "d", n=3)), k=5)
