"""What the window opens a path as: the engine's kind of case, plus what only a window needs.

Qt-free. The kind is engine.case.case_kind's (the rule engine.case.open_case and the CLI use),
so a folder opens the same way in `lesionlens analyze` and in the GUI: case1_us.png +
case2_photo.png is two images, case7_us.png + case7_photo.png one study, a folder of CT/MR
slices one volume. This module is the one place in desktop/ that asks, and the one place
that adds to the answer what the window needs and the engine has no use for:

- a views.csv data set of several cases opens as the case list (CASE_LIST): the CLI reads
  every case of it in one batch, the window shows one case at a time;
- an image is shown as its frames (desktop.models.image.series.CaseSeries over
  engine.io.load_any: one picture, or the lazily decoded frames of a cine), not read whole:
  open_case reads one frame of a cine (the CLI's --frame), the window scrubs them all;
- a subfolder holding DICOM files is a case of the list even when the engine does not call
  it a volume (one slice, ultrasound stills without a patient position): the window opens it
  with engine.io.load_any and says what is wrong with it, as before, instead of hiding it.

Studies and volumes are read whole, by engine.case.open_case itself (open_series here and
desktop.models.study.cases.open_study), so the window reads them as the CLI does.
"""

from __future__ import annotations

from pathlib import Path

from desktop.models.image.series import CaseSeries
from engine.case import IMAGE, STUDY, VOLUME, open_case
from engine.case_kind import (
    DICOM_SUFFIXES,
    VIEWS_TABLE,
    case_kind,
    study_source,
    views_table_cases,
)
from engine.errors import LoadError

CASE_LIST = "case list"  # a views.csv data set of several cases: the window lists them
OPENED_KINDS = (IMAGE, STUDY, VOLUME, CASE_LIST)

__all__ = [
    "CASE_LIST",
    "IMAGE",
    "OPENED_KINDS",
    "STUDY",
    "VOLUME",
    "folder_cases",
    "is_listed_folder",
    "is_study",
    "open_series",
    "opens_as",
]


def opens_as(path: str | Path) -> str:
    """IMAGE, STUDY or VOLUME as engine.case_kind answers for `path`, or CASE_LIST for a
    views.csv data set of several cases (the window lists them and opens the first)."""
    kind = case_kind(path)
    if kind == STUDY and _is_study_dataset(Path(path)):
        return CASE_LIST
    return kind


def is_study(path: str | Path) -> bool:
    """opens_as(path) is STUDY or CASE_LIST, without reading a DICOM header per file: a
    path with no study source is no study whatever else it is (200 DICOM files of a list: a
    few ms instead of over a second), so only a study source is asked if it is a volume."""
    return study_source(path) is not None and case_kind(path) == STUDY


def open_series(path: str | Path) -> CaseSeries:
    """What the image page shows of `path`: a volume read by engine.case.open_case (as the
    CLI reads it), anything else as frames (engine.io.load_any: an image, a cine, or a DICOM
    folder the engine does not call a volume). LoadError with the file and the reason."""
    if case_kind(path) == VOLUME:
        return CaseSeries(open_case(path, kind=VOLUME).volume)
    return CaseSeries.open(path)


def folder_cases(folder: Path) -> list[tuple[Path, str]] | None:
    """(path, name) of the cases a folder opened as a list is, when its kind makes it so: a
    views.csv data set its cases (as <folder>/<case>, which engine.case_kind calls a study),
    a study or a volume itself; None for a folder of cases to list one by one. LoadError
    when the views table cannot be read."""
    kind = case_kind(folder)
    if kind == STUDY and (folder / VIEWS_TABLE).is_file():
        return [(folder / case, case) for case in views_table_cases(folder)]
    if kind in (STUDY, VOLUME):
        return [(folder, f"{folder.name}/")]
    return None


def is_listed_folder(folder: Path) -> bool:
    """A subfolder that is one case of a folder's list: a study or a volume to the engine, or
    any folder of DICOM files (the window opens it and names what is wrong with it). A views.csv
    data set inside the folder is a data set, not a case: File > Open Folder lists it."""
    try:
        if any(p.suffix.lower() in DICOM_SUFFIXES for p in folder.iterdir()):
            return True
    except OSError:
        return False
    kind = case_kind(folder)
    return kind == VOLUME or (kind == STUDY and not (folder / VIEWS_TABLE).is_file())


def _is_study_dataset(path: Path) -> bool:
    """A views.csv data set of more than one case; an unreadable table is no list (opening it
    as a study then says what is wrong with the table)."""
    if not (path / VIEWS_TABLE).is_file():
        return False
    try:
        return len(views_table_cases(path)) > 1
    except LoadError:
        return False
