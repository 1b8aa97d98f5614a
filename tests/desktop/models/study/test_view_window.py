"""The default window of a study's grey views and their presets (Qt-free)."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.models.image.window_level import WindowLevel
from desktop.models.study.state import StudyState
from desktop.models.study.view_window import body_levels, default_view_window, view_presets
from engine.types import Image, Study


def counts_scan() -> np.ndarray:
    """A whole-body scan in counts: empty background, a body of ~100 counts with a skeleton
    of ~400, and a small bladder of 5000 (the hottest thing in the frame)."""
    rng = np.random.default_rng(0)
    pixels = np.zeros((200, 80), np.uint16)
    pixels[20:190, 20:60] = rng.poisson(100, (170, 40))
    pixels[20:190, 38:42] = rng.poisson(400, (170, 4))
    pixels[120:126, 37:43] = 5000  # 36 px: half a per cent of the body
    return pixels


def test_wide_data_is_windowed_on_the_body_not_the_bladder() -> None:
    pixels = counts_scan()
    low, high = body_levels(pixels)
    assert low == 0.0
    assert 350 < high < 1000  # the skeleton is near white; the bladder saturates
    window = default_view_window(Image(pixels))
    assert window is not None and window.levels == pytest.approx((low, high))
    assert default_view_window(Image(pixels.astype(np.uint8))) == WindowLevel(127.5, 255.0)
    assert default_view_window(Image(np.zeros((4, 4, 3), np.uint8), photometric="RGB")) is None


def test_presets_drag_and_reset_per_view() -> None:
    pixels = counts_scan()
    study = Study("c", {"anterior": Image(pixels), "posterior": Image(pixels // 2)})
    state = StudyState(find_bundle=lambda _views: None)
    changed: list[str] = []
    state.subscribe("window_changed", changed.append)
    state.show_study(study)
    names = [p.name for p in view_presets(study.views["anterior"])]
    assert names == ["Full range", "Contrast 1-99 %", "High contrast 5-95 %"]
    assert state.preset_names() == names
    assert state.apply_preset("Full range")
    assert state.window("anterior").levels == (0.0, 5000.0)
    assert state.window("posterior").levels == (0.0, 2500.0)  # its own values
    assert state.window_name("anterior") == "Full range"
    state.drag_window("anterior", 30, 0)
    assert state.window_name("anterior") == "Custom"
    assert state.window_name("posterior") == "Full range"
    state.reset_windows()
    assert state.window_name("anterior") == state.window_name("posterior") == "Default"
    assert changed[:2] == ["anterior", "posterior"]
