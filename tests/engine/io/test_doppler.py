"""Colour Doppler: the reader keeps the colour, the model gets gray B-mode."""

from __future__ import annotations

import numpy as np

from engine.io import bmode_gray, load_image
from engine.io.doppler import colour_mask
from engine.types import Image


def _speckled_gradient(rows: int = 120, cols: int = 160) -> np.ndarray:
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:rows, 0:cols]
    return np.clip(40 + x * 0.8 + y * 0.3 + rng.normal(0, 3, (rows, cols)), 0, 255).astype(np.uint8)


def _paint_flow(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.repeat(gray[..., None], 3, axis=-1)
    y, x = np.mgrid[0 : gray.shape[0], 0 : gray.shape[1]]
    blob = (y - 60) ** 2 + (x - 80) ** 2 < 18**2
    rgb[blob & (x < 80)] = (220, 30, 20)  # flow towards the probe: red
    rgb[blob & (x >= 80)] = (20, 40, 230)  # away: blue
    return rgb, blob


def test_colour_blob_is_filled_from_the_gray_around_it() -> None:
    gray = _speckled_gradient()
    rgb, blob = _paint_flow(gray)
    image = Image(pixels=rgb, photometric="RGB")
    np.testing.assert_array_equal(colour_mask(rgb), blob)
    out = bmode_gray(image)
    assert out.shape == gray.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~blob], gray[~blob])  # gray pixels untouched
    error = np.abs(out[blob].astype(float) - gray[blob])
    naive = np.abs(rgb[blob].mean(axis=-1) - gray[blob])  # what a plain RGB->gray would give
    assert error.mean() < 8 and naive.mean() > 3 * error.mean()
    assert image.pixels is rgb  # the reader's colour picture is not changed


def test_gray_images_pass_through(dcm) -> None:  # noqa: ANN001
    gray = _speckled_gradient(30, 40)
    np.testing.assert_array_equal(bmode_gray(Image(pixels=gray)), gray)
    rgb_gray = np.repeat(gray[..., None], 3, axis=-1)
    np.testing.assert_array_equal(bmode_gray(Image(pixels=rgb_gray, photometric="RGB")), gray)


def test_colour_doppler_dicom_stays_colour_for_the_reader(dcm) -> None:  # noqa: ANN001
    rgb, blob = _paint_flow(_speckled_gradient())
    image = load_image(dcm.save(dcm.build(rgb), dcm.tmp / "doppler.dcm"))
    assert image.is_color
    np.testing.assert_array_equal(image.pixels, rgb)
    assert bmode_gray(image).ndim == 2
