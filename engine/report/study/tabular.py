"""The finding of one analysed study as JSON (one document) and CSV (one row per view, or per
lesion on a segmented view). The class belongs to the case, so every row repeats it; sizes
carry their unit on every row, as in engine.report.tabular."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import numpy as np

from engine.report.model_info import ModelInfo
from engine.report.tabular import MODEL_COLUMNS, SIZE_COLUMNS, size_fields
from engine.types import Image, StudyAnalysis

COLUMNS = (
    "case",
    "view",
    "case_label",
    "case_probability",
    "case_spread",
    "confirmed_label",
    "model_output",
    "attention_peak_row",
    "attention_peak_col",
    "finding",
    *SIZE_COLUMNS,
    *MODEL_COLUMNS,
)
DISCLAIMER = "Research use only - not for diagnosis."


def _outputs(analysis: StudyAnalysis, view: str) -> str:
    prediction = analysis.prediction
    parts = [
        n for n, d in (("attention", prediction.view_maps), ("mask", prediction.masks)) if view in d
    ]
    return "+".join(parts)


def _peak(values: np.ndarray | None) -> tuple[int, int] | None:
    if values is None or values.size == 0:
        return None
    row, col = np.unravel_index(int(np.argmax(values)), values.shape)
    return int(row), int(col)


def study_document(
    analysis: StudyAnalysis, model: ModelInfo, case: str, deidentified: bool
) -> dict[str, Any]:
    prediction = analysis.prediction
    views = []
    for name, view in analysis.study.views.items():
        image = view if isinstance(view, Image) else None
        peak = _peak(prediction.view_maps.get(name))
        findings = analysis.findings.get(name, ())
        views.append(
            {
                "view": name,
                "width": image.width if image else None,
                "height": image.height if image else None,
                "spacing_mm": list(image.spacing_mm) if image and image.spacing_mm else None,
                "model_output": _outputs(analysis, name),
                "attention_peak": list(peak) if peak else None,
                "segmented": name in prediction.masks,
                "lesion_count": len(findings),
                "findings": [
                    {"finding": n, **size_fields(f), "drawn_by_reader": f.drawn_by_reader}
                    for n, f in enumerate(findings, start=1)
                ],
                "corrected": any(f.corrected for f in findings),
            }
        )
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "model_id": model.model_id,
        "model_version": model.version,
        "deidentified": deidentified,
        "disclaimer": DISCLAIMER,
        "case": case,
        "label": prediction.label,
        "probabilities": {k: round(float(v), 4) for k, v in prediction.probabilities.items()},
        "probability_spread": {
            k: round(float(v), 4) for k, v in prediction.probability_spread.items()
        },
        "views": views,
    }


def study_rows(
    analysis: StudyAnalysis, model: ModelInfo, case: str, confirmed_label: str | None = None
) -> list[dict[str, Any]]:
    prediction = analysis.prediction
    label = prediction.label
    spread = prediction.probability_spread.get(label)
    rows = []
    for name in analysis.study.views:
        peak = _peak(prediction.view_maps.get(name))
        base: dict[str, Any] = dict.fromkeys(COLUMNS, "")
        base.update(
            case=case,
            view=name,
            case_label=label,
            case_probability=round(float(prediction.probabilities[label]), 4),
            case_spread="" if spread is None else round(float(spread), 4),
            confirmed_label=confirmed_label or "",
            model_output=_outputs(analysis, name),
            attention_peak_row="" if peak is None else peak[0],
            attention_peak_col="" if peak is None else peak[1],
            model_id=model.model_id,
            model_version=model.version,
        )
        findings = analysis.findings.get(name, ())
        if not findings:
            rows.append(base)
        for number, finding in enumerate(findings, start=1):
            rows.append({**base, "finding": number, **size_fields(finding)})
    return rows


def study_csv(
    analysis: StudyAnalysis, model: ModelInfo, case: str, confirmed_label: str | None = None
) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(study_rows(analysis, model, case, confirmed_label))
    return buffer.getvalue().encode("utf-8")
