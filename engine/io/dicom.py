"""DICOM as one 2D Image (the first frame of a cine), and sniffing whether a file is DICOM."""

from __future__ import annotations

from pathlib import Path

import pydicom

from engine.io.frames import read_dicom_frames
from engine.types import Image


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
    """The first frame, display-ready: what `analyze` measures and the viewer opens on."""
    return read_dicom_frames(path).frame(0)
