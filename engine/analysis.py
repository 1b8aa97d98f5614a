"""Image + model -> Analysis (prediction and findings); the one call GUI and CLI share."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.atomic import write_json_atomic, write_png_atomic
from engine.descriptors import describe, template_for
from engine.descriptors.types import TEMPLATES, DescriptorSet
from engine.inference import LoadedModel
from engine.measure import lesion_components, measure_component, outer_contour
from engine.types import Analysis, Finding, Image, Prediction

if TYPE_CHECKING:
    from engine.reader_measurements import ReaderMeasurement

AUTO = "auto"


def analyze(
    image: Image,
    model: LoadedModel,
    tta: bool = True,
    force: bool = False,
    template: str = AUTO,
) -> Analysis:
    """Predict, check the scope, derive the findings.

    template: the descriptor template; "auto" (the default) is the model's own
    (engine.descriptors.template_for), "none" describes nothing, or a template name
    ("bi-rads", "ti-rads", "lymph-node") to describe with it whatever the model says.

    Out of the model's scope (engine.scope), the findings are withheld (an empty tuple, and
    the scope says why) unless force: the reader asked to run the model anyway, and the
    analysis is marked so (scope.forced) wherever it goes.
    """
    prediction = model.predict(image, tta=tta)
    spec = model.spec
    scope = model.assess_scope(image, prediction)
    if force and not scope.in_scope:
        scope = dataclasses.replace(scope, forced=True)
    if not scope.in_scope and not force:  # withheld: nothing to draw, measure or export
        empty = np.zeros_like(prediction.mask)
        return Analysis(image, dataclasses.replace(prediction, mask=empty), (), scope)
    findings = findings_from(
        image,
        prediction,
        spec.min_lesion_area_px,
        confidence_threshold=spec.confidence_threshold,
        descriptors=chosen_template(template, spec),
    )
    return Analysis(image=image, prediction=prediction, findings=findings, scope=scope)


def chosen_template(template: str, spec: Any) -> str | None:
    """The template an analysis uses: the model's for "auto", none for "none"."""
    if template == AUTO:
        return template_for(spec)
    if template == "none":
        return None
    if template not in TEMPLATES:
        raise ValueError(f"descriptor template {template!r} is not auto, none or {TEMPLATES}")
    return template


# A class probability that moves by more than this under flips and grey-map changes is not
# one a reader should trust, whatever its mean.
MAX_TRUSTED_SPREAD = 0.15


def findings_from(
    image: Image,
    prediction: Prediction,
    min_area_px: int = 20,
    corrected: bool = False,
    confidence_threshold: float = 0.7,
    descriptors: str | None = None,
    reader_label: str | None = None,
    ai_mask: np.ndarray | None = None,
) -> tuple[Finding, ...]:
    """One Finding per connected lesion. The classifier is image-level, so every lesion carries
    the image's class; its uncertainty is the TTA spread of that class's probability.

    descriptors: a template ("bi-rads", see engine.descriptors.template_for) to describe each
    lesion with, from its own mask and the image; None (the default) describes nothing.
    reader_label: the class the reader set in the review; where it differs from the model's,
    every lesion carries it with label_source "reader".
    ai_mask: the model's own mask when `prediction.mask` is a reader's correction: a lesion
    with no pixel in it was drawn by the reader (drawn_by_reader, no AI confidence)."""
    components = lesion_components(prediction.mask, min_area_px)
    ai_label = prediction.label
    probability = prediction.probabilities[ai_label]
    spread = prediction.spread
    low = probability < confidence_threshold or spread > MAX_TRUSTED_SPREAD
    by_reader = reader_label is not None and reader_label != ai_label
    label = reader_label if by_reader else ai_label
    if by_reader:  # the model's probability of the class shown (a class it lacks: 0)
        probability = float(prediction.probabilities.get(str(label), 0.0))
    out = []
    for component in components:
        drawn = ai_mask is not None and not bool(np.any(component & (ai_mask > 0)))
        contour = outer_contour(component)
        out.append(
            Finding(
                contour=contour,
                measurements=measure_component(component, image.spacing_mm, contour),
                label=str(label),
                probability=probability,
                uncertainty=spread,
                corrected=corrected or drawn,
                low_confidence=low and not drawn,
                descriptors=describe_lesion(descriptors, component, image),
                label_source="reader" if by_reader else "AI",
                drawn_by_reader=drawn,
            )
        )
    return tuple(out)


