"""SequenceOfUltrasoundRegions -> UltrasoundRegion: every region, with its own calibration.

One ultrasound frame often holds several regions (B-mode, colour flow box, spectral Doppler
strip, ECG trace, a second side-by-side image); each has its own pixel size and units.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from engine.types import UltrasoundRegion

# DICOM PS3.3 C.8.5.5.1: RegionSpatialFormat, RegionDataType, PhysicalUnits*Direction.
SPATIAL_FORMATS = {0: "none", 1: "2D", 2: "M-mode", 3: "spectral", 4: "waveform", 5: "graphics"}
DATA_TYPES = {
    0: "none",
    1: "tissue",
    2: "color flow",
    3: "PW spectral Doppler",
    4: "CW spectral Doppler",
    5: "Doppler mean trace",
    6: "Doppler mode trace",
    7: "Doppler max trace",
    8: "volume trace",
    9: "d(volume)/dt trace",
    10: "ECG trace",
    11: "pulse trace",
    12: "phonocardiogram trace",
    13: "gray bar",
    14: "color bar",
    15: "integrated backscatter",
    16: "area trace",
    17: "d(area)/dt trace",
    18: "other physiological input",
}
UNITS = {
    0: "none",
    1: "percent",
    2: "dB",
    3: "cm",
    4: "seconds",
    5: "hertz",
    6: "dB/seconds",
    7: "cm/sec",
    8: "cm2",
    9: "cm2/sec",
    10: "cm3",
    11: "cm3/sec",
    12: "degrees",
}


def parse_regions(ds: Dataset) -> tuple[UltrasoundRegion, ...]:
    """All well-formed regions, in file order; an item missing its bounds is skipped."""
    regions = []
    for item in ds.get("SequenceOfUltrasoundRegions") or []:
        region = _parse_region(item)
        if region is not None:
            regions.append(region)
    return tuple(regions)


def largest_tissue_spacing_mm(regions: tuple[UltrasoundRegion, ...]) -> tuple[float, float] | None:
    """Image.spacing_mm for ultrasound: the largest calibrated tissue region, else the largest
    region in cm (some scanners leave RegionDataType at 0)."""
    in_cm = [r for r in regions if r.delta_mm is not None]
    tissue = [r for r in in_cm if r.is_tissue]
    pool = tissue or in_cm
    if not pool:
        return None
    return max(pool, key=lambda r: r.area_px).delta_mm


def _parse_region(item: Dataset) -> UltrasoundRegion | None:
    try:
        x0, y0 = int(item.RegionLocationMinX0), int(item.RegionLocationMinY0)
        x1, y1 = int(item.RegionLocationMaxX1), int(item.RegionLocationMaxY1)
    except (AttributeError, TypeError, ValueError):
        return None
    if x1 < x0 or y1 < y0:
        return None
    reference = None
    if "ReferencePixelX0" in item and "ReferencePixelY0" in item:
        reference = (int(item.ReferencePixelX0), int(item.ReferencePixelY0))
    return UltrasoundRegion(
        row0=y0,
        col0=x0,
        row1=y1,
        col1=x1,
        spatial_format=SPATIAL_FORMATS.get(_int(item, "RegionSpatialFormat"), "none"),
        data_type=DATA_TYPES.get(_int(item, "RegionDataType"), "none"),
        units_x=UNITS.get(_int(item, "PhysicalUnitsXDirection"), "none"),
        units_y=UNITS.get(_int(item, "PhysicalUnitsYDirection"), "none"),
        delta_x=abs(_float(item, "PhysicalDeltaX")),
        delta_y=abs(_float(item, "PhysicalDeltaY")),
        flags=_int(item, "RegionFlags"),
        reference_pixel=reference,
    )


def _int(item: Dataset, keyword: str) -> int:
    try:
        return int(item.get(keyword, 0) or 0)
    except (TypeError, ValueError):
        return 0


def _float(item: Dataset, keyword: str) -> float:
    try:
        return float(item.get(keyword, 0.0) or 0.0)
    except (TypeError, ValueError):
        return 0.0
