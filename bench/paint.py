"""Brush paint path on a 1024x768 image: one mouse-move segment of a stroke, from the mask
edit to the overlay ready to draw, against a one-frame budget of 16 ms. Writes one JSON.

Measured per stroke segment (the canvas's real code: MaskEditor -> CaseState event ->
ImageCanvas paints the touched box of its RGBA buffer -> ImageItem.updateImage):
- edit_ms: the mask edit alone (swept disc between two mouse positions);
- paint_path_ms: edit + RGBA box update + ImageItem re-render to its QImage;
- frame_ms: paint_path_ms + a synchronous repaint of the view region the segment dirtied
  (what Qt's minimal viewport update redraws before the user sees the dab);
- frame_full_repaint_ms: paint_path_ms + a repaint of the whole view (the worst case, e.g.
  a view without minimal updates);
- full_redraw_ms: for comparison, rebuilding the whole RGBA overlay and setImage each move;
- stroke_end_ms: on release, findings recomputed from the mask and contours redrawn.
Runs offscreen (QT_QPA_PLATFORM=offscreen) unless a display is set.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6 import __version__ as pyside_version  # noqa: E402
from PySide6.QtCore import QRect  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.app import configure_qt  # noqa: E402
from desktop.models.editing.mask_editor import MaskEditor  # noqa: E402
from desktop.models.image.display import overlay_rgba  # noqa: E402
from desktop.models.image.state import CaseState  # noqa: E402
from desktop.widgets.image.canvas import ImageCanvas  # noqa: E402
from engine.analysis import findings_from  # noqa: E402
from engine.atomic import write_json_atomic  # noqa: E402
from engine.types import Analysis, Image, Prediction  # noqa: E402

ROWS, COLS = 768, 1024
BRUSH_RADIUS_PX = 8.0
STEP_PX = 6.0  # mouse moves ~6 image px between events at 100 Hz on a normal stroke
TARGET_MS = 16.0
VIEW_SIZE = (1100, 850)


def test_case(seed: int = 0) -> Analysis:
    """Speckle-like image with one elliptic lesion, dressed as a model's analysis."""
    rng = np.random.default_rng(seed)
    pixels = rng.gamma(2.0, 40.0, size=(ROWS, COLS)).clip(0, 255).astype(np.uint8)
    rows, cols = np.mgrid[:ROWS, :COLS]
    mask = (((rows - 380) / 120.0) ** 2 + ((cols - 500) / 200.0) ** 2 <= 1).astype(np.uint8)
    image = Image(pixels, spacing_mm=(0.1, 0.1))
    prediction = Prediction(
        mask, {"benign": 0.8, "malignant": 0.2}, rng.random((ROWS, COLS), np.float32), "bench"
    )
    return Analysis(image, prediction, findings_from(image, prediction))


def stroke_points(count: int) -> list[tuple[float, float]]:
    """A wavy stroke across the lesion edge, STEP_PX between points."""
    points, row, col = [], 200.0, 150.0
    for k in range(count):
        points.append((row + 120.0 * np.sin(k / 25.0), col))
        col += STEP_PX
        if col > COLS - 150:
            col = 150.0
            row += 60.0
    return points


def summary(values_ms: list[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "max": round(ordered[-1], 3),
    }


def timed(run) -> float:  # noqa: ANN001
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000.0


def measure(segments: int, strokes: int) -> dict:
    analysis = test_case()
    app = QApplication.instance() or QApplication([])
    configure_qt()
    state = CaseState()
    canvas = ImageCanvas(state)
    canvas.resize(*VIEW_SIZE)
    canvas.show()
    state.show_image(analysis.image, analysis=analysis)
    app.processEvents()
    points = stroke_points(segments)
    editor = state.editor

    alone = MaskEditor(analysis.prediction.mask, "benign")
    edit = []
    for _ in range(strokes):
        alone.begin_stroke(points[0], BRUSH_RADIUS_PX)
        edit += [timed(lambda p=p: alone.stroke_to(p)) for p in points[1:]]
        alone.end_stroke()

    def paint(point: tuple[float, float]) -> None:
        editor.stroke_to(point)
        canvas.overlay_item.render()  # the QImage conversion pyqtgraph does before painting

    def dirty_repaint(point: tuple[float, float]) -> None:
        box = editor.stroke_to(point)
        canvas.overlay_item.render()
        corners = [
            canvas.viewport_point(r, c) for r, c in ((box.row0, box.col0), (box.row1, box.col1))
        ]
        canvas.viewport().repaint(QRect(corners[0], corners[1]).normalized().adjusted(-2, -2, 2, 2))

    paint_path, frame, full_frame, stroke_end = [], [], [], []
    for k in range(strokes):
        erase = k % 2 == 1
        editor.begin_stroke(points[0], BRUSH_RADIUS_PX, erase=erase)
        for i, point in enumerate(points[1:], start=1):
            kind = i % 3
            if kind == 0:
                paint_path.append(timed(lambda p=point: paint(p)))
            elif kind == 1:
                frame.append(timed(lambda p=point: dirty_repaint(p)))
            else:
                full_frame.append(
                    timed(lambda p=point: (paint(p), canvas.viewport().repaint()))  # type: ignore[func-returns-value]
                )
        stroke_end.append(timed(editor.end_stroke))
        app.processEvents()

    full = []
    mask = editor.mask
    for _ in range(min(50, segments)):

        def rebuild() -> None:
            canvas.overlay_item.setImage(overlay_rgba(mask, 0.35), autoLevels=False)
            canvas.overlay_item.render()

        full.append(timed(rebuild))
    canvas.close()
    return {
        "edit_ms": summary(edit),
        "paint_path_ms": summary(paint_path),
        "frame_ms": summary(frame),
        "frame_full_repaint_ms": summary(full_frame),
        "full_redraw_ms": summary(full),
        "stroke_end_ms": summary(stroke_end),
        "segments_measured": len(paint_path) + len(frame) + len(full_frame),
        "undo_history_kb": round(editor.history_nbytes / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=200, help="mouse moves per stroke")
    parser.add_argument("--strokes", type=int, default=6)
    parser.add_argument("--json", type=Path, default=Path("bench/results/paint.json"))
    args = parser.parse_args()
    timings = measure(args.segments, args.strokes)
    result = {
        "benchmark": "paint_path",
        "image": [ROWS, COLS],
        "brush_radius_px": BRUSH_RADIUS_PX,
        "step_px": STEP_PX,
        "view_px": list(VIEW_SIZE),
        "target_ms": TARGET_MS,
        **timings,
        "paint_path_within_target": timings["paint_path_ms"]["p95"] <= TARGET_MS,
        "frame_within_target": timings["frame_ms"]["p95"] <= TARGET_MS,
        "qt_platform": os.environ.get("QT_QPA_PLATFORM", ""),
        "pyside6": pyside_version,
        "pyqtgraph": pg.__version__,
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),  # other work on the machine
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))
    write_json_atomic(args.json, result)


if __name__ == "__main__":
    main()
