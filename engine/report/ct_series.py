"""A CT Image series made from a NIfTI volume, so a DICOM SEG has instances to reference.

A NIfTI file has geometry but no DICOM identity (no study, series or instance UIDs, no
patient). As a PNG gets a Secondary Capture, a NIfTI CT volume gets a derived CT Image
series: one CT Image Storage instance per slice with fresh UIDs, empty Type 2 patient and
study attributes, the volume's HU values (int16, rescale 1/0) and its plane geometry
(ImagePositionPatient = origin + k x slice spacing x slice normal, in LPS like the Volume).
The series is exported beside the SEG that references it.
"""

from __future__ import annotations

import datetime as dt

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from engine.report.model_info import SOFTWARE_NAME, software_version
from engine.types import Volume

CT_SERIES_NUMBER = 901


def derived_ct_series(volume: Volume, when: dt.datetime | None = None) -> list[Dataset]:
    """One CT Image instance per slice, in the Volume's slice order."""
    when = when or dt.datetime.now()
    hu = np.clip(np.round(np.asarray(volume.voxels, np.float64)), -32768, 32767).astype(np.int16)
    study, series, frame = hd.UID(), hd.UID(), hd.UID()
    normal = np.asarray(volume.slice_normal, float)
    origin = np.asarray(volume.origin, float)
    dz, dy, dx = volume.spacing_mm
    date, time = when.strftime("%Y%m%d"), when.strftime("%H%M%S")
    slices = []
    for k in range(hu.shape[0]):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = CTImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = hd.UID()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex"):
            setattr(ds, keyword, "")
        ds.StudyDate, ds.StudyTime = date, time
        ds.ContentDate, ds.ContentTime = date, time
        ds.ReferringPhysicianName = ""
        ds.StudyID = ds.AccessionNumber = ""
        ds.Modality = "CT"
        ds.SeriesNumber = CT_SERIES_NUMBER
        ds.SeriesDescription = "LesionLens source volume (converted from NIfTI)"
        ds.PositionReferenceIndicator = ""
        ds.Manufacturer = SOFTWARE_NAME
        ds.SoftwareVersions = software_version()
        ds.InstanceNumber = k + 1
        ds.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]
        ds.DerivationDescription = "Converted from NIfTI by LesionLens; no scanner header"
        ds.ImagePositionPatient = [_ds(v) for v in origin + k * dz * normal]
        ds.ImageOrientationPatient = [_ds(v) for v in volume.orientation]
        ds.PixelSpacing = [_ds(dy), _ds(dx)]
        ds.SliceThickness = _ds(dz)
        ds.Laterality = ""  # Type 2C: unknown for a converted volume
        ds.PatientPosition = ""
        ds.KVP = ""
        ds.AcquisitionNumber = ""
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = int(hu.shape[1]), int(hu.shape[2])
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "HU"
        ds.WindowCenter, ds.WindowWidth = 40, 400
        ds.PixelData = np.ascontiguousarray(hu[k]).tobytes()
        slices.append(ds)
    return slices


def _ds(value: float) -> str:
    """A Decimal String of at most 16 characters (float32 spacings print longer)."""
    return f"{float(value):.10g}"[:16]
