"""The study page in the real window (pytest-qt, offscreen): a study opens side by side,
zoom follows between views only when their geometry matches, the attention map toggles,
there is one finding for the case, and the study exports (PDF with both views, JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from desktop.main_window import DISCARD, MainWindow
from desktop.models.image.state import CaseState
from desktop.widgets.study.export_dialog import StudyExportDialog, study_export_request
from engine.bundle import read_bundle


@pytest.fixture
def study_window(qtbot):  # noqa: ANN001, ANN201
    window = MainWindow(CaseState())
    window.ask_unsaved_changes = lambda _what: DISCARD
    window.study_page.state.find_bundle = lambda _views: None  # no model: tests push results
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    yield window
    window.close()


def centre(view_range):  # noqa: ANN001, ANN201
    x0, x1, y0, y1 = view_range
    return ((x0 + x1) / 2, (y0 + y1) / 2)


def show_fake_analysis(window, make_study_analysis, spacing_mm=None):  # noqa: ANN001, ANN201
    state = window.study_page.state
    analysis = make_study_analysis(state.study, spacing_mm)
    state.study = analysis.study  # a calibrated copy replaces the loaded one
    state.show_analysis(analysis, read_bundle().spec)
    return analysis


def test_study_opens_side_by_side(qtbot, study_window, scinti_study_dir) -> None:  # noqa: ANN001
    window = study_window
    assert window.open_path(scinti_study_dir)
    page = window.study_page
    assert page.active and window.canvas_stack.currentWidget() is page.view
    assert list(page.view.panes) == ["anterior", "posterior"]
    anterior, posterior = page.view.pane("anterior"), page.view.pane("posterior")
    assert (anterior.title.text(), posterior.title.text()) == ("Anterior", "Posterior")
    assert not anterior.mirrored and posterior.mirrored  # posterior mirrored by default
    assert "mirrored" in posterior.note.text()
    assert (posterior.left_side.text(), posterior.right_side.text()) == ("R", "L")
    assert not window.findings_panel.isVisible() and page.panel.isVisible()
    assert "scinti_case" in window.windowTitle()
    page.view.mirror_box.setChecked(False)
    assert not posterior.mirrored and posterior.left_side.text() == "L"
    assert "No shipped model" in page.panel.note.text()
    assert "No shipped model takes these views" in window.banner.text()  # the study's card


def test_zoom_follows_when_linked_and_not_when_unlinked(qtbot, study_window, scinti_study_dir):  # noqa: ANN001
    window = study_window
    window.open_path(scinti_study_dir)
    view = window.study_page.view
    assert view.link_box.isEnabled() and view.link_box.isChecked()
    assert "Linked" in view.link_state.text()
    qtbot.wait(50)
    view.pane("anterior").set_view_range((4.0, 12.0, 10.0, 30.0))
    # the posterior shows the same anatomy: columns mirrored (32 - x), rows the same
    cx, cy = centre(view.view_range("posterior"))
    assert cx == pytest.approx(32 - 8.0, abs=0.5) and cy == pytest.approx(20.0, abs=0.5)
    before = view.view_range("posterior")
    view.link_box.setChecked(False)
    assert "link switched off" in view.link_state.text()
    view.pane("anterior").set_view_range((0.0, 6.0, 40.0, 50.0))
    assert view.view_range("posterior") == pytest.approx(before)


def test_different_modalities_zoom_independently(qtbot, study_window, skin_study_dir):  # noqa: ANN001
    window = study_window
    window.open_path(skin_study_dir)
    view = window.study_page.view
    assert not view.link_box.isEnabled() and not view.link_box.isChecked()
    assert "different modalities" in view.link_state.text()
    assert not view.mirror_box.isVisible()
    qtbot.wait(50)
    before = view.view_range("us")
    view.pane("photo").set_view_range((10.0, 20.0, 10.0, 20.0))
    assert centre(view.view_range("photo")) == pytest.approx((15.0, 15.0), abs=0.5)
    assert view.view_range("us") == pytest.approx(before)


def test_attention_map_and_outline_toggle(qtbot, study_window, skin_study_dir, make_study_analysis):  # noqa: ANN001
    window = study_window
    window.open_path(skin_study_dir)
    analysis = show_fake_analysis(window, make_study_analysis)
    view = window.study_page.view
    photo, us = view.pane("photo"), view.pane("us")
    assert photo.map_shown and us.map_shown and view.map_box.isChecked()
    peak_alpha = int(photo.map_item.image[20, 10, 3])  # the map's peak is at (20, 10)
    assert peak_alpha == round(255 * window.study_page.state.map_opacity)
    assert int(photo.map_item.image[45, 60, 3]) == 0  # far from the bump: clear
    view.opacity_slider.setValue(100)
    assert int(photo.map_item.image[20, 10, 3]) == 255
    view.map_box.setChecked(False)
    assert not photo.map_shown and not us.map_shown
    view.map_box.setChecked(True)
    assert photo.map_shown
    assert len(us.contour_items) == len(analysis.findings["us"]) == 1
    assert photo.contour_items == []
    x, y = us.contour_items[0].getData()
    assert x.min() >= 20 and x.max() <= 40.5 and y.min() >= 10 and y.max() <= 20.5
    view.contour_box.setChecked(False)
    assert not us.contour_items[0].isVisible()


def test_one_finding_for_the_case(qtbot, study_window, skin_study_dir, make_study_analysis):  # noqa: ANN001
    window = study_window
    window.open_path(skin_study_dir)
    panel = window.study_page.panel
    assert panel.finding_count == 0
    show_fake_analysis(window, make_study_analysis, spacing_mm=0.1)
    assert panel.finding_count == 1
    assert panel.value("Class") == "malignant"
    assert panel.value("Probability").startswith("malignant 70%")
    assert panel.value("Clinical photo").startswith("attention map only")
    assert panel.value("Ultrasound").endswith("mm²")
    assert window.export_action.isEnabled()


def test_study_export_writes_pdf_json_csv(
    qtbot, study_window, skin_study_dir, make_study_analysis, tmp_path
):  # noqa: ANN001, E501
    import pypdfium2 as pdfium

    window = study_window
    window.open_path(skin_study_dir)
    page = window.study_page
    assert window.open_export_dialog() is None  # nothing analysed yet: refused, said why
    assert "Nothing to export" in window.statusBar().currentMessage()
    show_fake_analysis(window, make_study_analysis)
    box = page.panel.confirm_box  # the reader overrides the AI's class
    assert box.isEnabled() and box.itemText(0) == "not confirmed (AI: malignant)"
    box.activated.emit(box.findData("benign"))
    assert page.state.confirmed_label == "benign"
    dialog = window.open_export_dialog()
    assert isinstance(dialog, StudyExportDialog)
    assert set(dialog.output_boxes) == {"pdf", "json", "csv"}
    dialog.folder_edit.setText(str(tmp_path / "out"))
    dialog.accept()
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=20_000)
    names = sorted(p.name for p in page.last_export.written)
    case = dialog.pseudonym  # de-identified: the case's pseudonym, never its name
    assert case.startswith("case-") and page.state.study.case_id not in case
    assert names == [f"{case}_finding.csv", f"{case}_finding.json", f"{case}_report.pdf"]
    document = json.loads((tmp_path / "out" / f"{case}_finding.json").read_text())
    assert document["label"] == "malignant" and document["case"] == case
    assert document["confirmed_label"] == "benign"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / f"{case}_finding.csv").read_text())))
    assert {r["confirmed_label"] for r in rows} == {"benign"}
    assert {r["case_label"] for r in rows} == {"malignant"}
    assert [v["view"] for v in document["views"]] == list(page.state.study.views)
    pdf = pdfium.PdfDocument(tmp_path / "out" / f"{case}_report.pdf")
    text = pdf[0].get_textpage().get_text_range()
    assert "Clinical photo" in text and "Ultrasound" in text and "malignant" in text
    assert "overrides the AI" in text
    window.open_path(skin_study_dir)  # another study (here: the same, reopened): not confirmed
    assert page.state.confirmed_label is None


def test_export_request_names(tmp_path) -> None:  # noqa: ANN001
    request = study_export_request(tmp_path, "pair7", {"pdf", "csv"}, deidentify=False)
    assert request.pdf == tmp_path / "pair7_report.pdf" and request.json is None
    assert request.case == "pair7"
    assert study_export_request(tmp_path, "pair7", {"json"}).case == "case"


def test_a_data_set_opens_as_a_case_list(qtbot, study_window, tmp_path) -> None:  # noqa: ANN001
    import numpy as np
    from PIL import Image as PILImage

    rows = ["case,view,file"]
    for case in ("c1", "c2"):
        for view in ("anterior", "posterior"):
            PILImage.fromarray(np.full((30, 12), 200, np.uint8)).save(
                tmp_path / f"{case}{view}.png"
            )
            rows.append(f"{case},{view},{case}{view}.png")
    (tmp_path / "views.csv").write_text("\n".join(rows) + "\n")
    window = study_window
    assert window.open_path(tmp_path)  # as `lesionlens view DATASET` does
    assert window.case_dock.row_names() == ["c1", "c2"]
    assert window.study_page.state.study.case_id == "c1"
    window.step_case(1)
    assert window.study_page.state.study.case_id == "c2"
    assert window.cases.current == 1


def test_opening_an_image_leaves_the_study(qtbot, study_window, scinti_study_dir, tmp_path):  # noqa: ANN001
    import numpy as np
    from PIL import Image as PILImage

    window = study_window
    window.open_path(scinti_study_dir)
    image = tmp_path / "plain.png"
    PILImage.fromarray(np.zeros((40, 40), np.uint8)).save(image)
    assert window.open_path(image)
    assert not window.study_page.active
    assert window.canvas_stack.currentWidget() is window.canvas
    assert window.findings_panel.isVisible() and not window.study_page.panel.isVisible()
    assert "No shipped model takes these views" not in window.banner.text()


def test_an_image_opened_after_a_study_is_analysed(qtbot, window, scinti_study_dir, tmp_path):  # noqa: ANN001
    """The window's analysis waits while the study page is on screen, and resumes after."""
    import numpy as np
    from PIL import Image as PILImage

    window.study_page.state.find_bundle = lambda _views: None
    window.open_path(scinti_study_dir)
    image = tmp_path / "node.png"
    PILImage.fromarray(np.full((64, 64), 90, np.uint8)).save(image)
    assert window.open_path(image)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=30_000)


