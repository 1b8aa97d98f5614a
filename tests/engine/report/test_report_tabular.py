"""Batch findings as JSON and CSV: one row per finding, units on every row."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from engine.io import load_image
from engine.report import CaseFindings, write_findings_csv, write_findings_json
from engine.report.tabular import COLUMNS


def test_rows_carry_sizes_with_their_units(
    identified_us, us_image, framed_sample, kit, tmp_path: Path
) -> None:  # noqa: ANN001, E501
    PILImage.fromarray(framed_sample.image).save(tmp_path / "n.png")
    png = load_image(tmp_path / "n.png")
    cases = [
        CaseFindings("case-0001", "", kit.analysis_of(us_image, identified_us.sample.mask)),
        CaseFindings("case-0002", "", kit.analysis_of(png, framed_sample.mask, malignant=0.8)),
        CaseFindings("case-0003", "", kit.analysis_of(png, np.zeros_like(framed_sample.mask))),
    ]
    write_findings_csv(tmp_path / "f.csv", cases, kit.model)
    write_findings_json(tmp_path / "f.json", cases, kit.model, deidentified=True)

    with (tmp_path / "f.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == COLUMNS
    n1 = len(cases[0].analysis.findings)
    n2 = len(cases[1].analysis.findings)
    assert len(rows) == n1 + n2 + 1  # the lesion-free case keeps one row
    first = cases[0].analysis.findings[0].measurements
    assert rows[0]["units"] == "mm" and rows[0]["area_units"] == "mm2"
    assert float(rows[0]["long_axis"]) == round(first.long_axis_mm, 2)
    assert float(rows[0]["area"]) == round(first.area_mm2, 2)
    png_row = rows[n1]
    assert png_row["units"] == "px" and png_row["label"] == "malignant"
    px = cases[1].analysis.findings[0].measurements
    assert float(png_row["long_axis"]) == round(px.long_axis_px, 2)
    assert rows[-1]["case"] == "case-0003" and rows[-1]["finding"] == ""

    document = json.loads((tmp_path / "f.json").read_text())
    assert document["deidentified"] is True and document["model_version"] == "3"
    assert [c["lesion_count"] for c in document["cases"]] == [n1, n2, 0]
    assert document["cases"][0]["findings"][0]["long_axis"] == round(first.long_axis_mm, 2)
