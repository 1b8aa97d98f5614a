"""Issue 19: what the reader decided travels into every single-image export.

The reader set the class to malignant (the model said benign), drew a second lesion the model
had missed, and measured two calipers. PDF, SR and the CSV/JSON tables must carry the
reader's class and say who set it, give the reader-drawn lesion no AI probability and call it
drawn by the reader, and list the calipers (SR: TID 1500 Length measurements).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from PIL import Image as PILImage

from engine.analysis import analysis_to_json, findings_from
from engine.io import load_image
from engine.report import ExportRequest, export_case
from engine.report.tabular import CaseFindings, findings_csv, findings_document
from engine.types import Analysis, Image, LineMeasurement

CALIPERS = (
    LineMeasurement(start=(40.0, 30.0), end=(40.0, 130.0), length_px=100.0),
    LineMeasurement(start=(150.0, 200.0), end=(180.0, 240.0), length_px=50.0),
)


def _masks() -> tuple[np.ndarray, np.ndarray]:
    """(AI mask: one lesion; reader's mask: that lesion plus one drawn at the bottom right)."""
    yy, xx = np.mgrid[:240, :320]
    ai = (((xx - 100) / 40) ** 2 + ((yy - 90) / 25) ** 2 <= 1.0).astype(np.uint8)
    drawn = ((xx - 250) / 25) ** 2 + ((yy - 190) / 18) ** 2 <= 1.0
    return ai, (ai.astype(bool) | drawn).astype(np.uint8)


def _reader_analysis(kit, image: Image) -> Analysis:  # noqa: ANN001
    """The AI said benign (malignant 20 %); the reader chose malignant and drew lesion 2."""
    ai_mask, reader_mask = _masks()
    ai = kit.analysis_of(image, ai_mask, malignant=0.2)
    prediction = dataclasses.replace(ai.prediction, mask=reader_mask)
    findings = findings_from(
        image, prediction, corrected=True, reader_label="malignant", ai_mask=ai_mask
    )
    return Analysis(image, prediction, findings)


def _png_image(tmp_path: Path) -> Image:
    rng = np.random.default_rng(1)
    pixels = np.clip(110 + 20 * rng.standard_normal((240, 320)), 0, 255).astype(np.uint8)
    PILImage.fromarray(pixels).save(tmp_path / "case.png")
    return load_image(tmp_path / "case.png")


def test_findings_know_the_readers_class_and_which_lesion_the_reader_drew(kit, tmp_path):
    analysis = _reader_analysis(kit, _png_image(tmp_path))
    assert analysis.prediction.label == "benign"
    first, second = analysis.findings
    assert (first.label, first.label_source, first.drawn_by_reader) == (
        "malignant",
        "reader",
        False,
    )
    assert (second.label, second.drawn_by_reader, second.ai_probability) == (
        "malignant",
        True,
        None,
    )
    assert not second.low_confidence  # no AI confidence applies to a reader's outline
    rows = analysis_to_json(analysis)["measurements"]
    # The probability shown beside a class is the model's for that class: 20 % malignant.
    assert rows[0]["probability"] == 0.2 and rows[0]["label_source"] == "reader"
    assert rows[1]["probability"] is None and rows[1]["drawn_by_reader"] is True


def test_the_same_label_as_the_ai_stays_the_ais(kit, tmp_path):
    ai_mask, _ = _masks()
    image = _png_image(tmp_path)
    prediction = kit.analysis_of(image, ai_mask).prediction
    (finding,) = findings_from(image, prediction, reader_label="benign", ai_mask=ai_mask)
    assert (finding.label, finding.label_source, finding.drawn_by_reader) == (
        "benign",
        "AI",
        False,
    )


def test_pdf_prints_the_readers_class_no_ai_probability_on_a_drawn_lesion_and_calipers(
    kit, tmp_path
):
    analysis = _reader_analysis(kit, _png_image(tmp_path))
    export_case(
        analysis,
        kit.model,
        ExportRequest(pdf=tmp_path / "r.pdf", key_image=tmp_path / "k.png", calipers=CALIPERS),
    )
    text = kit.pdf_text(tmp_path / "r.pdf")
    assert "benign" not in text.split("Findings", 1)[1].split("Image-level")[0]
    assert text.count("set by reader") == 2
    assert "drawn by reader" in text and "\u2014 (no AI)" in text
    assert "20%" in text or "20 %" in text  # the model's probability of malignant
    assert "Reader measurements" in text
    assert "C1 100 px" in text and "C2 50 px" in text
    # The calipers are drawn on the key image in their own green.
    key = np.asarray(PILImage.open(tmp_path / "k.png").convert("RGB"))
    assert np.any(np.all(key == (80, 230, 80), axis=-1))


def test_sr_marks_the_readers_class_the_drawn_lesion_and_lists_calipers(kit, tmp_path):
    analysis = _reader_analysis(kit, _png_image(tmp_path))
    sr_path = tmp_path / "sr.dcm"
    export_case(
        analysis,
        kit.model,
        ExportRequest(sr=sr_path, reviewer="Reader^Rita", deidentify=False, calipers=CALIPERS),
    )
    back = hd.sr.srread(sr_path)
    groups = back.content.get_planar_roi_measurement_groups()
    assert [g.tracking_identifier for g in groups] == [
        "Lesion 1",
        "Lesion 2",
        "Caliper 1",
        "Caliper 2",
    ]

    def evaluations(group):  # noqa: ANN001, ANN202
        return {q.name.meaning: q.value.meaning for q in group.get_qualitative_evaluations()}

    def measurements(group):  # noqa: ANN001, ANN202
        return {m.name.meaning: (m.value, m.unit.value) for m in group.get_measurements()}

    lesion1, lesion2, caliper1, caliper2 = groups
    assert evaluations(lesion1)["Lesion class (reader)"] == "Malignant"
    assert "Lesion class (AI)" not in evaluations(lesion1)
    assert evaluations(lesion1)["Outline source"] == "AI segmentation corrected by the reader"
    assert measurements(lesion1)["Probability of cancer"] == (20.0, "%")  # the model's, still
    assert evaluations(lesion2)["Outline source"] == "Drawn by the reader"
    assert evaluations(lesion2)["Lesion class (reader)"] == "Malignant"
    assert "Probability of cancer" not in measurements(lesion2)
    # No algorithm (TID 4019) on the reader's lesion; the AI-outlined one keeps it.
    assert "Algorithm Name" in str(lesion1[0]) and "Algorithm Name" not in str(lesion2[0])
    assert measurements(caliper1) == {"Length": (100.0, "{pixel}")}
    assert measurements(caliper2) == {"Length": (50.0, "{pixel}")}
    assert evaluations(caliper1) == {"Measurement source": "Drawn by the reader"}
    points = np.asarray(caliper1.roi.value)
    assert np.allclose(points, [[30.5, 40.5], [130.5, 40.5]])  # (column, row) + 0.5, open
    # The image-level group still says what the model said.
    image_group = back.content.get_image_measurement_groups()[0]
    assert evaluations(image_group)["Lesion class (AI)"] == "Benign"
    assert "Reader^Rita" in str(pydicom.dcmread(sr_path).ContentSequence)
    kit.assert_valid(sr_path)


def test_sr_caliper_in_mm_on_a_calibrated_image(kit, us_image, tmp_path):
    ai_mask = np.zeros(us_image.pixels.shape[:2], np.uint8)
    ai_mask[100:140, 150:220] = 1
    analysis = kit.analysis_of(us_image, ai_mask)
    caliper = LineMeasurement((110.0, 150.0), (110.0, 200.0), 50.0, 12.34)
    export_case(analysis, kit.model, ExportRequest(sr=tmp_path / "sr.dcm", calipers=(caliper,)))
    group = hd.sr.srread(tmp_path / "sr.dcm").content.get_planar_roi_measurement_groups()[-1]
    (length,) = group.get_measurements()
    assert (length.value, length.unit.value) == (12.34, "mm")
    kit.assert_valid(tmp_path / "sr.dcm")


def test_csv_and_json_tables_carry_who_set_the_class_and_blank_the_drawn_probability(kit, tmp_path):
    analysis = _reader_analysis(kit, _png_image(tmp_path))
    case = CaseFindings("case-0001", "", analysis)
    rows = list(csv.DictReader(io.StringIO(findings_csv([case], kit.model).decode())))
    assert [r["label"] for r in rows] == ["malignant", "malignant"]
    assert [r["label_source"] for r in rows] == ["reader", "reader"]
    assert [r["drawn_by_reader"] for r in rows] == ["False", "True"]
    assert rows[0]["probability"] == "0.2" and rows[1]["probability"] == ""
    assert rows[1]["uncertainty"] == ""
    document = json.loads(json.dumps(findings_document([case], kit.model, True)))
    entry = document["cases"][0]
    assert (entry["label"], entry["label_source"], entry["model_label"]) == (
        "malignant",
        "reader",
        "benign",
    )
