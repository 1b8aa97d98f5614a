"""find_tissue_area: the one entry point, with or without ultrasound region tags."""

from __future__ import annotations

import dataclasses

import numpy as np

from engine.tissue.area import Panel, TissueArea
from engine.tissue.overlay import colour_overlay, flat_overlay, graphics_overlay
from engine.tissue.panels import MIN_SIDE_PX, enlarged, panels_from_support
from engine.tissue.regions import bar_regions, panels_from_regions
from engine.tissue.scale import enlarged_mask, pooled, reduced, working_factor
from engine.tissue.support import tissue_support
from engine.types import Image


def screen_gray(pixels: np.ndarray) -> np.ndarray:
    """H×W float32 on the 0..255 scale from Image.pixels (8/16-bit, gray or RGB), so every
    threshold of the finder means the same thing whatever the bit depth."""
    values = np.asarray(pixels)
    if values.ndim == 3:
        r, g, b = (values[..., k].astype(np.float32) for k in range(3))
        values = (r + g + b) / 3.0
    values = values.astype(np.float32)
    if pixels.dtype != np.uint8:
        low, high = float(values.min()), float(values.max())
        values = (values - low) * (255.0 / (high - low)) if high > low else values * 0.0
    return values


def find_tissue_area(image: Image) -> TissueArea:
    """The B-mode panels of a screen and the annotation pixels inside them.

    With ultrasound region tags, the tissue regions are the panels; without, the panels are
    found in the pixels (support -> blobs -> seams -> shapes). Either way annotations inside
    the panels (text, calipers, markers, bars, Doppler colour) are found in the pixels.
    found=False (no panel) means: nobody knows where the tissue is; use the whole image.
    """
    gray = screen_gray(image.pixels)
    shape = gray.shape
    empty = np.zeros(shape, dtype=bool)
    tagged = any(r.is_tissue for r in image.regions)
    if min(shape) < MIN_SIDE_PX and not tagged:
        return TissueArea((), empty, empty, False, f"image too small ({shape[1]}x{shape[0]} px)")
    # Large things (bars, panels) are looked for at half resolution: a quarter of the work.
    factor = working_factor(shape)
    small_gray = reduced(gray, factor)
    colour = colour_overlay(image.pixels) if _is_rgb(image.pixels) else empty
    annotation = colour | graphics_overlay(gray) | bar_regions(image.regions, shape)
    annotation |= enlarged_mask(flat_overlay(small_gray, factor), factor, shape)
    if tagged:
        panels = panels_from_regions(image.regions, shape, gray, annotation)
        how = f"{len(panels)} panel(s) from ultrasound region tags"
    else:
        support = tissue_support(small_gray, pooled(annotation, factor))
        found = panels_from_support(gray, support, annotation, factor)
        panels = _disjoint(sorted((enlarged(p, factor, shape) for p in found), key=_size))
        how = _described(panels)
    if not panels:
        return TissueArea(
            (), empty, empty, False, "no textured area large enough for a B-mode image"
        )
    inside = np.zeros(shape, dtype=bool)
    for panel in panels:
        inside |= panel.mask
    return TissueArea(tuple(panels), annotation & inside, colour & inside, True, how)


def _size(panel: Panel) -> int:
    return -panel.area_px


def _disjoint(panels: list[Panel]) -> list[Panel]:
    """Hulls of two blobs may overlap at a corner: the larger panel keeps those pixels."""
    taken = np.zeros(panels[0].mask.shape, dtype=bool) if panels else None
    out = []
    for panel in panels:
        mask = panel.mask & ~taken
        taken |= mask
        out.append(dataclasses.replace(panel, mask=mask) if (mask != panel.mask).any() else panel)
    return out


def _is_rgb(pixels: np.ndarray) -> bool:
    return pixels.ndim == 3 and pixels.shape[-1] in (3, 4)


def _described(panels: list) -> str:  # noqa: ANN001 - list[Panel]
    if not panels:
        return ""
    shapes = ", ".join(p.shape for p in panels)
    return f"{len(panels)} panel(s) found in the image ({shapes})"
