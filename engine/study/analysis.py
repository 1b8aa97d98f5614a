"""Study + multi-view model -> StudyAnalysis (one class for the case, findings per segmented
view); the one call the GUI, the CLI and the report share for multi-view cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.analysis import _finding_json, findings_from
from engine.atomic import write_json_atomic, write_png_atomic
from engine.inference import LoadedModel
from engine.study.inference import predict_study
from engine.types import Image, Prediction, Study, StudyAnalysis, StudyPrediction


def analyze_study(study: Study, model: LoadedModel, tta: bool = True) -> StudyAnalysis:
    prediction = predict_study(study, model, tta=tta)
    spec = model.spec
    findings = {}
    for view in prediction.masks:
        image = study.views[view]
        assert isinstance(image, Image)  # predict_study accepts 2D views only
        findings[view] = findings_from(
            image,
            view_prediction(prediction, view),
            spec.min_lesion_area_px,
            confidence_threshold=spec.confidence_threshold,
        )
    return StudyAnalysis(study=study, prediction=prediction, findings=findings)


def view_prediction(prediction: StudyPrediction, view: str) -> Prediction:
    """One segmented view as a single-image Prediction: its mask with the case's class, so
    the single-image finding and report code applies unchanged. The classifier is
    case-level; every lesion on the view carries the case's class and TTA spread."""
    mask = prediction.masks[view]
    return Prediction(
        mask=mask,
        probabilities=prediction.probabilities,
        uncertainty=np.zeros(mask.shape, dtype=np.float32),
        model_id=prediction.model_id,
        probability_spread=prediction.probability_spread,
        tta_passes=2 if any(prediction.probability_spread.values()) else 1,
    )


def study_analysis_to_json(analysis: StudyAnalysis) -> dict[str, Any]:
    study, prediction = analysis.study, analysis.prediction
    views = {}
    for name, image in study.views.items():
        entry: dict[str, Any] = {"source": getattr(image, "source", "")}
        if isinstance(image, Image):
            entry.update(
                image_size=[image.height, image.width],
                spacing_mm=list(image.spacing_mm) if image.spacing_mm else None,
                units="mm" if image.calibrated else "px",
            )
        entry["attention_map"] = name in prediction.view_maps
        entry["segmented"] = name in prediction.masks
        if name in analysis.findings:
            entry["lesion_count"] = len(analysis.findings[name])
            entry["measurements"] = [_finding_json(f) for f in analysis.findings[name]]
        views[name] = entry
    label = prediction.label
    return {
        "case": study.case_id,
        "source": str(study.metadata.get("source", "")),
        "model_id": prediction.model_id,
        "label": label,
        "probability": round(prediction.probabilities[label], 4),
        "probabilities": prediction.probabilities,
        "probability_spread": prediction.probability_spread,
        "views": views,
        "disclaimer": "research use; not for diagnosis",
    }


def write_study_analysis(analysis: StudyAnalysis, out_dir: str | Path) -> Path:
    """DIR/findings.json, DIR/mask_<view>.png (0/255) per segmented view and
    DIR/attention_<view>.png (0-255) per view with a map, each at the view's size; atomic."""
    out_dir = Path(out_dir)
    prediction = analysis.prediction
    for view, mask in prediction.masks.items():
        write_png_atomic(out_dir / f"mask_{view}.png", (mask > 0).astype(np.uint8) * 255)
    for view, values in prediction.view_maps.items():
        shade = np.round(np.clip(values, 0, 1) * 255).astype(np.uint8)
        write_png_atomic(out_dir / f"attention_{view}.png", shade)
    write_json_atomic(out_dir / "findings.json", study_analysis_to_json(analysis))
    return out_dir
