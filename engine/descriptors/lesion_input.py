"""What a describe_* function checks before it measures: one grayscale H×W frame and the
lesion on it (the largest region of the mask, holes filled), the same size as the frame.

BI-RADS and TI-RADS both measure on the grayscale frame; checked here once, a wrong input
is refused with the same message (naming the function called) by either template.
"""

from __future__ import annotations

import numpy as np

from engine.descriptors.geometry import largest_component


def lesion_on_gray(
    mask: np.ndarray, image: np.ndarray, caller: str
) -> tuple[np.ndarray, np.ndarray]:
    """(image as float64 H×W, the lesion as bool H×W); ValueError naming `caller` when the
    image is not grayscale, the mask is empty or the two differ in size."""
    gray = np.asarray(image, dtype=np.float64)
    if gray.ndim != 2:
        raise ValueError(f"{caller} needs a grayscale H×W image; convert RGB first")
    lesion = largest_component(mask)
    if lesion.shape != gray.shape:
        raise ValueError(f"mask {lesion.shape} and image {gray.shape} differ in size")
    return gray, lesion
