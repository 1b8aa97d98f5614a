"""A CT plane under the fixed soft-tissue window Smart Click reads it through."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ImageError
from engine.interactive.ct import soft_tissue_slice


def test_soft_tissue_window_maps_level_and_width_to_the_unit_range() -> None:
    hu = np.array([[-1000.0, -160.0, 40.0], [240.0, 1000.0, np.nan]])
    out = soft_tissue_slice(hu)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 0.0, 0.5], [1.0, 1.0, 0.0]])


def test_only_one_plane_is_taken() -> None:
    with pytest.raises(ImageError, match="one H×W slice"):
        soft_tissue_slice(np.zeros((2, 4, 4)))
