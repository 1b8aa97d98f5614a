"""Which paths open as a multi-view study rather than as one image, and the cases a
views.csv data set lists. Qt-free.

A study is a folder of view-named files (anterior.png + posterior.png, or
<case>_photo.png + <case>_us.png), or one case of a views.csv data set. The case list
addresses a case of a data set as <root>/<case> (a path that need not exist), as if each case
had its own folder, so next/previous, statuses and "is this case open?" work unchanged.
"""

from __future__ import annotations

import csv
from pathlib import Path

from engine.errors import LoadError
from engine.io.study import KNOWN_VIEWS, load_study
from engine.types import Study

VIEWS_TABLE = "views.csv"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".dicom"}


def is_study_folder(folder: Path) -> bool:
    """At least two image files, every one named <view> or <case>_<view> for one case."""
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


def views_table_cases(root: Path) -> list[str]:
    """The case ids of a views.csv data set in table order; LoadError when unreadable."""
    table = root / VIEWS_TABLE
    try:
        with table.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(table, f"cannot be read ({exc})") from exc
    if rows and "case" not in rows[0]:
        raise LoadError(table, "needs the columns case, view, file")
    return list(dict.fromkeys(row["case"] for row in rows))


def is_study_dataset(path: str | Path) -> bool:
    """A views.csv data set of several cases: it opens as a case list, not as one study."""
    path = Path(path)
    if not (path / VIEWS_TABLE).is_file():
        return False
    try:
        return len(views_table_cases(path)) > 1
    except LoadError:
        return False  # opening it as a study then says what is wrong with the table


def study_source(path: str | Path) -> tuple[Path, str | None] | None:
    """(folder to load, case or None) when `path` opens as a study, else None."""
    path = Path(path)
    if path.is_dir():
        if (path / VIEWS_TABLE).is_file() or is_study_folder(path):
            return path, None
        return None
    if not path.exists() and (path.parent / VIEWS_TABLE).is_file():
        return path.parent, path.name
    return None


def is_study_path(path: str | Path) -> bool:
    return study_source(path) is not None


def open_study(path: str | Path) -> Study:
    """Load the study `path` names (LoadError with the file and reason otherwise)."""
    source = study_source(path)
    if source is None:
        raise LoadError(
            path,
            "not a study: expected a folder of view-named files or a case of a views.csv data set",
        )
    return load_study(*source)
