"""Image + model -> Analysis (prediction and findings); the one call GUI and CLI share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import write_json_atomic, write_png_atomic
from engine.inference import LoadedModel
from engine.measure import lesion_components, measure_component, outer_contour
from engine.types import Analysis, Finding, Image, Prediction


def analyze(image: Image, model: LoadedModel) -> Analysis:
    prediction = model.predict(image)
    findings = findings_from(image, prediction, model.spec.min_lesion_area_px)
    return Analysis(image=image, prediction=prediction, findings=findings)


def findings_from(
    image: Image, prediction: Prediction, min_area_px: int = 20, corrected: bool = False
) -> tuple[Finding, ...]:
    """One Finding per connected lesion. The classifier is image-level, so every lesion carries
    the image's class; its uncertainty is the mean pixel uncertainty inside the lesion."""
    components = lesion_components(prediction.mask, min_area_px)
    label = prediction.label
    findings = []
    for component in components:
        findings.append(
            Finding(
                contour=outer_contour(component),
                measurements=measure_component(component, image.spacing_mm),
                label=label,
                probability=prediction.probabilities[label],
                uncertainty=float(prediction.uncertainty[component].mean()),
                corrected=corrected,
            )
        )
    return tuple(findings)


def analysis_to_json(analysis: Analysis) -> dict[str, Any]:
    image, prediction = analysis.image, analysis.prediction
    return {
        "source": image.source,
        "image_size": [image.height, image.width],
        "spacing_mm": list(image.spacing_mm) if image.spacing_mm else None,
        "calibrated": image.calibrated,
        "units": "mm" if image.calibrated else "px",
        "model_id": prediction.model_id,
        "label": prediction.label,
        "probabilities": prediction.probabilities,
        "lesion_count": len(analysis.findings),
        "measurements": [_finding_json(f) for f in analysis.findings],
        "disclaimer": "research use; not for diagnosis",
    }


def _finding_json(finding: Finding) -> dict[str, Any]:
    m = finding.measurements
    return {
        "label": finding.label,
        "probability": round(finding.probability, 4),
        "uncertainty": round(finding.uncertainty, 4),
        "corrected": finding.corrected,
        "area_px": m.area_px,
        "long_axis_px": round(m.long_axis_px, 2),
        "short_axis_px": round(m.short_axis_px, 2),
        "area_mm2": None if m.area_mm2 is None else round(m.area_mm2, 2),
        "long_axis_mm": None if m.long_axis_mm is None else round(m.long_axis_mm, 2),
        "short_axis_mm": None if m.short_axis_mm is None else round(m.short_axis_mm, 2),
        "ls_ratio": round(m.ls_ratio, 3),
        "long_axis_endpoints_rc": [list(p) for p in m.long_axis_endpoints],
        "short_axis_endpoints_rc": [list(p) for p in m.short_axis_endpoints],
        "contour_rc": np.round(finding.contour, 2).tolist(),
    }


def write_analysis(analysis: Analysis, out_dir: str | Path) -> Path:
    """DIR/mask.png (0/255, the analysed image's size) and DIR/findings.json, both atomic."""
    out_dir = Path(out_dir)
    write_png_atomic(out_dir / "mask.png", (analysis.prediction.mask > 0).astype(np.uint8) * 255)
    write_json_atomic(out_dir / "findings.json", analysis_to_json(analysis))
    return out_dir
