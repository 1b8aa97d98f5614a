"""Qt-free drawing arrays: window levels, overlay alpha, half-pixel alignment."""

from __future__ import annotations

import numpy as np

from desktop.models.image.display import (
    contour_xy,
    cursor_text,
    display_levels,
    overlay_rgba,
    scale_bar_mm,
    segment_xy,
)


def test_levels_8bit_as_stored_and_16bit_robust() -> None:
    assert display_levels(np.zeros((4, 4), np.uint8)) == (0.0, 255.0)
    rng = np.random.default_rng(0)
    wide = rng.integers(1000, 3000, size=(100, 100)).astype(np.uint16)
    wide[0, 0] = 65535  # one hot pixel must not set the window
    lo, hi = display_levels(wide)
    assert 1000 <= lo < 1100 and 2900 < hi <= 3000
    flat = np.full((3, 3), -5, dtype=np.int16)
    assert display_levels(flat) == (-5.0, -4.0)


def test_overlay_alpha_only_inside_mask() -> None:
    mask = np.zeros((5, 6), np.uint8)
    mask[1:3, 2:5] = 1
    rgba = overlay_rgba(mask, 0.5)
    assert rgba.shape == (5, 6, 4) and rgba.dtype == np.uint8
    assert np.array_equal(rgba[..., 3] > 0, mask > 0)
    assert set(np.unique(rgba[..., 3])) == {0, 128}
    assert not overlay_rgba(mask, 0.0)[..., 3].any()


def test_vectors_sit_on_pixel_centres() -> None:
    x, y = contour_xy(np.array([[0.0, 0.0], [0.0, 2.0], [2.0, 2.0]]))
    assert x.tolist() == [0.5, 2.5, 2.5, 0.5] and y.tolist() == [0.5, 0.5, 2.5, 0.5]
    sx, sy = segment_xy(((1.0, 2.0), (3.0, 4.0)))
    assert sx.tolist() == [2.5, 4.5] and sy.tolist() == [1.5, 3.5]


def test_scale_bar_and_cursor_text() -> None:
    assert scale_bar_mm(None, 300) is None
    assert scale_bar_mm((0.1, 0.1), 300) == 10.0
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert cursor_text(pixels, 1.7, 2.2, None) == "row 2  col 1  value 9"
    assert cursor_text(pixels, -0.1, 0.0, None) == ""
    assert cursor_text(pixels, 3.0, 0.0, (0.5, 0.5)).endswith("(0.0, 1.5) mm")
