"""What the tissue finder returns: the B-mode panels of a screen and the annotations on them.

A scanner screen is more than tissue: banners of text, a probe logo, a body marker, grey and
colour bars, and often two images side by side. A model that sees all of it finds "lesions"
on the letters. These two frozen types say, per pixel, which part is tissue the model and
the measurements may use, so that every caller (inference, calipers, de-identification)
asks one question and gets one answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Box = tuple[int, int, int, int]  # (row0, col0, row1, col1), end exclusive
Shape = Literal["rectangle", "sector"]
Source = Literal["region tags", "image"]


@dataclass(frozen=True, eq=False)
class Panel:
    """One B-mode image on the screen.

    mask: H×W bool over the whole screen, True inside this panel (the fan of a sector probe,
    the rectangle of a linear one), annotations included. box: its bounding box, end
    exclusive, the window inference crops. shape: "rectangle" or "sector" (fan or
    curvilinear). source: "region tags" when a DICOM ultrasound region gave it, "image"
    when it was found in the pixels.
    """

    mask: np.ndarray
    box: Box
    shape: Shape
    source: Source

    @property
    def area_px(self) -> int:
        return int(self.mask.sum())

    def crop(self) -> np.ndarray:
        """The mask inside the box (what multiplies the crop's lesion probability)."""
        r0, c0, r1, c1 = self.box
        return self.mask[r0:r1, c0:c1]


@dataclass(frozen=True, eq=False)
class TissueArea:
    """Where the tissue is on one screen.

    panels: the B-mode panels, largest first; they never overlap and never cross a seam.
    overlay: H×W bool, True on pixels inside a panel that are annotation, not echo: text,
    calipers (+ and x marks, their dotted lines), measurement boxes, body markers, probe
    icons, grey and colour bars, Doppler colour. colour: the subset of overlay that is
    colour (Doppler flow, colour bars) - shown to the reader, but not B-mode.
    found: False when no panel could be found; callers then use the whole image and say so.
    reason: one line on how the panels were found, or why none were.
    """

    panels: tuple[Panel, ...]
    overlay: np.ndarray
    colour: np.ndarray
    found: bool
    reason: str

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.overlay.shape[0]), int(self.overlay.shape[1]))

    @property
    def panel_union(self) -> np.ndarray:
        """H×W bool: inside any panel (annotations included)."""
        union = np.zeros(self.shape, dtype=bool)
        for panel in self.panels:
            union |= panel.mask
        return union

    @property
    def mask(self) -> np.ndarray:
        """H×W bool: tissue = inside a panel and not an annotation."""
        return self.panel_union & ~self.overlay

    def panel_at(self, row: float, col: float) -> Panel | None:
        """The panel under a (row, col) point, or None (outside every panel, on a seam)."""
        r, c = int(round(row)), int(round(col))
        if not (0 <= r < self.shape[0] and 0 <= c < self.shape[1]):
            return None
        return next((p for p in self.panels if p.mask[r, c]), None)

    def panel_index(self, row: float, col: float) -> int | None:
        """Index of panel_at in panels (largest first), or None."""
        panel = self.panel_at(row, col)
        return None if panel is None else self.panels.index(panel)
