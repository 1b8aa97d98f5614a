"""Model ▸ Lesion Detection: the lesion-present operating point the reader reads with.

A model with a presence output ships named thresholds (model.json
"presence_operating_points": sensitive, balanced, specific), each with what it did on held-out
images; the submenu lists them with those numbers and "As Shipped". The choice is kept by
name: it applies to every model that has a point of that name (the model picker may load
another model for the next case) and falls back to the model's own threshold otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from engine.inference import LoadedModel

AS_SHIPPED = ""


class DetectionMenu:
    def __init__(self, menu: QMenu, use_model: Callable[[LoadedModel], None]) -> None:
        self.menu = menu.addMenu("Lesion &Detection")
        self.menu.setToolTipsVisible(True)
        self._use_model = use_model
        self.chosen = AS_SHIPPED
        self._model: LoadedModel | None = None
        self._group = QActionGroup(self.menu)
        self._group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        self.refresh(None)

    def apply(self, model: LoadedModel) -> LoadedModel:
        """`model` at the chosen point when it has one of that name, else as shipped."""
        names = {p.name for p in model.spec.operating_points}
        return model.at_operating_point(self.chosen if self.chosen in names else AS_SHIPPED)

    def choose(self, name: str) -> None:
        """Read with the named point from now on (AS_SHIPPED: the model's own threshold)."""
        self.chosen = name
        if self._model is not None:
            self._use_model(self.apply(self._model))

    def refresh(self, model: LoadedModel | None) -> None:
        """Rebuild the items for the model on screen (the window calls it on model_changed)."""
        self._model = model
        for action in self._group.actions():
            self._group.removeAction(action)
        self.menu.clear()
        self.actions = {}
        points = model.spec.operating_points if model is not None else ()
        if not points:
            empty = self.menu.addAction("This model has one threshold")
            empty.setEnabled(False)
            return
        current = model.spec.operating_point
        shipped = model.spec.shipped_presence_threshold
        items = [(AS_SHIPPED, f"As Shipped (threshold {shipped:.0%})", "")]
        items += [
            (p.name, f"{p.describe().capitalize()}, threshold {p.threshold:.0%}", p.note)
            for p in points
        ]
        for name, text, note in items:
            action = self.menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(name == current)
            action.setToolTip(note or "the threshold the model was calibrated with")
            action.triggered.connect(lambda _checked=False, n=name: self.choose(n))
            self._group.addAction(action)
            self.actions[name] = action
