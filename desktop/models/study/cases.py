"""Which paths open as a multi-view study rather than as one image (engine.case_kind decides,
for the CLI too), and the cases a views.csv data set lists. Qt-free.

A study is a folder of view-named files (anterior.png + posterior.png, or
<case>_photo.png + <case>_us.png), or one case of a views.csv data set. The case list
addresses a case of a data set as <root>/<case> (a path that need not exist), as if each case
had its own folder, so next/previous, statuses and "is this case open?" work unchanged.
"""

from __future__ import annotations

from pathlib import Path

from engine.case_kind import (  # the rules are the engine's, shared with the CLI
    VIEWS_TABLE,
    is_study_folder,
    study_source,
    views_table_cases,
)
from engine.errors import LoadError
from engine.io.study import load_study
from engine.types import Study

__all__ = [
    "VIEWS_TABLE",
    "is_study_dataset",
    "is_study_folder",
    "is_study_path",
    "open_study",
    "study_source",
    "views_table_cases",
]


def is_study_dataset(path: str | Path) -> bool:
    """A views.csv data set of several cases: it opens as a case list, not as one study."""
    path = Path(path)
    if not (path / VIEWS_TABLE).is_file():
        return False
    try:
        return len(views_table_cases(path)) > 1
    except LoadError:
        return False  # opening it as a study then says what is wrong with the table


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
