"""The reader's corrections of a study's views: one MaskEditor per 2D view, one undo history
across the views, and each corrected view's findings. Qt-free.

A study's views had no correction before Smart Click came to them: the model's outline (on
the views it segments) was all there was. Each 2D view now has a MaskEditor that starts from
the model's mask of that view (empty on a view the model does not segment, such as a bone
scan's); what the reader draws there becomes the view's findings in the study's analysis,
so the outline on screen, the findings panel and the study export (PDF, JSON, CSV) follow.
Lesions with no pixel in the model's mask are drawn_by_reader, and the interactive models
that helped are kept (assisted_by) for the export's provenance, as on single images.

Undo and redo go across the views in the order the edits were made (Ctrl+Z takes back the
last click wherever it was).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from desktop.models.editing.mask_editor import MaskEditor
from engine.analysis import findings_from
from engine.types import Finding, Image, Prediction, StudyAnalysis

ASSISTED_METHOD = "reader-drawn with AI assistance"


class ViewTarget:
    """One view's editor as the Smart Click target; its edits join the study's history."""

    def __init__(self, corrections: StudyCorrections, view: str) -> None:
        self.corrections, self.view = corrections, view

    @property
    def mask(self) -> np.ndarray:
        return self.corrections.editors[self.view].mask

    def apply_mask(self, after: np.ndarray, name: str, assisted_by: str | None = None) -> bool:
        return self.corrections.apply(self.view, after, name, assisted_by)


class StudyCorrections:
    """on_changed(view) is called after every edit, undo or redo of a view."""

    def __init__(
        self,
        analysis: StudyAnalysis,
        on_changed: Callable[[str], None],
        min_area_px: int = 20,
        confidence_threshold: float = 0.7,
        stored: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """stored: the reader's saved masks per view (a study reopened from the datastore):
        each view's editor starts from its saved mask, not the model's, and is unmodified."""
        self.analysis = analysis  # the model's analysis (never edited)
        self.on_changed = on_changed
        self.min_area_px, self.confidence_threshold = min_area_px, confidence_threshold
        self.editors: dict[str, MaskEditor] = {}
        label = analysis.prediction.label
        classes = tuple(analysis.prediction.probabilities)
        for name, view in analysis.study.views.items():
            if not isinstance(view, Image):
                continue
            ai = analysis.prediction.masks.get(name)
            original = np.zeros((view.height, view.width), np.uint8) if ai is None else ai
            saved = (stored or {}).get(name)
            if saved is not None and saved.shape != original.shape:
                saved = None  # not this view's pixels: the model's mask, as for a new study
            self.editors[name] = MaskEditor(original, label, classes, mask=saved)
        self._undo: list[str] = []
        self._redo: list[str] = []

    def target(self, view: str) -> ViewTarget:
        if view not in self.editors:
            raise KeyError(f"{view!r} is not a 2D view of the study")
        return ViewTarget(self, view)

    # -- edits --------------------------------------------------------------------------------

    def apply(self, view: str, after: np.ndarray, name: str, assisted_by: str | None) -> bool:
        changed = self.editors[view].apply_mask(after, name, assisted_by=assisted_by)
        if changed:
            self._undo.append(view)
            self._redo.clear()
            self.on_changed(view)
        return changed

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_name(self) -> str:
        return f"{self.editors[self._undo[-1]].undo_name} on {self._undo[-1]}" if self._undo else ""

    def undo(self) -> bool:
        if not self._undo:
            return False
        view = self._undo.pop()
        self.editors[view].undo()
        self._redo.append(view)
        self.on_changed(view)
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        view = self._redo.pop()
        self.editors[view].redo()
        self._undo.append(view)
        self.on_changed(view)
        return True

    # -- results ------------------------------------------------------------------------------

    @property
    def modified(self) -> bool:
        return any(e.modified for e in self.editors.values())

    def mark_saved(self) -> None:
        """What every view shows now is what the datastore holds."""
        for editor in self.editors.values():
            editor.mark_saved()

    def masks(self) -> dict[str, np.ndarray]:
        """Every 2D view's mask as the reader leaves it (what a save stores)."""
        return {view: editor.mask.copy() for view, editor in self.editors.items()}

    def ai_masks(self) -> dict[str, np.ndarray]:
        """Every 2D view's mask as the model first showed it (empty where it segments none)."""
        return {view: np.array(editor.original) for view, editor in self.editors.items()}

    def edited(self, view: str) -> bool:
        editor = self.editors[view]
        return not np.array_equal(editor.mask, editor.original)

    def findings(self, view: str) -> tuple[Finding, ...]:
        """The view's lesions from its corrected mask, with the case's class (the classifier
        is case-level, so a correction does not change it)."""
        image = self.analysis.study.views[view]
        assert isinstance(image, Image)
        editor, prediction = self.editors[view], self.analysis.prediction
        view_prediction = Prediction(
            mask=editor.mask,
            probabilities=prediction.probabilities,
            uncertainty=np.zeros(editor.mask.shape, dtype=np.float32),
            model_id=prediction.model_id,
            probability_spread=prediction.probability_spread,
        )
        return findings_from(
            image,
            view_prediction,
            self.min_area_px,
            corrected=True,
            confidence_threshold=self.confidence_threshold,
            ai_mask=editor.original,
        )

    def corrected_analysis(self) -> StudyAnalysis:
        """The model's analysis with the findings of every edited view replaced."""
        findings = dict(self.analysis.findings)
        for view in self.editors:
            if self.edited(view):
                findings[view] = self.findings(view)
        return StudyAnalysis(self.analysis.study, self.analysis.prediction, findings)

    @property
    def assisted_by(self) -> tuple[str, ...]:
        return tuple(sorted(set().union(*(e.assisted_by for e in self.editors.values()))))

    def assistance(self) -> dict | None:
        """Provenance for the export: which interactive models helped draw the masks."""
        models = self.assisted_by
        return {"method": ASSISTED_METHOD, "model_ids": list(models)} if models else None
