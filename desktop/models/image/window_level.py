"""Window/level as the reader sets it: presets from the file, CT defaults, right-drag.

Qt-free. A window (centre, width) maps values centre-width/2 .. centre+width/2 to black..white,
the DICOM linear window; the canvas hands it to pyqtgraph as levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from desktop.models.image.display import display_levels
from engine.types import Image, WindowPreset

# Drag sensitivity: one screen pixel changes the width by 0.5 % and the centre by 0.5 % of
# the width, so a drag across the canvas spans a useful range on 8-bit and on CT values.
DRAG_RATE = 0.005
MIN_WIDTH = 1e-3

CT_PRESETS = (
    WindowPreset("Soft tissue", 40.0, 400.0),
    WindowPreset("Lung", -600.0, 1500.0),
    WindowPreset("Bone", 400.0, 1800.0),
    WindowPreset("Brain", 40.0, 80.0),
    WindowPreset("Liver", 60.0, 160.0),
)

# Grey ultrasound and other non-CT grey images have no HU scale to name windows by; their
# presets are contrast levels from the image's own values: the whole stored range, and two
# percentile windows that clip the darkest and brightest pixels (more contrast in the tissue).
CONTRAST_PERCENTILES = (
    ("Full range", 0.0, 100.0),
    ("Contrast 1-99 %", 1.0, 99.0),
    ("High contrast 5-95 %", 5.0, 95.0),
)
PERCENTILE_SAMPLE = 1_000_000  # values a percentile is taken over (a long cine is subsampled)


@dataclass(frozen=True)
class WindowLevel:
    center: float
    width: float

    @property
    def levels(self) -> tuple[float, float]:
        """(black, white) values for pyqtgraph's ImageItem.setLevels."""
        return (self.center - self.width / 2.0, self.center + self.width / 2.0)

    @classmethod
    def from_levels(cls, low: float, high: float) -> WindowLevel:
        return cls((low + high) / 2.0, max(high - low, MIN_WIDTH))

    @classmethod
    def from_preset(cls, preset: WindowPreset) -> WindowLevel:
        return cls(float(preset.center), float(preset.width))

    def dragged(self, dx: float, dy: float) -> WindowLevel:
        """Right-drag: right widens the window (less contrast), down raises the level (darker),
        the convention of most PACS viewers."""
        width = max(self.width * math.exp(dx * DRAG_RATE), MIN_WIDTH)
        return WindowLevel(self.center + dy * DRAG_RATE * self.width, width)

    def text(self) -> str:
        return f"W {self.width:.0f}  L {self.center:.0f}"


def looks_like_ct(image: Image) -> bool:
    """CT values are Hounsfield units: a CT modality tag, or air (about -1000) in the image."""
    if image.is_color:
        return False
    if str(image.metadata.get("Modality", "")).upper() == "CT":
        return True
    return image.pixels.dtype.kind in "if" and float(image.pixels.min()) <= -900.0


def contrast_presets(pixels: np.ndarray) -> tuple[WindowPreset, ...]:
    """CONTRAST_PERCENTILES as windows on these values (none for a constant image)."""
    values = np.asarray(pixels).ravel()
    if values.size > PERCENTILE_SAMPLE:
        values = values[:: values.size // PERCENTILE_SAMPLE + 1]
    if values.size == 0:
        return ()
    presets = []
    for name, low_pct, high_pct in CONTRAST_PERCENTILES:
        low, high = (float(v) for v in np.percentile(values, (low_pct, high_pct)))
        if high > low:
            window = WindowLevel.from_levels(low, high)
            presets.append(WindowPreset(name, window.center, window.width))
    return tuple(presets)


def window_presets(image: Image, ct: bool | None = None) -> tuple[WindowPreset, ...]:
    """The file's own presets first, then the usual CT windows for CT values, or contrast
    presets from the image's values for any other grey image."""
    presets = tuple(image.window_presets)
    names = {p.name for p in presets}
    if looks_like_ct(image) if ct is None else ct:
        presets += tuple(p for p in CT_PRESETS if p.name not in names)
    elif not image.is_color:
        presets += tuple(p for p in contrast_presets(image.pixels) if p.name not in names)
    return presets


def default_window(image: Image) -> WindowLevel:
    """What the modality suggested, else 8-bit as stored, else robust percentiles."""
    if image.window_presets and not image.is_color:
        return WindowLevel.from_preset(image.window_presets[0])
    if looks_like_ct(image):
        return WindowLevel.from_preset(CT_PRESETS[0])
    return WindowLevel.from_levels(*display_levels(image.pixels))
