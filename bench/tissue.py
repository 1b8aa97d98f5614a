"""Tissue-area finder: time per screen (600x800 synthetic layouts and real vendor files) and
how well it recovers the synthetic truth. Writes one JSON result.

Times are medians over repeats, wall clock and CPU time of this process (on a machine shared
with another job the CPU time is the fairer number). Accuracy: per layout kind over seeds,
the mean IoU of each true panel with its best found panel, the share of annotation pixels
inside panels flagged as overlay, and the share of tissue wrongly flagged.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from engine.atomic import write_json_atomic
from engine.synth.scanner_layouts import LAYOUT_KINDS, SCREEN, render_layout
from engine.tissue import fill_overlay, find_tissue_area
from engine.types import Image

VENDOR_FILES = ("US1_UNCR.dcm", "OBXXXX1A.dcm", "gdcm-US-ALOKA-16.dcm", "color-pl.dcm")


def timed(call, repeats: int) -> dict[str, float]:  # noqa: ANN001
    call()  # warm: imports, first-touch allocations
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "wall_ms_median": round(statistics.median(wall), 1),
        "cpu_ms_median": round(statistics.median(cpu), 1),
    }


def _image(pixels: np.ndarray) -> Image:
    return Image(pixels=pixels, photometric="RGB" if pixels.ndim == 3 else "MONOCHROME2")


def accuracy(kind: str, seeds: int) -> dict[str, float]:
    ious, recalls, false_alarms, counts = [], [], [], []
    for seed in range(seeds):
        layout = render_layout(kind, seed)
        area = find_tissue_area(_image(layout.pixels))
        counts.append(len(area.panels) == len(layout.panels))
        for truth in layout.panels:
            ious.append(
                max(
                    (float((truth & p.mask).sum() / (truth | p.mask).sum()) for p in area.panels),
                    default=0.0,
                )
            )
        drawn = layout.overlay & area.panel_union
        recalls.append(float((area.overlay & drawn).sum() / max(drawn.sum(), 1)))
        false_alarms.append(float((area.overlay & layout.tissue).sum() / layout.tissue.sum()))
    return {
        "panel_count_right": round(float(np.mean(counts)), 3),
        "panel_iou_mean": round(float(np.mean(ious)), 3),
        "panel_iou_min": round(float(np.min(ious)), 3),
        "overlay_recall_mean": round(float(np.mean(recalls)), 3),
        "tissue_flagged_mean": round(float(np.mean(false_alarms)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--json", type=Path, default=Path("bench/results/tissue.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    speed = {}
    for kind in LAYOUT_KINDS:
        image = _image(render_layout(kind, 0).pixels)
        speed[kind] = timed(lambda image=image: find_tissue_area(image), args.repeats)
    gray = render_layout("split", 0).pixels.astype(np.float32)
    area = find_tissue_area(Image(pixels=gray.astype(np.uint8)))
    fill = timed(lambda: fill_overlay(gray, area), args.repeats)
    vendor = {}
    from pydicom.data import get_testdata_file

    from engine.io import load_image

    for name in VENDOR_FILES:
        path = get_testdata_file(name)
        if path is None:
            continue
        image = load_image(path)
        found = find_tissue_area(image)
        vendor[name] = {
            "size": f"{image.width}x{image.height}",
            "region_tags": bool(image.regions),
            "panels": len(found.panels),
            **timed(lambda image=image: find_tissue_area(image), args.repeats),
        }
    result = {
        "benchmark": "tissue_area",
        "screen": f"{SCREEN[1]}x{SCREEN[0]} synthetic layouts (seed 0)",
        "target_ms": "a few to ~20 per 600x800 frame",
        "find_tissue_area": speed,
        "fill_overlay_split_screen": fill,
        "vendor_files": vendor,
        "accuracy_over_seeds": {kind: accuracy(kind, args.seeds) for kind in LAYOUT_KINDS},
        "seeds": args.seeds,
        "load_average_at_start": round(load_before, 2),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))
    write_json_atomic(args.json, result)


if __name__ == "__main__":
    main()
