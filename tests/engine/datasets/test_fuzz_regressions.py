"""Regression tests for the data-set folder crashes bench/fuzz.py (atheris) found: each input
here raised something other than DatasetError/LoadError (docs/fuzzing.md)."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from engine.datasets import load_dataset, read_array, validate
from engine.errors import DatasetError, LoadError


def _nnunet(root: Path, spec_text: str) -> Path:
    (root / "imagesTr").mkdir(parents=True)
    volume = np.zeros((4, 3, 2), np.int16)
    nib.save(nib.Nifti1Image(volume, np.eye(4)), str(root / "imagesTr" / "k_001_0000.nii.gz"))
    (root / "dataset.json").write_text(spec_text)
    return root


def test_nnunet_file_ending_that_is_not_a_string(tmp_path: Path) -> None:
    """{"file_ending": true} raised TypeError in re.escape."""
    root = _nnunet(tmp_path, '{"file_ending": true}')
    with pytest.raises(DatasetError, match="file_ending") as info:
        load_dataset(root)
    assert "dataset.json" in str(info.value)


def test_nnunet_deeply_nested_dataset_json(tmp_path: Path) -> None:
    root = _nnunet(tmp_path, "[" * 100_000)
    with pytest.raises(DatasetError, match="dataset.json"):
        load_dataset(root)


def test_label_volume_header_claiming_a_huge_size_is_refused_before_allocating(
    tmp_path: Path,
) -> None:
    """A .nii.gz is read into one buffer of the size its header states: refuse first."""
    header = nib.Nifti1Header()
    header.set_data_dtype(np.uint8)
    header.set_data_shape((19_000, 19_000, 400))
    header["vox_offset"] = 352
    path = tmp_path / "huge.nii.gz"
    path.write_bytes(gzip.compress(header.binaryblock + b"\x00" * 4 + b"\x00" * 64))
    tracemalloc.start()
    try:
        with pytest.raises(LoadError, match="larger than") as info:
            read_array(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.path == path
    assert peak < 64 * 1024**2


def test_validate_reports_the_bad_label_volume_and_goes_on(tmp_path: Path) -> None:
    root = _nnunet(tmp_path, json.dumps({"file_ending": ".nii.gz"}))
    (root / "labelsTr").mkdir()
    (root / "labelsTr" / "k_001.nii.gz").write_bytes(gzip.compress(b"\x5c\x01" + b"\x00" * 400))
    report = validate(load_dataset(root))
    assert any("unreadable mask" in p.reason for p in report.problems)


def test_isic_ground_truth_csv_that_is_not_utf8(tmp_path: Path) -> None:
    """The fuzzer's input: a ground-truth CSV with two bytes that are not UTF-8 raised
    UnicodeDecodeError out of load_dataset; now a problem naming the CSV, the rest indexed."""
    from PIL import Image as PILImage

    PILImage.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "ISIC_0000000.jpg")
    csv = tmp_path / "ground_truth.csv"
    csv.write_bytes(b"image,MEL,NV\nISIC_0000000,0.0,1.0\nISIC_00\xd0\xce001,1,0\n")
    dataset = load_dataset(tmp_path)
    assert [c.case_id for c in dataset] == ["ISIC_0000000"]
    assert any(p.path == csv and "UTF-8" in p.reason for p in validate(dataset).problems)
