"""Colour Doppler -> grayscale B-mode for the model, which was trained on grayscale.

The reader keeps seeing the colour as acquired (Image.pixels stays RGB). For the model, pixels
whose colour is clearly not gray (chroma above a threshold: flow, colour bars) are replaced by
a local estimate from the gray pixels around them, by normalised convolution: a Gaussian
average of the gray neighbours only, widened until every hole is covered.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from engine.types import Image

CHROMA_THRESHOLD = 30  # max(R,G,B) - min(R,G,B); JPEG noise on gray stays well below this
SIGMAS = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0)


def colour_mask(rgb: np.ndarray, threshold: int = CHROMA_THRESHOLD) -> np.ndarray:
    """True where a pixel is coloured (flow, colour bar), False on gray."""
    channels = rgb.astype(np.int16)
    return (channels.max(axis=-1) - channels.min(axis=-1)) > threshold


def bmode_gray(image: Image, threshold: int = CHROMA_THRESHOLD) -> np.ndarray:
    """H×W uint8 grayscale with coloured pixels filled in from their gray surroundings.

    A grayscale image comes back as it is (uint8 when it already is)."""
    if not image.is_color:
        return image.pixels
    rgb = image.pixels
    gray = rgb.astype(np.float32).mean(axis=-1)
    holes = colour_mask(rgb, threshold)
    if not holes.any():
        return np.rint(gray).astype(np.uint8)
    filled = fill_from_neighbours(gray, holes)
    return np.clip(np.rint(filled), 0, 255).astype(np.uint8)


def fill_from_neighbours(values: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """values with holes replaced by the Gaussian-weighted mean of the non-hole pixels, using
    the smallest scale that reaches each hole."""
    known = (~holes).astype(np.float32)
    out = values.astype(np.float32).copy()
    if not known.any():
        out[:] = 0.0
        return out
    todo = holes.copy()
    for sigma in SIGMAS:
        weight = gaussian_filter(known, sigma, mode="nearest")
        total = gaussian_filter(values * known, sigma, mode="nearest")
        ready = todo & (weight > 1e-3)
        out[ready] = total[ready] / weight[ready]
        todo &= ~ready
        if not todo.any():
            return out
    out[todo] = float(values[~holes].mean())
    return out
