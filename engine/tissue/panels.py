"""From tissue support to panels: one connected blob per image, cut at seams, shaped.

Each blob of support big enough to be an image is filled (anechoic holes belong to it), cut
where a seam runs through it, and each piece gets the shape of its probe: a rectangle
(linear array) when it fills its bounding box, otherwise its convex hull (the fan of a
sector or curvilinear probe is convex; the hull also takes back a dark cyst or shadow at
the edge that the support missed). A piece that reaches (nearly) every edge of the picture
is an already-cropped frame and is snapped to the edges.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from engine.tissue.area import Box, Panel
from engine.tissue.hull import filled_hull
from engine.tissue.seams import seam_columns
from engine.tissue.support import BLACK

MIN_SIDE_PX = 32
MIN_AREA_FRACTION = 0.03  # of the picture: smaller blobs are icons, bars or text blocks
RECTANGLE_FILL = 0.93  # a linear image fills its box; a fan fills ~0.5-0.85 of it
EDGE_SNAP_FRACTION = 0.03  # within this of a picture edge counts as touching it
TOUCHING_FILL = 0.8  # a blob this rectangular may be two linear images touching


def panels_from_support(
    gray: np.ndarray, support: np.ndarray, overlay: np.ndarray, factor: int = 1
) -> list[Panel]:
    """Panels (unsorted) found in the support; empty when nothing is big enough.

    support may be at 1/factor of the resolution of gray and overlay (the blobs are large);
    seams are looked for at full resolution, where a one-pixel line or an odd column still
    shows."""
    height, width = support.shape
    labels, count = ndi.label(support)
    if count == 0:
        return []
    min_area = MIN_AREA_FRACTION * height * width
    areas = ndi.sum_labels(support, labels, np.arange(1, count + 1))
    panels: list[Panel] = []
    for index, window in enumerate(ndi.find_objects(labels)):
        if window is None or areas[index] < min_area:
            continue
        r0, c0 = window[0].start, window[1].start
        blob = ndi.binary_fill_holes(labels[window] == index + 1)
        runs = _seams(gray, overlay, blob, (r0, c0), factor)
        for a, b in _pieces(blob.shape[1], runs):
            piece = np.zeros_like(blob)
            piece[:, a:b] = blob[:, a:b]
            panel = _shaped(piece, (r0, c0), (height, width), min_area)
            if panel is not None:
                panels.append(panel)
    return panels


def _seams(
    gray: np.ndarray, overlay: np.ndarray, blob: np.ndarray, origin: tuple[int, int], factor: int
) -> list[tuple[int, int]]:
    """Seam column runs of one blob, in the blob's (working resolution) columns."""
    big = np.repeat(np.repeat(blob, factor, axis=0), factor, axis=1) if factor > 1 else blob
    r0, c0 = origin[0] * factor, origin[1] * factor
    window = (slice(r0, r0 + big.shape[0]), slice(c0, c0 + big.shape[1]))
    block, marks = gray[window], overlay[window]
    big = big[: block.shape[0], : block.shape[1]]
    # Only echo counts: the upsampled blob's rim holds black background pixels.
    rectangular = bool(blob.mean() >= TOUCHING_FILL)
    runs = seam_columns(block, big & ~marks & (block > BLACK), marks, rectangular)
    return [(a // factor, -(-b // factor)) for a, b in runs]


def _pieces(width: int, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Column ranges between seam runs."""
    bounds, start = [], 0
    for a, b in runs:
        bounds.append((start, a))
        start = b
    bounds.append((start, width))
    return [(a, b) for a, b in bounds if b > a]


def _shaped(
    piece: np.ndarray, origin: tuple[int, int], screen: tuple[int, int], min_area: float
) -> Panel | None:
    """The piece as a Panel on the whole screen, or None when it is too small."""
    rows, cols = np.flatnonzero(piece.any(axis=1)), np.flatnonzero(piece.any(axis=0))
    if rows.size == 0 or piece.sum() < min_area:
        return None
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if min(r1 - r0, c1 - c0) < MIN_SIDE_PX:
        return None
    local = piece[r0:r1, c0:c1]
    hull = local if local.mean() >= RECTANGLE_FILL else filled_hull(local)
    box = (int(origin[0] + r0), int(origin[1] + c0), int(origin[0] + r1), int(origin[1] + c1))
    box, hull = _snapped(box, hull, screen)
    rectangle = hull.mean() >= RECTANGLE_FILL
    mask = np.zeros(screen, dtype=bool)
    mask[box[0] : box[2], box[1] : box[3]] = True if rectangle else hull
    return Panel(mask=mask, box=box, shape="rectangle" if rectangle else "sector", source="image")


def _snapped(box: Box, hull: np.ndarray, screen: tuple[int, int]) -> tuple[Box, np.ndarray]:
    """A box within a few per cent of every picture edge is the whole picture (a cropped
    frame: the dark rim of its edge columns is still tissue)."""
    height, width = screen
    margin_r, margin_c = EDGE_SNAP_FRACTION * height, EDGE_SNAP_FRACTION * width
    r0, c0, r1, c1 = box
    near = (r0 <= margin_r, c0 <= margin_c, height - r1 <= margin_r, width - c1 <= margin_c)
    if not all(near):
        return box, hull
    grown = np.zeros(screen, dtype=bool)
    grown[r0:r1, c0:c1] = hull
    # The hull's rim rows/columns reach the edge: close the thin gap to the edge too.
    grown[:r0] = grown[r0] if r0 < height else False
    grown[r1:] = grown[r1 - 1]
    grown[:, :c0] = grown[:, c0 : c0 + 1]
    grown[:, c1:] = grown[:, c1 - 1 : c1]
    return (0, 0, height, width), grown


def enlarged(panel: Panel, factor: int, screen: tuple[int, int]) -> Panel:
    """A panel found at 1/factor resolution, at the screen's full size."""
    if factor == 1:
        return panel
    big = np.repeat(np.repeat(panel.mask, factor, axis=0), factor, axis=1)
    mask = np.zeros(screen, dtype=bool)
    h, w = min(big.shape[0], screen[0]), min(big.shape[1], screen[1])
    mask[:h, :w] = big[:h, :w]
    r0, c0, r1, c1 = (int(v) * factor for v in panel.box)
    # A panel reaching the last working row/column reaches the screen's edge.
    if r1 >= h:
        r1 = screen[0]
        mask[h:] = mask[h - 1 : h]
    if c1 >= w:
        c1 = screen[1]
        mask[:, w:] = mask[:, w - 1 : w]
    return Panel(mask=mask, box=(r0, c0, r1, c1), shape=panel.shape, source=panel.source)
