"""The synth writer's folder formats and the `lesionlens synth` command."""

from __future__ import annotations

import csv
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from PIL import Image as PILImage

from engine.cli import SYNTH_KINDS, main
from engine.synth.dataset import KINDS, write_dataset
from engine.synth.nifti_out import read_nifti_zyx


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_cli_lists_every_kind() -> None:
    assert SYNTH_KINDS == KINDS


def test_multi_view_kinds_write_views_csv(tmp_path: Path) -> None:
    out = write_dataset("skin-pair", 2, tmp_path / "pair", seed=1)
    views = _rows(out / "views.csv")
    assert [(r["case"][-5:], r["view"]) for r in views] == [
        ("00000", "photo"),
        ("00000", "us"),
        ("00001", "photo"),
        ("00001", "us"),
    ]
    for row in views:
        image = np.asarray(PILImage.open(out / row["file"]))
        mask = np.asarray(PILImage.open(out / row["mask"]))
        assert image.shape[:2] == mask.shape and set(np.unique(mask)) <= {0, 255}
        assert image.ndim == (3 if row["view"] == "photo" else 2)
    labels = _rows(out / "labels.csv")
    assert [r["label"] for r in labels] == ["benign", "malignant"]


def test_kidney_ct_writes_nifti_with_spacing_and_label_names(tmp_path: Path) -> None:
    out = write_dataset("kidney-ct", 1, tmp_path / "ct", seed=1)
    case = _rows(out / "labels.csv")[0]["case"]
    volume, spacing = read_nifti_zyx(out / "images" / f"{case}.nii.gz")
    labels, _ = read_nifti_zyx(out / "masks" / f"{case}.nii.gz")
    assert volume.shape == labels.shape == (48, 96, 128)
    assert np.allclose(spacing, (3.0, 2.8, 2.8), atol=1e-5)
    assert set(np.unique(labels)) == {0, 1, 2}
    header = nib.load(str(out / "images" / f"{case}.nii.gz")).header
    assert header.get_xyzt_units()[0] == "mm"
    assert _rows(out / "mask_labels.csv") == [
        {"name": "background", "value": "0"},
        {"name": "kidney", "value": "1"},
        {"name": "tumour", "value": "2"},
    ]


def test_cli_synth_runs_and_refuses_dicom_for_other_kinds(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["synth", "scinti", "--n", "2", "--out", str(tmp_path / "s"), "--shift"]) == 0
    names = sorted(p.name for p in (tmp_path / "s" / "images").iterdir())
    assert names[:2] == ["scintishift000_00000_anterior.png", "scintishift000_00000_posterior.png"]
    assert main(["synth", "skin", "--n", "1", "--out", str(tmp_path / "k"), "--dicom"]) == 2
    assert "--dicom" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["synth", "liver", "--n", "1", "--out", str(tmp_path / "x")])


def test_cli_nodes_dicom_is_calibrated(tmp_path: Path) -> None:
    from engine.io import load_image

    assert main(["synth", "nodes", "--n", "1", "--out", str(tmp_path / "d"), "--dicom"]) == 0
    (dcm,) = (tmp_path / "d" / "images").iterdir()
    image = load_image(dcm)
    meta = _rows(tmp_path / "d" / "meta.csv")[0]
    assert image.spacing_mm is not None
    assert image.spacing_mm[0] == pytest.approx(float(meta["spacing_mm"]), rel=1e-4)
    mask = np.asarray(PILImage.open(tmp_path / "d" / "masks" / f"{dcm.stem}.png"))
    assert mask.shape == image.pixels.shape[:2]
