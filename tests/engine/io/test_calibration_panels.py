"""Calipers on a split screen without region tags: inside one panel yes, across no."""

from __future__ import annotations

import dataclasses

import pytest

from engine.errors import MeasurementError
from engine.io import distance_mm, load_image
from engine.synth.scanner_layouts import render_layout
from engine.types import Image


def test_calipers_across_the_panels_of_a_split_screen_are_refused() -> None:
    layout = render_layout("split", 0)
    image = Image(pixels=layout.pixels, spacing_mm=(0.1, 0.1))
    seam = layout.seams[0]
    row = 300
    assert distance_mm(image, (row, seam - 200), (row, seam - 100)) == pytest.approx(10.0)
    assert distance_mm(image, (row, seam + 60), (row + 30, seam + 100)) == pytest.approx(5.0)
    with pytest.raises(MeasurementError, match="two different panels of a split screen"):
        distance_mm(image, (row, seam - 50), (row, seam + 50))
    with pytest.raises(MeasurementError, match="outside the B-mode panels"):
        distance_mm(image, (row, seam - 50), (20, 20))  # into the banner


def test_one_panel_screens_measure_as_before() -> None:
    image = Image(pixels=render_layout("sector", 0).pixels, spacing_mm=(0.2, 0.2))
    assert distance_mm(image, (10, 10), (310, 410)) == pytest.approx(100.0)


def test_real_split_screen_refuses_across_even_when_calibrated() -> None:
    from pydicom.data import get_testdata_file

    path = get_testdata_file("US1_UNCR.dcm")
    assert path is not None, "pydicom-data is missing: install the test extra"
    image = dataclasses.replace(load_image(path), spacing_mm=(0.1, 0.1))
    assert distance_mm(image, (200, 100), (250, 200)) > 0
    with pytest.raises(MeasurementError, match="panels 1 and 2 from the left"):
        distance_mm(image, (200, 100), (200, 500))
