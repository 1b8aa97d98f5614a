"""Simulated-click evaluation of an interactive model on a labelled data-set folder.

Per case with a lesion: encode once, then up to `max_clicks` clicks from the simulator
(engine.interactive.clicks: first at the lesion's centre, each next one at the centre of the
largest error region), each fed the previous mask. NoC@t is the number of clicks until the
IoU with the (largest) lesion reaches t, `max_clicks` when it never does (RITM's rule). All
at the image's own size, through onnxruntime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from engine.datasets import load_dataset, read_mask
from engine.interactive.clicks import first_click, iou, largest_object, next_click
from engine.interactive.model import InteractiveModel
from engine.io import load_image

MAX_CLICKS = 20
THRESHOLDS = (0.85, 0.90)


def clicks_to_reach(ious: list[float], threshold: float, max_clicks: int = MAX_CLICKS) -> int:
    for k, value in enumerate(ious, start=1):
        if value >= threshold:
            return k
    return max_clicks


def simulate(
    model: InteractiveModel, pixels: np.ndarray, target: np.ndarray, max_clicks: int = MAX_CLICKS
) -> dict[str, Any]:
    """IoU after each simulated click on one image, and the encoder and per-click ms.
    Stops early once IoU reaches the highest threshold (later clicks change no NoC)."""
    target = largest_object(target)
    encoded = model.encode(pixels)
    clicks = [first_click(target)]
    previous = None
    ious: list[float] = []
    click_ms: list[float] = []
    while True:
        result = encoded.segment(clicks, previous=previous)
        click_ms.append(result.click_ms)
        ious.append(iou(result.mask, target))
        if ious[-1] >= max(THRESHOLDS) or len(clicks) >= max_clicks:
            break
        click = next_click(target, result.mask)
        if click is None:
            break
        clicks.append(click)
        previous = result.mask
    return {"ious": ious, "click_ms": click_ms, "encode_ms": encoded.encode_ms}


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3) if values else float("nan")


def evaluate_interactive(
    root: str | Path,
    model: InteractiveModel,
    cases: Iterable[str] | None = None,
    limit: int | None = None,
    max_clicks: int = MAX_CLICKS,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """NoC@85, NoC@90, first-click IoU, encoder and per-click ms over the folder's lesion
    cases (empty masks, e.g. normal scans, are skipped: there is nothing to click on)."""
    dataset = load_dataset(root)
    wanted = None if cases is None else set(cases)
    chosen = [
        c for c in dataset.cases if (wanted is None or c.case_id in wanted) and c.views[0].masks
    ]
    per_case: list[dict[str, Any]] = []
    encode_ms: list[float] = []
    click_ms: list[float] = []
    for i, case in enumerate(chosen):
        if limit is not None and len(per_case) >= limit:
            break
        view = case.views[0]
        target = read_mask(view) > 0
        if not target.any():
            continue
        image = load_image(view.image)
        run = simulate(model, image.pixels, target, max_clicks)
        encode_ms.append(run["encode_ms"])
        click_ms.extend(run["click_ms"])
        per_case.append(
            {
                "case": case.case_id,
                "first_click_iou": round(run["ious"][0], 4),
                "noc85": clicks_to_reach(run["ious"], 0.85, max_clicks),
                "noc90": clicks_to_reach(run["ious"], 0.90, max_clicks),
                "ious": [round(v, 4) for v in run["ious"]],
            }
        )
        if progress is not None:
            progress(i + 1, len(chosen))
    n = len(per_case)
    mean = lambda key: round(float(np.mean([c[key] for c in per_case])), 3) if n else None  # noqa: E731
    return {
        "data": str(root),
        "model_id": model.model_id,
        "cases": n,
        "max_clicks": max_clicks,
        "noc85": mean("noc85"),
        "noc90": mean("noc90"),
        "first_click_iou": mean("first_click_iou"),
        "failed85": sum(c["noc85"] >= max_clicks and max(c["ious"]) < 0.85 for c in per_case),
        "failed90": sum(c["noc90"] >= max_clicks and max(c["ious"]) < 0.90 for c in per_case),
        "encode_ms_median": _pct(encode_ms, 50),
        "encode_ms_p95": _pct(encode_ms, 95),
        "click_ms_median": _pct(click_ms, 50),
        "click_ms_p95": _pct(click_ms, 95),
        "clicks_timed": len(click_ms),
        "per_case": per_case,
    }
