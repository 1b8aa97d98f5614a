"""Study report: the heat-map colours, a view drawn mirrored, the PDF with both views and
the case's finding, JSON/CSV of a StudyAnalysis, refusals, and `lesionlens export` on a
study. Inputs are tiny studies made here with known maps and a known lesion."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from engine.analysis import findings_from
from engine.cli import main
from engine.report import ModelInfo
from engine.report.errors import ExportError
from engine.report.heatmap import blend_heat, heat_rgba
from engine.report.study.export import StudyExportRequest, blank_annotations, export_study
from engine.report.view_image import mirror_finding, render_view
from engine.types import Image, Prediction, Study, StudyAnalysis, StudyPrediction

MODEL = ModelInfo("two-view-test", "2", ("normal", "metastatic"), training_data="synthetic")


def bump(shape: tuple[int, int], row: int, col: int) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    return np.exp(-((rows - row) ** 2 + (cols - col) ** 2) / 30.0).astype(np.float32)


def scinti_analysis(metadata: dict | None = None) -> StudyAnalysis:
    """Anterior + posterior 80×32 with a dark 'uptake' column at col 5 of the anterior."""
    anterior = np.full((80, 32), 230, np.uint8)
    anterior[:, 5] = 20
    views = {
        "anterior": Image(pixels=anterior, metadata=metadata or {}),
        "posterior": Image(pixels=np.full((80, 32), 230, np.uint8), metadata=metadata or {}),
    }
    maps = {"anterior": bump((80, 32), 40, 5), "posterior": bump((80, 32), 40, 26)}
    prediction = StudyPrediction(
        {"normal": 0.2, "metastatic": 0.8}, maps, {}, "two-view-test", {"metastatic": 0.03}
    )
    return StudyAnalysis(Study("scan-1", views), prediction, {})


def skin_analysis() -> StudyAnalysis:
    """Photo + ultrasound (0.1 mm/px) with a 10×20 px lesion segmented on the ultrasound."""
    us = Image(pixels=np.full((48, 64), 60, np.uint8), spacing_mm=(0.1, 0.1))
    photo = Image(pixels=np.full((48, 64, 3), 180, np.uint8), spacing_mm=(0.2, 0.2))
    mask = np.zeros((48, 64), np.uint8)
    mask[10:20, 20:40] = 1
    probabilities = {"benign": 0.35, "malignant": 0.65}
    findings = findings_from(us, Prediction(mask, probabilities, np.zeros(mask.shape), "t"))
    maps = {"photo": bump((48, 64), 24, 32), "us": bump((48, 64), 15, 30)}
    prediction = StudyPrediction(probabilities, maps, {"us": mask}, "fusion-test")
    return StudyAnalysis(Study("pair-1", {"photo": photo, "us": us}), prediction, {"us": findings})


def test_heat_colours_are_clear_where_the_model_did_not_look() -> None:
    rgba = heat_rgba(np.array([[0.0, 0.05, 0.5, 1.0]]), opacity=0.6)
    assert rgba[0, 0, 3] == 0 and rgba[0, 1, 3] == 0  # below the floor: not drawn
    assert rgba[0, 3, 3] == round(255 * 0.6) and tuple(rgba[0, 3, :3]) == (255, 140, 0)
    assert 0 < rgba[0, 2, 3] < rgba[0, 3, 3]
    picture = np.zeros((1, 4, 3), np.uint8)
    blended = blend_heat(picture, np.array([[0.0, 0.05, 0.5, 1.0]]), 0.6)
    assert blended[0, 0].tolist() == [0, 0, 0]
    assert blended[0, 3].tolist() == [round(255 * 0.6), round(140 * 0.6), 0]
    with pytest.raises(ValueError, match="does not match"):
        blend_heat(picture, np.zeros((2, 2)), 0.5)


def test_posterior_is_drawn_mirrored() -> None:
    analysis = scinti_analysis()
    image = analysis.study.views["anterior"]
    plain = render_view(image, None, long_side=80)  # 80 × 32: drawn at its own size
    flipped = render_view(image, None, mirrored=True, long_side=80)
    assert plain.shape == flipped.shape == (80, 32, 3)
    assert plain[40, 5, 0] == 20 and flipped[40, 32 - 1 - 5, 0] == 20
    skin = skin_analysis()
    finding = skin.findings["us"][0]
    moved = mirror_finding(finding, 64)
    assert np.allclose(moved.contour[:, 1], 63 - finding.contour[:, 1])
    assert np.allclose(moved.contour[:, 0], finding.contour[:, 0])
    (r0, c0), _ = moved.measurements.long_axis_endpoints
    assert c0 == 63 - finding.measurements.long_axis_endpoints[0][1]


def pdf_text_and_images(path) -> tuple[str, int, int]:  # noqa: ANN001
    pdf = pdfium.PdfDocument(path)
    page = pdf[0]
    images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    bitmap = page.render(scale=0.5).to_numpy()
    assert bitmap.std() > 10  # it renders, and not as a blank page
    return page.get_textpage().get_text_range(), len(images), len(pdf)


def test_study_pdf_shows_both_views_and_the_case_finding(tmp_path) -> None:  # noqa: ANN001
    identified = {"PatientName": "Doe^Jane", "PatientID": "P-55", "Modality": "NM"}
    analysis = scinti_analysis(identified)
    request = StudyExportRequest(pdf=tmp_path / "r.pdf", reviewer="Dr Who", deidentify=True)
    result = export_study(analysis, MODEL, request)
    assert result.written == (tmp_path / "r.pdf",)
    text, images, pages = pdf_text_and_images(tmp_path / "r.pdf")
    assert pages == 1 and images == 2
    assert "Anterior" in text and "Posterior" in text
    assert "mirrored to match the anterior" in text
    assert "metastatic" in text and "80%" in text and "\u00b13.0 points" in text
    assert "Doe" not in text and "P-55" not in text  # de-identified header
    assert "Identifiers removed" in text and "Dr Who" in text
    kept = export_study(analysis, MODEL, dataclasses.replace(request, deidentify=False))
    text, _, _ = pdf_text_and_images(kept.written[0])
    assert "Doe, Jane" in text and "scan-1" in text


def test_study_pdf_of_a_fusion_case_gives_the_lesion_size(tmp_path) -> None:  # noqa: ANN001
    analysis = skin_analysis()
    export_study(analysis, MODEL, StudyExportRequest(pdf=tmp_path / "s.pdf"))
    text, images, _ = pdf_text_and_images(tmp_path / "s.pdf")
    m = analysis.findings["us"][0].measurements
    assert images == 2 and "Clinical photo" in text and "Ultrasound" in text
    assert f"{m.long_axis_mm:.1f} \u00d7 {m.short_axis_mm:.1f} mm" in text
    assert "attention map + lesion" in text  # the cell wraps before "segmentation"


def test_study_json_and_csv(tmp_path) -> None:  # noqa: ANN001
    analysis = skin_analysis()
    request = StudyExportRequest(json=tmp_path / "f.json", csv=tmp_path / "f.csv", case="c7")
    export_study(analysis, MODEL, request)
    document = json.loads((tmp_path / "f.json").read_text())
    assert document["label"] == "malignant" and document["case"] == "c7"
    views = {v["view"]: v for v in document["views"]}
    assert views["us"]["attention_peak"] == [15, 30] and views["photo"]["attention_peak"] == [
        24,
        32,
    ]
    assert views["us"]["segmented"] and not views["photo"]["segmented"]
    m = analysis.findings["us"][0].measurements
    assert views["us"]["findings"][0]["long_axis"] == round(m.long_axis_mm, 2)
    assert views["us"]["findings"][0]["units"] == "mm"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "f.csv").read_text())))
    assert [r["view"] for r in rows] == ["photo", "us"]
    assert {r["case_label"] for r in rows} == {"malignant"}  # the class belongs to the case
    assert rows[0]["finding"] == "" and rows[1]["finding"] == "1"
    assert rows[1]["area_units"] == "mm2" and rows[1]["model_output"] == "attention+mask"


def test_export_refuses_clearly_and_writes_nothing(tmp_path) -> None:  # noqa: ANN001
    analysis = scinti_analysis()
    with pytest.raises(ExportError, match="no output asked for"):
        export_study(analysis, MODEL, StudyExportRequest())
    wrong = dataclasses.replace(
        analysis,
        prediction=dataclasses.replace(analysis.prediction, view_maps={"lateral": np.zeros(1)}),
    )
    with pytest.raises(ExportError, match="unknown views"):
        export_study(wrong, MODEL, StudyExportRequest(pdf=tmp_path / "x.pdf"))
    bad_map = dataclasses.replace(
        analysis,
        prediction=dataclasses.replace(
            analysis.prediction, view_maps={"anterior": np.zeros((3, 3))}
        ),
    )
    request = StudyExportRequest(pdf=tmp_path / "y.pdf", json=tmp_path / "y.json")
    with pytest.raises(ExportError, match="view anterior"):
        export_study(bad_map, MODEL, request)
    assert list(tmp_path.iterdir()) == []


def test_cli_export_of_a_study_says_what_is_missing(tmp_path, capsys) -> None:  # noqa: ANN001
    from PIL import Image as PILImage

    study = tmp_path / "case9"
    study.mkdir()
    for view in ("lateral", "oblique"):  # views no shipped model takes
        PILImage.fromarray(np.zeros((20, 10), np.uint8)).save(study / f"{view}.png")
    code = main(["export", str(study), "--out", str(tmp_path / "out"), "--seg", "s.dcm"])
    assert code == 2 and "no SEG, SR or key image" in capsys.readouterr().err
    code = main(["export", str(study), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code != 0 and "no shipped model takes the views lateral, oblique" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_exports_a_study_with_the_shipped_model(tmp_path, capsys) -> None:  # noqa: ANN001
    from engine.model_catalog import bundle_for_views
    from engine.synth.dataset import write_dataset

    assert bundle_for_views(("anterior", "posterior")) is not None, (
        "no shipped two-view model: make models-multiview"
    )
    root = write_dataset("scinti", 1, tmp_path / "scinti", seed=2)
    case = (root / "labels.csv").read_text().splitlines()[1].split(",")[0]
    code = main(["export", str(root), "--case", case, "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "finding.csv",
        "finding.json",
        "report.pdf",
    ]
    document = json.loads((tmp_path / "out" / "finding.json").read_text())
    assert document["case"] == "case-0001" and document["deidentified"]
    assert {v["view"] for v in document["views"]} == {"anterior", "posterior"}
    text, images, _ = pdf_text_and_images(tmp_path / "out" / "report.pdf")
    assert images == 2 and document["label"] in text


def test_deidentified_study_blanks_outside_the_ultrasound_tissue(tmp_path) -> None:  # noqa: ANN001
    from engine.types import UltrasoundRegion

    analysis = skin_analysis()
    us = analysis.study.views["us"]
    pixels = us.pixels.copy()
    pixels[40:, :] = 255  # "burned-in text" below the tissue region (rows 0-35)
    region = UltrasoundRegion(0, 0, 35, 63, "2D", "tissue", "cm", "cm", 0.01, 0.01)
    views = {
        **analysis.study.views,
        "us": dataclasses.replace(us, pixels=pixels, regions=(region,)),
    }
    analysis = dataclasses.replace(analysis, study=dataclasses.replace(analysis.study, views=views))
    notes: list[str] = []
    shown = blank_annotations(dict(views), notes)
    assert shown["us"].pixels[40:].max() == 0 and shown["us"].pixels[:36].min() == 60
    assert shown["photo"] is views["photo"] and notes == [
        "us: everything outside the ultrasound tissue region was blanked."
    ]
    result = export_study(analysis, MODEL, StudyExportRequest(pdf=tmp_path / "d.pdf"))
    assert any("blanked" in note for note in result.notes)
