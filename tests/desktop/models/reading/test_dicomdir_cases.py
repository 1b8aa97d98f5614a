"""File ▸ Open Folder on a CD/USB export: the DICOMDIR's images become the cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.fileset import FileSet

from desktop.models.reading.case_list import folder_entries
from desktop.models.reading.review import NEW
from engine.synth.dicom_out import write_ultrasound_dicom


def write_export(tmp_path: Path, count: int) -> tuple[Path, list[str]]:
    """A DICOMDIR export of `count` tiny ultrasound images; their SOP instance UIDs."""
    src = tmp_path / "src"
    src.mkdir()
    fileset = FileSet()
    uids = []
    for k in range(count):
        pixels = np.random.default_rng(k).integers(0, 255, (48, 64), dtype=np.uint8)
        path = src / f"im{k}.dcm"
        write_ultrasound_dicom(path, pixels, 0.1, (4, 4, 44, 60), patient_id="P1")
        ds = pydicom.dcmread(path)
        ds.StudyID = "1"  # the DICOMDIR's STUDY record needs it
        ds.save_as(path)
        uids.append(str(ds.SOPInstanceUID))
        fileset.add(path)
    out = tmp_path / "cd"
    fileset.write(out)
    return out, uids


def test_a_folder_with_a_dicomdir_lists_its_images(tmp_path: Path) -> None:
    export, uids = write_export(tmp_path, 3)
    entries = folder_entries(export)
    assert len(entries) == 3 and all(e.status == NEW for e in entries)
    assert sorted(str(pydicom.dcmread(e.path).SOPInstanceUID) for e in entries) == sorted(uids)
    assert all(not e.name.startswith("/") and e.name != "DICOMDIR" for e in entries)


def test_a_missing_file_of_the_export_is_listed_with_its_error(tmp_path: Path) -> None:
    export, _uids = write_export(tmp_path, 2)
    lost = folder_entries(export)[0].path
    lost.unlink()
    entries = folder_entries(export)
    assert len(entries) == 2
    (missing,) = [e for e in entries if e.path == lost]
    assert missing.status.startswith("error: ") and "missing" in missing.status


def test_open_folder_shows_the_dicomdir_cases(window, tmp_path: Path) -> None:  # noqa: ANN001
    export, _uids = write_export(tmp_path, 2)
    assert window.open_folder(export)
    assert window.case_dock.row_count() == 2
    assert window.state.path == window.cases.entries[0].path
