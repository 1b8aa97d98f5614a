"""How probabilities and lesion sizes are written, the same on screen and in the reports.
Plain text (no markup), so the GUI and the PDF (which escapes it) share it."""

from __future__ import annotations

from collections.abc import Sequence

from engine.types import Analysis, Finding


def percent(p: float) -> str:
    """Whole percent, but never a certainty the model does not have: >99% and <1%."""
    if p > 0.99:
        return ">99%"
    if 0 < p < 0.01:
        return "<1%"
    return f"{p:.0%}"


def lesion_size_text(findings: Sequence[Finding], say_uncalibrated: bool = False) -> str:
    """Long × short axis and area of each lesion: "12.3 × 7.1 mm, 68.2 mm²" when calibrated,
    else in px (followed by "(uncalibrated)" when asked, where a reader could take px for
    mm)."""
    if not findings:
        return "no lesion segmented"
    parts = []
    for number, finding in enumerate(findings, start=1):
        m = finding.measurements
        if m.long_axis_mm is not None and m.short_axis_mm is not None:
            area = f", {m.area_mm2:.1f} mm\u00b2" if m.area_mm2 is not None else ""
            text = f"{m.long_axis_mm:.1f} \u00d7 {m.short_axis_mm:.1f} mm{area}"
        else:
            text = f"{m.long_axis_px:.0f} \u00d7 {m.short_axis_px:.0f} px, {m.area_px:.0f} px\u00b2"
            text += " (uncalibrated)" if say_uncalibrated else ""
        parts.append(text if len(findings) == 1 else f"#{number}: {text}")
    return "; ".join(parts)


def result_sentence(analysis: Analysis) -> str:
    """The image-level answer in one sentence: a lesion, no lesion, or withheld (and why)."""
    prediction, scope = analysis.prediction, analysis.scope
    presence = ""
    if prediction.lesion_probability is not None:
        point = ""
        if prediction.operating_point and prediction.presence_threshold is not None:
            threshold = percent(prediction.presence_threshold)
            point = f"; {prediction.operating_point} threshold {threshold}"
        presence = f" (lesion present: {percent(prediction.lesion_probability)}{point})"
    if analysis.withheld:
        return f"Findings withheld: the image is out of the model's scope: {scope.reason}."
    if analysis.findings:
        count = len(analysis.findings)
        return f"{count} lesion{'s' if count != 1 else ''} found{presence}."
    return f"No lesion found{presence}."


def scope_sentence(analysis: Analysis) -> str:
    """What the scope check said ("" when the bundle has none or the image is in scope)."""
    scope = analysis.scope
    if scope is None or scope.in_scope:
        return ""
    if scope.forced:
        return (
            f"Run on demand outside the model's scope ({scope.reason}): its output is not a "
            "finding."
        )
    return (
        f"Findings withheld: {scope.reason}. The image is shown without AI; a reader may run "
        "the model on demand (Model > Run Model Anyway), marked as such."
    )
