"""The words of the study's one finding panel: the case's class, probabilities and spread,
and per view what the model segmented (sizes in mm when the view is calibrated). Qt-free,
so the wording is tested without a display."""

from __future__ import annotations

from collections.abc import Sequence

from desktop.study_geometry import view_title
from engine.bundle import Bundle, ModelSpec
from engine.types import Finding, Image, StudyAnalysis


def percent(p: float) -> str:
    if p > 0.99:
        return ">99%"
    if 0 < p < 0.01:
        return "<1%"
    return f"{p:.0%}"


def probabilities_text(analysis: StudyAnalysis) -> str:
    probabilities = analysis.prediction.probabilities
    ranked = sorted(probabilities.items(), key=lambda kv: -kv[1])
    return " · ".join(f"{name} {percent(p)}" for name, p in ranked)


def spread_text(analysis: StudyAnalysis) -> str:
    """Spread of the case's class probability over test-time augmentation, or why none."""
    prediction = analysis.prediction
    spread = prediction.probability_spread.get(prediction.label)
    if spread is None:
        return "— (no test-time augmentation)"
    return f"±{spread * 100:.1f} points over test-time augmentation"


def lesion_size_text(findings: Sequence[Finding], image: Image) -> str:
    """ "12.3 × 7.1 mm, 68.2 mm²" per lesion, in px (and said so) on an uncalibrated view."""
    if not findings:
        return "no lesion segmented"
    parts = []
    for number, finding in enumerate(findings, start=1):
        m = finding.measurements
        if m.long_axis_mm is not None and m.short_axis_mm is not None:
            area = f", {m.area_mm2:.1f} mm²" if m.area_mm2 is not None else ""
            size = f"{m.long_axis_mm:.1f} × {m.short_axis_mm:.1f} mm{area}"
        else:
            size = f"{m.long_axis_px:.0f} × {m.short_axis_px:.0f} px, {m.area_px:.0f} px²"
            size += " (uncalibrated)"
        parts.append(size if len(findings) == 1 else f"#{number} {size}")
    return "; ".join(parts)


def view_rows(analysis: StudyAnalysis) -> list[tuple[str, str]]:
    """(view title, what the model says on that view), in the study's view order."""
    rows = []
    prediction = analysis.prediction
    for name, view in analysis.study.views.items():
        if name in prediction.masks or name in analysis.findings:
            text = lesion_size_text(analysis.findings.get(name, ()), view)  # type: ignore[arg-type]
        elif name in prediction.view_maps:
            text = "attention map only (the model does not segment this view)"
        else:
            text = "not used by the model"
        rows.append((view_title(name), text))
    return rows


def case_fields(analysis: StudyAnalysis, spec: ModelSpec | None) -> list[tuple[str, str]]:
    """The panel's rows, top to bottom: the finding of the case, then per view."""
    model = f"{spec.model_id} v{spec.version}" if spec is not None else analysis.prediction.model_id
    return [
        ("Class", analysis.prediction.label),
        ("Probability", probabilities_text(analysis)),
        ("Spread", spread_text(analysis)),
        ("Model", model),
    ]


def study_disclaimer(bundle: Bundle | None) -> str:
    """The research banner's second line for a study: the study model's own card."""
    if bundle is None:
        return "No shipped model takes these views: the study is shown without AI."
    spec = bundle.spec
    training = str(spec.card.get("training_data", "training data not documented"))
    return f"Model {spec.model_id} v{spec.version} · intended use: {spec.intended_use} · {training}"
