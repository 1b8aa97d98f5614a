"""What kind of case a path holds: one image, a multi-view study, or a volume.

The one place that answers it, for `lesionlens analyze/export` and for the GUI's Open and
case list alike, so a folder never opens as a study in one and as separate images in the
other (it did: case1_us.png + case2_photo.png was a study to the CLI and two images to the
GUI).

- volume: a NIfTI file, an enhanced multi-frame CT/MR file, or a folder of at least two
  single-frame DICOM slices that carry a patient position (CT, MR, PET; ultrasound and
  radiographs carry none);
- study: a folder of two or more view-named files of ONE case (anterior.png +
  posterior.png, case7_photo.png + case7_us.png), a views.csv data set (each of its cases),
  or one case of such a data set addressed as <root>/<case>;
- image: anything else (a file; a folder of images is a list of image cases).
"""

from __future__ import annotations

from pathlib import Path

from engine.datasets.canonical import VIEWS_TABLE, view_table_cases
from engine.errors import DatasetError, LoadError
from engine.io.study import KNOWN_VIEWS

IMAGE, STUDY, VOLUME = "image", "study", "volume"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".dicom"}
DICOM_SUFFIXES = {".dcm", ".dicom"}


def case_kind(path: str | Path) -> str:
    """IMAGE, STUDY or VOLUME for a path given to analyze/export or opened in the GUI."""
    path = Path(path)
    if is_volume_input(path):
        return VOLUME
    if study_source(path) is not None:
        return STUDY
    return IMAGE


def is_study_folder(folder: str | Path) -> bool:
    """At least two image files, every one named <view> or <case>_<view> for one case."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    try:
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    except OSError:
        return False
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    cases, views = set(), set()
    for file in images:
        case, _, view = file.stem.lower().rpartition("_")
        if view not in KNOWN_VIEWS:
            return False
        cases.add(case)
        views.add(view)
    return len(images) >= 2 and len(views) == len(images) and len(cases) == 1


def study_source(path: str | Path) -> tuple[Path, str | None] | None:
    """(folder to load, case or None) when `path` opens as a study, else None. A views.csv
    data set gives (root, None): every case; <root>/<case> (a path that need not exist)
    gives (root, case)."""
    path = Path(path)
    if path.is_dir():
        if (path / VIEWS_TABLE).is_file() or is_study_folder(path):
            return path, None
        return None
    if not path.exists() and (path.parent / VIEWS_TABLE).is_file():
        return path.parent, path.name
    return None


def views_table_cases(root: str | Path) -> list[str]:
    """The case ids of a views.csv data set in table order; LoadError when unreadable."""
    try:
        return view_table_cases(Path(root))
    except DatasetError as exc:
        raise LoadError(Path(root) / VIEWS_TABLE, str(exc).partition(": ")[2] or str(exc)) from exc


def is_series_folder(folder: str | Path) -> bool:
    """A folder of CT/MR/PET slices (one volume), not a folder of separate images: at least
    two DICOM files, and the first is single-frame with a patient position."""
    from engine.io import is_dicom, read_header

    folder = Path(folder)
    try:
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError:
        return False
    slices = []
    for file in files:
        if file.suffix.lower() in DICOM_SUFFIXES or (file.suffix == "" and is_dicom(file)):
            slices.append(file)
            if len(slices) == 2:
                break
    if len(slices) < 2:
        return False
    try:
        header = read_header(slices[0])
    except LoadError:
        return False
    from engine.io.dicom_open import declared_frames

    return "ImagePositionPatient" in header and declared_frames(header) == 1


def is_volume_input(path: str | Path) -> bool:
    """NIfTI, a folder of CT/MR/PET slices, or an enhanced multi-frame CT/MR file."""
    from engine.io import is_dicom, is_enhanced_volume, is_nifti_name, read_header

    path = Path(path)
    if is_nifti_name(path):
        return True
    if path.is_dir():
        return is_series_folder(path)
    try:
        return path.is_file() and is_dicom(path) and is_enhanced_volume(read_header(path))
    except (LoadError, OSError, ValueError):
        return False
