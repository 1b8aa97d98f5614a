"""Render the workstation on the bundled sample into docs/screenshot.png (1280x800).

Needs a real X server so fonts and styles render as users see them:
    xvfb-run -a -s "-screen 0 1400x900x24" python tools/screenshot.py [--model DIR]
It runs the real application (`desktop.app.main`) with --screenshot: the window is grabbed
with QWidget.grab() once the analysis is on screen; exit code 1 if it never got there.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from desktop.app import main as run_desktop
from desktop.paths import REPO_ROOT

DEFAULT_OUT = REPO_ROOT / "docs" / "screenshot.png"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--screenshot" not in args:
        args += ["--screenshot", str(DEFAULT_OUT)]
    return run_desktop(args)


if __name__ == "__main__":
    sys.exit(main())
