"""The findings of a batch as one JSON document and one CSV table (one row per finding).

Sizes are given with their unit on every row: "mm" (area "mm2") on calibrated images, "px"
(area "px2") otherwise, so a spreadsheet never mixes millimetres and pixels unknowingly.
A case without any finding still gets one CSV row (finding empty), so no case disappears.
The reader's own measurements (calipers C1.., ellipses E1.., traces T1.., angles A1..;
engine.reader_measurements) follow the case's findings: in the JSON a "measurements" list per
case, in the CSV one row each (finding empty, the measurement_* columns filled).
Case names and file names are the caller's: when de-identifying, pass pseudonyms
(`pseudonymous_cases`) and no file names, since file names often carry patient names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.atomic import write_bytes_atomic, write_json_atomic
from engine.reader_measurements import ReaderMeasurement
from engine.report.model_info import ModelInfo
from engine.types import Analysis, Finding

# The lesion-size columns size_fields() fills, and the model columns; every CSV ends with them.
SIZE_COLUMNS = (
    "long_axis",
    "short_axis",
    "units",
    "area",
    "area_units",
    "ls_ratio",
    "long_axis_px",
    "short_axis_px",
    "area_px",
)
MODEL_COLUMNS = ("model_id", "model_version")
# Lexicon descriptors, empty for models that describe nothing. The BI-RADS items keep a
# column each (their names are the first five); every template, BI-RADS included, also fills
# descriptor_template and descriptor_values ("composition=solid or almost completely solid;
# echogenicity=hypoechoic; ..."), so TI-RADS and lymph-node sets reach the same table without
# a column per template. descriptor_points and descriptor_recommendation are TI-RADS's total
# and FNA / follow-up advice (empty for the others). The category is the AI's proposal until
# category_proposed is False (a reader confirmed it).
BIRADS_COLUMNS = ("shape", "orientation", "margin", "echo_pattern", "posterior_features")
DESCRIPTOR_COLUMNS = (
    *BIRADS_COLUMNS,
    "descriptor_template",
    "descriptor_values",
    "descriptor_points",
    "descriptor_recommendation",
    "category",
    "category_source",
    "category_proposed",
    "descriptor_reasons",
)
# One reader measurement per row: its label, kind, value and unit, and its points as
# "row,col;row,col;..." in image pixels.
MEASUREMENT_COLUMNS = (
    "measurement",
    "measurement_kind",
    "measurement_value",
    "measurement_unit",
    "measurement_perimeter",
    "measurement_perimeter_unit",
    "measurement_points",
)
COLUMNS = (
    "case",
    "file",
    "frame",
    "result",
    "finding",
    "label",
    "probability",
    "uncertainty",
    "low_confidence",
    "corrected",
    "label_source",
    "drawn_by_reader",
    *DESCRIPTOR_COLUMNS,
    *MEASUREMENT_COLUMNS,
    *SIZE_COLUMNS,
    *MODEL_COLUMNS,
)


@dataclass(frozen=True)
class CaseFindings:
    """One analysed image of the batch. file: "" when it must not be shown. measurements:
    the reader's, stored with the case (none for an image nobody measured). frame: the
    analysed frame of the source, counted from 1 as DICOM does (1 for a still image)."""

    case: str
    file: str
    analysis: Analysis
    measurements: tuple[ReaderMeasurement, ...] = ()
    frame: int = 1


def pseudonymous_cases(count: int) -> list[str]:
    """case-0001, case-0002, ... in input order: names that say nothing about the patient."""
    return [f"case-{i:04d}" for i in range(1, count + 1)]


def finding_row(case: CaseFindings, number: int, finding: Finding, model: ModelInfo) -> dict:
    return {
        "case": case.case,
        "file": case.file,
        "frame": case.frame,
        "result": case.analysis.result,
        "finding": number,
        "label": finding.label,
        # A lesion the reader drew has no AI probability: the cells stay empty.
        "probability": "" if finding.drawn_by_reader else round(finding.probability, 4),
        "uncertainty": "" if finding.drawn_by_reader else round(finding.uncertainty, 4),
        "low_confidence": finding.low_confidence,
        "corrected": finding.corrected,
        "label_source": finding.label_source,
        "drawn_by_reader": finding.drawn_by_reader,
        **descriptor_fields(finding),
        **size_fields(finding),
        "model_id": model.model_id,
        "model_version": model.version,
    }


def measurement_row(case: CaseFindings, m: ReaderMeasurement, model: ModelInfo) -> dict:
    """A reader measurement as a CSV row: no finding, no lesion columns."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    row.update(
        case=case.case,
        file=case.file,
        frame=case.frame,
        result=case.analysis.result,
        measurement=m.label,
        measurement_kind=m.kind,
        measurement_value=round(m.value, 3),
        measurement_unit=m.unit,
        measurement_perimeter="" if m.perimeter is None else round(m.perimeter, 3),
        measurement_perimeter_unit=m.perimeter_unit,
        measurement_points=";".join(f"{r:.2f},{c:.2f}" for r, c in m.points),
        model_id=model.model_id,
        model_version=model.version,
    )
    return row