@pytest.mark.parametrize("kind", ["scinti", "skin-pair"])
def test_shipped_model_analyses_a_study_on_the_worker(qtbot, tmp_path, kind) -> None:  # noqa: ANN001
    """End to end with the shipped multi-view bundle: open a synthetic case, the worker runs
    engine.study.analysis, the page shows one finding and a map on every view."""
    from engine.model_catalog import bundle_for_views
    from engine.synth.dataset import write_dataset

    views = ("anterior", "posterior") if kind == "scinti" else ("photo", "us")
    assert bundle_for_views(views) is not None, (
        f"no shipped model for {views}: make models-multiview"
    )
    root = write_dataset(kind, 2, tmp_path / kind, seed=4)
    window = MainWindow(CaseState())
    window.ask_unsaved_changes = lambda _what: DISCARD
    qtbot.addWidget(window)
    window.show()
    assert window.open_folder(root)
    page = window.study_page
    qtbot.waitUntil(lambda: page.state.analysis is not None, timeout=60_000)
    analysis = page.state.analysis
    assert set(analysis.prediction.view_maps) == set(views)
    assert page.panel.finding_count == 1
    assert page.panel.value("Class") in analysis.prediction.probabilities
    assert all(pane.map_shown for pane in page.view.panes.values())
    if kind == "skin-pair":
        assert "us" in analysis.prediction.masks
    window.close()
