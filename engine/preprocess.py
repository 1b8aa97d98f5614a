"""Image -> model input and model output -> image geometry, shared by training and inference.

Training imports these same functions, so the two can never disagree about letterboxing or
intensity normalisation (the nnU-Net lesson: rebuild preprocessing from the plan).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image as PILImage

from engine.errors import ImageError


@dataclass(frozen=True)
class Letterbox:
    """Where the resized image sits inside the square model input."""

    scale: float
    top: int
    left: int
    height: int  # of the resized image inside the input
    width: int
    source_shape: tuple[int, int]


def to_gray_float(pixels: np.ndarray) -> np.ndarray:
    """Luma for RGB (ITU-R BT.601, what scanners use for B-mode captures), float32 always."""
    if pixels.ndim == 3:
        rgb = pixels[..., :3].astype(np.float32)
        return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return pixels.astype(np.float32)


def normalise_intensity(gray: np.ndarray, low_pct: float, high_pct: float) -> np.ndarray:
    """Percentile window to [0, 1]: robust to gain and dynamic range of other scanners.

    The window is taken over the finite pixels; NaN/inf pixels (a corrupt float image) become
    0. Constant or wholly non-finite images give all zeros. An empty array raises ImageError
    (np.percentile would raise IndexError)."""
    _require_pixels(gray, "normalise")
    values = np.asarray(gray, dtype=np.float32)
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, dtype=np.float32)
    lo, hi = np.percentile(values if finite.all() else values[finite], [low_pct, high_pct])
    if hi - lo < 1e-6:
        return np.zeros(values.shape, dtype=np.float32)
    out = np.clip((values - lo) / (hi - lo), 0.0, 1.0)
    return np.where(finite, out, 0.0).astype(np.float32)


def _require_pixels(array: np.ndarray, what: str) -> None:
    if array.size == 0 or array.ndim < 2 or min(array.shape[:2]) == 0:
        raise ImageError(f"cannot {what} an image with no pixels (shape {tuple(array.shape)})")


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """Fit the image into size×size keeping its aspect ratio (shape is a class feature)."""
    _require_pixels(image, "letterbox")
    h, w = image.shape[:2]
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    resized = np.asarray(
        PILImage.fromarray(image.astype(np.float32)).resize((nw, nh), PILImage.Resampling.BILINEAR),
        dtype=np.float32,
    )
    top, left = (size - nh) // 2, (size - nw) // 2
    out = np.zeros((size, size), dtype=np.float32)
    out[top : top + nh, left : left + nw] = resized
    return out, Letterbox(scale, top, left, nh, nw, (h, w))


def unletterbox(prob: np.ndarray, box: Letterbox) -> np.ndarray:
    """Crop the valid part of a model-size map and resize it back to the source image."""
    crop = prob[box.top : box.top + box.height, box.left : box.left + box.width]
    _require_pixels(crop, "un-letterbox")
    h, w = box.source_shape
    if h < 1 or w < 1:
        raise ImageError(f"cannot un-letterbox to a source with no pixels ({h}x{w})")
    return np.asarray(
        PILImage.fromarray(crop.astype(np.float32)).resize((w, h), PILImage.Resampling.BILINEAR),
        dtype=np.float32,
    )


def letterbox_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour letterbox for label masks (training targets)."""
    _require_pixels(mask, "letterbox")
    h, w = mask.shape[:2]
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    resized = np.asarray(
        PILImage.fromarray(mask.astype(np.uint8)).resize((nw, nh), PILImage.Resampling.NEAREST)
    )
    top, left = (size - nh) // 2, (size - nw) // 2
    out = np.zeros((size, size), dtype=np.uint8)
    out[top : top + nh, left : left + nw] = resized
    return out
