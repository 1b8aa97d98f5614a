"""How probabilities and lesion sizes are written, the same on screen and in the reports.
Plain text (no markup), so the GUI and the PDF (which escapes it) share it."""

from __future__ import annotations

from collections.abc import Sequence

from engine.types import Finding


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
