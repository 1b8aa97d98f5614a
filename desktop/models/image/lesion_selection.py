"""Which mask pixel stands for a lesion the reader selected (a row of the findings table), so
Del can remove that lesion through the mask editor's own Delete-lesion step (one undo step,
the same as a click with the Delete lesion tool). Qt-free."""

from __future__ import annotations

import numpy as np

from desktop.models.editing.mask_ops import Point
from desktop.models.image.lesion_ids import finding_mask
from engine.types import Finding


def point_inside(finding: Finding, mask: np.ndarray) -> Point | None:
    """A mask pixel inside the finding's contour (the middle one of them, row-major); None
    when the contour covers no pixel of the mask (the finding is stale)."""
    inside = finding_mask(finding, mask.shape[:2]) & (mask > 0)
    pixels = np.argwhere(inside)
    if len(pixels) == 0:
        return None
    row, col = pixels[len(pixels) // 2]
    return (float(row), float(col))
