"""The window end to end: open real files, the model runs off the GUI thread, errors show."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop.main_window import MainWindow
from desktop.models.image.state import CaseState
from desktop.widgets.banner import HEADLINE

ANALYSIS_TIMEOUT_MS = 15_000


def wait_for_analysis(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    qtbot.waitUntil(
        lambda: window.state.analysis is not None and not window.state.busy,
        timeout=ANALYSIS_TIMEOUT_MS,
    )


def assert_overlay_matches_analysis(window: MainWindow) -> None:
    analysis = window.state.analysis
    mask = analysis.prediction.mask > 0
    alpha = window.canvas.overlay_item.image[..., 3]
    assert mask.any(), "the model found no lesion in a clear synthetic node"
    assert np.array_equal(alpha > 0, mask)
    assert window.findings_panel.table.rowCount() == len(analysis.findings) >= 1


def test_window_starts_with_banner(window: MainWindow) -> None:
    banner = window.banner.text()
    assert HEADLINE in banner and "not for diagnosis" in banner
    assert str(window.state.model.spec.card["training_data"]) in banner
    assert window.banner.isVisible()
    assert window.error_bar.isHidden()
    assert not window.busy_bar.isVisible()


def test_open_dicom_runs_model_and_shows_overlay(
    qtbot, window: MainWindow, node_dicom: Path
) -> None:  # noqa: ANN001
    assert window.open_path(node_dicom)
    wait_for_analysis(qtbot, window)
    assert_overlay_matches_analysis(window)
    table = window.findings_panel.table
    assert table.horizontalHeaderItem(4).text() == "Long\nmm"
    assert window.findings_panel.case_value("Calibration").endswith("mm/px")
    assert window.windowTitle() == "LesionLens — node.dcm"
    assert "Analysis done" in window.statusBar().currentMessage()


def test_open_png_shows_pixels_uncalibrated(qtbot, window: MainWindow, node_png: Path) -> None:  # noqa: ANN001
    assert window.open_path(node_png)
    wait_for_analysis(qtbot, window)
    assert_overlay_matches_analysis(window)
    assert window.findings_panel.table.horizontalHeaderItem(4).text() == "Long\npx"
    assert window.findings_panel.case_value("Calibration") == "uncalibrated (px)"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.png", b"", "file is empty"),
        ("notes.dcm", b"this is a text file, not DICOM\n" * 10, "not a DICOM file"),
    ],
)
def test_bad_file_shows_error_and_keeps_case(
    qtbot,  # noqa: ANN001
    window: MainWindow,
    node_dicom: Path,
    tmp_path: Path,
    name: str,
    content: bytes,
    reason: str,
) -> None:
    window.open_path(node_dicom)
    wait_for_analysis(qtbot, window)
    image, analysis = window.state.image, window.state.analysis
    shown = window.canvas.image_item.image
    rows = window.findings_panel.table.rowCount()
    bad = tmp_path / name
    bad.write_bytes(content)

    assert not window.open_path(bad)

    message = window.error_bar.message()
    assert name in message and reason in message
    assert reason in window.statusBar().currentMessage()
    assert window.state.image is image and window.state.analysis is analysis
    assert window.canvas.image_item.image is shown
    assert window.findings_panel.table.rowCount() == rows
    assert window.windowTitle() == "LesionLens — node.dcm"
    window.error_bar.dismiss_button.click()
    assert window.error_bar.isHidden() and window.state.last_error is None


def test_missing_model_shows_error_and_image(qtbot, tmp_path: Path, node_png: Path) -> None:  # noqa: ANN001
    window = MainWindow(CaseState())
    qtbot.addWidget(window)
    window.show()
    window.load_model(tmp_path / "no-such-bundle")
    qtbot.waitUntil(lambda: window.state.last_error is not None, timeout=5_000)
    assert window.error_bar.message().startswith("Model unavailable:")
    assert "no model loaded" in window.findings_panel.model_value.text()
    window.open_path(node_png)
    assert window.state.image is not None and window.state.analysis is None
    assert window.canvas.image_item.image is not None


def test_model_loads_on_worker_then_analyses_open_image(
    qtbot,
    model,
    node_png: Path,
    monkeypatch,  # noqa: ANN001
) -> None:
    import desktop.shell.analysis as analysis_module  # where the window's model loads run

    monkeypatch.setattr(analysis_module, "load_model", lambda _bundle_dir: model)
    window = MainWindow(CaseState())
    qtbot.addWidget(window)
    window.open_path(node_png)  # before the model: shown now, analysed when the model arrives
    assert window.state.analysis is None
    window.load_model(None)
    wait_for_analysis(qtbot, window)
    assert window.state.model is model
    assert model.spec.model_id in window.banner.text()
    window.close()


def test_only_the_latest_image_is_analysed(
    qtbot,
    window: MainWindow,
    node_dicom: Path,
    node_png: Path,  # noqa: ANN001
) -> None:
    window.open_path(node_dicom)
    window.open_path(node_png)  # replaces the DICOM while its analysis may still run
    wait_for_analysis(qtbot, window)
    qtbot.waitUntil(lambda: not window.has_running_jobs(), timeout=ANALYSIS_TIMEOUT_MS)
    assert window.state.analysis.image is window.state.image
    assert window.state.path == node_png


def test_view_menu_and_controls_stay_in_sync(window: MainWindow) -> None:
    window.contours_action.trigger()
    assert not window.state.contours_visible
    assert not window.display_controls.contours_box.isChecked()
    window.display_controls.contours_box.setChecked(True)
    assert window.state.contours_visible and window.contours_action.isChecked()
    before = window.state.overlay_opacity
    window.more_opacity_action.trigger()
    assert window.state.overlay_opacity == pytest.approx(before + 0.1)
    assert window.display_controls.opacity_slider.value() == round(100 * (before + 0.1))
    window.display_controls.opacity_slider.setValue(0)
    assert window.state.overlay_opacity == 0.0
