"""Descriptors in every single-image export: findings.json, CSV/JSON tables, PDF and SR."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import highdicom as hd
import numpy as np
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


def test_pdf_has_a_descriptor_table_per_lesion(kit, tmp_path: Path):
    image, mask = _breast_like(tall=True)
    PILImage.fromarray(image.pixels).save(tmp_path / "b.png")
    png = load_image(tmp_path / "b.png")
    analysis = kit.analysis_of(png, mask, descriptors="bi-rads")
    export_case(analysis, kit.model, ExportRequest(pdf=tmp_path / "r.pdf"))
    text = kit.pdf_text(tmp_path / "r.pdf")
    assert "Lesion 1: BI-RADS ultrasound lexicon" in text
    for word in ("Shape", "Orientation", "Margin", "Echo pattern", "Posterior features"):
        assert word in text
    assert "not parallel: height/width 1.49" in text
    assert "4A (proposed)" in text and "AI proposal" in text

    plain = kit.analysis_of(png, mask)
    export_case(plain, kit.model, ExportRequest(pdf=tmp_path / "p.pdf"))
    assert "BI-RADS" not in kit.pdf_text(tmp_path / "p.pdf")


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


def _thyroid_like() -> tuple[Image, np.ndarray]:
    """The same hypoechoic ellipse, calibrated (0.1 mm): a solid, hypoechoic, wider-than-tall,
    smooth 14-mm nodule with three punctate foci: 2 + 2 + 0 + 0 + 3 = 7 points, TR5, FNA."""
    image, mask = _breast_like()
    pixels = image.pixels.copy()
    pixels[mask] += 30  # grey 70 in tissue at 120: hypoechoic, not very hypoechoic (< 0.4)
    for cy, cx in [(95, 140), (100, 165), (110, 185)]:
        pixels[cy - 1 : cy + 2, cx - 1 : cx + 2] = 250
    return Image(pixels=pixels, spacing_mm=(0.1, 0.1), source="synthetic.png"), mask


def test_a_ti_rads_set_reaches_json_csv_pdf_and_sr(kit, tmp_path: Path):
    image, mask = _thyroid_like()
    analysis = kit.analysis_of(image, mask, descriptors="ti-rads")
    d = analysis.findings[0].descriptors
    assert d.template == "ti-rads" and d.category == "TR5"
    assert d.extras["total_points"] == 7 and d.extras["recommendation"] == "FNA"

    document = analysis_to_json(analysis)
    js = document["measurements"][0]["descriptors"]
    assert js["template"] == "ti-rads" and js["category"]["value"] == "TR5"
    assert js["extras"]["points"]["echogenic_foci"] == 3
    json.dumps(document)

    cases = [CaseFindings("case-0001", "", analysis)]
    row = next(csv.DictReader(io.StringIO(findings_csv(cases, kit.model).decode())))
    assert row["descriptor_template"] == "ti-rads"
    assert "echogenicity=hypoechoic" in row["descriptor_values"]
    assert "echogenic_foci=punctate echogenic foci" in row["descriptor_values"]
    assert row["descriptor_points"] == "7" and row["category"] == "TR5"
    assert row["descriptor_recommendation"].startswith("TR5, 1.4 cm: FNA")
    assert row["shape"] == "" and row["orientation"] == ""  # BI-RADS columns stay empty

    PILImage.fromarray(image.pixels).save(tmp_path / "t.png")
    png = load_image(tmp_path / "t.png")
    png = Image(pixels=png.pixels, spacing_mm=(0.1, 0.1), source=png.source)
    on_png = kit.analysis_of(png, mask, descriptors="ti-rads")
    export_case(on_png, kit.model, ExportRequest(pdf=tmp_path / "r.pdf"))
    text = kit.pdf_text(tmp_path / "r.pdf")
    assert "Lesion 1: ACR TI-RADS" in text
    for word in ("Composition", "Echogenicity", "Echogenic foci", "TI-RADS level"):
        assert word in text
    assert "TR5 (proposed)" in text and "7 points: TR5" in text and "FNA" in text

    sr = measurement_report_sr(on_png, source_image(png), kit.model)
    group = hd.sr.srread(_saved(sr, tmp_path / "sr.dcm")).content
    evaluations = {
        q.name.meaning: (q.value.value, q.value.scheme_designator, q.value.meaning)
        for q in group.get_planar_roi_measurement_groups()[0].get_qualitative_evaluations()
    }
    assert evaluations["Echogenicity"] == ("111364", "DCM", "Hypoechoic")
    assert evaluations["TI-RADS composition"][0] == "LL-TR-SOLID"
    assert evaluations["TI-RADS echogenic foci"][0] == "LL-TR-FOCI-PUNCT"
    assert evaluations["Assessment Category"] == (
        "LL-TIRADS-TR5",
        "99LESIONLENS",
        "ACR TI-RADS level TR5",
    )
    kit.assert_valid(tmp_path / "sr.dcm")


def test_a_lymph_node_set_reaches_csv_and_sr(kit, tmp_path: Path):
    image, mask = _breast_like()
    analysis = kit.analysis_of(image, mask, descriptors="lymph-node")
    d = analysis.findings[0].descriptors
    assert d.template == "lymph-node" and d.value("vascular_pattern") == "not assessed"
    row = next(
        csv.DictReader(
            io.StringIO(findings_csv([CaseFindings("c", "", analysis)], kit.model).decode())
        )
    )
    assert row["descriptor_template"] == "lymph-node"
    assert "hilum=absent" in row["descriptor_values"] and row["category"] == "suspicious"
    PILImage.fromarray(image.pixels).save(tmp_path / "n.png")
    png = load_image(tmp_path / "n.png")
    sr = measurement_report_sr(
        kit.analysis_of(png, mask, descriptors="lymph-node"), source_image(png), kit.model
    )
    group = hd.sr.srread(_saved(sr, tmp_path / "n.dcm")).content
    evaluations = {
        q.name.meaning: q.value.meaning
        for q in group.get_planar_roi_measurement_groups()[0].get_qualitative_evaluations()
    }
    assert evaluations["Vascularity"] == "Vascularity not assessed"
    assert evaluations["Echogenic hilum"] == "Echogenic hilum absent"
    kit.assert_valid(tmp_path / "n.dcm")
