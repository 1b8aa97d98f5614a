"""Window/level of the grey views of a study: the default each view opens with and the windows
the reader sets (right-drag, presets). Qt-free; the arithmetic of a window (levels, drag) is
desktop.models.image.window_level, shared with the single-image page.

The default: 8-bit views as stored (what the scanner or the exporting system showed). Wider
data (a scintigraphy in counts, 16-bit) gets its white point from the body, not the whole
frame: half of a whole-body scan is empty background, and its hottest pixels are the bladder,
so a min-max window would show the bladder and leave the skeleton grey; a percentile of the
pixels above background puts the white point on the skeleton (the bladder saturates, as on
the console, and a right-drag or a preset brings it back).
Colour views (a clinical photo) have no window: they are shown as acquired.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from desktop.models.image.window_level import WindowLevel, contrast_presets
from engine.types import Image, Volume, WindowPreset

BACKGROUND_PERCENTILE = 0.5  # at or below it: background (no counts, air)
BODY_PERCENTILE = 99.0  # of the pixels above background: the white point (bladder < 1 %)
MIN_BODY_FRACTION = 0.01  # fewer body pixels than this: percentiles of the whole frame


def body_levels(pixels: np.ndarray) -> tuple[float, float]:
    """(black, white): background level to the BODY_PERCENTILE of the pixels above it."""
    values = np.asarray(pixels, dtype=np.float64)
    low = float(np.percentile(values, BACKGROUND_PERCENTILE))
    body = values[values > low]
    if body.size < MIN_BODY_FRACTION * values.size:
        body = values.ravel()
    high = float(np.percentile(body, BODY_PERCENTILE))
    if high <= low:
        high = float(values.max())
    if high <= low:
        high = low + 1.0
    return (low, high)


def default_view_window(image: Image) -> WindowLevel | None:
    """The window a view opens with (None: a colour view, shown as acquired)."""
    if image.is_color:
        return None
    if image.pixels.dtype == np.uint8:
        return WindowLevel.from_levels(0.0, 255.0)
    return WindowLevel.from_levels(*body_levels(image.pixels))


def view_presets(image: Image) -> tuple[WindowPreset, ...]:
    """The file's own presets, then contrast presets from the view's own pixels."""
    if image.is_color:
        return ()
    return tuple(image.window_presets) + contrast_presets(image.pixels)


def grey_views(views: Mapping[str, Image | Volume]) -> list[str]:
    """The views a window applies to: grey 2D images."""
    return [n for n, v in views.items() if isinstance(v, Image) and not v.is_color]
