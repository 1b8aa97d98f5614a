"""Readers that turn files on disk into `Image`s, `Volume`s and cine `FrameSource`s,
failing with one `LoadError` per file (file name and reason)."""

from __future__ import annotations

from pathlib import Path

from engine.errors import LoadError
from engine.io.calibration import calibrate_by_distance, distance_mm, region_at, tissue_regions
from engine.io.dicom import is_dicom, read_dicom
from engine.io.dicom_open import read_header
from engine.io.dicomdir import DicomdirEntry, find_dicomdir, read_dicomdir
from engine.io.doppler import bmode_gray
from engine.io.frames import FrameSource, read_dicom_frames
from engine.io.nifti import NIFTI_SUFFIXES, is_nifti_name, read_nifti
from engine.io.raster import RASTER_SUFFIXES, read_raster
from engine.io.study import load_study
from engine.io.volume import is_enhanced_volume, read_enhanced_volume, read_series
from engine.types import Image, Volume

__all__ = [
    "NIFTI_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "DicomdirEntry",
    "FrameSource",
    "bmode_gray",
    "calibrate_by_distance",
    "distance_mm",
    "find_dicomdir",
    "load_any",
    "load_image",
    "load_study",
    "read_dicom",
    "read_dicom_frames",
    "read_dicomdir",
    "read_enhanced_volume",
    "read_nifti",
    "read_raster",
    "read_series",
    "region_at",
    "tissue_regions",
]

SUPPORTED_SUFFIXES = RASTER_SUFFIXES | {".dcm", ".dicom"}


def load_image(path: str | Path) -> Image:
    """Read any supported 2D image (first frame of a cine); format sniffed from content."""
    path = _existing_file(Path(path))
    if is_dicom(path):
        return read_dicom(path)
    if path.suffix.lower() in {".dcm", ".dicom"}:
        raise LoadError(path, "not a DICOM file (no DICM preamble and no readable dataset)")
    return read_raster(path)


def load_any(path: str | Path) -> Image | Volume | FrameSource:
    """Whatever the path holds: a folder of slices, a NIfTI or an enhanced CT/MR multi-frame
    -> Volume; a multi-frame 2D DICOM (cine) -> FrameSource; anything else -> Image."""
    path = Path(path)
    if path.is_dir():
        return read_series(path)
    if is_nifti_name(path):
        return read_nifti(_existing_file(path))
    path = _existing_file(path)
    if not is_dicom(path):
        from engine.io.study import with_data_set_calibration

        return with_data_set_calibration(load_image(path), path)
    header = read_header(path)
    if is_enhanced_volume(header):
        return read_enhanced_volume(path)
    source = read_dicom_frames(path)
    return source if source.count > 1 else source.frame(0)


def _existing_file(path: Path) -> Path:
    if not path.exists():
        raise LoadError(path, "file not found")
    if path.is_dir():
        raise LoadError(path, "is a folder, not an image file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(path, f"cannot be read ({exc.strerror})") from exc
    if size == 0:
        raise LoadError(path, "file is empty (0 bytes)")
    return path
