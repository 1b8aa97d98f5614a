"""Decode one frame of DICOM pixel data, and count the frames a file really holds.

Decoding goes through pydicom's decoders, which use whichever plugin is installed
(pylibjpeg-libjpeg/-openjpeg/-rle, GDCM, Pillow) for the transfer syntax.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import generate_fragments, parse_basic_offsets
from pydicom.pixels import get_decoder
from pydicom.pixels.utils import as_pixel_options
from pydicom.uid import JPEG2000TransferSyntaxes, RLELossless

from engine.errors import LoadError
from engine.io.dicom_open import declared_frames, frame_geometry, transfer_syntax_of
from engine.io.limits import check_decoded_size

# Bytes a compressed frame starts with: JPEG/JPEG-LS SOI, JPEG 2000 codestream, JP2 box.
FRAME_START_MARKERS = (b"\xff\xd8", b"\xff\x4f\xff\x51", b"\x00\x00\x00\x0cjP  ")


def frame_bytes(ds: Dataset) -> int:
    """Size of one uncompressed frame in the file (YBR_FULL_422 stores 2 samples per pixel)."""
    rows, cols, samples, bits = frame_geometry(ds)
    if bits == 1:
        return (rows * cols * samples + 7) // 8
    per_pixel = samples
    if samples == 3 and str(ds.get("PhotometricInterpretation", "")) == "YBR_FULL_422":
        per_pixel = 2
    return rows * cols * per_pixel * (bits // 8)


def count_frames(path: Path, ds: Dataset) -> int:
    """NumberOfFrames, unless the header says one frame and the pixel data holds several.

    Some scanners write cine loops without NumberOfFrames: uncompressed data is then N times
    one frame, compressed data has N fragments that each start a new codestream.
    """
    declared = declared_frames(ds)
    if declared > 1 or "PixelData" not in ds:
        return declared
    data = ds.PixelData
    if transfer_syntax_of(ds).is_encapsulated:
        found = _encapsulated_frames(data, transfer_syntax_of(ds) == RLELossless)
    else:
        one = frame_bytes(ds)
        found = len(data) // one if one and frame_geometry(ds)[3] != 1 else 1
    if found > 1:
        rows, cols, samples, bits = frame_geometry(ds)
        check_decoded_size(path, rows, cols, found, samples, bits)
    return max(1, found)


def check_native_length(path: Path, ds: Dataset, frames: int) -> None:
    """Uncompressed pixel data shorter than the header promises means a cut-off file."""
    if transfer_syntax_of(ds).is_encapsulated or "PixelData" not in ds:
        return
    expected = frame_bytes(ds) * frames
    actual = len(ds.PixelData)
    if actual < expected:
        raise LoadError(path, f"file is truncated (pixel data has {actual} of {expected} bytes)")


JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  "


def check_jp2_boxes(path: Path, pixel_data: bytes) -> None:
    """Refuse a JP2-wrapped JPEG 2000 fragment whose box chain never reaches its codestream.

    pydicom 3.0's get_j2k_parameters walks the JP2 boxes by their lengths before any decoder
    runs, and a box of length 0 that is not the codestream ("jp2c") makes it loop forever
    (found by bench/fuzz.py, 2026-12-04): one corrupt byte would hang a batch. Length 0
    means "to the end of the file", so only the codestream box may have it."""
    try:
        fragments = list(generate_fragments(pixel_data))
    except Exception:  # noqa: BLE001 - malformed encapsulation is the decoder's error to give
        return
    for fragment in fragments:
        if not fragment.startswith(JP2_SIGNATURE):
            continue
        offset, total = 12, len(fragment)
        while offset < total:
            length = int.from_bytes(fragment[offset : offset + 4], byteorder="big")
            if fragment[offset + 4 : offset + 8] == b"jp2c":
                break
            if length == 0:
                raise LoadError(
                    path, "JPEG 2000 data is corrupt (a JP2 box of length 0 before the codestream)"
                )
            offset += length


def decode_frame(path: Path, ds: Dataset, index: int, frames: int) -> tuple[np.ndarray, str]:
    """One frame as decoded by pydicom (YBR converted to RGB), and its photometric afterwards."""
    transfer_syntax = transfer_syntax_of(ds)
    failure: BaseException | None = None
    if transfer_syntax in JPEG2000TransferSyntaxes and "PixelData" in ds:
        check_jp2_boxes(path, ds.PixelData)
    try:
        options = as_pixel_options(ds, number_of_frames=frames)
        decoder = get_decoder(transfer_syntax)
    except Exception as exc:  # noqa: BLE001 - a header pydicom cannot make options of
        raise LoadError(path, _decode_failure(exc, transfer_syntax.is_encapsulated)) from exc
    for plugin in _plugins(decoder):
        try:
            array, meta = decoder.as_array(
                ds, index=index, validate=True, raw=False, decoding_plugin=plugin, **options
            )
            break
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - decoder plugins raise many types, and
            # the Rust ones (pylibjpeg-rle) panic with pyo3's PanicException, a BaseException
            # that would pass every `except Exception` of a batch and end it.
            failure = exc
    else:
        assert failure is not None
        raise LoadError(
            path, _decode_failure(failure, transfer_syntax.is_encapsulated)
        ) from failure
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    photometric = str(meta.get("photometric_interpretation", ds.PhotometricInterpretation))
    return array, photometric


# python-gdcm aborts the whole process (an uncaught C++ exception, "terminate called") on some
# corrupt JPEG 2000 data (found by bench/fuzz.py): it is used only when no other plugin can.
LAST_RESORT_PLUGINS = ("gdcm",)


def _plugins(decoder: object) -> list[str]:
    """Plugin names to try in order; [""] (pydicom's own choice) for native data."""
    available = list(getattr(decoder, "available_plugins", ()) or ())
    preferred = [p for p in available if p not in LAST_RESORT_PLUGINS]
    return preferred or available or [""]


def _encapsulated_frames(data: bytes, rle: bool) -> int:
    try:
        offsets = parse_basic_offsets(data)
        after_offsets = 8 + int.from_bytes(data[4:8], "little")
        fragments = list(generate_fragments(data[after_offsets:]))
    except (ValueError, KeyError, struct.error):  # struct.error: an offset table cut short
        return 1
    if len(offsets) > 1:
        return len(offsets)
    if rle:
        return max(1, len(fragments))  # RLE puts every frame in exactly one fragment
    if len(fragments) <= 1 or not fragments[0].startswith(FRAME_START_MARKERS):
        return 1
    return sum(1 for fragment in fragments if fragment.startswith(FRAME_START_MARKERS))


def _decode_failure(exc: BaseException, compressed: bool) -> str:
    text = str(exc)
    if "less than expected" in text:
        return "file is truncated (pixel data shorter than the header says)"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    detail = "; ".join(lines[1:] if len(lines) > 1 else lines)[:300]
    if compressed:
        return f"compressed pixel data is corrupt and cannot be decoded ({detail})"
    return f"pixel data cannot be decoded ({detail})"
