"""Ellipse, trace and angle (engine.reader_shapes): known answers in pixels and millimetres,
anisotropic pixels measured in physical space, and refusals across ultrasound regions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.errors import MeasurementError
from engine.io.calibration import measurement_spacing_mm, points_spacing_mm
from engine.reader_shapes import (
    Angle,
    Ellipse,
    Trace,
    angle_degrees,
    ellipse_area_perimeter,
    measure_shape,
    polygon_area_perimeter,
    ramanujan_perimeter,
)
from engine.types import Image, UltrasoundRegion


def tissue(rows: tuple[int, int], cols: tuple[int, int], delta_cm: tuple[float, float]):  # noqa: ANN202
    """A B-mode region; delta_cm = (x, y) cm per pixel, as in the DICOM tags."""
    return UltrasoundRegion(
        rows[0], cols[0], rows[1], cols[1], "2D", "tissue", "cm", "cm", *delta_cm
    )


def two_panels() -> Image:
    """Left region 0.1 mm square pixels, right region 0.2 mm (another depth setting), and a
    spectral Doppler strip below (seconds x cm/s)."""
    regions = (
        tissue((0, 99), (0, 99), (0.01, 0.01)),
        tissue((0, 99), (110, 209), (0.02, 0.02)),
        UltrasoundRegion(
            110, 0, 149, 209, "spectral", "PW spectral Doppler", "seconds", "cm/sec", 0.005, 1.5
        ),  # fmt: skip
    )
    return Image(pixels=np.zeros((150, 210), np.uint8), regions=regions)


def test_circle_area_and_perimeter() -> None:
    circle = Ellipse((50.0, 50.0), (10.0, 10.0), 33.0)
    area, perimeter = ellipse_area_perimeter(circle)
    assert area == pytest.approx(math.pi * 100.0)
    assert perimeter == pytest.approx(2 * math.pi * 10.0)  # Ramanujan is exact for a circle
    area_mm, perimeter_mm = ellipse_area_perimeter(circle, (0.1, 0.1))
    assert area_mm == pytest.approx(math.pi) and perimeter_mm == pytest.approx(2 * math.pi * 1.0)


def test_ramanujan_against_the_exact_elliptic_integral() -> None:
    a, b = 30.0, 10.0
    t = np.linspace(0.0, 2 * np.pi, 200_001)
    exact = float(np.trapezoid(np.hypot(a * np.sin(t), b * np.cos(t)), t))
    assert ramanujan_perimeter(a, b) == pytest.approx(exact, rel=1e-4)  # 3.4e-5 at a = 3b


def test_anisotropic_pixels_turn_a_drawn_circle_into_an_ellipse() -> None:
    """Rows 0.2 mm, columns 0.1 mm: a 10-px circle is 2 mm tall and 1 mm wide (semi-axes)."""
    for rotation in (0.0, 27.0, 90.0):
        circle = Ellipse((50.0, 50.0), (10.0, 10.0), rotation)
        area, perimeter = ellipse_area_perimeter(circle, (0.2, 0.1))
        assert area == pytest.approx(math.pi * 2.0 * 1.0)
        assert perimeter == pytest.approx(ramanujan_perimeter(2.0, 1.0))
    # The same ellipse along the rows or along the columns has different physical sizes.
    along_cols = ellipse_area_perimeter(Ellipse((50, 50), (20.0, 5.0), 0.0), (0.2, 0.1))[1]
    along_rows = ellipse_area_perimeter(Ellipse((50, 50), (20.0, 5.0), 90.0), (0.2, 0.1))[1]
    assert along_cols == pytest.approx(ramanujan_perimeter(2.0, 1.0))
    assert along_rows == pytest.approx(ramanujan_perimeter(4.0, 0.5))


def test_ellipse_from_an_axis_and_its_handles() -> None:
    e = Ellipse.from_axis((10.0, 10.0), (10.0, 50.0), 8.0)
    assert e.centre == (10.0, 30.0) and e.semi_axes == (20.0, 8.0)
    a0, a1, b0, b1 = e.axis_ends
    assert a0 == pytest.approx((10.0, 10.0)) and a1 == pytest.approx((10.0, 50.0))
    assert sorted([b0[0], b1[0]]) == pytest.approx([2.0, 18.0])
    assert e.translated(5, -5).centre == (15.0, 25.0)


def test_trace_3_4_5_triangle_and_square() -> None:
    triangle = ((0.0, 0.0), (3.0, 0.0), (0.0, 4.0))
    assert polygon_area_perimeter(triangle) == pytest.approx((6.0, 12.0))
    square = ((0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0))
    # Rows 0.2 mm, columns 0.1 mm: a 10 x 10 px square is 2 mm x 1 mm.
    assert polygon_area_perimeter(square, (0.2, 0.1)) == pytest.approx((2.0, 6.0))
    with pytest.raises(MeasurementError, match="three points"):
        polygon_area_perimeter(((0.0, 0.0), (1.0, 1.0)))


def test_angle_right_angle_and_anisotropic_spacing() -> None:
    right = Angle((0.0, 10.0), (0.0, 0.0), (10.0, 0.0))
    assert angle_degrees(right) == pytest.approx(90.0)
    diagonal = Angle((0.0, 10.0), (0.0, 0.0), (10.0, 10.0))
    assert angle_degrees(diagonal) == pytest.approx(45.0)
    # Rows twice as tall as columns: the 45° drawn on pixels is atan(2) from the x axis.
    assert angle_degrees(diagonal, (0.2, 0.1)) == pytest.approx(math.degrees(math.atan(2.0)))
    assert angle_degrees(Angle((0, 5), (0, 0), (0, -5))) == pytest.approx(180.0)
    with pytest.raises(MeasurementError, match="non-zero"):
        angle_degrees(Angle((0, 0), (0, 0), (1, 1)))


def test_measure_shape_in_mm_px_and_refused_across_regions() -> None:
    calibrated = Image(pixels=np.zeros((100, 100), np.uint8), spacing_mm=(0.1, 0.1))
    value = measure_shape(calibrated, Ellipse((50.0, 50.0), (10.0, 10.0)))
    assert value.calibrated and value.area == pytest.approx(math.pi)
    assert value.text == "A 3.1 mm²  P 6.3 mm"

    plain = Image(pixels=np.zeros((100, 100), np.uint8))
    value = measure_shape(plain, Trace(((0.0, 0.0), (30.0, 0.0), (0.0, 40.0))))
    assert not value.calibrated and value.area == pytest.approx(600.0)
    assert value.text == "A 600 px²  P 120 px" and "uncalibrated" in value.refused
    angle = measure_shape(plain, Angle((0.0, 10.0), (0.0, 0.0), (10.0, 0.0)))
    assert angle.angle_deg == pytest.approx(90.0) and angle.text == "90.0° (px)"

    us = two_panels()
    inside = measure_shape(us, Trace(((10.0, 120.0), (10.0, 150.0), (40.0, 150.0))))
    assert inside.calibrated and inside.area == pytest.approx(0.5 * 30 * 30 * 0.04)
    across = measure_shape(us, Trace(((10.0, 50.0), (10.0, 150.0), (40.0, 150.0))))
    assert not across.calibrated and "two different regions" in across.refused
    # An ellipse whose centre is inside the left region but whose outline leaves it.
    spill = measure_shape(us, Ellipse((50.0, 90.0), (15.0, 5.0)))
    assert not spill.calibrated and spill.refused
    doppler = measure_shape(us, Angle((120.0, 10.0), (130.0, 20.0), (120.0, 30.0)))
    assert not doppler.calibrated and "not a distance in cm" in doppler.refused
    assert "Angle" in doppler.detail and doppler.refused in doppler.detail


def test_points_spacing_is_the_caliper_rule_for_many_points() -> None:
    us = two_panels()
    assert points_spacing_mm(us, [(10, 120), (50, 200), (90, 130)]) == pytest.approx((0.2, 0.2))
    assert measurement_spacing_mm(us, (10, 10), (20, 20)) == pytest.approx((0.1, 0.1))
    with pytest.raises(MeasurementError, match="the left and the right tissue region"):
        points_spacing_mm(us, [(10, 10), (20, 20), (20, 150)])
    with pytest.raises(MeasurementError, match="outside every ultrasound region"):
        points_spacing_mm(us, [(10, 10), (20, 105)])
