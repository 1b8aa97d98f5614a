"""Open a DICOM file for its pixels: every way it can be wrong becomes one LoadError.

Order matters: the header is read and checked (size limits, transfer syntax) before the
pixel data is read, so an absurd header never allocates anything.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from engine.errors import LoadError
from engine.io.limits import check_decoded_size

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")

# What a file without pixels usually is, so the message says more than "no pixels".
NON_IMAGE_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.66.4": "a segmentation (SEG)",
    "1.2.840.10008.5.1.4.1.1.11.1": "a presentation state",
    "1.2.840.10008.5.1.4.1.1.104.1": "an encapsulated PDF",
    "1.2.840.10008.5.1.4.1.1.481.3": "an RT structure set",
}
NON_IMAGE_MODALITIES = {"SR": "a structured report (SR)", "PR": "a presentation state"}


def read_header(path: Path) -> Dataset:
    """Everything up to the pixel data; raises LoadError when it is not readable DICOM."""
    ds = _dcmread(path, stop_before_pixels=True)
    if len(ds) == 0:
        raise LoadError(path, "not a DICOM file (no readable data elements)")
    return ds


def frame_geometry(ds: Dataset) -> tuple[int, int, int, int]:
    """(rows, columns, samples per pixel, bits allocated) from the Image Pixel module."""
    try:
        return (
            int(ds.get("Rows", 0) or 0),
            int(ds.get("Columns", 0) or 0),
            int(ds.get("SamplesPerPixel", 1) or 1),
            int(ds.get("BitsAllocated", 8) or 8),
        )
    except (TypeError, ValueError, NotImplementedError) as exc:  # NotImplemented: unknown VR
        raise ValueError(f"invalid Image Pixel module ({exc})") from exc


def declared_frames(ds: Dataset) -> int:
    """NumberOfFrames as written; missing or unreadable counts as 1."""
    try:
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        return 1


def check_header(path: Path, ds: Dataset) -> None:
    """Size limits and a decodable transfer syntax, from the header alone."""
    if not any(k in ds for k in PIXEL_KEYWORDS) and "Rows" not in ds:
        raise LoadError(path, f"DICOM has no pixel data ({describe_non_image(ds)})")
    try:
        rows, cols, samples, bits = frame_geometry(ds)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from exc
    if not rows or not cols:
        raise LoadError(path, "DICOM has no Rows/Columns, so it is not an image")
    check_decoded_size(path, rows, cols, declared_frames(ds), samples, bits)
    try:
        transfer_syntax = transfer_syntax_of(ds)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from exc
    try:
        decoder = get_decoder(transfer_syntax)
    except NotImplementedError as exc:
        raise LoadError(path, unsupported_reason(transfer_syntax)) from exc
    if not decoder.is_available:
        raise LoadError(
            path,
            f"no decoder installed for transfer syntax {transfer_syntax.name} ({transfer_syntax})",
        )


def open_pixel_dataset(path: str | Path) -> Dataset:
    """The whole dataset, pixel data included, after the header checks passed."""
    path = Path(path)
    header = read_header(path)
    check_header(path, header)
    ds = _dcmread(path, stop_before_pixels=False)
    if not any(k in ds for k in PIXEL_KEYWORDS):
        raise LoadError(path, f"DICOM has no pixel data ({describe_non_image(ds)})")
    ensure_transfer_syntax(ds)
    return ds


def transfer_syntax_of(ds: Dataset) -> UID:
    """The syntax the pixel data are in; ValueError when File Meta holds something that is not
    one UID (a value with a backslash reads as several: check_header refuses such a file)."""
    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    if uid:
        if not isinstance(uid, str):
            raise ValueError(f"TransferSyntaxUID is not one UID ({len(uid)} values)")
        return UID(uid)
    implicit, little = getattr(ds, "original_encoding", (False, True))
    if implicit:
        return ImplicitVRLittleEndian
    return ExplicitVRLittleEndian if little is not False else ExplicitVRBigEndian


def ensure_transfer_syntax(ds: Dataset) -> None:
    """Files without File Meta (pre-Part-10) get the syntax pydicom found while reading."""
    if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
        if not hasattr(ds, "file_meta"):
            ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = transfer_syntax_of(ds)


def describe_non_image(ds: Dataset) -> str:
    sop = str(ds.get("SOPClassUID", ""))
    if sop in NON_IMAGE_SOP_CLASSES:
        return f"{NON_IMAGE_SOP_CLASSES[sop]}, not an image"
    modality = str(ds.get("Modality", ""))
    if modality in NON_IMAGE_MODALITIES:
        return f"{NON_IMAGE_MODALITIES[modality]}, not an image"
    return f"{modality or 'unknown modality'}: not an image"


def unsupported_reason(uid: UID) -> str:
    name = uid.name if uid.name != uid else "unknown"
    if "MPEG" in name or "HEVC" in name or "SMPTE" in name:
        return f"video-encoded DICOM ({name}) is not supported; export the frames as images"
    return f"transfer syntax {name} ({uid}) is not supported"


def _dcmread(path: Path, stop_before_pixels: bool) -> Dataset:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(path, force=True, stop_before_pixels=stop_before_pixels)
            # pydicom converts each element on first access; convert the header's all here,
            # so a broken one (unknown VR, bad length, cut sequence) is this LoadError and not
            # an exception wherever it is first read (str(ds.Modality), a tag lookup). Only the
            # header: the full read repeats it, plus whatever trails the pixel data, which
            # scanners' files sometimes carry as garbage that is never read and stays harmless.
            if stop_before_pixels:
                ds.walk(lambda _ds, _elem: None)
            else:  # the pixel element itself (an unknown VR in (7FE0,0010) was found)
                for keyword in PIXEL_KEYWORDS:
                    if keyword in ds:
                        ds[keyword]
        except (InvalidDicomError, OSError, EOFError, ValueError, KeyError, TypeError) as exc:
            raise LoadError(path, f"not a readable DICOM file ({_first_line(exc)})") from exc
        except Exception as exc:  # noqa: BLE001 - pydicom raises many types on broken files
            raise LoadError(path, f"DICOM file is corrupt ({_first_line(exc)})") from exc
    for warning in caught:
        text = str(warning.message)
        if "End of file" in text or "EOF" in text:
            raise LoadError(path, "file is truncated (ends inside the pixel data)")
    return ds


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
