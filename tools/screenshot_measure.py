"""Screenshot of the reader's measuring tools on a real ultrasound, for the user guide:

    QT_QPA_PLATFORM=offscreen python tools/screenshot_measure.py [OUT.png]

The image is pydicom-data's US1_UNCR.dcm (GE, a lymph node in power Doppler, split screen,
no calibration tags): an ellipse round the node on the left, a trace round the one on the
right and an angle, drawn through the same CaseState calls the tools make. The file has no
pixel spacing, so the values are in px and say so. Writes docs/screenshots/measure_shapes.png
by default, with a throw-away datastore.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from pydicom.data import get_testdata_file
from PySide6.QtWidgets import QApplication

from desktop.app import configure_qt
from desktop.models.editing.reader_shape import default_ellipse, with_handle
from desktop.models.editing.tool_state import ELLIPSE
from desktop.models.paths import REPO_ROOT
from engine.reader_shapes import Angle, Trace

RIGHT_NODE = (
    (205.0, 322.0), (172.0, 345.0), (153.0, 400.0), (150.0, 460.0), (160.0, 512.0),
    (190.0, 540.0), (232.0, 541.0), (262.0, 505.0), (272.0, 450.0), (266.0, 390.0),
    (245.0, 345.0),
)  # fmt: skip


def main(out: Path) -> int:
    os.environ["LESIONLENS_HOME"] = tempfile.mkdtemp(prefix="lesionlens-shot-")
    configure_qt()
    app = QApplication.instance() or QApplication(sys.argv)
    from desktop.main_window import DISCARD, MainWindow
    from desktop.models.image.state import CaseState

    window = MainWindow(CaseState())
    window.ask_unsaved_changes = lambda _what: DISCARD
    window.resize(1400, 900)
    window.show()
    path = get_testdata_file("US1_UNCR.dcm")
    if path is None or not window.open_path(Path(path)):
        print("US1_UNCR.dcm (pydicom-data) not found or not opened", file=sys.stderr)
        return 1
    state = window.state
    window.tools.set_tool(ELLIPSE)
    ellipse = with_handle(default_ellipse((208.0, 92.0), (212.0, 302.0)), 3, (262.0, 200.0))
    state.add_shape(ellipse)
    state.add_shape(Trace(RIGHT_NODE))
    state.add_shape(Angle((325.0, 230.0), (325.0, 40.0), (292.0, 200.0)))
    for _ in range(50):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    for shape in state.shapes:
        print(f"{shape.kind}: {shape.text}")
    print(f"wrote {out}")
    window.close()
    return 0


if __name__ == "__main__":
    default = REPO_ROOT / "docs" / "screenshots" / "measure_shapes.png"
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default))
