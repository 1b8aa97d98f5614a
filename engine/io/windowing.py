"""Display windows: the presets a DICOM file suggests, and mapping values to 8-bit for screen.

Presets and VOI LUTs are stored on the values of Image.pixels. For MONOCHROME1 those values
are already inverted, so the presets are mirrored to match (centre c -> low + high - c) and
the picture on screen is the one the modality meant.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from engine.io.photometric import lut_table
from engine.types import Image, VoiLut, WindowPreset

WINDOW_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")


def window_presets(
    ds: Dataset, inverted_range: tuple[float, float] | None = None
) -> tuple[WindowPreset, ...]:
    """Every WindowCenter/WindowWidth pair, named by WindowCenterWidthExplanation."""
    centers = _as_list(ds.get("WindowCenter"))
    widths = _as_list(ds.get("WindowWidth"))
    names = [str(n) for n in _as_list(ds.get("WindowCenterWidthExplanation"))]
    presets = []
    for i, (center, width) in enumerate(zip(centers, widths, strict=False)):
        try:
            c, w = float(center), float(width)
        except (TypeError, ValueError):
            continue
        if not np.isfinite(c) or not np.isfinite(w) or w <= 0:
            continue
        if inverted_range is not None:
            c = inverted_range[0] + inverted_range[1] - c
        name = names[i] if i < len(names) and names[i] else f"Window {i + 1}"
        presets.append(WindowPreset(name, c, w))
    return tuple(presets)


def voi_luts(ds: Dataset, inverted_range: tuple[float, float] | None = None) -> tuple[VoiLut, ...]:
    """Every VOILUTSequence item as a table on the values of Image.pixels."""
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    luts = []
    for i, item in enumerate(ds.get("VOILUTSequence") or []):
        try:
            entries, first, bits = (int(v) for v in item.LUTDescriptor)
            table = lut_table(item)
        except (AttributeError, TypeError, ValueError):
            continue
        entries = entries or 65536
        if signed and first >= 32768:
            first -= 65536
        table = table[:entries]
        if table.size == 0:
            continue
        bits = bits if 1 <= bits <= 16 else int(table.max()).bit_length()
        if inverted_range is not None:
            low, high = int(inverted_range[0]), int(inverted_range[1])
            first = low + high - (first + table.size - 1)
            table = (2**bits - 1) - table[::-1]
        name = str(item.get("LUTExplanation", "") or f"VOI LUT {i + 1}")
        luts.append(VoiLut(name, first, np.ascontiguousarray(table), bits))
    return tuple(luts)


def apply_window(
    values: np.ndarray, center: float, width: float, function: str = "LINEAR"
) -> np.ndarray:
    """DICOM PS3.3 C.11.2.1.2 window functions, output 0..255 uint8."""
    x = values.astype(np.float64)
    if function == "SIGMOID":
        y = 1.0 / (1.0 + np.exp(-4.0 * (x - center) / width))
    elif function == "LINEAR_EXACT":
        y = (x - center) / width + 0.5
    else:
        width = max(width, 1.0)
        y = (x - (center - 0.5)) / max(width - 1.0, 1e-9) + 0.5
    return np.rint(np.clip(y, 0.0, 1.0) * 255.0).astype(np.uint8)


def apply_voi_lut(values: np.ndarray, lut: VoiLut) -> np.ndarray:
    """Table lookup; values outside the table take its first/last entry (PS3.3 C.11.2.1.1)."""
    index = np.clip(np.rint(values).astype(np.int64) - lut.first_mapped, 0, lut.table.size - 1)
    top = float(2**lut.output_bits - 1)
    return np.rint(lut.table[index] * (255.0 / top)).astype(np.uint8)


def display_uint8(image: Image, choice: WindowPreset | VoiLut | None = None) -> np.ndarray:
    """Pixels for the screen: the chosen preset or LUT, else the first the file suggests,
    else the full range of the pixels. Colour images pass through unchanged."""
    if image.is_color:
        return image.pixels
    function = str(image.metadata.get("VOILUTFunction", "LINEAR")).upper()
    function = function if function in WINDOW_FUNCTIONS else "LINEAR"
    if choice is None and image.window_presets:
        choice = image.window_presets[0]
    if choice is None and image.voi_luts:
        choice = image.voi_luts[0]
    if isinstance(choice, VoiLut):
        return apply_voi_lut(image.pixels, choice)
    if choice is not None:
        return apply_window(image.pixels, choice.center, choice.width, function)
    low, high = float(np.min(image.pixels)), float(np.max(image.pixels))
    return apply_window(image.pixels, (low + high) / 2.0, max(high - low, 1.0), "LINEAR_EXACT")


def _as_list(value: object) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, MultiValue | list | tuple):
        return list(value)
    return [value]
