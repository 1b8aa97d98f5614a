"""DICOM through pydicom: pixels after the modality LUT, display-ready photometric, spacing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_modality_lut

from engine.errors import LoadError
from engine.io.raster import MAX_SIDE
from engine.types import Image

# Identifying and descriptive tags copied into Image.metadata; de-identification acts there.
METADATA_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "Modality",
    "InstitutionName",
    "Manufacturer",
    "StudyDescription",
)

US_REGION_UNITS_CM = 3


def is_dicom(path: str | Path) -> bool:
    """True for Part-10 files (DICM at offset 128) and for preamble-less datasets pydicom reads."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(132)
    if len(head) == 132 and head[128:132] == b"DICM":
        return True
    if path.suffix.lower() not in {".dcm", ".dicom", ""}:
        return False
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception:  # noqa: BLE001 - sniffing: any failure simply means "not DICOM"
        return False
    return "SOPClassUID" in ds or "Rows" in ds


def read_dicom(path: str | Path) -> Image:
    path = Path(path)
    try:
        ds = pydicom.dcmread(path, force=True)
    except (InvalidDicomError, OSError, EOFError, ValueError) as exc:
        raise LoadError(path, f"not a readable DICOM file ({exc})") from exc
    if "PixelData" not in ds and "FloatPixelData" not in ds:
        modality = ds.get("Modality", "unknown modality")
        raise LoadError(path, f"DICOM has no pixel data ({modality}: not an image)")
    rows, cols = int(ds.get("Rows", 0)), int(ds.get("Columns", 0))
    if not rows or not cols:
        raise LoadError(path, "DICOM has pixel data but no Rows/Columns")
    if rows > MAX_SIDE or cols > MAX_SIDE:
        raise LoadError(path, f"image is {cols}x{rows}, larger than {MAX_SIDE}")
    try:
        raw = ds.pixel_array
    except Exception as exc:  # noqa: BLE001 - decoder plugins raise many types; report the reason
        raise LoadError(path, f"pixel data cannot be decoded ({exc})") from exc
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        raw = raw[0]  # the walking skeleton analyses the first frame; cine comes with issue 3
    pixels, photometric = _display_pixels(ds, raw, photometric)
    return Image(
        pixels=pixels,
        photometric=photometric,
        spacing_mm=_spacing_mm(ds),
        source=str(path),
        metadata=_metadata(ds),
    )


def _display_pixels(ds: Any, raw: np.ndarray, photometric: str) -> tuple[np.ndarray, str]:
    if photometric in {"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT", "PALETTE COLOR"}:
        # pydicom converts YBR to RGB when decoding compressed data; convert the rest here.
        if photometric.startswith("YBR") and raw.ndim == 3:
            from pydicom.pixels import convert_color_space

            raw = convert_color_space(raw, photometric, "RGB")
        if photometric == "PALETTE COLOR":
            from pydicom.pixels import apply_color_lut

            raw = apply_color_lut(raw, ds)
            if raw.dtype != np.uint8:
                raw = (raw / 257).astype(np.uint8)
        return np.ascontiguousarray(raw), "RGB"
    values = apply_modality_lut(raw, ds)
    if photometric == "MONOCHROME1":
        values = values.max() + values.min() - values  # invert so bright means dense/echogenic
    if values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0):
        values = values.astype(np.int32)
    return np.ascontiguousarray(values), "MONOCHROME2"


def _spacing_mm(ds: Any) -> tuple[float, float] | None:
    """Ultrasound region deltas (cm) first, then PixelSpacing, then ImagerPixelSpacing (mm)."""
    regions = ds.get("SequenceOfUltrasoundRegions")
    if regions:
        for region in regions:
            ux, uy = region.get("PhysicalUnitsXDirection"), region.get("PhysicalUnitsYDirection")
            if ux == US_REGION_UNITS_CM and uy == US_REGION_UNITS_CM:
                dx, dy = float(region.PhysicalDeltaX), float(region.PhysicalDeltaY)
                if dx > 0 and dy > 0:
                    return (abs(dy) * 10.0, abs(dx) * 10.0)
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(keyword)
        if value is not None and len(value) == 2 and float(value[0]) > 0 and float(value[1]) > 0:
            return (float(value[0]), float(value[1]))
    return None


def _metadata(ds: Any) -> dict[str, str]:
    return {kw: str(ds.get(kw)) for kw in METADATA_KEYWORDS if kw in ds}
