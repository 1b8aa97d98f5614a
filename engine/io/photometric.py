"""Decoded DICOM frame -> Image.pixels: one meaning for every photometric interpretation.

Grayscale: values after the modality LUT (Hounsfield units for CT), MONOCHROME1 inverted
over the range the modality LUT can produce, so bright always means dense/echogenic and the
inversion is the same on every frame. Colour (RGB, YBR_*, PALETTE COLOR): uint8 RGB.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut, convert_color_space

Rescale = tuple[float, float]  # (slope, intercept)


def display_pixels(
    ds: Dataset, frame: np.ndarray, photometric: str, rescale: Rescale | None = None
) -> tuple[np.ndarray, str]:
    """(pixels, photometric of pixels): "RGB" for colour, "MONOCHROME2" for grayscale.

    rescale overrides the top-level RescaleSlope/Intercept (enhanced multi-frame files keep
    them per frame in functional groups)."""
    if photometric == "PALETTE COLOR":
        return palette_to_rgb(ds, frame), "RGB"
    if frame.ndim == 3 and frame.shape[-1] == 3:
        if photometric in {"YBR_FULL", "YBR_FULL_422"}:  # only if a decoder left it as YBR
            frame = convert_color_space(frame, photometric, "RGB")
        return rgb_to_uint8(frame, int(ds.get("BitsStored", 8) or 8)), "RGB"
    return grayscale_values(ds, frame, photometric, rescale), "MONOCHROME2"


def rgb_to_uint8(frame: np.ndarray, bits_stored: int) -> np.ndarray:
    if frame.dtype == np.uint8:
        return np.ascontiguousarray(frame)
    top = float(2**bits_stored - 1)
    scaled = np.clip(np.rint(frame.astype(np.float64) * (255.0 / top)), 0, 255)
    return scaled.astype(np.uint8)


def palette_to_rgb(ds: Dataset, frame: np.ndarray) -> np.ndarray:
    """Palette (8- or 16-bit entries, plain or segmented tables) scaled to 8-bit RGB."""
    rgb = apply_color_lut(frame, ds)
    entry_bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
    if entry_bits > 8 or rgb.dtype != np.uint8:
        return rgb_to_uint8(rgb, 16 if entry_bits > 8 else 8)
    return np.ascontiguousarray(rgb)


def grayscale_values(
    ds: Dataset, frame: np.ndarray, photometric: str, rescale: Rescale | None = None
) -> np.ndarray:
    rescale = rescale or header_rescale(ds)
    if "ModalityLUTSequence" in ds:
        values = apply_modality_lut(frame, ds).astype(np.int32)
    elif rescale == (1.0, 0.0):
        values = frame.astype(frame.dtype.newbyteorder("="), copy=False)
    else:
        slope, intercept = rescale
        dtype = np.int32 if slope.is_integer() and intercept.is_integer() else np.float32
        values = (frame.astype(np.float64) * slope + intercept).astype(dtype)
    if photometric == "MONOCHROME1":
        low, high = modality_value_range(ds, rescale)
        values = invert(values, low, high)
    return np.ascontiguousarray(values)


def header_rescale(ds: Dataset) -> Rescale:
    try:
        slope = float(ds.get("RescaleSlope", 1) or 1)
        intercept = float(ds.get("RescaleIntercept", 0) or 0)
    except (TypeError, ValueError):
        return (1.0, 0.0)
    return (slope, intercept)


def invert(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """low <-> high; the result has the same range, so it fits the same dtype."""
    if values.dtype.kind == "f":
        return (low + high - values).astype(values.dtype)
    return (int(low) + int(high) - values.astype(np.int64)).astype(values.dtype)


def stored_value_range(ds: Dataset) -> tuple[int, int]:
    bits = int(ds.get("BitsStored", ds.get("BitsAllocated", 8)) or 8)
    if int(ds.get("PixelRepresentation", 0) or 0) == 1:
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


def modality_value_range(ds: Dataset, rescale: Rescale | None = None) -> tuple[float, float]:
    """The lowest and highest value the modality LUT can output for this file."""
    if "ModalityLUTSequence" in ds:
        table = lut_table(ds.ModalityLUTSequence[0])
        return float(table.min()), float(table.max())
    low, high = stored_value_range(ds)
    slope, intercept = rescale or header_rescale(ds)
    a, b = low * slope + intercept, high * slope + intercept
    return (min(a, b), max(a, b))


def lut_table(item: Dataset) -> np.ndarray:
    """LUTData of a Modality/VOI LUT item as integers (OW data arrives as bytes)."""
    data = item.LUTData
    if isinstance(data, bytes | bytearray):
        entries = int(item.LUTDescriptor[0]) or 65536
        dtype = np.uint8 if len(data) == entries else np.dtype("<u2")
        return np.frombuffer(data, dtype=dtype).astype(np.int64)
    return np.atleast_1d(np.asarray(data, dtype=np.int64))
