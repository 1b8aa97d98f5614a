"""Screenshots of the reader's measuring tools on real ultrasound, for the user guide:

    QT_QPA_PLATFORM=offscreen python tools/screenshot_measure.py [OUT_DIR]

- measure_shapes.png: pydicom-data's US1_UNCR.dcm (GE, lymph nodes in power Doppler, split
  screen, no calibration tags): an ellipse round the node on the left, a trace round the one
  on the right and an angle. No pixel spacing: the values are in px and say so.
- measure_shapes_mm.png: pydicom-data's JPGLosslessP14SV1_1s_1f_8b.dcm (Philips adult echo,
  one calibrated tissue region, 0.255 mm/px): a caliper over the scanner's own "Asc Ao Diam
  3.3 cm", an ellipse, a trace, the sector's angle, and an ellipse that leaves the region
  (refused, in red, with the reason).
Shapes are drawn through the same CaseState calls the tools make, with a throw-away datastore.
Writes to docs/screenshots/ by default.
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


ECHO_TRACE = (
    (548.0, 560.0), (532.0, 640.0), (540.0, 720.0), (578.0, 760.0), (618.0, 730.0),
    (626.0, 650.0), (606.0, 580.0), (578.0, 552.0),
)  # fmt: skip


def open_sample(window, app, name: str) -> bool:  # noqa: ANN001
    path = get_testdata_file(name)
    if path is None or not window.open_path(Path(path)):
        print(f"{name} (pydicom-data) not found or not opened", file=sys.stderr)
        return False
    for _ in range(20):
        app.processEvents()
    return True


def settle_and_save(window, app, out: Path) -> None:  # noqa: ANN001
    for _ in range(50):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    for caliper in window.state.calipers:
        print(f"caliper: {caliper.detail}")
    for shape in window.state.shapes:
        print(f"{shape.kind}: {shape.detail}")
    print(f"wrote {out}")


def main(out_dir: Path) -> int:
    os.environ["LESIONLENS_HOME"] = tempfile.mkdtemp(prefix="lesionlens-shot-")
    configure_qt()
    app = QApplication.instance() or QApplication(sys.argv)
    from desktop.main_window import DISCARD, MainWindow
    from desktop.models.image.state import CaseState

    window = MainWindow(CaseState())
    window.ask_unsaved_changes = lambda _what: DISCARD
    window.resize(1400, 900)
    window.show()
    state = window.state
    window.tools.set_tool(ELLIPSE)

    if not open_sample(window, app, "US1_UNCR.dcm"):
        return 1
    ellipse = with_handle(default_ellipse((208.0, 92.0), (212.0, 302.0)), 3, (262.0, 200.0))
    state.add_shape(ellipse)
    state.add_shape(Trace(RIGHT_NODE))
    state.add_shape(Angle((325.0, 230.0), (325.0, 40.0), (292.0, 200.0)))
    settle_and_save(window, app, out_dir / "measure_shapes.png")

    if not open_sample(window, app, "JPGLosslessP14SV1_1s_1f_8b.dcm"):
        return 1
    state.add_caliper((319.0, 628.0), (435.0, 689.0))  # the scanner's Asc Ao Diam 3.3 cm
    state.add_shape(with_handle(default_ellipse((430.0, 300.0), (350.0, 520.0)), 3, (345.0, 390.0)))
    state.add_shape(Trace(ECHO_TRACE))
    state.add_shape(Angle((470.0, 150.0), (160.0, 515.0), (470.0, 900.0)))
    state.add_shape(with_handle(default_ellipse((36.0, 790.0), (36.0, 990.0)), 3, (62.0, 890.0)))
    state.select_shape(None)
    settle_and_save(window, app, out_dir / "measure_shapes_mm.png")
    window.close()
    return 0


if __name__ == "__main__":
    default = REPO_ROOT / "docs" / "screenshots"
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default))
