"""The findings wording: mm on calibrated images, px (and saying so) otherwise."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from desktop.models.image.findings_table import (
    UNCALIBRATED,
    calibration_text,
    case_fields,
    column_titles,
    disclaimer_text,
    domain_warning,
    finding_rows,
    percent_text,
    probabilities_text,
)
from engine.analysis import findings_from


def test_calibrated_rows_in_mm(known_analysis) -> None:  # noqa: ANN001
    rows = finding_rows(known_analysis)
    assert len(rows) == len(known_analysis.findings) >= 1
    m = known_analysis.findings[0].measurements
    assert rows[0][4] == f"{m.long_axis_mm:.1f}" and rows[0][7] == f"{m.area_mm2:.1f}"
    assert rows[0][1] == "benign" and rows[0][2] == "80"
    assert column_titles(True)[4] == "Long\nmm"
    assert calibration_text(known_analysis.image).endswith("mm/px")


def test_uncalibrated_rows_in_px(known_analysis) -> None:  # noqa: ANN001
    image = dataclasses.replace(known_analysis.image, spacing_mm=None)
    prediction = known_analysis.prediction
    analysis = dataclasses.replace(
        known_analysis, image=image, findings=findings_from(image, prediction)
    )
    m = analysis.findings[0].measurements
    assert finding_rows(analysis)[0][4] == f"{m.long_axis_px:.0f}"
    assert column_titles(False)[7] == "Area\npx²"
    assert calibration_text(image) == UNCALIBRATED == "uncalibrated (px)"


def test_probabilities_most_likely_first(known_analysis) -> None:  # noqa: ANN001
    assert probabilities_text(known_analysis) == "benign 80 %   malignant 20 %"


def test_disclaimer_quotes_the_model_card(model) -> None:  # noqa: ANN001
    text = disclaimer_text(model)
    assert model.spec.intended_use in text
    assert str(model.spec.card["training_data"]) in text
    assert disclaimer_text(None) == "No model loaded."


def test_case_fields_from_dicom_tags(known_analysis) -> None:  # noqa: ANN001
    image = dataclasses.replace(
        known_analysis.image,
        metadata={"PatientName": "DOE^JANE", "PatientID": "P1", "StudyDate": "20260102"},
    )
    fields = dict(case_fields(image, Path("/data/case.dcm")))
    assert fields["File"] == "case.dcm"
    assert fields["Patient"] == "DOE JANE (P1)"
    assert fields["Study date"] == "2026-01-02"
    assert fields["Calibration"].endswith("mm/px")
    assert case_fields(None, None) == [("File", "—")]


def test_percent_never_claims_certainty() -> None:
    assert [percent_text(p) for p in (0.9996, 0.994, 0.5, 0.006, 0.0004)] == [
        ">99",
        "99",
        "50",
        "1",
        "<1",
    ]


def test_domain_warning_for_non_ultrasound(model, known_analysis) -> None:  # noqa: ANN001
    image = known_analysis.image
    assert domain_warning(model, image) == ""  # a PNG or US image: in domain
    assert domain_warning(model, image, volume=True).startswith("Out of domain")
    ct = dataclasses.replace(image, metadata={"Modality": "CT"})
    assert "a CT image" in domain_warning(model, ct)
    assert domain_warning(None, ct) == ""
