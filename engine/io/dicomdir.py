"""Read a DICOMDIR (a CD/USB export) into one entry per image, listing the files that are
missing or the records that cannot be used instead of failing the whole export."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.fileset import FileSet
from pydicom.uid import UID

from engine.errors import LoadError

DICOMDIR_NAME = "DICOMDIR"

# Segmentations are filed as IMAGE records but hold labels, not pictures.
_NON_IMAGE_SOP_CLASSES = {
    UID("1.2.840.10008.5.1.4.1.1.66.4"),  # Segmentation Storage
    UID("1.2.840.10008.5.1.4.1.1.66.7"),  # Label Map Segmentation Storage
}
_NON_IMAGE_MODALITIES = {"SEG", "SR", "PR", "KO", "REG", "RTSTRUCT", "RTPLAN", "RTDOSE"}


@dataclass(frozen=True)
class DicomdirEntry:
    """One image instance of the export, with its file resolved on disk."""

    path: Path
    patient_id: str
    study_uid: str
    series_uid: str
    modality: str
    sop_instance_uid: str = ""


def find_dicomdir(path: str | Path) -> Path | None:
    """The DICOMDIR file itself, or the one directly inside a folder; None when there is none."""
    path = Path(path)
    if path.is_dir():
        inside = path / DICOMDIR_NAME
        return inside if inside.is_file() else None
    return path if path.is_file() and path.name.upper() == DICOMDIR_NAME else None


def read_dicomdir(path: str | Path) -> tuple[list[DicomdirEntry], list[LoadError]]:
    """Image entries of a DICOMDIR (file or folder holding one) and one LoadError per
    referenced file that is missing, so one lost file does not hide the rest of the export.

    Raises LoadError when the DICOMDIR itself is missing or not a readable DICOMDIR.
    """
    given = Path(path)
    dicomdir = find_dicomdir(given)
    if dicomdir is None:
        raise LoadError(given, "no DICOMDIR file found")
    try:
        ds = dcmread(dicomdir)
        expected = _referenced_images(ds, dicomdir.parent)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing files are reported below, by name
            fileset = FileSet(ds)
        entries = [_entry(instance) for instance in fileset if _is_image_record(instance)]
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types on a broken DICOMDIR
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LoadError(dicomdir, f"not a readable DICOMDIR ({text})") from exc
    found = {entry.path for entry in entries}
    problems = [
        LoadError(missing, f"listed in {dicomdir} but the file is missing")
        for missing in expected
        if missing not in found and not missing.exists()
    ]
    return entries, problems


def _is_image_record(instance: object) -> bool:
    return instance.node.record_type == "IMAGE" and _is_picture(instance)  # type: ignore[attr-defined]


def _entry(instance: object) -> DicomdirEntry:
    return DicomdirEntry(
        path=Path(instance.path).resolve(),  # type: ignore[attr-defined]
        patient_id=str(getattr(instance, "PatientID", "") or ""),
        study_uid=str(getattr(instance, "StudyInstanceUID", "") or ""),
        series_uid=str(getattr(instance, "SeriesInstanceUID", "") or ""),
        modality=str(getattr(instance, "Modality", "") or ""),
        sop_instance_uid=str(getattr(instance, "SOPInstanceUID", "") or ""),
    )


def _is_picture(instance: object) -> bool:
    sop_class = getattr(instance, "ReferencedSOPClassUIDInFile", None)
    modality = str(getattr(instance, "Modality", "") or "").upper()
    return sop_class not in _NON_IMAGE_SOP_CLASSES and modality not in _NON_IMAGE_MODALITIES


def _referenced_images(ds: object, root: Path) -> list[Path]:
    """Files the IMAGE records point at, read straight from the records (pydicom drops the
    ones whose file is missing, with only a warning)."""
    paths = []
    for record in getattr(ds, "DirectoryRecordSequence", []):
        file_id = record.get("ReferencedFileID")
        if record.get("DirectoryRecordType") != "IMAGE" or not file_id:
            continue
        parts = [file_id] if isinstance(file_id, str) else list(file_id)
        paths.append(root.joinpath(*parts).resolve())
    return paths
