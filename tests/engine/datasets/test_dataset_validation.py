"""A bad data set: one report lists every problem, with case and reason; the rest loads."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from engine.datasets import load_dataset, read_image, read_mask, validate


def test_report_lists_every_problem_and_good_cases_still_load(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    root = tmp_path / "bad"
    files.save_png(root / "images" / "good.png", files.gray(seed=1))
    files.save_png(root / "masks" / "good.png", files.blob_mask(32, 40, (16, 20), 6))
    files.save_png(root / "images" / "nomask.png", files.gray(seed=2))  # no mask at all
    files.save_png(root / "images" / "wrongsize.png", files.gray(seed=3))
    files.save_png(root / "masks" / "wrongsize.png", files.blob_mask(30, 40, (15, 20), 6))
    files.save_png(root / "images" / "oddlabel.png", files.gray(seed=4))
    files.save_png(root / "masks" / "oddlabel.png", files.blob_mask(32, 40, (16, 20), 6))
    files.save_png(root / "images" / "empty.png", files.gray(seed=5))
    files.save_png(root / "masks" / "empty.png", np.zeros((32, 40), np.uint8))
    (root / "images" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    files.save_png(root / "masks" / "corrupt.png", files.blob_mask(32, 40, (16, 20), 6))
    files.save_png(root / "images" / "stray.png", files.gray(seed=6))  # not in labels.csv
    (root / "labels.csv").write_text(
        "case,label\ngood,benign\nnomask,benign\nwrongsize,malignant\noddlabel,maybe\n"
        "empty,malignant\ncorrupt,benign\nnoimage,benign\n"
    )
    ds = load_dataset(root)
    report = validate(ds, classes=("benign", "malignant"))
    found = {(p.case, p.reason.split(" (")[0].split(":")[0]) for p in report.problems}
    assert found == {
        ("nomask", "missing mask"),
        ("wrongsize", "mask size 40x30 differs from image size 40x32"),
        ("oddlabel", "unknown label 'maybe'"),
        ("empty", "empty mask"),
        ("corrupt", "unreadable image"),
        ("noimage", "no image file"),
        ("noimage", "missing mask"),
        ("stray", "image has no row in labels.csv"),
    }
    corrupt = report.for_case("corrupt")[0]
    assert corrupt.path == root / "images" / "corrupt.png"
    summary = report.summary()
    assert "7 cases, 1 usable, 8 problem(s)" in summary and "wrongsize" in summary
    good = report.good()
    assert [c.case_id for c in good] == ["good"]
    assert read_image(good.cases[0].view()).shape == read_mask(good.cases[0].view()).shape


def test_lossy_masks_and_patients_in_two_splits_are_reported(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    root = tmp_path / "leaky"
    for i in range(3):
        files.save_png(root / "images" / f"c{i}.png", files.gray(seed=i))
        mask = files.blob_mask(32, 40, (16, 20), 8)
        if i == 2:  # a JPEG-like soft mask
            mask = np.clip(mask.astype(int) + np.arange(40)[None, :] * 3, 0, 255).astype(np.uint8)
            levels = len(np.unique(mask))
        files.save_png(root / "masks" / f"c{i}.png", mask)
    (root / "labels.csv").write_text("case,label\nc0,benign\nc1,benign\nc2,benign\n")
    (root / "split.csv").write_text("case,split\nc0,train\nc1,val\nc2,holdout\n")
    (root / "patients.csv").write_text("case,patient\nc0,P1\nc1,P1\nc2,P2\n")
    problems = validate(load_dataset(root)).problems
    reasons = sorted((p.case, p.reason.split(" (")[0]) for p in problems)
    assert reasons == [
        ("c0", "patient P1 is in several splits"),
        ("c1", "patient P1 is in several splits"),
        ("c2", f"mask has {levels} grey levels, expected 0/255 or label ids"),
        ("c2", "unknown split 'holdout'"),
    ]
