"""DICOMDIR exports: one entry per image, non-images skipped, missing files reported by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from engine.cli import main
from engine.errors import LoadError
from engine.io import read_dicomdir
from engine.synth.dicom_out import write_ultrasound_dicom

SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"


def ultrasound(path: Path, patient: str, study: str, seed: int, **tags: object) -> pydicom.Dataset:
    """A tiny synthetic ultrasound DICOM of `study`, with extra tags set after writing."""
    pixels = np.random.default_rng(seed).integers(0, 255, (48, 64), dtype=np.uint8)
    write_ultrasound_dicom(path, pixels, 0.1, (4, 4, 44, 60), patient_id=patient)
    ds = pydicom.dcmread(path)
    ds.StudyInstanceUID, ds.StudyID = study, "1"
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    ds.save_as(path)
    return ds


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, list[pydicom.Dataset]]:
    """A DICOMDIR with 2 studies (3 images) and a segmentation that is not an image."""
    src = tmp_path / "src"
    src.mkdir()
    study_a, study_b = generate_uid(), generate_uid()
    images = [
        ultrasound(src / "a1.dcm", "PA", study_a, 1),
        ultrasound(src / "a2.dcm", "PA", study_a, 2),
        ultrasound(src / "b1.dcm", "PB", study_b, 3),
    ]
    seg = ultrasound(src / "seg.dcm", "PA", study_a, 4, Modality="SEG")
    seg.SOPClassUID = seg.file_meta.MediaStorageSOPClassUID = SEGMENTATION_STORAGE
    seg.save_as(src / "seg.dcm")
    fileset = FileSet()
    for name in ("a1", "a2", "b1", "seg"):
        fileset.add(src / f"{name}.dcm")
    out = tmp_path / "cd"
    fileset.write(out)
    return out, images


def test_read_dicomdir_lists_images_of_both_studies(export) -> None:  # noqa: ANN001
    out, images = export
    entries, problems = read_dicomdir(out / "DICOMDIR")
    assert problems == []
    by_uid = {e.sop_instance_uid: e for e in entries}
    assert set(by_uid) == {str(ds.SOPInstanceUID) for ds in images}  # the SEG is skipped
    for ds in images:
        entry = by_uid[str(ds.SOPInstanceUID)]
        assert entry.path.is_file() and entry.path.is_relative_to(out.resolve())
        assert (entry.patient_id, entry.study_uid) == (ds.PatientID, ds.StudyInstanceUID)
        assert entry.series_uid == ds.SeriesInstanceUID and entry.modality == "US"
        assert pydicom.dcmread(entry.path).SOPInstanceUID == ds.SOPInstanceUID
    assert len({e.study_uid for e in entries}) == 2
    assert read_dicomdir(out)[0] == entries  # the folder holding the DICOMDIR works too


def test_missing_referenced_file_is_reported_and_the_rest_kept(export) -> None:  # noqa: ANN001
    out, _ = export
    entries, _ = read_dicomdir(out)
    entries[0].path.unlink()
    kept, problems = read_dicomdir(out)
    assert [e.path for e in kept] == [e.path for e in entries[1:]]
    assert len(problems) == 1 and problems[0].path == entries[0].path
    assert "missing" in problems[0].reason


def test_missing_or_corrupt_dicomdir_raises_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no DICOMDIR"):
        read_dicomdir(tmp_path)
    (tmp_path / "DICOMDIR").write_bytes(b"\x00" * 200 + b"not dicom")
    with pytest.raises(LoadError, match="not a readable DICOMDIR") as info:
        read_dicomdir(tmp_path / "DICOMDIR")
    assert info.value.path == tmp_path / "DICOMDIR"


def test_analyze_expands_a_dicomdir(export, tmp_path: Path) -> None:  # noqa: ANN001
    out, _ = export
    results = tmp_path / "results"
    assert main(["analyze", str(out / "DICOMDIR"), "--out", str(results), "--device", "cpu"]) == 0
    assert len([p for p in results.iterdir() if p.is_dir()]) == 3


def test_analyze_reports_a_file_missing_from_the_dicomdir(export, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out, _ = export
    entries, _ = read_dicomdir(out)
    entries[1].path.unlink()
    code = main(["analyze", str(out), "--out", str(tmp_path / "r"), "--device", "cpu"])
    assert code != 0
    err = capsys.readouterr().err
    assert entries[1].path.name in err and "1 of 3" in err
