"""Label colours and overlay arrays of the volume views, without Qt (tested on their own).

Each label has its own colour, chosen to read on a gray CT window and to differ from the
yellow crosshair: kidney green, tumour red-orange. Unknown extra labels get the fallback
colours in order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from desktop.models.image.display import overlay_alpha

LABEL_RGB = {"kidney": (70, 215, 110), "tumour": (255, 80, 50), "tumor": (255, 80, 50)}
FALLBACK_RGB = ((80, 160, 255), (240, 200, 40), (200, 110, 255), (40, 220, 220))
CROSSHAIR_RGB = (255, 214, 10)


def label_colours(label_names: Sequence[str]) -> list[tuple[int, int, int]]:
    """One RGB per label value; index 0 (background) is never drawn."""
    colours, spare = [(0, 0, 0)], iter(FALLBACK_RGB * 4)
    for name in label_names[1:]:
        colours.append(LABEL_RGB.get(name.lower()) or next(spare))
    return colours


def label_lut(label_names: Sequence[str], opacity: float) -> np.ndarray:
    """(n_labels, 4) uint8 lookup: label value -> RGBA, background clear."""
    lut = np.zeros((len(label_names), 4), dtype=np.uint8)
    for value, rgb in enumerate(label_colours(label_names)):
        if value:
            lut[value, :3] = rgb
            lut[value, 3] = overlay_alpha(opacity)
    return lut


def labels_rgba(plane_labels: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """H×W labels -> H×W×4 overlay (values beyond the table are drawn clear)."""
    safe = np.where(plane_labels < len(lut), plane_labels, 0)
    return lut[safe]


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def format_ml(ml: float | None) -> str:
    """A volume as readers write it: one decimal below 100 mL, whole mL above; "–" for none."""
    if ml is None:
        return "–"
    return f"{ml:.1f} mL" if ml < 100 else f"{ml:.0f} mL"
