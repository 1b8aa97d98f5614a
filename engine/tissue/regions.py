"""Panels from DICOM ultrasound region tags, when the scanner wrote them.

The tags are the scanner's own statement of where each B-mode image is, so they define the
panels; the pixels are not asked. What the tags do not say is where the annotations inside
a tissue region are (a grey bar, a probe logo, calipers): those still come from the pixels,
plus any non-tissue region drawn inside a tissue one (grey bar, colour bar).
"""

from __future__ import annotations

import numpy as np

from engine.tissue.area import Panel
from engine.types import UltrasoundRegion

BAR_TYPES = ("gray bar", "color bar")
BAR_MAX_FRACTION = 0.25


def panels_from_regions(
    regions: tuple[UltrasoundRegion, ...], shape: tuple[int, int]
) -> list[Panel]:
    """One rectangle panel per B-mode tissue region, largest first, clipped to the picture;
    where two regions overlap, the larger one keeps the pixels (panels never overlap)."""
    tissue = sorted((r for r in regions if r.is_tissue), key=lambda r: -r.area_px)
    taken = np.zeros(shape, dtype=bool)
    panels = []
    for region in tissue:
        r0, c0 = max(0, region.row0), max(0, region.col0)
        r1, c1 = min(shape[0], region.row1 + 1), min(shape[1], region.col1 + 1)
        if r1 <= r0 or c1 <= c0:
            continue
        mask = np.zeros(shape, dtype=bool)
        mask[r0:r1, c0:c1] = True
        mask &= ~taken
        if not mask.any():
            continue
        taken |= mask
        panels.append(
            Panel(mask=mask, box=(r0, c0, r1, c1), shape="rectangle", source="region tags")
        )
    return panels


def bar_regions(regions: tuple[UltrasoundRegion, ...], shape: tuple[int, int]) -> np.ndarray:
    """H×W bool over the grey and colour bars the tags name (annotation wherever they lie).
    A "bar" as big as a quarter of the screen is not a bar but a mislabelled region: left out."""
    bars = np.zeros(shape, dtype=bool)
    for region in regions:
        if (
            region.data_type in BAR_TYPES
            and region.area_px < BAR_MAX_FRACTION * shape[0] * shape[1]
        ):
            bars[max(0, region.row0) : region.row1 + 1, max(0, region.col0) : region.col1 + 1] = (
                True
            )
    return bars
