"""The Smart Click tool's model: clicks on the open image -> an ordinary, editable mask.

Qt-free. The interactive bundle (engine.interactive, onnxruntime) is loaded the first time
the tool is used, and the image is encoded the first time it is clicked (a few tens of ms on
two cores, measured by bench/interactive.py, so on the GUI thread: a worker would cost more
than it saves). Each click runs the light decoder with every click of the current series and
the previous mask, and writes the result into the MaskEditor as one undo step.

A series is the clicks on one object: it starts with the mask as it is (other lesions stay;
the lesion under the first click, if any, is re-outlined) and ends when the mask changes by
anything else (a brush stroke, a new image). Undo and redo of a click step back and forth
in the series, so the next click continues from what is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from desktop.models.editing.mask_editor import MaskEditor
from desktop.models.editing.mask_ops import component_at
from engine.interactive import Click, EncodedImage, InteractiveModel

EDIT_NAME = "Smart click"


@dataclass
class _Step:
    clicks: tuple[Click, ...]
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

    def click(self, editor: MaskEditor, pixels: np.ndarray, point, positive: bool = True) -> bool:  # noqa: ANN001
        """Add a click at (row, col); True when the mask changed (one undo step)."""
        encoded = self.encoded(pixels)
        self._follow(editor)
        if self._base is None:  # a new series
            self._before = editor.mask.copy()
            base = editor.mask.copy()
            under = component_at(base, point) if positive else None
            if under is not None:
                base[under] = 0  # the reader re-outlines the lesion clicked on
            self._base = base
        clicks = (*self.clicks, Click(float(point[0]), float(point[1]), positive))
        previous = self._steps[-1].object_mask if self._steps else None
        result = encoded.segment(clicks, previous=previous)
        shown = (self._base | result.mask).astype(np.uint8)
        changed = editor.apply_mask(shown, EDIT_NAME, assisted_by=self.model.model_id)
        self._steps.append(_Step(clicks, result.mask, editor.mask.copy()))
        return changed

    def _follow(self, editor: MaskEditor) -> None:
        """Where the series stands after undo/redo, or a new series after another edit."""
        for k in range(len(self._steps), 0, -1):
            if np.array_equal(editor.mask, self._steps[k - 1].shown):
                del self._steps[k:]
                return
        self._steps = []
        if self._before is None or not np.array_equal(editor.mask, self._before):
            self._base = self._before = None  # changed by something else: a new series
