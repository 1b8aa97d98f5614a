"""Files the desktop ships with, located from the installed engine package (repo layout)."""

from __future__ import annotations

from pathlib import Path

import engine

REPO_ROOT = Path(engine.__file__).resolve().parent.parent
SAMPLE_PATH = REPO_ROOT / "resources" / "samples" / "sample_node.dcm"
