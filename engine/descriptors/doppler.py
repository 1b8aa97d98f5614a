"""Colour / power Doppler inside one lesion: is there colour at all, and where it lies.

A colour Doppler frame is an RGB frame whose flow pixels are saturated (the channels differ a
lot), while B-mode grey has equal channels. So the frame "has Doppler" only when at least
MIN_COLOR_PIXELS pixels are coloured (max - min channel >= COLOR_SPREAD); a grey frame, or an
RGB frame of grey, gives "not assessed", never "none".

Inside the node the flow is central (hilar) or peripheral: each coloured pixel of the node is
central when it lies deeper than CENTRAL x the node's maximal inscribed radius from the
outline (or in the echogenic hilum when there is one), peripheral otherwise.

- none: less than FLOW_FRACTION of the node coloured;
- hilar / peripheral: at least DOMINANT of the coloured pixels central / peripheral;
- mixed: both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

COLOR_SPREAD = 40.0
MIN_COLOR_PIXELS = 30
FLOW_FRACTION = 0.005
CENTRAL = 0.5
DOMINANT = 0.7
PATTERNS = ("hilar", "peripheral", "mixed", "none")


def color_pixels(pixels: np.ndarray) -> np.ndarray | None:
    """Bool H×W of the coloured pixels, or None when the frame holds no colour Doppler."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[-1] < 3:
        return None
    rgb = pixels[..., :3].astype(np.float64)
    colored = (rgb.max(axis=-1) - rgb.min(axis=-1)) >= COLOR_SPREAD
    return colored if int(colored.sum()) >= MIN_COLOR_PIXELS else None


@dataclass(frozen=True)
class FlowMeasures:
    flow_fraction: float  # share of the node's pixels coloured
    central_share: float  # of the coloured pixels in the node, the share that is central


def measure_flow(
    colored: np.ndarray, lesion: np.ndarray, hilum: np.ndarray | None = None
) -> FlowMeasures:
    lesion = np.asarray(lesion, dtype=bool)
    depth = ndimage.distance_transform_edt(lesion)
    central = depth > CENTRAL * float(depth.max())
    if hilum is not None:
        central |= hilum
    flow = colored & lesion
    count = int(flow.sum())
    fraction = count / max(int(lesion.sum()), 1)
    share = float((flow & central).sum() / count) if count else 0.0
    return FlowMeasures(flow_fraction=float(fraction), central_share=share)


def flow_pattern(m: FlowMeasures) -> tuple[str, str]:
    """(pattern, one-line reason)."""
    pct = f"{100 * m.flow_fraction:.1f} % of the node coloured"
    if m.flow_fraction < FLOW_FRACTION:
        return "none", f"none: {pct}"
    where = f"{100 * m.central_share:.0f} % of it central"
    if m.central_share >= DOMINANT:
        return "hilar", f"hilar: {pct}, {where}"
    if m.central_share <= 1 - DOMINANT:
        return "peripheral", f"peripheral: {pct}, {where}"
    return "mixed", f"mixed: {pct}, {where}"
