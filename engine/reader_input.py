"""An input as the reader left it: the analysed frame of a file and the measurements the
viewer stored with its case on that frame, the frame carrying the reader's calibration.

`lesionlens export` (engine.report.batch) and `lesionlens analyze` (engine.cli.reading) both
read their single-image inputs through here, so both analyse the same frame, with the same
calibration, and list the same calipers, ellipses, traces and angles.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.errors import LoadError
from engine.reader_measurements import (
    CaseMeasurements,
    ReaderMeasurement,
    calibrated_image,
    stored_lines,
)
from engine.types import Image

# The reader's stored measurements of a file (engine.reader_measurements.stored_for_file).
StoredLookup = Callable[[Path], CaseMeasurements | None]


def read_frame(path: Path, frame_index: int) -> Image:
    """The file as load_image reads it (frame_index 0), or one frame of a multi-frame DICOM;
    LoadError naming the file for another kind of file or a frame it does not have."""
    from engine.io import is_dicom, load_image, read_dicom_frames

    if frame_index == 0:
        return load_image(path)
    if not (path.is_file() and is_dicom(path)):
        raise LoadError(path, "--frame applies to multi-frame DICOM only")
    source = read_dicom_frames(path)
    if frame_index >= source.count:
        raise LoadError(path, f"frame {frame_index + 1} requested, the file has {source.count}")
    return source.frame(frame_index)


def read_as_stored(
    path: Path, frame_index: int, stored: StoredLookup | None
) -> tuple[Image, tuple[ReaderMeasurement, ...]]:
    """The frame, with the calibration the reader set, and the reader's measurements on it
    (none when nothing is stored for the file or it was drawn on another frame). stored:
    where to look them up; None leaves them out."""
    image = read_frame(path, frame_index)
    kept = stored(path) if stored is not None else None
    if kept is None or kept.frame_index != frame_index:
        return image, ()
    image = calibrated_image(image, kept)
    return image, stored_lines(image, kept)
