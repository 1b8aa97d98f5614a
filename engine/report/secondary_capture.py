"""A Secondary Capture DICOM for a PNG/JPG/TIFF source, so SEG and SR have an image to reference.

A raster file has no patient, study or instance identity; the SC gets fresh UIDs, empty
Type 2 patient and study attributes, and Patient Orientation left empty (Type 2 in the
General Image module: the orientation of a photo or screen capture is unknown).
"""

from __future__ import annotations

import datetime as dt

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset

from engine.types import Image

MANUFACTURER = "LesionLens"
SC_SERIES_NUMBER = 1


def secondary_capture(image: Image, when: dt.datetime | None = None) -> hd.sc.SCImage:
    """The raster image as an SC instance (8-bit gray, 16-bit gray or 8-bit RGB)."""
    pixels, photometric, bits = _storable(image.pixels)
    when = when or dt.datetime.now()
    sc = hd.sc.SCImage(
        pixel_array=pixels,
        photometric_interpretation=photometric,
        bits_allocated=bits,
        coordinate_system="PATIENT",
        study_instance_uid=hd.UID(),
        series_instance_uid=hd.UID(),
        series_number=SC_SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        patient_orientation=("L", "F"),  # required by highdicom; emptied below
        study_date=when.date(),
        study_time=when.time().replace(microsecond=0),
        pixel_spacing=image.spacing_mm,
    )
    sc.PatientOrientation = None
    sc.Laterality = None  # Type 2C: unknown for a raster file, present and empty
    sc.ConversionType = "WSD"  # workstation: the file came from a PNG/JPG on this computer
    sc.ContentDate = when.strftime("%Y%m%d")
    sc.ContentTime = when.strftime("%H%M%S")
    sc.SeriesDescription = "LesionLens source image (secondary capture)"
    return sc


def _storable(pixels: np.ndarray) -> tuple[np.ndarray, str, int]:
    """(array, photometric, bits allocated) in a form the SC IOD allows."""
    if pixels.ndim == 3:
        return _to_uint8(pixels[..., :3]), "RGB", 8
    if pixels.dtype == np.uint16:
        return np.ascontiguousarray(pixels), "MONOCHROME2", 16
    return _to_uint8(pixels), "MONOCHROME2", 8


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return np.ascontiguousarray(pixels)
    values = pixels.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    scaled = (values - low) / (high - low) * 255.0 if high > low else np.zeros_like(values)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


KEY_IMAGE_SERIES_NUMBER = 9902


def key_image_secondary_capture(
    rgb: np.ndarray, reference: Dataset, when: dt.datetime | None = None
) -> hd.sc.SCImage:
    """The key image (outlines and calipers drawn in) as an SC in the reference's study: its
    patient and study come from `reference` (the source header, de-identified when the
    export is), so a PACS files it beside the image it was made from."""
    when = when or dt.datetime.now()
    sc = hd.sc.SCImage.from_ref_dataset(
        ref_dataset=reference,
        pixel_array=_to_uint8(rgb[..., :3]) if rgb.ndim == 3 else _to_uint8(rgb),
        photometric_interpretation="RGB" if rgb.ndim == 3 else "MONOCHROME2",
        bits_allocated=8,
        coordinate_system="PATIENT",
        series_instance_uid=hd.UID(),
        series_number=KEY_IMAGE_SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        patient_orientation=("L", "F"),  # required by highdicom; a rendering has none
    )
    sc.PatientOrientation = None
    sc.Laterality = None
    sc.ConversionType = "WSD"
    sc.ContentDate = when.strftime("%Y%m%d")
    sc.ContentTime = when.strftime("%H%M%S")
    sc.SeriesDescription = "LesionLens key image (outlines and measurements)"
    sc.BurnedInAnnotation = "YES"  # the outlines, labels and calipers are in the pixels
    return sc
