"""Colour for an attention or saliency map (values in [0, 1]), shared by the viewer and the
report so a reader sees the same evidence on screen and on paper.

Low values stay transparent, so the image under the map remains readable; the colour runs
from violet (weak) through magenta to orange (strongest), which reads on both a dark
ultrasound and the white background of an inverted bone scan.
"""

from __future__ import annotations

import numpy as np

# (position, R, G, B): violet (weak) -> magenta -> red-orange (strongest). No yellow or white
# end: it would vanish on the white background of an inverted bone scan.
STOPS = np.array(
    [
        (0.0, 80, 40, 210),
        (0.5, 205, 30, 140),
        (0.8, 240, 50, 40),
        (1.0, 255, 140, 0),
    ],
    dtype=np.float64,
)
FLOOR = 0.2  # values below this are not drawn at all (a faint map would veil the image)


def heat_rgb(values: np.ndarray) -> np.ndarray:
    """H×W×3 uint8 colour of each value (clipped to [0, 1])."""
    t = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), 0.0, 1.0)
    rgb = np.stack([np.interp(t, STOPS[:, 0], STOPS[:, k]) for k in (1, 2, 3)], axis=-1)
    return np.round(rgb).astype(np.uint8)


def heat_alpha(values: np.ndarray, opacity: float) -> np.ndarray:
    """H×W float alpha in [0, opacity]: zero below FLOOR, rising with the value."""
    t = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), 0.0, 1.0)
    ramp = np.clip((t - FLOOR) / (1.0 - FLOOR), 0.0, 1.0) ** 0.7
    return ramp * float(np.clip(opacity, 0.0, 1.0))


def heat_rgba(values: np.ndarray, opacity: float) -> np.ndarray:
    """H×W×4 uint8 overlay (what pyqtgraph draws over the view)."""
    rgba = np.empty((*np.shape(values), 4), dtype=np.uint8)
    rgba[..., :3] = heat_rgb(values)
    rgba[..., 3] = np.round(255.0 * heat_alpha(values, opacity)).astype(np.uint8)
    return rgba


def blend_heat(rgb: np.ndarray, values: np.ndarray, opacity: float) -> np.ndarray:
    """The map painted over an H×W×3 uint8 picture of the same size (for the report)."""
    if rgb.shape[:2] != np.shape(values):
        raise ValueError(f"map {np.shape(values)} does not match the image {rgb.shape[:2]}")
    alpha = heat_alpha(values, opacity)[..., None]
    out = rgb.astype(np.float64) * (1.0 - alpha) + heat_rgb(values) * alpha
    return np.round(out).astype(np.uint8)
