"""The finder's fast filters and hull agree with scipy and skimage, which they replace."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from engine.synth.scanner_layouts import render_layout
from engine.tissue.filters import dilated, opening, running_max, running_min
from engine.tissue.hull import filled_hull


@pytest.mark.parametrize("shape", [(120, 157), (7, 5), (3, 40)])
def test_running_filters_equal_scipy(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    values = rng.integers(0, 255, shape).astype(np.uint8)
    for size in (2, 3, 4, 5, 9):
        for axis in (0, 1):
            assert np.array_equal(
                running_max(values, size, axis), ndimage.maximum_filter1d(values, size, axis)
            )
            assert np.array_equal(
                running_min(values, size, axis), ndimage.minimum_filter1d(values, size, axis)
            )
    assert np.array_equal(opening(values, 5), ndimage.grey_opening(values, size=(5, 5)))
    mask = rng.random(shape) > 0.9
    expected = ndimage.maximum_filter(mask.view(np.uint8), size=(5, 9)).view(bool)
    assert np.array_equal(dilated(mask, 5, 9), expected)


@pytest.mark.parametrize("kind", ["sector", "curvilinear", "dual"])
def test_filled_hull_matches_skimage(kind: str) -> None:
    from skimage.morphology import convex_hull_image

    fan = render_layout(kind, 0).panels[0].copy()
    fan[300:350, 300:350] = False  # a dark cyst at the edge: the hull takes it back
    ours, theirs = filled_hull(fan), convex_hull_image(fan)
    assert ours[300:350, 300:350].any()
    assert (ours ^ theirs).sum() < 0.005 * theirs.sum()  # only rounding at the rim
    assert (ours >= fan).all()
    line = np.zeros((10, 10), bool)
    line[3, 2:7] = True
    assert np.array_equal(filled_hull(line), line)
    assert not filled_hull(np.zeros((4, 4), bool)).any()
