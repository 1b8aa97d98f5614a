"""Where one B-mode image ends and the next begins, in a block with no black gap between.

Split screens and dual B-mode put two (or more) images side by side. When a black gap lies
between them the support already falls apart; when they touch, or only a thin line divides
them, the block must be cut. Two signs of a seam, both vertical:
- neighbouring columns of one image are correlated (speckle is wider than a pixel, tissue
  layers run across), while the last column of one image and the first of the next are
  not: a column pair whose correlation drops far below the block's typical value is a seam;
- a dividing line drawn by the scanner: a column that is annotation (or constant) over most
  of the block's height.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

MIN_ROWS_FRACTION = 0.5  # of a band's rows, echo in both columns (annotations hide the rest)
MIN_ROWS = 32
ROW_STEP = 2
BANDS = 4
LINE_FRACTION = 0.8  # a drawn dividing line covers this much of the height
CORR_DROP = 0.3  # a seam's correlation is this far below the block's median ...
CORR_CEILING = 0.65  # ... and below this in absolute terms
MEAN_DROP = 0.5  # ... and on average over the bands this far below the typical value
SPREADS = 5  # ... and this many median deviations below it, where speckle is noisy
EMPTY_FRACTION = 0.05  # a column with (almost) no echo inside a blob is a gap
MIN_PIECE_PX = 48  # each side of a seam is a real image, not a strip
MIN_PIECE_FRACTION = 0.12


def column_correlation(block: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation of each column's speckle with the next column's, over the rows
    valid in both, and the fraction of rows that were valid.

    Speckle is the detail left after a vertical smoothing: it is shared by neighbouring
    columns of one image (a speckle grain is wider than a pixel) even across the edge of a
    dark cyst, where the raw intensities would decorrelate. Constant columns correlate 0."""
    block, valid = block[::ROW_STEP], valid[::ROW_STEP]  # every other row is plenty
    detail = block - ndi.uniform_filter1d(block, 5, axis=0)
    w = (valid[:, :-1] & valid[:, 1:]).astype(np.float32)
    x, y = detail[:, :-1], detail[:, 1:]
    n = w.sum(axis=0)
    safe = np.maximum(n, 1.0)
    wx, wy = w * x, w * y
    mx, my = wx.sum(axis=0) / safe, wy.sum(axis=0) / safe
    cov = (wx * y).sum(axis=0) / safe - mx * my
    vx = (wx * x).sum(axis=0) / safe - mx * mx
    vy = (wy * y).sum(axis=0) / safe - my * my
    denom = np.sqrt(np.maximum(vx, 0) * np.maximum(vy, 0))
    # Too little detail to tell (smooth or upscaled pictures): no evidence either way. A
    # drawn line (constant column) is caught by the seam rules, not here.
    corr = np.where(denom > 1.0, cov / np.maximum(denom, 1e-9), np.nan)
    return corr, n / max(block.shape[0], 1)


def seam_columns(
    block: np.ndarray, valid: np.ndarray, overlay: np.ndarray, by_correlation: bool = True
) -> list[tuple[int, int]]:
    """Column runs [start, stop) of the block that are seams, left to right.

    block: rows×cols gray of one support component's box; valid: where it is tissue (not
    annotation, inside the component); overlay: annotation pixels in the same box.
    by_correlation: also look for seams where no line is drawn (speckle decorrelation). Only
    rectangles touch without a line (split linear screens); fans side by side leave a
    black wedge between them, and inside one fan the statistic only finds noise."""
    height, width = block.shape
    if width < 2 * MIN_PIECE_PX:
        return []
    valid_share = _column_share(valid)
    # A seam cuts through the whole height: it shows in (nearly) every band of rows, and
    # deeply on average, where a dark blob or a label's rim dips one or two bands a little.
    drops, dips, usable_bands = [], [], []
    for rows in np.array_split(np.arange(height), BANDS):
        corr, coverage = column_correlation(block[rows], valid[rows])
        usable = (coverage >= MIN_ROWS_FRACTION) & (coverage * rows.size >= MIN_ROWS / BANDS)
        usable &= np.isfinite(corr)
        if usable.sum() < width // 2:
            continue
        typical = float(np.median(corr[usable]))
        spread = float(np.median(np.abs(corr[usable] - typical)))  # noisy speckle: larger
        margin = max(CORR_DROP, SPREADS * spread)
        dips.append(usable & (corr < typical - margin) & (corr < CORR_CEILING))
        drops.append(np.where(usable, np.maximum(typical - np.nan_to_num(corr), 0.0), 0.0))
        usable_bands.append(usable)
    pair_drop = np.zeros(width - 1)
    if by_correlation and len(drops) >= 2:
        n_usable = np.sum(usable_bands, axis=0)
        n_dipped = np.sum(dips, axis=0)
        mean_drop = np.sum(drops, axis=0) / np.maximum(n_usable, 1)
        allowed_misses = (n_usable >= 3).astype(int)
        dropped = (n_usable >= 2) & (n_dipped >= n_usable - allowed_misses)
        dropped &= mean_drop >= MEAN_DROP
        pair_drop = np.where(dropped, mean_drop, 0.0)
    # Strength: how far below the typical correlation; drawn lines and gaps are certain.
    drop = np.zeros(width)
    drop[:-1] = pair_drop  # pair (c, c+1) dipping marks both columns as the seam's edge
    drop[1:] = np.maximum(drop[1:], pair_drop)
    certain = (_column_share(overlay) >= LINE_FRACTION) | (valid_share < EMPTY_FRACTION)
    certain |= (_valid_std(block, valid) < 1.0) & (valid_share >= MIN_ROWS_FRACTION)
    strength = np.where(certain, 2.0, drop)
    return _runs_between_pieces(strength > 0, strength, width)


def _column_share(mask: np.ndarray) -> np.ndarray:
    """Per column, the fraction of rows where mask is True (every other row)."""
    rows = mask[::ROW_STEP]
    return rows.astype(np.float32).sum(axis=0) / max(rows.shape[0], 1)


def _valid_std(block: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per column, the standard deviation of its valid pixels (a drawn line is constant)."""
    block, valid = block[::ROW_STEP], valid[::ROW_STEP]
    weight = valid.astype(np.float32)
    n = np.maximum(weight.sum(axis=0), 1.0)
    values = block * weight
    mean = values.sum(axis=0) / n
    return np.sqrt(np.maximum((values * block).sum(axis=0) / n - mean * mean, 0.0))


def _runs_between_pieces(
    seam: np.ndarray, strength: np.ndarray, width: int
) -> list[tuple[int, int]]:
    """Runs of seam columns that leave a real image on both sides, strongest first (a
    spurious dip must not block the real seam next to it); edges are not seams."""
    min_piece = max(MIN_PIECE_PX, int(MIN_PIECE_FRACTION * width))
    edges = np.flatnonzero(np.diff(np.concatenate([[0], seam.astype(np.int8), [0]])))
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    runs.sort(key=lambda run: -float(strength[run[0] : run[1]].max()))
    kept: list[tuple[int, int]] = []
    for start, stop in runs:
        if start < min_piece or width - stop < min_piece:
            continue
        if all(start - b >= min_piece or a - stop >= min_piece for a, b in kept):
            kept.append((start, stop))
    return sorted(kept)