def describe_lesion(
    template: str | None, component: np.ndarray, image: Image
) -> DescriptorSet | None:
    """The lesion's descriptor set, or None: no template, or an image the descriptors cannot
    read (a mask that is not the size of one grayscale/RGB frame)."""
    if template is None:
        return None
    pixels = image.pixels
    if pixels.shape[:2] != component.shape or not (pixels.ndim == 2 or image.is_color):
        return None
    return describe(template, component, pixels, image.spacing_mm)


def analysis_to_json(analysis: Analysis) -> dict[str, Any]:
    image, prediction = analysis.image, analysis.prediction
    return {
        "source": image.source,
        "image_size": [image.height, image.width],
        "spacing_mm": list(image.spacing_mm) if image.spacing_mm else None,
        "calibrated": image.calibrated,
        "units": "mm" if image.calibrated else "px",
        "model_id": prediction.model_id,
        "result": analysis.result,
        "lesion_present": bool(analysis.findings),
        "lesion_probability": _rounded(prediction.lesion_probability),
        "presence_threshold": _rounded(prediction.presence_threshold),
        "operating_point": prediction.operating_point or None,
        "scope": analysis.scope.as_json() if analysis.scope is not None else None,
        "label": prediction.label if analysis.findings else None,
        "model_label": prediction.label,
        "probabilities": prediction.probabilities,
        "probability_spread": prediction.probability_spread,
        "tta_passes": prediction.tta_passes,
        "lesion_count": len(analysis.findings),
        "measurements": [_finding_json(f) for f in analysis.findings],
        "disclaimer": "research use; not for diagnosis",
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _finding_json(finding: Finding) -> dict[str, Any]:
    m = finding.measurements
    return {
        "label": finding.label,
        "label_source": finding.label_source,
        "drawn_by_reader": finding.drawn_by_reader,
        # A reader-drawn lesion has no AI probability (None), not the image's.
        "probability": _rounded(finding.ai_probability),
        "uncertainty": None if finding.drawn_by_reader else round(finding.uncertainty, 4),
        "corrected": finding.corrected,
        "low_confidence": finding.low_confidence,
        "area_px": m.area_px,
        "long_axis_px": round(m.long_axis_px, 2),
        "short_axis_px": round(m.short_axis_px, 2),
        "area_mm2": None if m.area_mm2 is None else round(m.area_mm2, 2),
        "long_axis_mm": None if m.long_axis_mm is None else round(m.long_axis_mm, 2),
        "short_axis_mm": None if m.short_axis_mm is None else round(m.short_axis_mm, 2),
        "ls_ratio": round(m.ls_ratio, 3),
        "perimeter_px": round(m.perimeter_px, 2),
        "perimeter_mm": None if m.perimeter_mm is None else round(m.perimeter_mm, 2),
        "orientation_deg": round(m.orientation_deg, 1),
        "irregularity": round(m.irregularity, 4),
        "long_axis_endpoints_rc": [list(p) for p in m.long_axis_endpoints],
        "short_axis_endpoints_rc": [list(p) for p in m.short_axis_endpoints],
        "contour_rc": np.round(finding.contour, 2).tolist(),
        # Each descriptor's value, the measurement behind it and its reason; the category is a
        # proposal ("proposed": true) until the reader confirms it.
        "descriptors": None if finding.descriptors is None else finding.descriptors.as_json(),
    }


def write_analysis(
    analysis: Analysis,
    out_dir: str | Path,
    reader_measurements: Sequence[ReaderMeasurement] = (),
    frame: int = 1,
) -> Path:
    """DIR/mask.png (0/255, the analysed image's size) and DIR/findings.json, both atomic.
    findings.json also says which frame was analysed (counted from 1, as DICOM counts) and
    lists the reader's measurements stored for it (engine.reader_input), as export does."""
    out_dir = Path(out_dir)
    write_png_atomic(out_dir / "mask.png", (analysis.prediction.mask > 0).astype(np.uint8) * 255)
    document = {
        **analysis_to_json(analysis),
        "frame": frame,
        "reader_measurements": [m.as_json() for m in reader_measurements],
    }
    write_json_atomic(out_dir / "findings.json", document)
    return out_dir
