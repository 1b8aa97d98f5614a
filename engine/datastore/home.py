"""Where LesionLens keeps its cases, models and jobs: one data root per user.

Order of precedence: an explicit folder, then the LESIONLENS_HOME environment variable, then
the platform's user data folder (platformdirs), so tests and portable installs can point
everything at one place.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "LESIONLENS_HOME"


def data_root(root: str | Path | None = None) -> Path:
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(HOME_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("LesionLens", appauthor=False))
