"""What the findings panel says, as plain strings: units, rounding, calibration wording.

Kept apart from the widget so the clinically relevant part (mm vs px, never mixing them
silently) is tested without a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from desktop.models.image.domain import domain_mismatch
from engine.inference import LoadedModel
from engine.report.wording import scope_sentence
from engine.types import Analysis, Finding, Image

UNCALIBRATED = "uncalibrated (px)"


def percent_text(probability: float) -> str:
    """Rounded percent that never claims certainty: 0.999 reads ">99", not "100"."""
    if probability >= 0.995:
        return ">99"
    if probability < 0.005:
        return "<1"
    return f"{probability * 100:.0f}"


def column_titles(calibrated: bool) -> list[str]:
    """Two-line headers (name, unit) keep eight columns readable in a narrow side panel."""
    length, area = ("mm", "mm²") if calibrated else ("px", "px²")
    return [
        "#",
        "Class",
        "Prob.\n%",
        "Unc.\n0–1",
        f"Long\n{length}",
        f"Short\n{length}",
        "L/S\n",
        f"Area\n{area}",
    ]


COLUMN_TIPS = [
    "Lesion number, as drawn on the image",
    "Class (the image-level prediction; every lesion carries it)",
    "Probability of that class, percent (temperature-calibrated)",
    "Uncertainty: mean per-pixel entropy inside the lesion (0 certain, 1 undecided)",
    "Long axis: longest chord of the lesion (maximum Feret diameter)",
    "Short axis: longest chord perpendicular to the long axis",
    "Long/short axis ratio (>= 2 oval, < 1.5 round)",
    "Area of the lesion mask",
]


def finding_row(index: int, finding: Finding, calibrated: bool) -> list[str]:
    m = finding.measurements
    if calibrated and m.long_axis_mm is not None and m.short_axis_mm is not None:
        long_axis, short_axis, area = m.long_axis_mm, m.short_axis_mm, m.area_mm2 or 0.0
        sizes = [f"{long_axis:.1f}", f"{short_axis:.1f}", f"{area:.1f}"]
    else:
        sizes = [f"{m.long_axis_px:.0f}", f"{m.short_axis_px:.0f}", f"{m.area_px:.0f}"]
    drawn = finding.drawn_by_reader  # the model said nothing about a lesion the reader drew
    reader = drawn or finding.label_source == "reader"
    return [
        str(index),
        f"{finding.label} (reader)" if reader else finding.label,
        "—" if drawn else percent_text(finding.probability),
        "—" if drawn else f"{finding.uncertainty:.2f}",
        sizes[0],
        sizes[1],
        f"{m.ls_ratio:.2f}",
        sizes[2],
    ]


def finding_rows(analysis: Analysis, numbers: Sequence[int] = ()) -> list[list[str]]:
    """One row per finding; `numbers`: the lesion numbers drawn on the image (kept across
    edits, desktop.models.image.lesion_ids), else 1..n."""
    calibrated = analysis.image.calibrated
    findings = analysis.findings
    if len(numbers) != len(findings):
        numbers = range(1, len(findings) + 1)
    return [finding_row(n, f, calibrated) for n, f in zip(numbers, findings, strict=True)]


def calibration_text(image: Image | None) -> str:
    if image is None:
        return "—"
    if image.spacing_mm is None:
        return UNCALIBRATED
    row_mm, col_mm = image.spacing_mm
    if abs(row_mm - col_mm) < 1e-6:
        return f"{row_mm:.3f} mm/px"
    return f"{row_mm:.3f} × {col_mm:.3f} mm/px (row × col)"


def probabilities_text(analysis: Analysis) -> str:
    """Lesion presence (models that answer it), then every class with its probability, most
    likely first; no class when the model found no lesion (there is nothing to name)."""
    prediction = analysis.prediction
    presence = (
        f"lesion present {percent_text(prediction.lesion_probability)} %"
        if prediction.lesion_probability is not None
        else ""
    )
    if presence and prediction.operating_point and prediction.presence_threshold is not None:
        threshold = percent_text(prediction.presence_threshold)
        presence += f" ({prediction.operating_point}: threshold {threshold} %)"
    if analysis.withheld or (presence and not prediction.lesion_found):
        return presence or "—"
    probs = sorted(prediction.probabilities.items(), key=lambda kv: -kv[1])
    classes = "   ".join(f"{name} {percent_text(p)} %" for name, p in probs)
    return f"{presence}   {classes}" if presence else classes


def result_text(analysis: Analysis) -> str:
    """The image-level answer: the class, "no lesion" or "withheld" (out of scope)."""
    if analysis.withheld:
        return "withheld (out of scope)"
    if not analysis.findings and not analysis.prediction.lesion_found:
        return "no lesion"
    return analysis.prediction.label


def scope_note(analysis: Analysis) -> str:
    """Why the AI's findings are withheld, or that they were run on demand ("" in scope)."""
    return scope_sentence(analysis).replace("Model > Run", "Model ▸ Run")


def model_text(model: LoadedModel | None) -> str:
    if model is None:
        return "no model loaded"
    return f"{model.spec.model_id} v{model.spec.version}"


def disclaimer_text(model: LoadedModel | None) -> str:
    """The banner's second line: the model card's own intended use and training data."""
    if model is None:
        return "No model loaded."
    card = model.spec.card
    training = str(card.get("training_data", "training data not documented in the model card"))
    return f"Model {model_text(model)} · intended use: {model.spec.intended_use} · {training}"


def case_fields(image: Image | None, path: Path | None) -> list[tuple[str, str]]:
    """Who and what is on screen: the patient line guards against reading the wrong case.
    DICOM tags only where present; a PNG shows its file name and size only."""
    if image is None:
        return [("File", "—")]
    meta = image.metadata
    fields = [("File", path.name if path else (Path(image.source).name or "—"))]
    if "PatientName" in meta or "PatientID" in meta:
        name = meta.get("PatientName", "").replace("^", " ").strip()
        fields.append(("Patient", f"{name} ({meta['PatientID']})" if "PatientID" in meta else name))
    if "StudyDate" in meta:
        date = meta["StudyDate"]
        fields.append(
            ("Study date", f"{date[:4]}-{date[4:6]}-{date[6:8]}" if len(date) == 8 else date)
        )
    device = " · ".join(meta[k] for k in ("Modality", "Manufacturer") if k in meta)
    if device:
        fields.append(("Device", device))
    if "StudyDescription" in meta:
        fields.append(("Description", meta["StudyDescription"]))
    fields.append(("Image size", f"{image.width} × {image.height} px"))
    fields.append(("Calibration", calibration_text(image)))
    return fields


def domain_warning(model: LoadedModel | None, image: Image | None, volume: bool = False) -> str:
    """A model that was not made for this kind of image (desktop.models.image.domain) says so
    next to the output a researcher asked for anyway: its lesions there are not findings."""
    mismatch = domain_mismatch(model, image, volume)
    return mismatch.warning() if mismatch is not None else ""