def descriptor_fields(finding: Finding) -> dict:
    """The BI-RADS columns (BI-RADS sets only), every template's values as name=value pairs,
    TI-RADS points and advice, the category with who set it, and every reason ("not
    parallel: height/width 1.30") joined with " | "; all empty without descriptors."""
    d = finding.descriptors
    if d is None:
        return dict.fromkeys(DESCRIPTOR_COLUMNS, "")
    values = {item.name: item.value for item in d.descriptors}
    out: dict[str, Any] = dict.fromkeys(DESCRIPTOR_COLUMNS, "")
    if d.template == "bi-rads":
        out.update({name: values.get(name) or "" for name in BIRADS_COLUMNS})
    out.update(
        descriptor_template=d.template,
        descriptor_values="; ".join(f"{k}={'' if v is None else v}" for k, v in values.items()),
        descriptor_points=d.extras.get("total_points", ""),
        descriptor_recommendation=d.extras.get("recommendation_text", ""),
        category=d.category or "",
        category_source=d.category_source,
        category_proposed=d.category_proposed,
        descriptor_reasons=" | ".join(item.reason for item in d.descriptors),
    )
    return out


def size_fields(finding: Finding) -> dict:
    """The lesion's size with its unit (mm on calibrated images, px otherwise)."""
    m = finding.measurements
    calibrated = m.long_axis_mm is not None
    return {
        "long_axis": round(m.long_axis_mm if calibrated else m.long_axis_px, 2),
        "short_axis": round(m.short_axis_mm if calibrated else m.short_axis_px, 2),
        "units": "mm" if calibrated else "px",
        "area": round(m.area_mm2 if calibrated and m.area_mm2 is not None else m.area_px, 2),
        "area_units": "mm2" if calibrated else "px2",
        "ls_ratio": round(m.ls_ratio, 3),
        "long_axis_px": round(m.long_axis_px, 2),
        "short_axis_px": round(m.short_axis_px, 2),
        "area_px": m.area_px,
    }


def case_rows(case: CaseFindings, model: ModelInfo) -> list[dict]:
    rows = [finding_row(case, n, f, model) for n, f in enumerate(case.analysis.findings, start=1)]
    if rows:
        return rows + [measurement_row(case, m, model) for m in case.measurements]
    # No lesion (or withheld): one row that says so, with no class for a lesion that is not.
    empty: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    empty.update(
        case=case.case,
        file=case.file,
        frame=case.frame,
        result=case.analysis.result,
        model_id=model.model_id,
        model_version=model.version,
    )
    return [empty] + [measurement_row(case, m, model) for m in case.measurements]


def findings_document(
    cases: Sequence[CaseFindings], model: ModelInfo, deidentified: bool
) -> dict[str, Any]:
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "model_id": model.model_id,
        "model_version": model.version,
        "deidentified": deidentified,
        "disclaimer": "Research use only - not for diagnosis.",
        "cases": [
            {
                "case": c.case,
                "file": c.file,
                "frame": c.frame,
                "result": c.analysis.result,
                "label": case_label(c.analysis),
                "label_source": case_label_source(c.analysis),
                "model_label": c.analysis.prediction.label if c.analysis.findings else None,
                "lesion_probability": c.analysis.prediction.lesion_probability,
                "scope": c.analysis.scope.as_json() if c.analysis.scope is not None else None,
                "probabilities": c.analysis.prediction.probabilities,
                "calibrated": c.analysis.image.calibrated,
                "lesion_count": len(c.analysis.findings),
                "findings": [
                    {
                        **finding_row(c, n, f, model),
                        "descriptors": None if f.descriptors is None else f.descriptors.as_json(),
                    }
                    for n, f in enumerate(c.analysis.findings, start=1)
                ],
                "measurements": [m.as_json() for m in c.measurements],
            }
            for c in cases
        ],
    }


def case_label(analysis: Analysis) -> str | None:
    """The case's class: the reader's where the reader set one, else the model's; None
    without a lesion."""
    if not analysis.findings:
        return None
    return analysis.findings[0].label


def case_label_source(analysis: Analysis) -> str | None:
    return analysis.findings[0].label_source if analysis.findings else None


def findings_csv(cases: Sequence[CaseFindings], model: ModelInfo) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for case in cases:
        writer.writerows(case_rows(case, model))
    return buffer.getvalue().encode("utf-8")


def write_findings_json(
    path: str | Path, cases: Sequence[CaseFindings], model: ModelInfo, deidentified: bool
) -> Path:
    return write_json_atomic(path, findings_document(cases, model, deidentified))


def write_findings_csv(path: str | Path, cases: Sequence[CaseFindings], model: ModelInfo) -> Path:
    return write_bytes_atomic(path, findings_csv(cases, model))
