"""Label editing on a CT volume: what a reader waits for, on a KiTS-sized grid. Writes one JSON.

Measured on a D×512×512 label volume (default 120 slices) and on the synthetic kidney CT grid
(48×96×128):
- stroke_segment_ms: one mouse-move segment of a brush stroke on an axial slice (swept disc,
  radius 8 px), the label edit alone;
- stroke_end_ms: releasing a whole stroke (patch, undo entry, mL counts updated);
- overlay_plane_ms: one plane's RGBA overlay rebuilt from the labels (what a view redraws
  after an edit or a scroll), for the axial and the coronal plane;
- interpolate_ms: shape-based interpolation of a 20-slice gap between two edited discs;
- undo_ms: undoing that interpolation;
- history_mb: memory the undo history holds after the interpolation.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from desktop.models.volume.display import label_lut, labels_rgba
from desktop.models.volume.labels import VolumeLabels
from desktop.models.volume.planes import AXIAL, CORONAL, PlaneLayout
from engine.atomic import write_json_atomic

NAMES = ("background", "kidney", "tumour")
REPEATS = 5


def timed_ms(run, repeats: int = REPEATS) -> float:  # noqa: ANN001
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 3)


def measure(shape: tuple[int, int, int], spacing: tuple[float, float, float]) -> dict:
    d, h, w = shape
    editor = VolumeLabels(np.zeros(shape, np.uint8), NAMES, spacing)
    axial = PlaneLayout(AXIAL, shape, spacing, flip_rows=False)
    coronal = PlaneLayout(CORONAL, shape, spacing, flip_rows=True)
    cy, cx = h / 2, w / 2
    radius = max(2.0, h / 32)

    def segment() -> None:
        editor.stroke_to((cy + 4, cx + 4))
        editor.stroke_to((cy, cx))

    editor.begin_stroke(axial, 2, (cy, cx), radius, 1)
    stroke_segment = timed_ms(segment, 20)
    start = time.perf_counter()
    editor.end_stroke()
    stroke_end = (time.perf_counter() - start) * 1000

    gap = min(20, d - 3)
    first, last = 1, 1 + gap + 1
    for index, r in ((first, h / 10), (last, h / 5)):
        editor.begin_stroke(axial, index, (cy, cx), r, 1)
        editor.end_stroke()
    lut = label_lut(NAMES, 0.45)
    overlay_axial = timed_ms(lambda: labels_rgba(axial.view(editor.labels, first), lut))
    overlay_coronal = timed_ms(lambda: labels_rgba(coronal.view(editor.labels, h // 2), lut))
    start = time.perf_counter()
    filled = editor.interpolate(0, 1)
    interpolate = (time.perf_counter() - start) * 1000
    history = editor.history_nbytes / 1e6
    start = time.perf_counter()
    editor.undo()
    undo = (time.perf_counter() - start) * 1000
    return {
        "shape_zyx": list(shape),
        "stroke_segment_ms": stroke_segment,
        "stroke_end_ms": round(stroke_end, 3),
        "overlay_axial_plane_ms": overlay_axial,
        "overlay_coronal_plane_ms": overlay_coronal,
        "interpolated_slices": filled,
        "interpolate_ms": round(interpolate, 1),
        "undo_interpolation_ms": round(undo, 1),
        "history_mb": round(history, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=120)
    parser.add_argument("--json", type=Path, default=Path("bench/results/volume_labels.json"))
    args = parser.parse_args()
    result = {
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "kits_like": measure((args.slices, 512, 512), (3.0, 0.8, 0.8)),
        "synthetic_kidney_ct": measure((48, 96, 128), (3.0, 2.8, 2.8)),
    }
    print(json.dumps(result, indent=2))
    write_json_atomic(args.json, result)


if __name__ == "__main__":
    main()
