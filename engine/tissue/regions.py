"""Panels from DICOM ultrasound region tags, when the scanner wrote them.

The tags are the scanner's own statement of where each B-mode image is, so they define the
panels; the pixels are not asked. What the tags do not say is where the annotations inside
a tissue region are (a grey bar, a probe logo, calipers): those still come from the pixels,
plus any non-tissue region drawn inside a tissue one (grey bar, colour bar).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from engine.tissue.area import Panel
from engine.tissue.hull import filled_hull
from engine.tissue.scale import enlarged_mask, pooled, reduced, working_factor
from engine.tissue.support import BLACK, TEXTURE_STD, local_std
from engine.types import UltrasoundRegion

BAR_TYPES = ("gray bar", "color bar")
BAR_MAX_FRACTION = 0.25
ISLAND_FRACTION = 0.01  # pieces of a panel smaller than this of its box are marks
MAX_MARGIN = 0.95  # a box blacker than this is a dark image, not a fan in a box


def panels_from_regions(
    regions: tuple[UltrasoundRegion, ...],
    shape: tuple[int, int],
    gray: np.ndarray | None = None,
    annotation: np.ndarray | None = None,
) -> list[Panel]:
    """One panel per B-mode tissue region, largest first, clipped to the picture; where two
    regions overlap, the larger one keeps the pixels (panels never overlap).

    A region is a rectangle but a sector probe's image is a fan inside it: with gray given,
    the flat black corners of the box (no echo at all, reaching the box's edge; annotation
    drawn on that black counts as black) are left out of the panel's mask, so nothing is
    segmented there; the box stays the tags' box."""
    tissue = sorted((r for r in regions if r.is_tissue), key=lambda r: -r.area_px)
    taken = np.zeros(shape, dtype=bool)
    panels = []
    for region in tissue:
        r0, c0 = max(0, region.row0), max(0, region.col0)
        r1, c1 = min(shape[0], region.row1 + 1), min(shape[1], region.col1 + 1)
        if r1 <= r0 or c1 <= c0:
            continue
        mask = np.zeros(shape, dtype=bool)
        if gray is None:
            mask[r0:r1, c0:c1] = True
        else:
            drawn = None if annotation is None else annotation[r0:r1, c0:c1]
            mask[r0:r1, c0:c1] = ~_empty_margin(gray[r0:r1, c0:c1], drawn)
        mask &= ~taken
        if not mask.any():
            continue
        taken |= mask
        kind = "rectangle" if mask[r0:r1, c0:c1].mean() >= 0.93 else "sector"
        panels.append(Panel(mask=mask, box=(r0, c0, r1, c1), shape=kind, source="region tags"))
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


def _empty_margin(box: np.ndarray, drawn: np.ndarray | None) -> np.ndarray:
    """True on the box's flat black pixels connected to its edge (outside the fan); kept
    only when the rest is a sensible panel (a black-but-tissue image stays whole). Worked
    out at half resolution on big boxes (a margin is large), returned at the box's size."""
    factor = working_factor(box.shape)
    small = reduced(box, factor)
    marks = None if drawn is None else pooled(drawn, factor)
    return enlarged_mask(_margin(small, marks), factor, box.shape)


def _margin(box: np.ndarray, drawn: np.ndarray | None) -> np.ndarray:
    spread = local_std(box, 5)
    empty = (box <= BLACK) & (spread <= TEXTURE_STD)
    if drawn is not None:
        empty |= drawn
    labels, count = ndi.label(empty)
    if count == 0:
        return empty
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    margin = np.isin(labels, edge[edge > 0])
    # An anechoic bladder or cyst reaching the fan's edge is black and flat too: only what
    # lies outside the convex hull of the echo is margin (the fan is convex).
    echo = _speckle_blobs(box, spread, empty)
    if echo.any():
        margin &= ~filled_hull(echo)
    if margin.mean() > MAX_MARGIN:
        return np.zeros_like(margin)
    # Marks drawn on the black (a caliper, a body marker) leave islands: margin too.
    kept, count = ndi.label(~margin)
    sizes = np.bincount(kept.ravel())
    islands = sizes < ISLAND_FRACTION * box.size
    islands[0] = False
    return margin | islands[kept]


def _speckle_blobs(box: np.ndarray, spread: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """The textured blobs of the box (speckle, not bars or marks), each at least 3% of it."""
    textured = (box > BLACK) & (spread > TEXTURE_STD) & ~empty
    dense = ndi.uniform_filter(textured.astype(np.float32), 9) > 0.5
    labels, count = ndi.label(dense)
    if count == 0:
        return dense
    sizes = np.bincount(labels.ravel())
    keep = sizes >= 0.03 * box.size
    keep[0] = False
    return keep[labels]
