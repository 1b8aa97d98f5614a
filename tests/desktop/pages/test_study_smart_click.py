"""Smart Click on the views of a study in the real window, with real mouse and key events and
the shipped interactive bundle: key A, a click on one view and a box on the other (the
mirrored posterior) outline their lesions; each is one step of one undo history across the
views (Ctrl+Z / Ctrl+Y); the outline becomes that view's findings (reader-drawn, corrected)
and the export says the masks were drawn with AI assistance."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.main_window import DISCARD, MainWindow
from desktop.models.editing.smart_click import BOX_EDIT_NAME, EDIT_NAME
from desktop.models.editing.tool_state import NAVIGATE, SMART_CLICK
from desktop.models.image.state import CaseState
from engine.bundle import read_bundle
from engine.interactive import iou
from engine.report.study.export import StudyExportRequest

SIZE = 96
LESIONS = {"anterior": ((40, 50), 14), "posterior": ((60, 34), 12)}  # centre (row, col), radius
MOVE_GAP_MS = 15  # pyqtgraph drops mouse moves closer than 10 ms apart


def write_study(folder, views):  # noqa: ANN001, ANN201
    """A folder of view-named PNGs, as desktop.models.study.cases opens it."""
    from PIL import Image as PILImage

    folder.mkdir(parents=True, exist_ok=True)
    for name, pixels in views.items():
        PILImage.fromarray(pixels).save(folder / f"{name}.png")
    return folder


def disc(centre, radius) -> np.ndarray:  # noqa: ANN001
    rows, cols = np.ogrid[:SIZE, :SIZE]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


@pytest.fixture
def study_dir(tmp_path):  # noqa: ANN001, ANN201
    """Anterior + posterior, grey with noise, one dark round lesion on each."""
    rng = np.random.default_rng(11)
    views = {}
    for name, (centre, radius) in LESIONS.items():
        grey = np.where(disc(centre, radius), 60.0, 150.0) + rng.normal(0, 12, (SIZE, SIZE))
        views[name] = np.clip(grey, 0, 255).astype(np.uint8)
    return write_study(tmp_path / "two_view_case", views)


@pytest.fixture
def study_window(qtbot, study_dir, make_study_analysis):  # noqa: ANN001, ANN201
    window = MainWindow(CaseState())
    window.ask_unsaved_changes = lambda _what: DISCARD
    window.study_page.state.find_bundle = lambda _views: None  # no model: the test pushes one
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    assert window.open_path(study_dir)
    state = window.study_page.state
    state.show_analysis(make_study_analysis(state.study), read_bundle().spec)
    qtbot.wait(50)  # the panes laid out before mouse positions are mapped
    yield window
    window.close()


def test_click_and_box_on_two_views_with_one_undo_history(qtbot, study_window, tmp_path) -> None:  # noqa: ANN001
    window, page = study_window, study_window.study_page
    state, view = page.state, page.view
    anterior, posterior = view.pane("anterior"), view.pane("posterior")
    assert posterior.mirrored  # the box below is drawn on a mirrored view
    QTest.keyClick(window, Qt.Key.Key_A)
    assert view.tools.tool == SMART_CLICK and view.smart_button.isChecked()
    assert window.tool_label.text() == "Smart Click"  # the status bar names the study's tool

    (centre, radius) = LESIONS["anterior"]
    qtbot.mouseClick(
        anterior.viewport(), Qt.MouseButton.LeftButton, pos=anterior.viewport_point(*centre)
    )
    editors = state.corrections.editors
    assert iou(editors["anterior"].mask, disc(centre, radius)) > 0.7
    assert editors["anterior"].undo_name == EDIT_NAME
    (finding,) = state.analysis.findings["anterior"]
    assert finding.drawn_by_reader and finding.corrected  # the model drew nothing here
    assert len(anterior.contour_items) == 1 and anterior.mask_item.image is not None

    (centre, radius) = LESIONS["posterior"]
    start = (centre[0] - radius - 5, centre[1] - radius - 5)
    end = (centre[0] + radius + 5, centre[1] + radius + 5)
    viewport = posterior.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=posterior.viewport_point(*start))
    for t in np.linspace(0.2, 1.0, 5):
        qtbot.wait(MOVE_GAP_MS)
        point = [a + t * (b - a) for a, b in zip(start, end, strict=True)]
        qtbot.mouseMove(viewport, pos=posterior.viewport_point(*point))
    qtbot.wait(MOVE_GAP_MS)
    assert posterior.box_line.isVisible()  # the rubber band while dragging
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=posterior.viewport_point(*end))
    assert not posterior.box_line.isVisible()
    target = disc(centre, radius)
    assert iou(editors["posterior"].mask, target) > 0.7
    assert editors["posterior"].undo_name == BOX_EDIT_NAME
    assert len(state.analysis.findings["posterior"]) == 1

    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not editors["posterior"].mask.any() and editors["anterior"].mask.any()
    assert state.analysis.findings.get("posterior", ()) == ()  # back to the model's (none)
    QTest.keyClick(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert iou(editors["posterior"].mask, target) > 0.7

    QTest.keyClick(window, Qt.Key.Key_A)  # A again: back to pan/zoom
    assert view.tools.tool == NAVIGATE and not view.smart_button.isChecked()

    out = tmp_path / "out" / "study.json"
    page.start_export(StudyExportRequest(json=out))
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=20_000)
    document = json.loads(out.read_text())
    assistance = document["assistance"]
    assert assistance["method"] == "reader-drawn with AI assistance"
    assert assistance["model_ids"] == list(state.corrections.assisted_by)
    views = {v["view"]: v for v in document["views"]}
    assert views["anterior"]["lesion_count"] == 1 and views["anterior"]["corrected"]
    assert views["posterior"]["findings"][0]["drawn_by_reader"]


def test_smart_click_before_an_analysis_says_why(qtbot, tmp_path) -> None:  # noqa: ANN001
    window = MainWindow(CaseState())
    window.study_page.state.find_bundle = lambda _views: None
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    views = {n: np.full((SIZE, SIZE), 150, np.uint8) for n in LESIONS}
    assert window.open_path(write_study(tmp_path / "case", views))
    qtbot.wait(50)
    QTest.keyClick(window, Qt.Key.Key_A)
    pane = window.study_page.view.pane("anterior")
    qtbot.mouseClick(pane.viewport(), Qt.MouseButton.LeftButton, pos=pane.viewport_point(40, 40))
    assert "analyse it first" in window.statusBar().currentMessage()
    window.close()
