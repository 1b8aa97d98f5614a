"""Half-resolution working copies: big things (panels, bars, black margins) are looked for
at 1/2 resolution on screens of 256 px and more, a quarter of the work; thin things (text,
calipers, seams) at full resolution."""

from __future__ import annotations

import numpy as np

WORKING_FACTOR = 2


def working_factor(shape: tuple[int, ...]) -> int:
    return WORKING_FACTOR if min(shape[:2]) >= WORKING_FACTOR * 128 else 1


def reduced(gray: np.ndarray, factor: int) -> np.ndarray:
    """gray averaged over factor×factor blocks (strided slices: faster than a reshape)."""
    if factor == 1:
        return gray
    h, w = (gray.shape[0] // factor) * factor, (gray.shape[1] // factor) * factor
    small = np.zeros((h // factor, w // factor), dtype=np.float32)
    for dr in range(factor):
        for dc in range(factor):
            small += gray[dr:h:factor, dc:w:factor]
    return small / (factor * factor)


def pooled(mask: np.ndarray, factor: int) -> np.ndarray:
    """mask max-pooled over factor×factor blocks."""
    if factor == 1:
        return mask
    h, w = (mask.shape[0] // factor) * factor, (mask.shape[1] // factor) * factor
    small = np.zeros((h // factor, w // factor), dtype=bool)
    for dr in range(factor):
        for dc in range(factor):
            small |= mask[dr:h:factor, dc:w:factor]
    return small


def enlarged_mask(small: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """small repeated factor×factor times, cut or padded (edge rows/columns) to shape."""
    if factor == 1:
        return small
    grown = np.repeat(np.repeat(small, factor, axis=0), factor, axis=1)[: shape[0], : shape[1]]
    pad = ((0, shape[0] - grown.shape[0]), (0, shape[1] - grown.shape[1]))
    return np.pad(grown, pad, mode="edge") if grown.size else np.zeros(shape, dtype=bool)
