"""Every reader on a tiny folder of its layout: cases, views, labels, masks, splits."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pytest

from engine.datasets import (
    binary_label,
    detect_format,
    load_dataset,
    read_image,
    read_mask,
    validate,
)
from engine.errors import DatasetError, LoadError


def test_canonical_single_view(canonical_folder: Path, files: SimpleNamespace) -> None:
    (canonical_folder / "split.csv").write_text("case,split\nc0,train\nc1,val\n")
    ds = load_dataset(canonical_folder)
    assert ds.format == "canonical" and len(ds) == 4
    assert [c.label for c in ds] == ["benign", "malignant", "benign", "malignant"]
    assert ds.classes == ("benign", "malignant")
    assert [c.split for c in ds] == ["train", "val", None, None]
    case = ds.case("c2")
    assert case.view_names == ("image",) and case.image == canonical_folder / "images/c2.png"
    mask = read_mask(case.view())
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}
    assert mask.sum() == (files.blob_mask(32, 40, (16, 20), 8) > 0).sum()
    np.testing.assert_array_equal(read_image(case.view()), files.gray(seed=2))
    assert validate(ds).ok


def test_canonical_multi_view_and_synthetic_folders(tmp_path: Path, files: SimpleNamespace) -> None:
    from engine.synth.dataset import write_dataset

    root = write_dataset("scinti", 2, tmp_path / "scinti", seed=4)
    ds = load_dataset(root)
    assert [c.view_names for c in ds] == [("anterior", "posterior")] * 2
    assert [c.label for c in ds] == ["normal", "metastatic"]
    view = ds.cases[1].view("posterior")
    assert view.image.name.endswith("_posterior.png") and view.masks[0].parent.name == "masks"
    assert validate(ds, classes=("normal", "metastatic")).ok
    ct = load_dataset(write_dataset("kidney-ct", 1, tmp_path / "ct", seed=4))
    assert dict(ct.mask_labels) == {"background": 0, "kidney": 1, "tumour": 2}
    labels = read_mask(ct.cases[0].view())
    assert labels.shape == read_image(ct.cases[0].view()).shape == (48, 96, 128)
    assert set(np.unique(labels)) == {0, 1, 2}
    assert validate(ct).ok


def test_isic_2018_layout(tmp_path: Path, files: SimpleNamespace) -> None:
    root = tmp_path / "isic"
    inputs = root / "ISIC2018_Task1-2_Training_Input"
    truth = root / "ISIC2018_Task1_Training_GroundTruth"
    rgb = np.dstack([files.gray(seed=1), files.gray(seed=2), files.gray(seed=3)])
    for i in range(3):
        files.save_png(
            truth / f"ISIC_000000{i}_segmentation.png", files.blob_mask(32, 40, (15, 18), 7)
        )
        path = inputs / f"ISIC_000000{i}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        from PIL import Image as PILImage

        PILImage.fromarray(rgb).save(path, quality=95)
    (root / "ISIC2018_Task3_Training_GroundTruth.csv").write_text(
        "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\n"
        "ISIC_0000000,0.0,1.0,0.0,0.0,0.0,0.0,0.0\n"
        "ISIC_0000001,1.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
        "ISIC_0000002,1.0,1.0,0.0,0.0,0.0,0.0,0.0\n"
        "ISIC_0000009,0.0,0.0,0.0,0.0,0.0,1.0,0.0\n"
    )
    assert detect_format(root) == "isic2018"
    ds = load_dataset(root)
    assert ds.classes == ("MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC")
    assert [(c.case_id, c.label) for c in ds] == [
        ("ISIC_0000000", "NV"),
        ("ISIC_0000001", "MEL"),
        ("ISIC_0000002", None),
    ]
    assert [binary_label(c.label) for c in ds] == ["benign", "malignant", None]
    assert ds.cases[0].masks == (truth / "ISIC_0000000_segmentation.png",)
    assert read_image(ds.cases[0].view()).shape == (32, 40, 3)
    reasons = {(p.case, p.reason) for p in validate(ds).problems}
    assert ("ISIC_0000002", "several diagnoses ['MEL', 'NV'] in the one-hot columns") in reasons
    assert ("ISIC_0000009", "listed in the ground-truth CSV but has no image") in reasons
    assert ("ISIC_0000002", "no label") in reasons
    assert len(reasons) == 3


def test_busi_folders_merge_several_masks(tmp_path: Path, files: SimpleNamespace) -> None:
    root = tmp_path / "Dataset_BUSI_with_GT"
    a = files.blob_mask(32, 40, (10, 10), 5)
    b = files.blob_mask(32, 40, (22, 30), 6)
    files.save_png(root / "benign" / "benign (1).png", files.gray(seed=1))
    files.save_png(root / "benign" / "benign (1)_mask.png", a)
    files.save_png(root / "benign" / "benign (1)_mask_1.png", b)
    files.save_png(root / "malignant" / "malignant (1).png", files.gray(seed=2))
    files.save_png(root / "malignant" / "malignant (1)_mask.png", b)
    files.save_png(root / "normal" / "normal (1).png", files.gray(seed=3))
    files.save_png(root / "normal" / "normal (1)_mask.png", np.zeros((32, 40), np.uint8))
    files.save_png(root / "malignant" / "malignant (7)_mask.png", b)  # image lost
    ds = load_dataset(root)
    assert ds.format == "busi" and ds.classes == ("benign", "malignant", "normal")
    assert [(c.case_id, c.label) for c in ds] == [
        ("benign (1)", "benign"),
        ("malignant (1)", "malignant"),
        ("normal (1)", "normal"),
    ]
    merged = read_mask(ds.case("benign (1)").view())
    np.testing.assert_array_equal(merged, ((a > 0) | (b > 0)).astype(np.uint8))
    report = validate(ds)  # the normal case's empty mask is expected, not a problem
    assert [(p.case, p.reason) for p in report.problems] == [
        ("malignant (7)", "mask without an image")
    ]


def _nifti(path: Path, data: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.diag([1.5, 1.5, 2.5, 1.0])), str(path))


def test_nnunet_raw_layout(tmp_path: Path, files: SimpleNamespace) -> None:
    root = tmp_path / "Dataset101_Kidney"
    spec = {
        "channel_names": {"0": "CT", "1": "CT_late"},
        "labels": {"background": 0, "kidney": 1, "tumor": 2},
        "numTraining": 3,
        "file_ending": ".nii.gz",
    }
    (root).mkdir()
    (root / "dataset.json").write_text(json.dumps(spec))
    rng = np.random.default_rng(0)
    for case in ("kid_001", "kid_002"):
        for ch in (0, 1):
            vol = rng.integers(-100, 200, (12, 10, 6)).astype(np.int16)
            _nifti(root / "imagesTr" / f"{case}_{ch:04d}.nii.gz", vol)
        lab = np.zeros((12, 10, 6), np.uint8)
        lab[3:8, 2:6, 1:4] = 1
        lab[4:6, 3:5, 2:3] = 2
        _nifti(root / "labelsTr" / f"{case}.nii.gz", lab)
    (root / "labels.csv").write_text("case,label\nkid_001,benign\nkid_002,malignant\n")
    assert detect_format(root) == "nnunet"
    ds = load_dataset(root)
    assert [c.case_id for c in ds] == ["kid_001", "kid_002"]
    assert ds.cases[0].view_names == ("CT", "CT_late")
    assert dict(ds.mask_labels) == {"background": 0, "kidney": 1, "tumor": 2}
    assert [c.label for c in ds] == ["benign", "malignant"]
    labels = read_mask(ds.cases[0].view("CT"))
    assert labels.shape == (6, 10, 12)  # (z, y, x) from NIfTI's (x, y, z)
    assert (labels == 2).sum() == 4 and (labels == 1).sum() == 5 * 4 * 3 - 4
    problems = validate(ds).problems
    assert [p.reason for p in problems] == [
        "dataset.json says numTraining 3 but imagesTr holds 2 cases"
    ]


def test_unknown_folder_and_broken_spec_are_typed_errors(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    with pytest.raises(DatasetError, match="not a data set folder"):
        load_dataset(tmp_path)
    with pytest.raises(DatasetError, match="not a folder"):
        load_dataset(tmp_path / "missing")
    (tmp_path / "imagesTr").mkdir()
    (tmp_path / "dataset.json").write_text("{not json")
    with pytest.raises(DatasetError, match="dataset.json"):
        load_dataset(tmp_path)
    with pytest.raises(LoadError, match="file not found"):
        from engine.datasets import read_array

        read_array(tmp_path / "nope.png")
