"""Which single-image model should read this image? A proposal, with its reasons.

With more than one 2D ultrasound model (lymph node, breast) the reader picks the model per
case or folder; when they have not, this proposes one: a DICOM tag naming the body part a
model was made for decides (BodyPartExamined, StudyDescription, SeriesDescription); else the
model whose scope score (engine.scope: distance of the image's features to its training
images) is lowest, preferring models the image is in scope for. Every candidate is run once
without test-time augmentation, so a proposal costs a few milliseconds per model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.inference import LoadedModel
from engine.scope import DESCRIPTION_TAGS
from engine.types import Image


@dataclass(frozen=True)
class Proposal:
    model: LoadedModel
    reason: str
    scores: dict[str, float | None]  # model id -> scope score (None: no scope model)

    @property
    def bundle_dir(self) -> Path:
        return self.model.bundle.directory


def tag_match(image: Image, model: LoadedModel) -> str | None:
    """The tag that names a body part this model was made for, as "Tag 'value'"."""
    parts = model.scope_model.body_parts if model.scope_model is not None else ()
    for tag in DESCRIPTION_TAGS:
        value = str(image.metadata.get(tag, "") or "").strip()
        if value and any(part in value.upper() for part in parts):
            return f"{tag} '{value}'"
    return None


def propose_model(
    image: Image, candidates: Sequence[LoadedModel], current: LoadedModel | None = None
) -> Proposal:
    """The model for this image among the candidates (at least one). `current`, the model
    the reader has on screen, stays when the image is in its scope and no tag names another
    model: a proposal should not swap models under the reader (nor undo a batch run with
    that model) merely because another one scores a little lower."""
    if not candidates:
        raise ValueError("propose_model needs at least one candidate model")
    scored: list[tuple[bool, float, LoadedModel]] = []
    scores: dict[str, float | None] = {}
    for model in candidates:
        if (tag := tag_match(image, model)) is not None:
            scores[model.spec.model_id] = None
            return Proposal(model, f"{tag} names what {model.spec.model_id} was made for", scores)
    here = current.bundle.directory.resolve() if current is not None else None
    if current is not None and any(c.bundle.directory.resolve() == here for c in candidates):
        scope = current.assess_scope(image, current.predict(image, tta=False))
        scores[current.spec.model_id] = scope.score
        if scope.in_scope and scope.score is not None:
            reason = f"in scope for the current model {current.spec.model_id} ({scope.score:.2f})"
            return Proposal(current, reason, scores)
    for model in candidates:
        scope = model.assess_scope(image, model.predict(image, tta=False))
        scores[model.spec.model_id] = scope.score
        score = scope.score if scope.score is not None else float("inf")
        scored.append((not scope.in_scope, score, model))
    out_of_scope, score, best = min(scored, key=lambda t: (t[0], t[1]))
    if score == float("inf"):
        return Proposal(best, "no model has a scope score; the first one", scores)
    verdict = "none is in scope; the closest" if out_of_scope else "the lowest scope score"
    return Proposal(best, f"{verdict}: {best.spec.model_id} at {score:.2f}", scores)
