"""Smart Click, click to screen: from the click to the new mask drawn in the canvas.

On busi-dev held-out images (the cases the interactive bundle lists as held out) opened in
the real ImageCanvas (offscreen unless a display is set), with an empty AI mask: simulated
clicks (engine.interactive.clicks, as bench/interactive.py) go through the ToolController
(SmartClick -> decoder -> MaskEditor -> overlay, findings and contours), then the whole
view is repainted synchronously. The first click on each image also encodes it (reported
apart). Floor of issue 18: 50 ms.

    python bench/smart_click_screen.py --data ../shared/data/busi-dev --limit 10 \\
        --json bench/results/interactive_screen.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.app import configure_qt  # noqa: E402
from desktop.models.editing.tool_state import SMART_CLICK  # noqa: E402
from desktop.models.image.state import CaseState  # noqa: E402
from desktop.widgets.image.canvas import ImageCanvas  # noqa: E402
from engine.analysis import findings_from  # noqa: E402
from engine.atomic import write_json_atomic  # noqa: E402
from engine.datasets import load_dataset, read_mask  # noqa: E402
from engine.interactive import first_click, largest_object, next_click  # noqa: E402
from engine.interactive.model import interactive_bundle_dir  # noqa: E402
from engine.io import load_image  # noqa: E402
from engine.types import Analysis, Prediction  # noqa: E402

FLOOR_MS = 50.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--clicks", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    configure_qt()
    canvas = ImageCanvas(CaseState())
    canvas.resize(1000, 800)
    canvas.show()
    canvas.tools.set_tool(SMART_CLICK)
    heldout = json.loads((interactive_bundle_dir() / "metrics.json").read_text())["heldout_cases"]
    dataset = load_dataset(args.data)
    cases = [c for c in dataset.cases if c.case_id in set(heldout)][: args.limit]
    first_ms, later_ms = [], []
    for case in cases:
        image = load_image(case.views[0].image)
        target = largest_object(read_mask(case.views[0]) > 0)
        empty = np.zeros(target.shape, np.uint8)
        prediction = Prediction(empty, {"lesion": 1.0}, empty.astype(np.float32), "none")
        analysis = Analysis(image, prediction, findings_from(image, prediction))
        canvas.state.show_image(image, analysis=analysis)
        app.processEvents()
        click = first_click(target)
        for k in range(args.clicks):
            started = time.perf_counter()
            canvas.controller.click((click.row, click.col), positive=click.positive)
            canvas.viewport().repaint()
            app.processEvents()
            (first_ms if k == 0 else later_ms).append((time.perf_counter() - started) * 1000)
            click = next_click(target, canvas.state.editor.mask)
            if click is None:
                break

    def summary(values: list[float]) -> dict:
        return {
            "median": round(statistics.median(values), 2),
            "p95": round(float(np.percentile(values, 95)), 2),
            "n": len(values),
        }

    result = {
        "data": str(args.data),
        "cases": len(cases),
        "first_click_with_encoding_ms": summary(first_ms),
        "click_to_screen_ms": summary(later_ms),
        "floor_ms": FLOOR_MS,
        "met": statistics.median(later_ms) <= FLOOR_MS,
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=1))
    if args.json is not None:
        write_json_atomic(args.json, result)
    canvas.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
