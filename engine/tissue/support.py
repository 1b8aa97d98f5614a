"""Where there is echo at all: textured, non-black pixels, in blobs too big to be text.

A screen's background is black (or one flat colour) and its banners are flat; B-mode is
speckle, so a pixel counts as tissue support when it is not black and its neighbourhood
varies. A box filter over that decision then drops what is thin (letters, ticks, lines that
survived the overlay finder) and keeps what is wide. Anechoic areas inside the tissue (a
cyst, the bladder) are black too; the panel shapes built from the support fill them in.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

BLACK = 12.0  # on 0..255: background and flat black margins stay below this
TEXTURE_STD = 1.5  # speckle varies more than this within a 5x5 window; a flat banner not
SMOOTH_PX = 9  # support must fill most of a 9x9 window: strokes of text do not


def local_std(gray: np.ndarray, size: int = 5) -> np.ndarray:
    """Standard deviation of gray in a size×size window (box filters, O(pixels))."""
    mean = ndi.uniform_filter(gray, size)
    mean_sq = ndi.uniform_filter(gray * gray, size)
    return np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))


def tissue_support(gray: np.ndarray, overlay: np.ndarray) -> np.ndarray:
    """H×W bool: pixels that look like echo, annotations excluded, thin bits removed.

    gray: H×W float on 0..255; overlay: H×W bool of annotation pixels (not echo)."""
    echo = (gray > BLACK) & (local_std(gray) > TEXTURE_STD) & ~overlay
    # Annotations inside the tissue leave holes that the panel shapes fill; counting them
    # as support instead would glue labels beside a panel to its edge.
    return ndi.uniform_filter(echo.astype(np.float32), SMOOTH_PX) > 0.5
