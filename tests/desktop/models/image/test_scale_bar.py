"""Where the canvas puts its scale bar: inside the tissue, not over the scanner's burned-in
text, ECG trace or logo at the bottom of the screen (issue 20, item 7)."""

from __future__ import annotations

import numpy as np

from desktop.models.image.display import scale_bar_place
from engine.types import Image, UltrasoundRegion


def test_the_bar_sits_in_the_tissue_panel_not_the_screen_corner() -> None:
    pixels = np.zeros((300, 400), np.uint8)
    pixels[20:200, 40:360] = 90  # the B-mode panel
    pixels[250:280, 20:380] = 255  # burned-in text / ECG trace under it
    region = UltrasoundRegion(20, 40, 199, 359, "2D", "tissue", "cm", "cm", 0.01, 0.01)
    image = Image(pixels=pixels, spacing_mm=(0.1, 0.1), regions=(region,))
    x0, y, length_px, length_mm = scale_bar_place(image)
    assert x0 >= 40 and x0 + length_px <= 360 and 20 <= y < 200  # inside the panel
    assert length_mm == 10.0 and length_px == 100.0  # a fifth of the panel's 32 mm: 10 mm


def test_no_bar_without_calibration_and_the_whole_image_without_a_panel() -> None:
    assert scale_bar_place(Image(pixels=np.zeros((50, 50), np.uint8))) is None
    flat = Image(pixels=np.zeros((100, 200), np.uint8), spacing_mm=(0.2, 0.2))
    x0, y, _length_px, _mm = scale_bar_place(flat)
    assert y > 90 and x0 < 10  # bottom left of the screen, as before
