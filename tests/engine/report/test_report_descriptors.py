"""Descriptors in every single-image export: findings.json, CSV/JSON tables, PDF and SR."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import highdicom as hd
import numpy as np
import pypdfium2 as pdfium
from PIL import Image as PILImage

from engine.analysis import analysis_to_json
from engine.io import load_image
from engine.report import ExportRequest, export_case
from engine.report.source import source_image
from engine.report.sr import measurement_report_sr
from engine.report.tabular import DESCRIPTOR_COLUMNS, CaseFindings, findings_csv, findings_document
from engine.types import Image

CONCEPT_NAMES = [
    "Shape",
    "Orientation",
    "Margins",
    "Echo pattern",
    "Posterior acoustic features",
]


def _breast_like(tall: bool = False) -> tuple[Image, np.ndarray]:
    """A dark ellipse in speckled tissue on a PNG-like image (uncalibrated)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:240, :320]
    half_w, half_h = (30, 45) if tall else (70, 40)
    mask = ((xx - 160) / half_w) ** 2 + ((yy - 100) / half_h) ** 2 <= 1.0
    pixels = 120 + 15 * rng.standard_normal(mask.shape)
    pixels[mask] = 40 + 7 * rng.standard_normal(int(mask.sum()))
    return Image(pixels=np.clip(pixels, 0, 255).astype(np.uint8), source="synthetic.png"), mask


def test_findings_json_has_each_descriptor_with_its_measurement_and_a_proposed_category(kit):
    image, mask = _breast_like(tall=True)
    document = analysis_to_json(kit.analysis_of(image, mask, descriptors="bi-rads"))
    d = document["measurements"][0]["descriptors"]
    items = {item["name"]: item for item in d["descriptors"]}
    assert list(items) == [
        "shape",
        "orientation",
        "margin",
        "echo_pattern",
        "posterior_features",
    ]
    orientation = items["orientation"]
    assert orientation["value"] == "not parallel"
    assert orientation["reason"] == f"not parallel: height/width {91 / 61:.2f}"
    assert orientation["measurement"]["height_px"] == 91.0  # uncalibrated: pixels, said so
    assert d["category"]["proposed"] is True and d["category"]["source"] == "AI"
    assert d["category"]["value"] == "4A" and d["final"] is False
    json.dumps(document)  # JSON-ready all the way down (no NaN, no numpy types)


def test_calibrated_descriptors_are_in_millimetres(kit):
    image, mask = _breast_like()
    calibrated = Image(pixels=image.pixels, spacing_mm=(0.1, 0.1))
    d = kit.analysis_of(calibrated, mask, descriptors="bi-rads").findings[0].descriptors
    assert abs(d["orientation"].measurement["width_mm"] - 14.1) < 0.05  # 141 px x 0.1 mm
    assert "width_px" not in d["orientation"].measurement


def test_no_template_and_no_lesion_get_no_descriptors(kit):
    image, mask = _breast_like()
    plain = analysis_to_json(kit.analysis_of(image, mask))
    assert plain["measurements"][0]["descriptors"] is None
    empty = analysis_to_json(kit.analysis_of(image, np.zeros_like(mask), descriptors="bi-rads"))
    assert empty["measurements"] == [] and empty["result"] == "no lesion found"


def test_csv_and_json_tables_carry_the_descriptors(kit):
    image, mask = _breast_like(tall=True)
    cases = [
        CaseFindings("case-0001", "", kit.analysis_of(image, mask, descriptors="bi-rads")),
        CaseFindings("case-0002", "", kit.analysis_of(image, mask)),
    ]
    rows = list(csv.DictReader(io.StringIO(findings_csv(cases, kit.model).decode())))
    described, plain = rows
    assert described["orientation"] == "not parallel"
    assert described["shape"] == "oval" and described["margin"] == "circumscribed"
    assert described["category"] == "4A" and described["category_proposed"] == "True"
    assert described["category_source"] == "AI"
    assert "not parallel: height/width 1.49" in described["descriptor_reasons"]
    assert all(plain[c] == "" for c in DESCRIPTOR_COLUMNS)
    document = findings_document(cases, kit.model, deidentified=True)
    first = document["cases"][0]["findings"][0]
    assert first["descriptors"]["template"] == "bi-rads"
    assert document["cases"][1]["findings"][0]["descriptors"] is None


def _pdf_text(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return " ".join(" ".join(p.get_textpage().get_text_range() for p in pdf).split())
    finally:
        pdf.close()


def test_pdf_has_a_descriptor_table_per_lesion(kit, tmp_path: Path):
    image, mask = _breast_like(tall=True)
    PILImage.fromarray(image.pixels).save(tmp_path / "b.png")
    png = load_image(tmp_path / "b.png")
    analysis = kit.analysis_of(png, mask, descriptors="bi-rads")
    export_case(analysis, kit.model, ExportRequest(pdf=tmp_path / "r.pdf"))
    text = _pdf_text(tmp_path / "r.pdf")
    assert "Lesion 1: BI-RADS ultrasound lexicon" in text
    for word in ("Shape", "Orientation", "Margin", "Echo pattern", "Posterior features"):
        assert word in text
    assert "not parallel: height/width 1.49" in text
    assert "4A (proposed)" in text and "AI proposal" in text

    plain = kit.analysis_of(png, mask)
    export_case(plain, kit.model, ExportRequest(pdf=tmp_path / "p.pdf"))
    assert "BI-RADS" not in _pdf_text(tmp_path / "p.pdf")


def test_sr_codes_every_descriptor_and_the_proposed_category(kit, tmp_path: Path):
    image, mask = _breast_like(tall=True)
    PILImage.fromarray(image.pixels).save(tmp_path / "b.png")
    png = load_image(tmp_path / "b.png")
    analysis = kit.analysis_of(png, mask, descriptors="bi-rads")
    sr = measurement_report_sr(analysis, source_image(png), kit.model)
    sr.save_as(tmp_path / "sr.dcm", enforce_file_format=True)
    back = hd.sr.srread(tmp_path / "sr.dcm")
    group = back.content.get_planar_roi_measurement_groups()[0]
    evaluations = {
        q.name.meaning: (q.value.value, q.value.scheme_designator, q.value.meaning)
        for q in group.get_qualitative_evaluations()
    }
    for name in CONCEPT_NAMES:
        assert name in evaluations
    assert evaluations["Orientation"] == ("111356", "DCM", "Not parallel")
    assert evaluations["Shape"] == ("84360004", "SCT", "Ovoid shape (Oval)")
    assert evaluations["Margins"] == ("129738007", "SCT", "Circumscribed lesion")
    assert evaluations["Echo pattern"] == ("111364", "DCM", "Hypoechoic")
    assert evaluations["Assessment Category"] == (
        "LL-BIRADS-4A",
        "99LESIONLENS",
        "BI-RADS assessment category 4A",
    )
    assert evaluations["Assessment category status"][0] == "CATPROPOSED"
    kit.assert_valid(tmp_path / "sr.dcm")

    plain = measurement_report_sr(kit.analysis_of(png, mask), source_image(png), kit.model)
    names = {
        q.name.meaning
        for q in hd.sr.srread(_saved(plain, tmp_path / "p.dcm"))
        .content.get_planar_roi_measurement_groups()[0]
        .get_qualitative_evaluations()
    }
    assert not names & {*CONCEPT_NAMES, "Assessment Category"}


def _saved(ds, path: Path) -> Path:  # noqa: ANN001
    ds.save_as(path, enforce_file_format=True)
    return path
