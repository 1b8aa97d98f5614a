"""`lesionlens segment IMAGE --click R,C [--click -R,C] [--box R0,C0,R1,C1] --out DIR`.

Writes DIR/mask.png (0/255, the image's size) and DIR/findings.json as `analyze` does
(engine.analysis: the same measurements and JSON per lesion), each lesion marked as drawn by
the reader with AI assistance (no AI class or probability: the model outlines, it does not
classify), plus the prompts that made it.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.analysis import analysis_to_json, findings_from
from engine.atomic import write_json_atomic, write_png_atomic
from engine.interactive.clicks import Box, Click
from engine.interactive.model import InteractiveModel
from engine.types import Analysis, Image, Prediction

ASSISTANCE = "reader-drawn with AI assistance"


def segment_image(
    image: Image,
    model: InteractiveModel,
    clicks: Sequence[Click],
    box: Box | None = None,
    previous: np.ndarray | None = None,
) -> Analysis:
    """The clicks' mask and its findings (one per lesion, drawn by the reader with AI help)."""
    result = model.encode(image).segment(clicks, box, previous)
    prediction = Prediction(
        mask=result.mask,
        probabilities={"lesion": 1.0},
        uncertainty=np.zeros(result.mask.shape, dtype=np.float32),
        model_id=model.model_id,
        input_size=model.spec.size,
    )
    findings = findings_from(image, prediction, model.spec.min_lesion_area_px)
    findings = tuple(
        dataclasses.replace(f, drawn_by_reader=True, corrected=True, label_source="reader")
        for f in findings
    )
    return Analysis(image=image, prediction=prediction, findings=findings)


def segmentation_json(
    analysis: Analysis, clicks: Sequence[Click], box: Box | None
) -> dict[str, Any]:
    out = analysis_to_json(analysis)
    out.update(
        {
            "label": None,
            "model_label": None,
            "probabilities": {},
            "lesion_probability": None,
            "assistance": ASSISTANCE,
            "prompts": {
                "clicks": [{"row": c.row, "col": c.col, "positive": c.positive} for c in clicks],
                "box": None if box is None else [box.r0, box.c0, box.r1, box.c1],
            },
        }
    )
    return out


def write_segmentation(
    analysis: Analysis, out_dir: str | Path, clicks: Sequence[Click], box: Box | None
) -> Path:
    out_dir = Path(out_dir)
    write_png_atomic(out_dir / "mask.png", (analysis.prediction.mask > 0).astype(np.uint8) * 255)
    write_json_atomic(out_dir / "findings.json", segmentation_json(analysis, clicks, box))
    return out_dir


def run_segment(args: argparse.Namespace) -> int:
    from engine.io import load_image

    try:
        clicks = [Click.parse(text) for text in args.click]
        box = None if args.box is None else Box.parse(args.box)
    except ValueError as exc:
        print(f"lesionlens: error: {exc}", file=sys.stderr)
        return 2
    if not clicks and box is None:
        print("lesionlens: error: segment needs at least one --click or a --box", file=sys.stderr)
        return 2
    model = InteractiveModel(args.model)
    image = load_image(args.image)
    analysis = segment_image(image, model, clicks, box)
    write_segmentation(analysis, args.out, clicks, box)
    area = int(analysis.prediction.mask.sum())
    print(f"{args.image.name}: {len(analysis.findings)} lesion(s), {area} px -> {args.out}")
    return 0
