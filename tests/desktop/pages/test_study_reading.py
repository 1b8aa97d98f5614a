"""Reading a study in the real window (pytest-qt, offscreen, real mouse and key events): the
views fit their panes when a study opens and on every resize until the reader zooms or pans;
right-drag sets window/level; the tools of the single-image page are off here and say why."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from desktop.main_window import DISCARD, MainWindow
from desktop.models.image.state import CaseState
from desktop.models.paths import SAMPLE_PATH

SAMPLES = SAMPLE_PATH.parent
MOVE_GAP_MS = 15  # pyqtgraph drops mouse moves closer than 10 ms apart


@pytest.fixture
def study_window(qtbot):  # noqa: ANN001, ANN201
    window = MainWindow(CaseState())
    window.ask_unsaved_changes = lambda _what: DISCARD
    window.study_page.state.find_bundle = lambda _views: None  # shown without AI
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def open_sample(qtbot, window: MainWindow, name: str) -> None:  # noqa: ANN001
    """File ▸ Open Sample Cases, then the case in the list (as a reader picks it)."""
    window.samples_folder_action.trigger()
    entry = next(e for e in window.cases.entries if e.name.startswith(name))
    assert window.go_to_case(entry)
    qtbot.waitUntil(
        lambda: window.study_page.view.pane(window.study_page.state.view_names[0]).isVisible()
    )
    qtbot.wait(50)  # the layout settles; each resize refits


def filled(pane) -> float:  # noqa: ANN001
    """How much of the pane the image fills along its tighter axis (1.0: edge to edge)."""
    x0, x1, y0, y1 = pane.view_range()
    return max(pane.image.width / (x1 - x0), pane.image.height / (y1 - y0))


def drag(qtbot, pane, start: QPoint, end: QPoint, button: Qt.MouseButton) -> None:  # noqa: ANN001
    viewport = pane.viewport()
    qtbot.mousePress(viewport, button, pos=start)
    steps = 6
    for k in range(1, steps + 1):
        qtbot.wait(MOVE_GAP_MS)
        point = start + (end - start) * (k / steps)
        qtbot.mouseMove(viewport, pos=point)
    qtbot.wait(MOVE_GAP_MS)
    qtbot.mouseRelease(viewport, button, pos=end)


def test_bone_scan_fits_its_panes_on_open_and_on_resize(qtbot, study_window) -> None:  # noqa: ANN001
    window = study_window
    open_sample(qtbot, window, "sample_bone_scan")
    view = window.study_page.view
    for name in ("anterior", "posterior"):
        assert filled(view.pane(name)) == pytest.approx(1 / 1.04, abs=0.03), name
    window.resize(900, 620)  # a smaller window: the views shrink with it and stay whole
    qtbot.waitUntil(lambda: filled(view.pane("anterior")) == pytest.approx(1 / 1.04, abs=0.03))
    assert filled(view.pane("posterior")) == pytest.approx(1 / 1.04, abs=0.03)


def test_a_pan_is_kept_through_resizes_until_fit(qtbot, study_window) -> None:  # noqa: ANN001
    window = study_window
    open_sample(qtbot, window, "sample_skin_pair")
    view = window.study_page.view
    us = view.pane("us")
    start = us.viewport_point(128, 160)
    drag(qtbot, us, start, start + QPoint(80, 0), Qt.MouseButton.LeftButton)  # pan right
    panned = us.view_range()
    assert not us.follows_pane and panned[0] < -40  # the image moved right on screen
    window.resize(1000, 700)
    qtbot.wait(100)
    assert us.view_range()[0] < -40  # still panned: the reader's view is kept
    assert view.pane("photo").follows_pane  # the other view (not linked) still fits
    assert filled(view.pane("photo")) == pytest.approx(1 / 1.04, abs=0.03)
    qtbot.mouseClick(view.fit_button, Qt.MouseButton.LeftButton)
    assert us.follows_pane and filled(us) == pytest.approx(1 / 1.04, abs=0.03)


def test_right_drag_sets_window_level_not_zoom(qtbot, study_window) -> None:  # noqa: ANN001
    window = study_window
    open_sample(qtbot, window, "sample_bone_scan")
    view = window.study_page.view
    anterior, posterior = view.pane("anterior"), view.pane("posterior")
    assert anterior.levels == (0.0, 255.0)  # 8-bit: as stored
    assert "Default" in anterior.window_label.text()
    start = anterior.viewport_point(256, 96)
    drag(qtbot, anterior, start, start + QPoint(-60, -40), Qt.MouseButton.RightButton)
    low, high = anterior.levels
    assert high - low < 255.0 * 0.9  # left: narrower window (more contrast)
    assert (low + high) / 2 < 127.5  # up: lower level (brighter)
    # no zoom: pyqtgraph's right-drag zoom would have been a reader's zoom (and left the fit)
    assert anterior.follows_pane and filled(anterior) == pytest.approx(1 / 1.04, abs=0.03)
    assert "Custom" in anterior.window_label.text()
    assert posterior.levels == (0.0, 255.0)  # each view keeps its own window
    qtbot.keyClick(anterior.viewport(), Qt.Key.Key_W)  # View ▸ Default Window/Level
    assert anterior.levels == (0.0, 255.0) and "Default" in anterior.window_label.text()


def test_a_colour_view_has_no_window(qtbot, study_window) -> None:  # noqa: ANN001
    window = study_window
    open_sample(qtbot, window, "sample_skin_pair")
    view = window.study_page.view
    photo, us = view.pane("photo"), view.pane("us")
    assert "as acquired" in photo.window_label.text()
    start = photo.viewport_point(128, 160)
    drag(qtbot, photo, start, start + QPoint(60, 40), Qt.MouseButton.RightButton)
    assert photo.levels == (0.0, 255.0)
    assert "shown as acquired" in window.statusBar().currentMessage()
    start = us.viewport_point(128, 160)
    drag(qtbot, us, start, start + QPoint(60, 40), Qt.MouseButton.RightButton)
    assert us.levels != (0.0, 255.0)  # the grey ultrasound of the pair has one


def test_image_tools_are_off_on_a_study_and_back_on_an_image(qtbot, study_window) -> None:  # noqa: ANN001
    window = study_window
    caliper = window.toolbar.tool_actions["caliper"]
    calibrate = window.toolbar.tool_actions["calibrate"]
    assert window.open_path(SAMPLE_PATH)
    assert caliper.isEnabled() and calibrate.isEnabled()
    qtbot.keyClick(window.canvas.viewport(), Qt.Key.Key_M)
    assert window.tools.tool == "caliper"
    open_sample(qtbot, window, "sample_skin_pair")
    assert not caliper.isEnabled() and not calibrate.isEnabled()
    assert "off here: a study shows several views" in caliper.toolTip()
    assert "off here" in calibrate.statusTip()
    assert window.tools.tool == "navigate"  # the tool drawn with has nothing to draw on
    us = window.study_page.view.pane("us")
    qtbot.keyClick(us.viewport(), Qt.Key.Key_M)
    assert window.tools.tool == "navigate"  # the disabled action's key does nothing
    start = us.viewport_point(128, 160)
    drag(qtbot, us, start, start + QPoint(40, 0), Qt.MouseButton.LeftButton)
    assert not us.follows_pane  # a left drag pans the study view
    assert window.open_path(SAMPLE_PATH)  # back on one image: the tools are on again
    assert caliper.isEnabled() and "Drag to measure" in caliper.toolTip()


def test_the_ct_read_out_goes_when_a_study_opens(qtbot, study_window) -> None:  # noqa: ANN001
    window = study_window
    assert window.open_path(SAMPLES / "sample_kidney_ct.nii.gz")
    canvas = window.volume_mode.workspace.canvas("axial")
    qtbot.waitUntil(canvas.isVisible)
    centre = canvas.viewport().rect().center()
    qtbot.mouseMove(canvas.viewport(), pos=centre + QPoint(1, 1))
    qtbot.mouseMove(canvas.viewport(), pos=centre)
    qtbot.waitUntil(lambda: "HU" in window.cursor_label.text())
    open_sample(qtbot, window, "sample_bone_scan")
    assert window.cursor_label.text() == ""
    anterior = window.study_page.view.pane("anterior")
    qtbot.mouseMove(anterior.viewport(), pos=anterior.viewport_point(300, 96))
    qtbot.waitUntil(lambda: window.cursor_label.text().startswith("Anterior: row 300  col 96"))
    assert "HU" not in window.cursor_label.text()


def test_the_banner_names_the_study_model_not_the_image_model(qtbot, window) -> None:  # noqa: ANN001
    """With the node model loaded, the skin pair's banner quotes the skin fusion model's card."""
    node_model = window.state.model.spec.model_id
    window.samples_folder_action.trigger()
    entry = next(e for e in window.cases.entries if e.name.startswith("sample_skin_pair"))
    assert window.go_to_case(entry)
    bundle = window.study_page.state.bundle
    assert bundle is not None and bundle.spec.model_id != node_model
    assert f"Model {bundle.spec.model_id}" in window.banner.text()
    assert node_model not in window.banner.text()
    qtbot.waitUntil(lambda: window.study_page.state.analysis is not None, timeout=60_000)
    assert node_model not in window.banner.text()
