"""Degenerate inputs to the shared preprocessing: a clear ImageError or a defined result,
never numpy's IndexError (np.percentile of an empty crop ended a 300-file batch)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ImageError, LesionLensError
from engine.preprocess import Letterbox, letterbox, letterbox_mask, normalise_intensity, unletterbox
from engine.types import Image


@pytest.mark.parametrize("shape", [(0,), (0, 0), (0, 7), (7, 0), (0, 4, 3)])
def test_normalise_intensity_of_no_pixels_is_an_image_error(shape: tuple[int, ...]) -> None:
    with pytest.raises(ImageError, match="no pixels"):
        normalise_intensity(np.zeros(shape, dtype=np.float32), 0.5, 99.5)


def test_normalise_intensity_of_degenerate_but_present_pixels_is_defined() -> None:
    constant = normalise_intensity(np.full((5, 5), 7.0), 0.5, 99.5)
    assert constant.dtype == np.float32 and not constant.any()
    nan = normalise_intensity(np.full((4, 4), np.nan), 0.5, 99.5)
    assert not nan.any()
    mixed = np.arange(16, dtype=np.float32).reshape(4, 4)
    mixed[0, 0], mixed[0, 1] = np.nan, np.inf
    out = normalise_intensity(mixed, 0.0, 100.0)
    assert np.isfinite(out).all() and out[0, 0] == 0 and out[0, 1] == 0
    assert out.min() == 0.0 and out.max() == 1.0
    single = normalise_intensity(np.array([[3.0]]), 0.5, 99.5)
    assert single.shape == (1, 1) and single[0, 0] == 0


def test_letterbox_of_a_zero_size_panel_is_an_image_error() -> None:
    with pytest.raises(ImageError):
        letterbox(np.zeros((0, 30), np.float32), 64)
    with pytest.raises(ImageError):
        letterbox_mask(np.zeros((30, 0), np.uint8), 64)
    with pytest.raises(ImageError):
        unletterbox(np.zeros((64, 64), np.float32), Letterbox(1.0, 64, 0, 0, 64, (0, 64)))


def test_an_image_with_no_pixels_is_a_clear_error_from_predict(default_model) -> None:  # noqa: ANN001
    from engine.analysis import analyze

    for pixels in (np.zeros((0, 5), np.uint8), np.zeros((0, 4, 3), np.uint8)):
        with pytest.raises(LesionLensError, match="no pixels"):
            analyze(Image(pixels=pixels), default_model, tta=False)


def test_a_one_pixel_image_is_analysed(default_model) -> None:  # noqa: ANN001
    from engine.analysis import analyze

    analysis = analyze(Image(pixels=np.full((1, 40), 90, np.uint8)), default_model, tta=False)
    assert analysis.prediction.mask.shape == (1, 40)
