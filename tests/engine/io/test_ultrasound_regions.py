"""Ultrasound regions: parsing, region lookup, distances that respect regions, calibration."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import UltrasoundImageStorage

from engine.errors import MeasurementError
from engine.io import (
    calibrate_by_distance,
    distance_mm,
    load_image,
    region_at,
    tissue_regions,
)
from engine.types import Image


def _region(rows: tuple[int, int], cols: tuple[int, int], fmt: int, kind: int, units, deltas):  # noqa: ANN001, ANN202
    item = Dataset()
    item.RegionSpatialFormat, item.RegionDataType, item.RegionFlags = fmt, kind, 0
    item.RegionLocationMinY0, item.RegionLocationMaxY1 = rows
    item.RegionLocationMinX0, item.RegionLocationMaxX1 = cols
    item.PhysicalUnitsXDirection, item.PhysicalUnitsYDirection = units
    item.PhysicalDeltaX, item.PhysicalDeltaY = deltas
    return item


CM, SECONDS, CM_PER_S, NONE = 3, 4, 7, 0


@pytest.fixture
def dual_view(dcm) -> Image:  # noqa: ANN001
    """Side-by-side B-mode (two tissue regions of different depth setting), a colour box in
    the left one, a spectral Doppler strip and an ECG trace below."""
    regions = [
        _region((50, 249), (0, 199), 1, 1, (CM, CM), (0.01, 0.01)),  # left tissue, 0.1 mm
        _region((40, 249), (210, 409), 1, 1, (CM, CM), (0.02, 0.025)),  # right tissue
        _region((100, 150), (50, 100), 1, 2, (CM, CM), (0.01, 0.01)),  # colour flow box
        _region((260, 299), (0, 409), 3, 3, (SECONDS, CM_PER_S), (0.005, 1.5)),  # PW Doppler
        _region((300, 319), (0, 409), 4, 10, (SECONDS, NONE), (0.005, 0.0)),  # ECG
    ]
    pixels = np.zeros((320, 410), np.uint8)
    ds = dcm.build(pixels, SOPClassUID=UltrasoundImageStorage)
    ds.Modality = "US"
    ds.SequenceOfUltrasoundRegions = Sequence(regions)
    return load_image(dcm.save(ds, dcm.tmp / "us.dcm"))


def test_every_region_is_parsed(dual_view: Image) -> None:
    left, right, colour, doppler, ecg = dual_view.regions
    assert (left.row0, left.col0, left.row1, left.col1) == (50, 0, 249, 199)
    assert left.data_type == "tissue" and left.spatial_format == "2D" and left.is_tissue
    assert right.delta_mm == pytest.approx((0.25, 0.2))
    assert colour.data_type == "color flow" and not colour.is_tissue
    assert doppler.data_type == "PW spectral Doppler" and doppler.spatial_format == "spectral"
    assert (doppler.units_x, doppler.units_y) == ("seconds", "cm/sec")
    assert doppler.delta_mm is None and doppler.delta_y == pytest.approx(1.5)
    assert ecg.data_type == "ECG trace"


def test_spacing_is_the_largest_tissue_region(dual_view: Image) -> None:
    assert dual_view.spacing_mm == pytest.approx((0.25, 0.2))  # right view: 210x200 > 200x200


def test_region_at_prefers_the_innermost_region(dual_view: Image) -> None:
    assert region_at(dual_view, 120, 60).data_type == "color flow"
    assert region_at(dual_view, 60, 10).data_type == "tissue"
    assert region_at(dual_view, 280, 10).data_type == "PW spectral Doppler"
    assert region_at(dual_view, 10, 10) is None


def test_tissue_regions_are_where_inference_looks(dual_view: Image) -> None:
    bounds = [(r.row0, r.col0, r.row1, r.col1) for r in tissue_regions(dual_view)]
    assert bounds == [(40, 210, 249, 409), (50, 0, 249, 199)]  # largest first


def test_distances_use_the_region_under_the_points(dual_view: Image) -> None:
    assert distance_mm(dual_view, (60, 10), (60, 110)) == pytest.approx(10.0)  # 100 px x 0.1
    assert distance_mm(dual_view, (60, 250), (100, 250)) == pytest.approx(10.0)  # 40 x 0.25
    assert distance_mm(dual_view, (60, 250), (60, 300)) == pytest.approx(10.0)  # 50 x 0.2
    # one point in the colour box, one in plain tissue: both lie in the left tissue region
    assert distance_mm(dual_view, (120, 60), (200, 60)) == pytest.approx(8.0)


@pytest.mark.parametrize(
    ("p0", "p1", "reason"),
    [
        ((60, 10), (60, 300), r"two different regions \(the left and the right tissue region\)"),
        ((10, 10), (60, 10), "outside every ultrasound region"),
        ((270, 10), (290, 100), "seconds x cm/sec"),
    ],
)
def test_refused_measurements_say_why(dual_view: Image, p0, p1, reason: str) -> None:  # noqa: ANN001
    with pytest.raises(MeasurementError, match=reason):
        distance_mm(dual_view, p0, p1)


def test_uncalibrated_image_and_user_calibration() -> None:
    image = Image(pixels=np.zeros((50, 60), np.uint8))
    with pytest.raises(MeasurementError, match="uncalibrated"):
        distance_mm(image, (0, 0), (0, 10))
    calibrated = calibrate_by_distance(image, (10, 10), (10, 50), known_mm=20.0)
    assert calibrated.spacing_mm == pytest.approx((0.5, 0.5))
    assert distance_mm(calibrated, (0, 0), (30, 40)) == pytest.approx(25.0)
    with pytest.raises(MeasurementError):
        calibrate_by_distance(image, (1, 1), (1, 1), known_mm=5.0)


def test_pixel_spacing_images_measure_everywhere() -> None:
    image = Image(pixels=np.zeros((50, 60), np.uint8), spacing_mm=(0.5, 0.25))
    assert distance_mm(image, (0, 0), (10, 0)) == pytest.approx(5.0)
    assert distance_mm(image, (0, 0), (0, 10)) == pytest.approx(2.5)


def test_synthetic_node_dicom_region(node_dicom, node_sample) -> None:  # noqa: ANN001
    image = load_image(node_dicom)
    (region,) = image.regions
    r0, c0, r1, c1 = node_sample.region
    assert (region.row0, region.col0, region.row1, region.col1) == (r0, c0, r1 - 1, c1 - 1)
    assert region.is_tissue and tissue_regions(image) == (region,)
