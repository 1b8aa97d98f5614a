"""The reader's measurements in the exports (issue 20): calipers, ellipses, traces and angles
listed in findings.json ("measurements": kind, value, unit, points) and the CSV, the shapes in
the PDF and as SR planar ROI groups (Area, Perimeter, Angle); and `lesionlens export` finds
the measurements the viewer stored with a case. Every file is written, then read back."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import highdicom as hd
import numpy as np
from PIL import Image as PILImage

from engine.cli import main
from engine.datastore import HOME_ENV, Datastore
from engine.io import load_image
from engine.reader_measurements import CaseMeasurements, measure_all
from engine.reader_shapes import Angle, Ellipse, Trace
from engine.report import ExportRequest, export_case
from engine.report.tabular import CaseFindings, write_findings_csv, write_findings_json
from engine.types import Image

SHAPES = (
    Ellipse((100.0, 150.0), (40.0, 20.0), 0.0),
    Trace(((10.0, 10.0), (10.0, 50.0), (40.0, 10.0))),
    Angle((200.0, 60.0), (200.0, 20.0), (160.0, 20.0)),
)
CALIPERS = (((30.0, 40.0), (30.0, 140.0)),)


def _png(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    pixels = np.clip(110 + 20 * rng.standard_normal((240, 320)), 0, 255).astype(np.uint8)
    PILImage.fromarray(pixels).save(tmp_path / "case.png")
    return tmp_path / "case.png"


def test_findings_json_and_csv_list_every_measurement(kit, tmp_path: Path) -> None:  # noqa: ANN001
    image = Image(pixels=np.zeros((240, 320), np.uint8), spacing_mm=(0.2, 0.1))
    mask = np.zeros((240, 320), np.uint8)
    mask[90:110, 140:170] = 1
    analysis = kit.analysis_of(image, mask)
    lines = measure_all(image, CALIPERS, SHAPES)
    cases = [CaseFindings("case-0001", "", analysis, lines)]
    doc = json.loads(write_findings_json(tmp_path / "f.json", cases, kit.model, True).read_text())
    measurements = doc["cases"][0]["measurements"]
    assert [(m["label"], m["kind"], m["unit"]) for m in measurements] == [
        ("C1", "caliper", "mm"),
        ("E1", "ellipse", "mm2"),
        ("T1", "trace", "mm2"),
        ("A1", "angle", "deg"),
    ]
    caliper, ellipse, trace, angle = measurements
    assert caliper["value"] == 10.0 and caliper["points"] == [[30.0, 40.0], [30.0, 140.0]]
    # Anisotropic pixels: a = 40 px along columns (0.1 mm), b = 20 px along rows (0.2 mm):
    # in millimetres a circle of radius 4 mm.
    assert ellipse["value"] == round(math.pi * 4.0 * 4.0, 3)
    assert ellipse["perimeter"] == round(2 * math.pi * 4.0, 3) and ellipse["perimeter_unit"] == "mm"
    assert len(ellipse["points"]) == 4
    assert trace["value"] == round(0.5 * 6.0 * 4.0, 3)
    assert angle["value"] == 90.0 and len(angle["points"]) == 3

    write_findings_csv(tmp_path / "f.csv", cases, kit.model)
    with (tmp_path / "f.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    lesion_rows = [r for r in rows if r["finding"]]
    measurement_rows = [r for r in rows if r["measurement"]]
    assert len(lesion_rows) == len(analysis.findings)
    assert [r["measurement"] for r in measurement_rows] == ["C1", "E1", "T1", "A1"]
    row = measurement_rows[2]
    assert (row["measurement_kind"], row["measurement_unit"]) == ("trace", "mm2")
    assert float(row["measurement_value"]) == 12.0 and row["measurement_perimeter_unit"] == "mm"
    assert row["measurement_points"] == "10.00,10.00;10.00,50.00;40.00,10.00"
    assert row["case"] == "case-0001" and row["label"] == ""


def test_pdf_and_sr_carry_the_shapes(kit, tmp_path: Path) -> None:  # noqa: ANN001
    image = load_image(_png(tmp_path))  # uncalibrated: px, said so
    mask = np.zeros((240, 320), np.uint8)
    mask[90:110, 140:170] = 1
    analysis = kit.analysis_of(image, mask)
    shapes = measure_all(image, (), SHAPES)
    sr_path, pdf_path, key_path = tmp_path / "sr.dcm", tmp_path / "r.pdf", tmp_path / "k.png"
    request = ExportRequest(sr=sr_path, pdf=pdf_path, key_image=key_path, shapes=shapes)
    export_case(analysis, kit.model, request)
    # The key image draws them in the calipers' green: the ellipse's right end, (100, 190).
    key = np.asarray(PILImage.open(key_path).convert("RGB"))
    scale = key.shape[1] / 320
    x, y = round(190.5 * scale), round(100.5 * scale)
    near = key[y - 4 : y + 5, x - 4 : x + 5]
    assert np.any(np.all(near == (80, 230, 80), axis=-1))
    assert not np.any(np.all(key[-30:, -30:] == (80, 230, 80), axis=-1))  # nothing drawn there
    text = kit.pdf_text(pdf_path)
    assert "Reader measurements" in text
    assert "E1 ellipse" in text and "2513 px2, perimeter 194 px" in text
    assert "T1 trace" in text and "A1 angle" in text and "90.0 deg" in text

    groups = hd.sr.srread(sr_path).content.get_planar_roi_measurement_groups()
    by_id = {g.tracking_identifier: g for g in groups}
    assert {"Ellipse 1", "Trace 1", "Angle 1"} <= set(by_id)

    def values(group) -> dict:  # noqa: ANN001
        return {
            (m.name.value, m.name.scheme_designator): (m.value, m.unit.value)
            for m in group.get_measurements()
        }

    ellipse = by_id["Ellipse 1"]
    assert ellipse.roi.graphic_type == hd.sr.GraphicTypeValues.ELLIPSE
    assert np.allclose(np.asarray(ellipse.roi.value)[:2], [[110.5, 100.5], [190.5, 100.5]])
    assert values(ellipse)[("42798000", "SCT")] == (round(math.pi * 800, 2), "{pixel^2}")
    assert values(ellipse)[("131191004", "SCT")][1] == "{pixel}"
    trace = by_id["Trace 1"]
    points = np.asarray(trace.roi.value)
    assert np.allclose(points[0], points[-1]) and len(points) == 4  # closed
    assert values(trace)[("42798000", "SCT")] == (600.0, "{pixel^2}")
    assert values(by_id["Angle 1"]) == {("1483009", "SCT"): (90.0, "deg")}
    kit.assert_valid(sr_path)


def test_cli_export_writes_the_measurements_stored_with_the_case(
    tmp_path: Path, monkeypatch, capsys
) -> None:  # noqa: ANN001
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    png = _png(tmp_path)
    store = Datastore(home)
    case_id = store.add_case(png)
    stored = CaseMeasurements(0, (0.1, 0.1), CALIPERS, SHAPES)
    store.save_measurements(case_id, stored.to_json())
    out = tmp_path / "out"
    args = ["export", str(png), "--out", str(out), "--json", "f.json", "--csv", "f.csv"]
    assert main([*args, "--device", "cpu"]) == 0
    doc = json.loads((out / "f.json").read_text())
    (case,) = doc["cases"]
    assert [m["label"] for m in case["measurements"]] == ["C1", "E1", "T1", "A1"]
    assert case["measurements"][0]["value"] == 10.0  # the reader's calibration: 0.1 mm/px
    assert case["calibrated"] is True
    # A file nobody stored: no measurements, and no datastore touched.
    other = tmp_path / "other"
    other.mkdir()
    PILImage.fromarray(np.full((64, 64), 90, np.uint8)).save(other / "x.png")
    assert main(["export", str(other / "x.png"), "--out", str(out / "2"), "--json", "f.json",
                 "--device", "cpu"]) == 0  # fmt: skip
    assert json.loads((out / "2" / "f.json").read_text())["cases"][0]["measurements"] == []


def test_one_case_export_writes_its_findings_json_and_csv(kit, tmp_path: Path) -> None:  # noqa: ANN001
    """The viewer's File ▸ Export… (one case, export_case) writes the same findings JSON and
    CSV as `lesionlens export --json --csv`, with the reader's calipers and shapes."""
    from engine.types import LineMeasurement

    image = Image(pixels=np.zeros((240, 320), np.uint8), spacing_mm=(0.2, 0.1), source="a/DOE.png")
    mask = np.zeros((240, 320), np.uint8)
    mask[90:110, 140:170] = 1
    analysis = kit.analysis_of(image, mask)
    shapes = tuple(m for m in measure_all(image, (), SHAPES))
    caliper = LineMeasurement((30.0, 40.0), (30.0, 140.0), 100.0, 10.0)
    for deidentify, shown in ((True, ""), (False, "DOE.png")):
        out = tmp_path / str(deidentify)
        request = ExportRequest(
            json=out / "finding.json",
            csv=out / "finding.csv",
            calipers=(caliper,),
            shapes=shapes,
            deidentify=deidentify,
            case="case-0001" if deidentify else "DOE",
        )
        written = export_case(analysis, kit.model, request).written
        assert sorted(p.name for p in written) == ["finding.csv", "finding.json"]
        (case,) = json.loads((out / "finding.json").read_text())["cases"]
        assert case["file"] == shown and case["lesion_count"] == len(analysis.findings)
        assert [(m["label"], m["unit"]) for m in case["measurements"]] == [
            ("C1", "mm"),
            ("E1", "mm2"),
            ("T1", "mm2"),
            ("A1", "deg"),
        ]
        assert case["measurements"][0]["value"] == 10.0
        with (out / "finding.csv").open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["measurement"] for r in rows if r["measurement"]] == ["C1", "E1", "T1", "A1"]
