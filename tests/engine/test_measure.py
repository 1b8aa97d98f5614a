from __future__ import annotations

import numpy as np
import pytest
from skimage.draw import ellipse

from engine.measure import lesion_components, measure_component, outer_contour


def _ellipse_mask(r_radius: int, c_radius: int, angle: float = 0.0) -> np.ndarray:
    mask = np.zeros((200, 240), dtype=bool)
    rr, cc = ellipse(100, 120, r_radius, c_radius, shape=mask.shape, rotation=angle)
    mask[rr, cc] = True
    return mask


def test_axes_of_an_ellipse_in_pixels() -> None:
    m = measure_component(_ellipse_mask(20, 50), None)
    assert m.long_axis_px == pytest.approx(101, abs=2)
    assert m.short_axis_px == pytest.approx(41, abs=2)
    assert m.area_px == pytest.approx(np.pi * 20 * 50, rel=0.03)
    assert m.long_axis_mm is None and m.area_mm2 is None
    assert m.ls_ratio == pytest.approx(101 / 41, rel=0.05)


def test_rotated_ellipse_and_anisotropic_spacing() -> None:
    m = measure_component(_ellipse_mask(20, 50, angle=0.6), (0.1, 0.1))
    assert m.long_axis_mm == pytest.approx(10.1, abs=0.25)
    assert m.short_axis_mm == pytest.approx(4.1, abs=0.25)
    # Rows twice as big as columns: a circle of radius 20 px is 8 mm tall, 4 mm wide.
    disc = _ellipse_mask(20, 20)
    rows = np.flatnonzero(disc.any(axis=1))
    height_px = rows[-1] - rows[0] + 1  # pixel extent, as a caliper on the mask would read it
    circle = measure_component(disc, (0.2, 0.1))
    assert circle.long_axis_mm == pytest.approx(height_px * 0.2, abs=0.15)
    assert circle.short_axis_mm == pytest.approx(height_px * 0.1, abs=0.15)
    assert circle.area_mm2 == pytest.approx(np.pi * 400 * 0.02, rel=0.05)


def test_axis_endpoints_lie_on_the_lesion_boundary() -> None:
    m = measure_component(_ellipse_mask(20, 50), None)
    (r0, c0), (r1, c1) = m.long_axis_endpoints
    assert abs(r0 - 100) <= 3 and abs(r1 - 100) <= 3  # the ends are a few px flat
    assert sorted([c0, c1]) == pytest.approx([69.5, 170.5], abs=1.5)


def test_components_are_split_filled_and_small_ones_dropped() -> None:
    mask = np.zeros((100, 100), dtype=np.uint8)
    mask[10:40, 10:40] = 1
    mask[20:25, 20:25] = 0  # a hole: filled
    mask[60:90, 50:70] = 1
    mask[95:97, 95:97] = 1  # 4 px speck: below the floor
    comps = lesion_components(mask, min_area_px=20)
    assert [int(c.sum()) for c in comps] == [900, 600]
    contour = outer_contour(comps[0])
    assert contour[:, 0].min() == pytest.approx(9.5) and contour[:, 0].max() == pytest.approx(39.5)


def test_perimeter_orientation_and_irregularity() -> None:
    smooth = measure_component(_ellipse_mask(20, 50), (0.1, 0.1))
    # Ramanujan's ellipse perimeter for semi-axes 2.0 and 5.0 mm.
    a, b = 5.0, 2.0
    ramanujan = np.pi * (3 * (a + b) - np.sqrt((3 * a + b) * (a + 3 * b)))
    assert smooth.perimeter_mm == pytest.approx(ramanujan, rel=0.05)
    assert smooth.orientation_deg < 5
    assert measure_component(_ellipse_mask(20, 50, angle=np.pi / 2), None).orientation_deg > 85
    lobed = np.zeros((200, 200), dtype=bool)
    yy, xx = np.mgrid[:200, :200]
    theta = np.arctan2(yy - 100, xx - 100)
    lobed[np.hypot(yy - 100, xx - 100) < 50 * (1 + 0.25 * np.cos(6 * theta))] = True
    assert smooth.irregularity < 0.03 < measure_component(lobed, None).irregularity


def test_bounding_box_tracing_matches_whole_image_tracing() -> None:
    """Lesions are filled and traced in their bounding box; the result must be the same as on
    the whole image (same outline in image coordinates, holes filled, nested lesion kept)."""
    from scipy import ndimage
    from skimage import measure

    from engine.measure import lesion_components, outer_contour

    yy, xx = np.mgrid[:200, :300]
    mask = (((yy - 120) / 50) ** 2 + ((xx - 180) / 70) ** 2 < 1).astype(np.uint8)
    mask[((yy - 120) / 10) ** 2 + ((xx - 180) / 10) ** 2 < 1] = 0  # a hole
    mask[5:9, 290:300] = 1  # a small lesion on the image edge
    components = lesion_components(mask, 5)
    assert len(components) == 2
    big = components[0]
    assert big[120, 180]  # the hole is filled
    expected = ndimage.binary_fill_holes(mask[:, :250] > 0)
    assert np.array_equal(big[:, :250], expected)
    for component in components:
        whole = measure.find_contours(np.pad(component.astype(np.float32), 1), 0.5)
        reference = max(whole, key=len) - 1.0
        np.testing.assert_allclose(outer_contour(component), reference)


def test_measuring_with_the_traced_contour_is_measuring_without() -> None:
    """findings_from traces each lesion's outline once and hands it to measure_component."""
    mask = np.zeros((120, 160), dtype=np.uint8)
    rr, cc = ellipse(60, 70, 25, 40, rotation=0.4)
    mask[rr, cc] = 1
    component = lesion_components(mask, 20)[0]
    for spacing in (None, (0.1, 0.07)):
        given = measure_component(component, spacing, outer_contour(component))
        assert given == measure_component(component, spacing)
