"""One view of a study -> one model input, for multi-input ("views") bundles.

Training imports these same functions, so the two can never disagree. Unlike the square
single-image input, a view input has its own height × width (model.json inputs[i]["shape"]):
a whole-body scan is tall and narrow, and letterboxing it into a square would waste most of
the input on padding. The aspect ratio is still kept (letterbox into the rectangle).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image as PILImage

from engine.preprocess import Letterbox, normalise_intensity, to_gray_float
from engine.types import Image


def input_shape(raw_input: dict[str, Any]) -> tuple[int, int]:
    """(height, width) of a model input: its "shape", else the square "size"."""
    if raw_input.get("shape"):
        h, w = (int(v) for v in raw_input["shape"])
        return h, w
    size = int(raw_input["size"])
    return size, size


def letterbox_to(image: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """Fit H×W or H×W×C float data into `shape` keeping its aspect ratio, zero padding."""
    h, w = image.shape[:2]
    out_h, out_w = shape
    scale = min(out_h / h, out_w / w)
    nh, nw = max(1, min(out_h, round(h * scale))), max(1, min(out_w, round(w * scale)))
    planes = image[..., None] if image.ndim == 2 else image
    bilinear = PILImage.Resampling.BILINEAR
    resized = np.stack(
        [_resize(planes[..., c], (nh, nw), bilinear) for c in range(planes.shape[-1])], axis=-1
    )
    top, left = (out_h - nh) // 2, (out_w - nw) // 2
    out = np.zeros((out_h, out_w, planes.shape[-1]), dtype=np.float32)
    out[top : top + nh, left : left + nw] = resized
    box = Letterbox(scale, top, left, nh, nw, (h, w))
    return (out[..., 0] if image.ndim == 2 else out), box


def letterbox_mask_to(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour letterbox of a label mask (training targets), uint8 0/1."""
    h, w = mask.shape[:2]
    out_h, out_w = shape
    scale = min(out_h / h, out_w / w)
    nh, nw = max(1, min(out_h, round(h * scale))), max(1, min(out_w, round(w * scale)))
    resized = _resize((mask > 0).astype(np.float32), (nh, nw), PILImage.Resampling.NEAREST)
    top, left = (out_h - nh) // 2, (out_w - nw) // 2
    out = np.zeros((out_h, out_w), dtype=np.uint8)
    out[top : top + nh, left : left + nw] = resized > 0.5
    return out


def prepare_view(
    image: Image | np.ndarray, channels: int, normalisation: dict[str, Any], shape: tuple[int, int]
) -> tuple[np.ndarray, Letterbox]:
    """C×H×W float32 in [0, 1] and where the view sits in it.

    normalisation "percentile" (default): a robust window on the grey values (gain and
    dynamic range of other cameras); "scale": divide by `scale` (255), which keeps the colour
    of a photograph as it is, since colour is part of what tells the classes apart.
    """
    pixels = image.pixels if isinstance(image, Image) else np.asarray(image)
    mode = str(normalisation.get("mode", "percentile"))
    if channels == 1:
        data = to_gray_float(pixels)
    elif pixels.ndim == 3:
        data = pixels[..., :3].astype(np.float32)
    else:
        data = np.repeat(pixels.astype(np.float32)[..., None], 3, axis=-1)
    if mode == "scale":
        data = np.clip(data / float(normalisation.get("scale", 255.0)), 0.0, 1.0)
    else:
        data = normalise_intensity(
            data,
            float(normalisation.get("low_percentile", 0.5)),
            float(normalisation.get("high_percentile", 99.5)),
        )
    boxed, box = letterbox_to(data.astype(np.float32), shape)
    tensor = boxed[None] if boxed.ndim == 2 else np.moveaxis(boxed, -1, 0)
    return np.ascontiguousarray(tensor, dtype=np.float32), box


def resize_map(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float map to (height, width), e.g. attention to the input size."""
    return _resize(values.astype(np.float32), shape, PILImage.Resampling.BILINEAR)


def _resize(plane: np.ndarray, shape: tuple[int, int], method: PILImage.Resampling) -> np.ndarray:
    h, w = shape
    if plane.shape == (h, w):
        return plane.astype(np.float32)
    return np.asarray(
        PILImage.fromarray(plane.astype(np.float32)).resize((w, h), method), dtype=np.float32
    )
