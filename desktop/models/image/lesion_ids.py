"""Lesion numbers that survive edits (issue 20, item 7): the findings are recomputed from the
mask after every edit and come back sorted by area, so deleting or shrinking lesion 1 used to
renumber the others. Qt-free.

Each finding of the new analysis takes the number of the old finding it overlaps most (one
number per old finding; a split keeps it on the larger part); a lesion with no old
counterpart gets the next number never used in this case, so a number is never reused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from engine.types import Finding


def finding_mask(finding: Finding, shape: tuple[int, int]) -> np.ndarray:
    """The area inside the finding's contour ((row, col) points) as a boolean mask."""
    canvas = PILImage.new("1", (shape[1], shape[0]), 0)
    points = [(float(c), float(r)) for r, c in np.asarray(finding.contour, dtype=float)]
    if len(points) >= 3:
        ImageDraw.Draw(canvas).polygon(points, fill=1, outline=1)
    return np.asarray(canvas, dtype=bool)


def carry_ids(
    old: Sequence[Finding],
    old_ids: Sequence[int],
    new: Sequence[Finding],
    shape: tuple[int, int],
    next_id: int,
) -> tuple[tuple[int, ...], int]:
    """(the numbers of `new`, the next unused number)."""
    old_masks = [finding_mask(f, shape) for f in old]
    new_masks = [finding_mask(f, shape) for f in new]
    pairs = sorted(
        (
            (int(np.logical_and(a, b).sum()), i, j)
            for i, a in enumerate(new_masks)
            for j, b in enumerate(old_masks)
        ),
        reverse=True,
    )
    ids: list[int | None] = [None] * len(new)
    taken: set[int] = set()
    for overlap, i, j in pairs:
        if overlap == 0:
            break
        if ids[i] is None and j not in taken:
            ids[i] = old_ids[j]
            taken.add(j)
    for i, value in enumerate(ids):
        if value is None:
            ids[i] = next_id
            next_id += 1
    return tuple(int(v) for v in ids if v is not None), next_id
