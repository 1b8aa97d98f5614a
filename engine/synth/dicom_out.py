"""A synthetic B-mode image as an Ultrasound Image Storage DICOM with a calibrated region."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, UltrasoundImageStorage, generate_uid

from engine.atomic import write_atomic


def write_ultrasound_dicom(
    path: str | Path,
    pixels: np.ndarray,
    spacing_mm: float,
    region: tuple[int, int, int, int],
    patient_name: str = "SYNTHETIC^NODE",
    patient_id: str = "SYN0001",
    uid_entropy: str | None = None,
) -> Path:
    """Spacing goes into SequenceOfUltrasoundRegions (PhysicalDelta in cm), as scanners do.

    With `uid_entropy` (e.g. "seed/case") the UIDs derive from it and the dates are fixed, so
    a synthetic data set is byte-identical for the same seed; without it every call is new.
    """

    def uid(role: str) -> str:
        if uid_entropy is None:
            return generate_uid()
        return generate_uid(entropy_srcs=[uid_entropy, role])

    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError("expects an 8-bit grayscale H×W array")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundImageStorage
    meta.MediaStorageSOPInstanceUID = uid("instance")
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    now = dt.datetime(2020, 1, 1, 12) if uid_entropy is not None else dt.datetime.now()
    ds.SOPClassUID = UltrasoundImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = uid("study")
    ds.SeriesInstanceUID = uid("series")
    ds.Modality = "US"
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.StudyDate = ds.ContentDate = now.strftime("%Y%m%d")
    ds.StudyTime = ds.ContentTime = now.strftime("%H%M%S")
    ds.Manufacturer = "LesionLens synthetic"
    ds.StudyDescription = "Synthetic neck lymph node (research use; not for diagnosis)"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    r0, c0, r1, c1 = region
    us_region = Dataset()
    us_region.RegionSpatialFormat = 1  # 2D
    us_region.RegionDataType = 1  # tissue
    us_region.RegionFlags = 0
    us_region.RegionLocationMinX0 = c0
    us_region.RegionLocationMinY0 = r0
    us_region.RegionLocationMaxX1 = c1 - 1
    us_region.RegionLocationMaxY1 = r1 - 1
    us_region.PhysicalUnitsXDirection = 3  # cm
    us_region.PhysicalUnitsYDirection = 3
    us_region.PhysicalDeltaX = spacing_mm / 10.0
    us_region.PhysicalDeltaY = spacing_mm / 10.0
    ds.SequenceOfUltrasoundRegions = Sequence([us_region])
    return write_atomic(path, lambda fh: ds.save_as(fh, enforce_file_format=True))
