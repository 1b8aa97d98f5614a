"""Smart Click on one plane of a CT volume: the displayed slice goes to the interactive model,
the outline into that slice of the label volume for the active label. Qt-free.

The image given to the encoder is the slice's Hounsfield values through the soft-tissue
window (W400 L40, engine.interactive.ct: the window the model was trained on CT slices
through, whatever window the reader is looking through), so a right-drag of W/L
never changes what the model sees and the encoding of a slice can be reused. The slice is
encoded the first time it is clicked; scrolling to another slice starts a new series.

The series logic (clicks, one box, undo steps) is desktop.models.editing.smart_click's; here
only the target differs: SliceTarget shows it the active label on the slice as a 0/1 mask
and writes its answer back with VolumeLabels.set_slice_mask, one undo step a prompt, the
same history as the label brush.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from desktop.models.editing.smart_click import SmartClick, shared_interactive_model
from desktop.models.volume.labels import VolumeLabels
from desktop.models.volume.planes import PlaneLayout
from engine.interactive import Box, InteractiveModel
from engine.interactive.ct import soft_tissue_slice
from engine.types import Volume


class SliceTarget:
    """The active label on one slice of a plane, as the 0/1 mask SmartClick edits."""

    def __init__(self, labels: VolumeLabels, layout: PlaneLayout, index: int, label: int) -> None:
        self.labels, self.layout, self.index, self.label = labels, layout, index, label

    @property
    def mask(self) -> np.ndarray:
        return (self.layout.view(self.labels.labels, self.index) == self.label).astype(np.uint8)

    def apply_mask(self, after: np.ndarray, name: str, assisted_by: str | None = None) -> bool:
        changed = self.labels.set_slice_mask(self.layout, self.index, self.label, after, name)
        if changed and assisted_by is not None:
            self.labels.assisted_by.add(assisted_by)
        return changed


class PlaneSmartClick:
    """Smart Click on the slices of one plane; the grey slice is kept per slice index so the
    series' encoding is reused while the reader stays on that slice."""

    def __init__(self, load_model: Callable[[], InteractiveModel] = shared_interactive_model):
        self.series = SmartClick(load_model)
        self._key: tuple[int, str, int] | None = None  # (id of the volume, plane, slice)
        self._pixels: np.ndarray | None = None

    def pixels(self, volume: Volume, layout: PlaneLayout, index: int) -> np.ndarray:
        """The slice as the encoder sees it (the same array while the slice stays)."""
        key = (id(volume.voxels), layout.plane, index)
        if key != self._key or self._pixels is None:
            self._key = key
            self._pixels = soft_tissue_slice(layout.view(volume.voxels, index))
        return self._pixels

    def click(
        self,
        volume: Volume,
        labels: VolumeLabels,
        layout: PlaneLayout,
        index: int,
        label: int,
        point: tuple[float, float],
        positive: bool = True,
    ) -> bool:
        pixels = self.pixels(volume, layout, index)
        target = SliceTarget(labels, layout, index, label)
        return self.series.click(target, pixels, point, positive)

    def drag_box(
        self,
        volume: Volume,
        labels: VolumeLabels,
        layout: PlaneLayout,
        index: int,
        label: int,
        box: Box,
    ) -> bool:
        pixels = self.pixels(volume, layout, index)
        return self.series.drag_box(SliceTarget(labels, layout, index, label), pixels, box)

    def reset(self) -> None:
        self.series.reset()
        self._key, self._pixels = None, None
