"""The Smart Click tool's model: clicks on the open image -> an ordinary, editable mask.

Qt-free. The interactive bundle (engine.interactive, onnxruntime) is loaded the first time
the tool is used, and the image is encoded the first time it is clicked (a few tens of ms on
two cores, measured by bench/interactive.py, so on the GUI thread: a worker would cost more
than it saves). Each click runs the light decoder with every click of the current series and
the previous mask, and writes the result into the MaskEditor as one undo step.

A series is the clicks (and at most one box) on one object: it starts with the mask as it
is (other lesions stay; the lesion under the first click, or the ones mostly inside the first
box, are re-outlined) and ends when the mask changes by anything else (a brush stroke, a new
image). A box drawn later in the series replaces the earlier box and keeps the clicks; the
clicks after it keep the box. Undo and redo of a click or box step back and forth in the
series, so the next prompt continues from what is shown.

The target is anything with a `mask` (the object's 0/1 mask as shown) and
`apply_mask(mask, name, assisted_by=...)` (one undo step): the MaskEditor of a single image
or a study view, or one slice of a CT label volume (desktop.models.volume.smart_click).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import numpy as np
from scipy import ndimage

from desktop.models.editing.mask_ops import component_at
from engine.interactive import Box, Click, EncodedImage, InteractiveModel

EDIT_NAME = "Smart click"
BOX_EDIT_NAME = "Smart box"
INSIDE_SHARE = 0.5  # a lesion with at least this share of its pixels in the first box is redrawn


@cache
def shared_interactive_model() -> InteractiveModel:
    """One interactive model for the views of a study and the planes of a volume (loaded on
    the first Smart Click: the session's 2 MB of weights once, not once per view)."""
    return InteractiveModel()


class MaskTarget(Protocol):
    """What the clicks edit: the object's mask as shown, and one undoable replacement."""

    @property
    def mask(self) -> np.ndarray: ...

    def apply_mask(self, after: np.ndarray, name: str, assisted_by: str | None = None) -> bool: ...


def box_pixels(shape: tuple[int, ...], box: Box) -> np.ndarray:
    """The pixels whose centres are inside the box (rows r0..r1, columns c0..c1)."""
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return (rows >= box.r0) & (rows <= box.r1) & (cols >= box.c0) & (cols <= box.c1)


def lesions_inside(mask: np.ndarray, box: Box) -> np.ndarray:
    """The lesions (4-connected) with at least INSIDE_SHARE of their pixels in the box: what a
    box drawn round a lesion re-outlines."""
    labels, count = ndimage.label(mask > 0)
    if count == 0:
        return np.zeros(mask.shape, bool)
    inside = box_pixels(mask.shape, box)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    within = np.bincount(labels[inside].ravel(), minlength=count + 1)
    keep = within >= INSIDE_SHARE * np.maximum(sizes, 1)
    keep[0] = False
    return keep[labels]


@dataclass
class _Step:
    clicks: tuple[Click, ...]
    box: Box | None
    object_mask: np.ndarray  # the model's mask of the object after these clicks
    shown: np.ndarray  # the editor's mask after this click


class SmartClick:
    def __init__(self, load_model: Callable[[], InteractiveModel] = InteractiveModel) -> None:
        self._load_model = load_model
        self._model: InteractiveModel | None = None
        self._encoded: EncodedImage | None = None
        self._pixels: np.ndarray | None = None
        self._before: np.ndarray | None = None  # the editor's mask when the series began
        self._base: np.ndarray | None = None  # ... without the lesion the first click is on
        self._steps: list[_Step] = []

    @property
    def model(self) -> InteractiveModel:
        if self._model is None:
            self._model = self._load_model()
        return self._model

    @property
    def clicks(self) -> tuple[Click, ...]:
        return self._steps[-1].clicks if self._steps else ()

    @property
    def box(self) -> Box | None:
        """The series' box (the last one drawn), or None."""
        return self._steps[-1].box if self._steps else None

    def encoded(self, pixels: np.ndarray) -> EncodedImage:
        """The encoder's output for these pixels, computed once per image."""
        if self._encoded is None or self._pixels is not pixels:
            self._encoded = self.model.encode(pixels)
            self._pixels = pixels
            self._base = self._before = None
            self._steps = []
        return self._encoded

    def reset(self) -> None:
        """A new image or case: forget the encoding and the series."""
        self._encoded = self._pixels = self._base = self._before = None
        self._steps = []

    def click(self, editor: MaskTarget, pixels: np.ndarray, point, positive: bool = True) -> bool:  # noqa: ANN001
        """Add a click at (row, col); True when the mask changed (one undo step)."""
        encoded = self.encoded(pixels)
        self._follow(editor)
        if self._base is None:  # a new series
            under = component_at(editor.mask, point) if positive else None
            self._start(editor, under)  # the reader re-outlines the lesion clicked on
        clicks = (*self.clicks, Click(float(point[0]), float(point[1]), positive))
        return self._prompt(editor, encoded, clicks, self.box, EDIT_NAME)

    def drag_box(self, editor: MaskTarget, pixels: np.ndarray, box: Box) -> bool:
        """A box round the object (it replaces the series' earlier box, the clicks stay);
        True when the mask changed (one undo step)."""
        encoded = self.encoded(pixels)
        self._follow(editor)
        if self._base is None:  # a new series: the lesions mostly inside the box are redrawn
            self._start(editor, lesions_inside(editor.mask, box))
        return self._prompt(editor, encoded, self.clicks, box, BOX_EDIT_NAME)

    def _start(self, editor: MaskTarget, redrawn: np.ndarray | None) -> None:
        self._before = editor.mask.copy()
        base = editor.mask.copy()
        if redrawn is not None:
            base[redrawn] = 0
        self._base = base

    def _prompt(
        self,
        editor: MaskTarget,
        encoded: EncodedImage,
        clicks: tuple[Click, ...],
        box: Box | None,
        name: str,
    ) -> bool:
        previous = self._steps[-1].object_mask if self._steps else None
        result = encoded.segment(clicks, box=box, previous=previous)
        assert self._base is not None
        shown = (self._base | result.mask).astype(np.uint8)
        changed = editor.apply_mask(shown, name, assisted_by=self.model.model_id)
        self._steps.append(_Step(clicks, box, result.mask, editor.mask.copy()))
        return changed

    def _follow(self, editor: MaskTarget) -> None:
        """Where the series stands after undo/redo, or a new series after another edit."""
        for k in range(len(self._steps), 0, -1):
            if np.array_equal(editor.mask, self._steps[k - 1].shown):
                del self._steps[k:]
                return
        self._steps = []
        if self._before is None or not np.array_equal(editor.mask, self._before):
            self._base = self._before = None  # changed by something else: a new series
