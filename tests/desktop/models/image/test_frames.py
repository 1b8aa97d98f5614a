"""Cine play/pause and frame slider; volume slices with CT window presets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop.main_window import CANCEL, MainWindow
from desktop.models.editing.tool_state import BRUSH
from desktop.models.image.series import CINE, VOLUME, CaseSeries
from desktop.models.image.state import CaseState

ANALYSIS_TIMEOUT_MS = 15_000


def test_series_reads_cine_frames_lazily(cine_dicom: Path, node_sample) -> None:  # noqa: ANN001
    series = CaseSeries.open(cine_dicom)
    assert series.kind == CINE and series.count == 5 and series.frame_time_ms == 50.0
    assert np.array_equal(series.frame(3).pixels, np.roll(node_sample.image, 12, axis=1))
    assert series.frame(3) is series.frame(3)  # cached, not decoded again
    assert series.position_text(3) == "frame 4/5  20 fps"
    with pytest.raises(IndexError):
        series.frame(5)


def test_state_frames_keep_window_and_drop_analysis(cine_dicom: Path, known_analysis) -> None:  # noqa: ANN001
    state = CaseState()
    assert state.open(cine_dicom)
    events: list[tuple] = []
    for name in ("frame_changed", "analysis_changed", "window_changed"):
        state.subscribe(name, lambda *a, name=name: events.append((name, *a)))
    state.drag_window(40, 0)
    window = state.window
    assert state.show_frame(2)
    assert state.window == window and state.frame_index == 2 and state.analysis is None
    assert [e[0] for e in events] == ["window_changed", "frame_changed", "analysis_changed"]
    assert not state.show_frame(2) and not state.show_frame(9)


def test_cine_slider_play_and_analysis(
    qtbot, window: MainWindow, cine_dicom: Path, node_sample
) -> None:  # noqa: ANN001
    assert window.open_path(cine_dicom)
    controls = window.frame_controls
    assert controls.isVisible() and controls.play_button.isVisible()
    assert controls.slider.maximum() == 4
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    controls.slider.setValue(2)
    assert window.state.frame_index == 2
    shown = window.canvas.image_item.image
    assert np.array_equal(shown, np.roll(node_sample.image, 8, axis=1))
    assert "frame 3/5" in controls.position_label.text()
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    assert window.state.analysis.image.pixels is window.state.image.pixels

    controls.play_button.click()
    assert controls.playing and controls.timer.interval() == 50
    qtbot.waitUntil(lambda: window.state.frame_index != 2, timeout=2_000)
    assert window.state.analysis is None or window.state.busy is False
    controls.play_button.click()
    assert not controls.playing
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)


def test_frame_change_guards_unsaved_edits(
    qtbot, window: MainWindow, cine_dicom: Path, mouse
) -> None:  # noqa: ANN001
    window.open_path(cine_dicom)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    window.tools.set_tool(BRUSH)
    mouse.drag(window.canvas, [(10.0, 10.0), (10.0, 60.0)])
    window.ask_unsaved_changes = lambda _what: CANCEL
    window.frame_controls.slider.setValue(3)
    assert window.state.frame_index == 0 and window.frame_controls.slider.value() == 0
    assert window.state.modified


def test_volume_slices_and_ct_presets(qtbot, window: MainWindow, ct_nifti: Path) -> None:  # noqa: ANN001
    assert window.open_path(ct_nifti)
    state = window.state
    assert state.series.kind == VOLUME and state.frame_index == 3  # the middle slice
    assert not window.frame_controls.play_button.isVisible()
    assert window.frame_controls.slider.maximum() == 6
    assert int(window.canvas.image_item.image[20, 30]) == 30
    assert window.frame_controls.position_label.text() == "slice 4/7  z 7.5 mm"
    assert state.window.center == 40.0 and state.window.width == 400.0  # soft tissue
    names = [window.display_controls.window_box.itemText(i) for i in range(5)]
    assert names[0] == "Default window" and names[2].startswith("Lung")
    window.display_controls.window_box.activated.emit(2)
    assert window.canvas.image_item.getLevels() == pytest.approx((-1350.0, 150.0))
    window.frame_controls.step(1)
    assert int(window.canvas.image_item.image[20, 30]) == 40
    assert window.canvas.image_item.getLevels() == pytest.approx((-1350.0, 150.0))
    assert state.analysis is None and not window.has_running_jobs()  # not for this model
    assert not window.run_model_anyway()  # volumes go to the volume model, not slice by slice
    assert "volume model" in window.statusBar().currentMessage()
    assert not window.save_review()  # no 2D review of a volume (labels: File > Save Labels)
