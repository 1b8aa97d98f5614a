"""Readers that turn files on disk into `Image`s, failing with one `LoadError` per file."""

from __future__ import annotations

from pathlib import Path

from engine.errors import LoadError
from engine.io.dicom import is_dicom, read_dicom
from engine.io.raster import RASTER_SUFFIXES, read_raster
from engine.types import Image

__all__ = ["load_image", "read_dicom", "read_raster", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = RASTER_SUFFIXES | {".dcm", ".dicom"}


def load_image(path: str | Path) -> Image:
    """Read any supported 2D image; the format is sniffed from content, not trusted from name."""
    path = Path(path)
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
    if is_dicom(path):
        return read_dicom(path)
    if path.suffix.lower() in {".dcm", ".dicom"}:
        raise LoadError(path, "not a DICOM file (no DICM preamble and no readable dataset)")
    return read_raster(path)
