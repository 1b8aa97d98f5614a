"""Clicks, boxes and the prompt maps the interactive model reads; the click simulator.

Shared by training (simulated iterative clicks) and the engine (a reader's clicks), so the
two encode prompts the same way. Everything is numpy/scipy; coordinates are (row, col).

The simulator follows RITM / SimpleClick: the first click goes to the interior point of the
object farthest from its border; every next click goes to the centre (the point farthest
from its border) of the largest error region, positive where the prediction missed object
(false negative), negative where it spilled over (false positive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

# Prompt channels of the decoder input, in this order.
PROMPT_CHANNELS = ("positive", "negative", "box", "previous")
# Radius of a click disk in model-input pixels (RITM uses 5 at 320-480 px; our input is 128).
CLICK_RADIUS = 3.0


@dataclass(frozen=True)
class Click:
    """One click: where (row, col, in the coordinates of the image it was made on) and
    whether it adds object (positive) or removes it (negative)."""

    row: float
    col: float
    positive: bool = True

    @classmethod
    def parse(cls, text: str) -> Click:
        """ "R,C" is a positive click, "-R,C" a negative one (the leading minus)."""
        raw = text.strip()
        positive = not raw.startswith("-")
        parts = raw.lstrip("-+").split(",")
        if len(parts) != 2:
            raise ValueError(f"a click is R,C or -R,C, not {text!r}")
        try:
            row, col = float(parts[0]), float(parts[1])
        except ValueError as exc:
            raise ValueError(f"a click is R,C or -R,C with numbers, not {text!r}") from exc
        return cls(row, col, positive)


@dataclass(frozen=True)
class Box:
    """A box around the object: rows r0..r1 and columns c0..c1 (inclusive, any order)."""

    r0: float
    c0: float
    r1: float
    c1: float

    @classmethod
    def parse(cls, text: str) -> Box:
        parts = text.split(",")
        if len(parts) != 4:
            raise ValueError(f"a box is R0,C0,R1,C1, not {text!r}")
        try:
            r0, c0, r1, c1 = (float(p) for p in parts)
        except ValueError as exc:
            raise ValueError(f"a box is R0,C0,R1,C1 with numbers, not {text!r}") from exc
        return cls(min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1))


def prompt_maps(
    shape: tuple[int, int],
    clicks: Sequence[Click],
    box: Box | None = None,
    previous: np.ndarray | None = None,
    radius: float = CLICK_RADIUS,
) -> np.ndarray:
    """The 4×H×W float32 decoder prompt (PROMPT_CHANNELS): disks of `radius` around the
    positive and the negative clicks, the filled box, the previous mask (> 0.5 is object).
    Clicks and box are in the coordinates of `shape` (the model input)."""
    h, w = shape
    out = np.zeros((4, h, w), dtype=np.float32)
    rows = np.arange(h, dtype=np.float32)[:, None]
    cols = np.arange(w, dtype=np.float32)[None, :]
    for click in clicks:
        disk = (rows - click.row) ** 2 + (cols - click.col) ** 2 <= radius * radius
        out[0 if click.positive else 1][disk] = 1.0
    if box is not None:
        r0, r1 = max(0, int(round(box.r0))), min(h - 1, int(round(box.r1)))
        c0, c1 = max(0, int(round(box.c0))), min(w - 1, int(round(box.c1)))
        if r1 >= r0 and c1 >= c0:
            out[2, r0 : r1 + 1, c0 : c1 + 1] = 1.0
    if previous is not None:
        out[3] = (np.asarray(previous, dtype=np.float32) > 0.5).astype(np.float32)
    return out


def _centre_of(region: np.ndarray) -> tuple[int, int]:
    """The pixel of `region` farthest from its border (the image edge counts as border)."""
    padded = np.pad(region, 1)
    distance = ndimage.distance_transform_edt(padded)[1:-1, 1:-1]
    r, c = np.unravel_index(int(np.argmax(distance)), distance.shape)
    return int(r), int(c)


def first_click(target: np.ndarray) -> Click:
    """The interior point of the object farthest from its border (a positive click)."""
    target = np.asarray(target) > 0
    if not target.any():
        raise ValueError("the target mask is empty: nothing to click on")
    r, c = _centre_of(target)
    return Click(r, c, True)


def next_click(target: np.ndarray, prediction: np.ndarray) -> Click | None:
    """A click at the centre of the largest error region: positive in a false-negative
    region, negative in a false-positive one; None when the prediction is exact."""
    target = np.asarray(target) > 0
    prediction = np.asarray(prediction) > 0
    best: tuple[float, np.ndarray, bool] | None = None
    for region, positive in ((target & ~prediction, True), (prediction & ~target, False)):
        if not region.any():
            continue
        labels, n = ndimage.label(region)
        sizes = np.bincount(labels.ravel())[1:]
        k = int(np.argmax(sizes))
        if best is None or sizes[k] > best[0]:
            best = (float(sizes[k]), labels == k + 1, positive)
    if best is None:
        return None
    r, c = _centre_of(best[1])
    return Click(r, c, best[2])


def largest_object(mask: np.ndarray) -> np.ndarray:
    """The largest connected component of a mask (the one lesion a reader clicks on)."""
    mask = np.asarray(mask) > 0
    labels, n = ndimage.label(mask)
    if n <= 1:
        return mask
    sizes = np.bincount(labels.ravel())[1:]
    return labels == int(np.argmax(sizes)) + 1


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0
