"""The descriptor panel (issue 19): the AI's BI-RADS proposal with its reasons, the reader's
choices by keyboard and mouse, kept with the case review and carried into the SR."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from engine.model_catalog import image_bundles
from engine.report import ExportRequest

ANALYSIS_TIMEOUT_MS = 15_000
EXPORT_TIMEOUT_MS = 30_000


def _open(qtbot, window: MainWindow, path: Path):  # noqa: ANN001, ANN202
    # The reader picks the breast model for the folder (Model ▸ Model for This Folder): the
    # proposal would keep the node model for a synthetic node scan.
    breast = next(b.directory for b in image_bundles() if b.directory.name == "breast-us")
    window.model_picker.choices.choose_for_folder(path.parent, breast)
    window.open_path(path)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    panel = window.descriptor_panel
    assert window.state.analysis.findings[0].descriptors is not None, "breast model expected"
    return panel


def _pick_other(qtbot, box) -> str:  # noqa: ANN001
    """Move the combo box one entry with the keyboard, as a reader would; the new value."""
    box.setFocus()
    key = Qt.Key.Key_Up if box.currentIndex() == box.count() - 1 else Qt.Key.Key_Down
    qtbot.keyClick(box, key)
    return box.currentData()


def test_panel_shows_the_ai_proposal_with_reasons_and_takes_the_readers_choice(
    qtbot, window: MainWindow, node_png: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    panel = _open(qtbot, window, node_png)
    state = window.state
    assert panel.body.isVisible()
    ai = state.analysis.findings[0].descriptors
    shape_box = panel.value_boxes["shape"]
    assert shape_box.currentData() == ai.value("shape")
    assert shape_box.currentText() == f"{ai.value('shape')}  (AI)"
    assert panel.reason_labels["orientation"].text() == ai["orientation"].reason
    assert panel.source_labels["shape"].text() == "AI proposal"
    assert panel.value_boxes["category"].currentData() == ai.category
    assert not state.modified

    chosen = _pick_other(qtbot, shape_box)
    assert chosen != ai.value("shape")
    d = state.analysis.findings[0].descriptors
    assert (d.value("shape"), d["shape"].source) == (chosen, "reader")
    assert panel.source_labels["shape"].text() == "reader"
    assert state.modified  # a reader's decision is unsaved until saved

    category = _pick_other(qtbot, panel.value_boxes["category"])
    assert state.analysis.findings[0].descriptors.category == category
    assert panel.source_labels["category"].text() == "reader"

    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    d = state.analysis.findings[0].descriptors
    assert d.final and not panel.confirm_button.isEnabled()
    assert d.value("shape") == chosen and d["shape"].source == "reader"  # choice kept
    assert d["margin"].source == "AI" and not d["margin"].proposed  # confirmed
    assert panel.source_labels["margin"].text() == "AI, confirmed"
    assert "final" in panel.final_label.text()

    # An edit re-derives the findings; the reader's decisions stay on them.
    r, c = 4, 4
    assert state.editor.fill_polygon([(r, c), (r, c + 8), (r + 8, c + 8), (r + 8, c)])
    d = state.analysis.findings[0].descriptors
    assert d.value("shape") == chosen and d.category == category and d.final

    # The exports read them: the SR says the category was set by the reader.
    sr_path = tmp_path / "sr.dcm"
    window.start_export(ExportRequest(sr=sr_path, deidentify=False))
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=EXPORT_TIMEOUT_MS)
    group = hd.sr.srread(sr_path).content.get_planar_roi_measurement_groups()[0]
    evaluations = {q.name.meaning: q.value for q in group.get_qualitative_evaluations()}
    assert evaluations["Assessment category status"].meaning == "Set by the reader"
    assert evaluations["Assessment Category"].value == f"LL-BIRADS-{category}"

    # Kept with the case review: saved, then read back with the stored correction.
    assert window.save_review()
    assert not state.modified
    saved = window.review_store.saved_review(node_png)
    assert saved is not None
    assert saved.descriptor_choices[1]["shape"] == {"value": chosen}
    assert saved.descriptor_choices[1]["margin"] == {"confirmed": True}


def test_saved_choices_come_back_when_the_case_is_reopened(
    qtbot, window: MainWindow, node_png: Path, node_dicom: Path
) -> None:  # noqa: ANN001
    panel = _open(qtbot, window, node_png)
    chosen = _pick_other(qtbot, panel.value_boxes["orientation"])
    assert window.save_review()
    _open(qtbot, window, node_dicom)  # another case, then back
    panel = _open(qtbot, window, node_png)
    d = window.state.analysis.findings[0].descriptors
    assert (d.value("orientation"), d["orientation"].source) == (chosen, "reader")
    assert panel.value_boxes["orientation"].currentData() == chosen
    assert not window.state.modified


def test_hidden_for_models_without_descriptors(
    qtbot, window: MainWindow, node_png: Path, monkeypatch
) -> None:  # noqa: ANN001
    panel = _open(qtbot, window, node_png)
    assert panel.body.isVisible()
    monkeypatch.setattr("desktop.widgets.image.descriptor_panel.template_for", lambda _spec: None)
    panel.refresh()
    assert not panel.body.isVisible()


def test_panel_shows_a_ti_rads_set_and_takes_a_points_override(
    qtbot, window: MainWindow, node_png: Path, monkeypatch
) -> None:  # noqa: ANN001
    # The template follows the model: a model.json that says "ti-rads" (the default model,
    # told so for this test) gives TI-RADS rows, the same panel code as BI-RADS.
    monkeypatch.setitem(window.state.model.spec.raw, "descriptors", "ti-rads")
    window.open_path(node_png)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    panel = window.descriptor_panel
    ai = window.state.analysis.findings[0].descriptors
    assert ai is not None and ai.template == "ti-rads"
    assert panel.body.isVisible()
    assert tuple(panel.value_boxes) == (
        "composition",
        "echogenicity",
        "shape",
        "margin",
        "echogenic_foci",
        "category",
    )
    category_box = panel.value_boxes["category"]
    assert [category_box.itemData(i) for i in range(1, category_box.count())] == [
        "TR1",
        "TR2",
        "TR3",
        "TR4",
        "TR5",
    ]
    assert category_box.currentData() == ai.category
    assert "points:" in panel.reason_labels["category"].text()
    foci = panel.value_boxes["echogenic_foci"]
    assert foci.count() == 9  # not set + none + 7 combinations of the three kinds

    margin = panel.value_boxes["margin"]
    index = margin.findData("extra-thyroidal extension")
    margin.setCurrentIndex(index)
    margin.activated.emit(index)
    d = window.state.analysis.findings[0].descriptors
    assert d.value("margin") == "extra-thyroidal extension" and d["margin"].source == "reader"
    assert d.extras["points"]["margin"] == 3
    assert d.extras["total_points"] == ai.extras["total_points"] - ai.extras["points"]["margin"] + 3
    assert panel.source_labels["margin"].text() == "reader"


def test_the_default_node_model_shows_node_descriptors_and_the_readers_hilum_sets_the_call(
    qtbot, window: MainWindow, node_dicom: Path
) -> None:  # noqa: ANN001
    # The template follows the model: the shipped lymph-node model's model.json says
    # "lymph-node", so a node scan gets node rows without any choice by the reader.
    window.open_path(node_dicom)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    assert window.state.model.spec.raw.get("descriptors") == "lymph-node"
    panel = window.descriptor_panel
    ai = window.state.analysis.findings[0].descriptors
    assert ai is not None and ai.template == "lymph-node"
    assert panel.body.isVisible()
    assert tuple(panel.value_boxes) == (
        "shape",
        "hilum",
        "cortex",
        "margin",
        "vascular_pattern",
        "category",
    )
    # Calibrated DICOM: the shape's reason gives the short axis in mm.
    assert panel.reason_labels["shape"].text() == ai["shape"].reason
    assert ai["shape"].reason.endswith(" mm)")
    assert panel.reason_labels["vascular_pattern"].text().startswith("not assessed")
    category_box = panel.value_boxes["category"]
    assert [category_box.itemData(i) for i in range(1, category_box.count())] == [
        "not suspicious",
        "suspicious",
    ]
    assert category_box.currentData() == ai.category
    # The benign synthetic node: an echogenic hilum, which the reader says is absent.
    hilum = panel.value_boxes["hilum"]
    assert hilum.currentData() == ai.value("hilum") == "present"
    assert _pick_other(qtbot, hilum) == "absent"
    d = window.state.analysis.findings[0].descriptors
    assert (d.value("hilum"), d["hilum"].source) == ("absent", "reader")
    assert d.category == "suspicious" and "no echogenic hilum" in d.category_reasons
    assert category_box.currentData() == "suspicious"
    assert panel.source_labels["hilum"].text() == "reader"
