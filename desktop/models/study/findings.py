"""The words of the study's one finding panel: the case's class, probabilities and spread,
and per view what the model segmented (sizes in mm when the view is calibrated). Qt-free,
so the wording is tested without a display."""

from __future__ import annotations

from desktop.models.study.geometry import view_title
from engine.bundle import Bundle, ModelSpec
from engine.report.wording import lesion_size_text, percent
from engine.types import StudyAnalysis


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


def view_rows(analysis: StudyAnalysis) -> list[tuple[str, str]]:
    """(view title, what the model says on that view), in the study's view order."""
    rows = []
    prediction = analysis.prediction
    for name in analysis.study.views:
        if name in prediction.masks or name in analysis.findings:
            text = lesion_size_text(analysis.findings.get(name, ()), say_uncalibrated=True)
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
