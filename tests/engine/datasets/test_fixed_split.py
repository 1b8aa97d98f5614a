"""The held-out split: by patient, stratified, seeded, stored once, never re-drawn."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

from engine.datasets import draw_split, ensure_fixed_split, load_dataset


def _folder(files: SimpleNamespace, root: Path, n_patients: int = 10, extra: int = 0) -> Path:
    rows, patients = ["case,label"], ["case,patient"]
    for p in range(n_patients + extra):
        label = "malignant" if p % 2 else "benign"
        for k in range(1 + p % 3):  # 1-3 images per patient
            case = f"p{p}_{k}"
            files.save_png(root / "images" / f"{case}.png", files.gray(8, 8, seed=p))
            files.save_png(root / "masks" / f"{case}.png", files.blob_mask(8, 8, (4, 4), 2))
            rows.append(f"{case},{label}")
            patients.append(f"{case},P{p}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    (root / "patients.csv").write_text("\n".join(patients) + "\n")
    return root


def test_split_by_patient_and_stratified(tmp_path: Path, files: SimpleNamespace) -> None:
    ds = load_dataset(_folder(files, tmp_path / "d", n_patients=20))
    splits = draw_split(ds, fraction=0.2, seed=1)
    by_patient: dict[str, set[str]] = defaultdict(set)
    held: dict[str, set[str]] = defaultdict(set)
    for case in ds:
        by_patient[case.patient].add(splits[case.case_id])
        if splits[case.case_id] == "val":
            held[case.label].add(case.patient)
    assert all(len(s) == 1 for s in by_patient.values())  # no patient in two splits
    assert {k: len(v) for k, v in held.items()} == {"benign": 2, "malignant": 2}
    assert draw_split(ds, 0.2, seed=1) == splits
    assert draw_split(ds, 0.2, seed=2) != splits


def test_split_is_stored_once_and_never_redrawn(tmp_path: Path, files: SimpleNamespace) -> None:
    root = _folder(files, tmp_path / "d", n_patients=10)
    first = ensure_fixed_split(load_dataset(root), fraction=0.2, seed=0)
    stored = (root / "split.csv").read_text()
    assert stored.startswith("case,split\n") and stored.count("val") >= 2
    assert not list(root.glob(".split.csv.*"))  # atomic write left no temporary file
    again = ensure_fixed_split(load_dataset(root), fraction=0.5, seed=99)
    assert (root / "split.csv").read_text() == stored
    assert [c.split for c in again] == [c.split for c in first]
    assert [c.split for c in load_dataset(root)] == [c.split for c in first]


def test_cases_added_later_keep_the_held_out_set(tmp_path: Path, files: SimpleNamespace) -> None:
    root = _folder(files, tmp_path / "d", n_patients=10)
    first = {c.case_id: c.split for c in ensure_fixed_split(load_dataset(root), seed=0)}
    val_patient = next(c.patient for c in load_dataset(root) if first[c.case_id] == "val")
    _folder(files, root, n_patients=10, extra=2)  # two new patients
    files.save_png(root / "images" / "late.png", files.gray(8, 8))
    files.save_png(root / "masks" / "late.png", files.blob_mask(8, 8, (4, 4), 2))
    with (root / "labels.csv").open("a") as fh:
        fh.write("late,benign\n")
    with (root / "patients.csv").open("a") as fh:
        fh.write(f"late,{val_patient}\n")
    after = {c.case_id: c.split for c in ensure_fixed_split(load_dataset(root), seed=5)}
    assert all(after[c] == s for c, s in first.items())
    assert after["late"] == "val"  # same patient as a held-out case
    assert {after[c] for c in after if c.startswith(("p10_", "p11_"))} == {"train"}
