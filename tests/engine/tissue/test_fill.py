"""engine.tissue.fill: the overlay filled around its holes is the overlay filled over the
whole panel, pixel for pixel."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from engine.tissue.fill import SIGMAS, filled, hole_groups


def _filled_whole(values: np.ndarray, holes: np.ndarray, known: np.ndarray) -> np.ndarray:
    """The fill smoothed over the whole array at every scale (what filled() did before)."""
    out = values.astype(np.float32, copy=True)
    if not known.any():
        return out
    weight_of = known.astype(np.float32)
    todo = holes.copy()
    for sigma in SIGMAS:
        weight = gaussian_filter(weight_of, sigma, mode="constant")
        total = gaussian_filter(values * weight_of, sigma, mode="constant")
        ready = todo & (weight > 1e-3)
        out[ready] = total[ready] / weight[ready]
        todo &= ~ready
        if not todo.any():
            return out
    out[todo] = float(values[known].mean())
    return out


def _panel(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speckle with a caliper cross, a text block at the edge, dots close together and a
    wide dark gap in the known tissue (its holes need the larger scales)."""
    rng = np.random.default_rng(seed)
    values = (100 + 30 * rng.standard_normal((180, 240))).astype(np.float32)
    holes = np.zeros(values.shape, dtype=bool)
    holes[80:83, 60:80] = holes[70:93, 69:72] = True  # a cross
    holes[0:12, 200:240] = True  # text against the corner
    for c in range(20, 60, 6):
        holes[150:152, c : c + 2] = True  # a dotted line
    holes[100:140, 150:190] = True  # a big block: filled at the larger scales
    known = ~holes
    known[90:150, 140:200] = False  # no tissue around the big block for a while
    return values, holes, known


def test_fill_around_the_holes_is_the_whole_panel_fill() -> None:
    for seed in range(3):
        values, holes, known = _panel(seed)
        assert np.array_equal(filled(values, holes, known), _filled_whole(values, holes, known))
    values, holes, _ = _panel(0)
    no_tissue = np.zeros_like(holes)
    assert np.array_equal(filled(values, holes, no_tissue), values)


def test_hole_groups_box_each_group_grown_by_the_reach() -> None:
    holes = np.zeros((60, 80), dtype=bool)
    holes[10, 10] = holes[12, 14] = True  # one group at reach 4
    holes[50, 70] = True
    groups, boxes = hole_groups(holes, 4)
    assert boxes == [(slice(6, 17), slice(6, 19)), (slice(46, 55), slice(66, 75))]
    assert groups[10, 10] == groups[12, 14] == 1 and groups[50, 70] == 2
    _, far_apart = hole_groups(holes, 1)
    assert len(far_apart) == 3
    assert hole_groups(np.zeros((5, 5), dtype=bool), 3)[1] == []
