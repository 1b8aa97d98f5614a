"""Reading a multi-view study whole for the study page, by engine.case.open_case (the reader
`lesionlens analyze` uses). Qt-free.

Whether a path is a study is not decided here: desktop.models.opening asks engine.case_kind,
for the window as for the CLI. A study is a folder of view-named files (anterior.png +
posterior.png, or <case>_photo.png + <case>_us.png), or one case of a views.csv data set,
which the case list addresses as <root>/<case> (a path that need not exist), as if each case
had its own folder, so next/previous, statuses and "is this case open?" work unchanged.
"""

from __future__ import annotations

from pathlib import Path

from desktop.models.opening import is_study
from engine.case import STUDY, open_case
from engine.errors import LoadError
from engine.types import Study


def open_study(path: str | Path) -> Study:
    """Load the study `path` names (LoadError with the file and reason otherwise)."""
    if not is_study(path):
        raise LoadError(
            path,
            "not a study: expected a folder of view-named files or a case of a views.csv data set",
        )
    return open_case(path, kind=STUDY).as_study()
