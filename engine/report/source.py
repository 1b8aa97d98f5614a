"""The DICOM instance an export refers to: the source file's header, or a new Secondary Capture.

SEG and SR must reference a real image instance and inherit its patient and study. For a
DICOM source that is the file itself (its header only, never its pixels); for PNG/JPG it is
a Secondary Capture made from the pixels, which is then exported beside the SEG/SR.
When de-identifying, the header (and the SC) go through the export's Deidentifier first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from engine.io import is_dicom
from engine.io.dicom_open import declared_frames, read_header
from engine.report.deidentify import Deidentifier, burned_in_text_possible
from engine.report.errors import ExportError
from engine.report.secondary_capture import secondary_capture
from engine.types import Image

# Type 2 attributes highdicom copies from the source into SEG and SR; minimal or old files
# often lack them, and an absent Type 2 attribute is an error where an empty one is not.
TYPE2_PATIENT_STUDY = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "StudyID",
    "ReferringPhysicianName",
)
REQUIRED_UIDS = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")


@dataclass(frozen=True)
class SourceImage:
    """header: pixel-free header of the referenced instance (an SC carries its pixels).
    frame_number: 1-based analysed frame of a multi-frame source, None for a single frame.
    secondary_capture: True when the header is an SC made here (it must be exported too).
    burned_in_text: the pixels may show identifiers outside the tissue region."""

    header: Dataset
    frame_number: int | None
    secondary_capture: bool
    burned_in_text: bool

    @property
    def is_multiframe(self) -> bool:
        return self.frame_number is not None


def source_image(
    image: Image,
    frame_index: int = 0,
    deidentifier: Deidentifier | None = None,
    burned_in_annotation: str = "YES",
) -> SourceImage:
    """The instance behind `image` (frame `frame_index`, 0-based, of a cine).

    burned_in_annotation: what a Secondary Capture made here says of its pixels ("YES"
    unless the caller blanked everything outside the tissue: a screen capture may show
    names and codes)."""
    path = Path(image.source) if image.source else None
    if path is not None and path.is_dir():
        raise ExportError(
            path.name, "a slice of a series: export the volume's labels with volume_seg"
        )
    if path is not None and path.is_file() and is_dicom(path):
        header = read_header(path)
        missing = [k for k in REQUIRED_UIDS if not header.get(k)]
        if missing:
            raise ExportError(str(path), f"DICOM header lacks {', '.join(missing)}")
        frames = declared_frames(header)
        if not 0 <= frame_index < frames:
            raise ExportError(str(path), f"frame {frame_index + 1} requested, file has {frames}")
        fill_type2(header)
        as_utf8(header)
        burned = burned_in_text_possible(header, image.regions)
        frame_number = frame_index + 1 if frames > 1 else None
        made_here = False
    else:
        header = secondary_capture(image)
        header.BurnedInAnnotation = burned_in_annotation
        burned, frame_number, made_here = False, None, True
    if deidentifier is not None:
        header = deidentifier.dataset(header)
    return SourceImage(header, frame_number, made_here, burned)


def fill_type2(header: Dataset) -> None:
    """Add the absent Type 2 patient/study attributes, empty, as the IODs allow."""
    for keyword in TYPE2_PATIENT_STUDY:
        if keyword not in header:
            setattr(header, keyword, "")


def as_utf8(header: Dataset) -> None:
    """Decode every text value with the source's character set, then declare UTF-8: what we
    write inherits the declaration, so names in any script are encoded validly (a source
    without SpecificCharacterSet but with accented names would otherwise be copied invalid)."""
    header.decode()
    header.SpecificCharacterSet = "ISO_IR 192"
