"""Is this image one the model was made for? A scope score per bundle, with its reasons.

A segmentation network outputs a mask and a class for any picture, a CT slice or a holiday
photo included; the numbers mean nothing there. So every image-task bundle can carry
`scope.json`: the mean and the (shrunk) inverse covariance of the image features its encoder
produced on its own training images. The scope score of a new image is the Mahalanobis
distance of its features to that distribution, per feature dimension, divided by the
threshold the trainer calibrated on held-out in-scope images (model.json "scope":
{"threshold": t}, e.g. the 99th percentile of held-out distances). Below 1 the image looks
like what the model was trained on; above 1 it does not, and the finding is withheld with the
reason, unless the reader asks for the model anyway.

Tags and layout are hints beside the score, where the bundle declares what it was made for
(model.json "scope": {"body_parts": [...], "probe": "linear"}): a DICOM BodyPartExamined or a
study/series description naming another body part, or a sector-shaped (curvilinear or
phased-array) image for a linear-probe model, puts the image out of scope with that reason
whatever the features say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import BundleError
from engine.types import Scope

SCOPE_FILE = "scope.json"
# Words in StudyDescription / SeriesDescription / BodyPartExamined that name an examination
# no breast or lymph-node model was made for (matched as whole words, upper case).
OTHER_EXAMS = (
    "ABDOMEN",
    "ABD",
    "CARDIAC",
    "HEART",
    "ECHO",
    "ECHOCARDIOGRAM",
    "TTE",
    "TEE",
    "OB",
    "OBSTETRIC",
    "OBSTETRICS",
    "FETAL",
    "FETUS",
    "PELVIS",
    "PELVIC",
    "UTERUS",
    "OVARY",
    "CAROTID",
    "LIVER",
    "KIDNEY",
    "RENAL",
    "BLADDER",
    "PROSTATE",
    "TESTIS",
    "SCROTUM",
    "VASCULAR",
    "VEIN",
    "ARTERY",
    "HEAD",
    "BRAIN",
    "CHEST",
    "LUNG",
    "KNEE",
    "SHOULDER",
)
DESCRIPTION_TAGS = ("BodyPartExamined", "StudyDescription", "SeriesDescription")


@dataclass(frozen=True)
class ScopeModel:
    """The training distribution of a bundle's image features (scope.json) and its limits."""

    mean: np.ndarray  # (F,)
    precision: np.ndarray  # (F, F), inverse of the shrunk covariance
    threshold: float  # distance at which an image stops being in scope
    body_parts: tuple[str, ...] = ()  # e.g. ("BREAST",); empty: no tag hint
    probe: str | None = None  # "linear": sector-shaped images are out of scope
    description: str = ""  # what "in scope" means, for messages ("breast ultrasound")

    def distance(self, features: np.ndarray) -> float:
        """Mahalanobis distance per feature dimension (about 1 for a typical training image)."""
        d = np.asarray(features, dtype=np.float64).ravel() - self.mean
        return float(np.sqrt(max(float(d @ self.precision @ d), 0.0) / len(self.mean)))


IN_SCOPE_UNCHECKED = Scope(score=None, in_scope=True)


def read_scope_model(directory: Path, spec_scope: dict[str, Any] | None) -> ScopeModel | None:
    """The bundle's scope model, or None when model.json declares none."""
    if not spec_scope:
        return None
    path = directory / str(spec_scope.get("file", SCOPE_FILE))
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        mean = np.asarray(raw["mean"], dtype=np.float64)
        precision = np.asarray(raw["precision"], dtype=np.float64)
        threshold = float(spec_scope["threshold"])
    except FileNotFoundError as exc:
        raise BundleError(directory, f"{path.name} is missing (model.json names it)") from exc
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BundleError(directory, f"{path.name} or model.json scope is invalid ({exc})") from exc
    if precision.shape != (len(mean), len(mean)) or not threshold > 0:
        raise BundleError(directory, f"{path.name}: mean/precision shapes or threshold invalid")
    return ScopeModel(
        mean=mean,
        precision=precision,
        threshold=threshold,
        body_parts=tuple(str(b).upper() for b in spec_scope.get("body_parts", ())),
        probe=spec_scope.get("probe"),
        description=str(spec_scope.get("description", "")),
    )


def tag_reasons(metadata: dict[str, Any], model: ScopeModel) -> list[str]:
    """Why the DICOM tags say this image is another examination (empty: no objection)."""
    reasons = []
    body = str(metadata.get("BodyPartExamined", "") or "").strip().upper()
    if body and model.body_parts and not any(part in body for part in model.body_parts):
        reasons.append(
            f"BodyPartExamined is {body}, this model was made for {'/'.join(model.body_parts)}"
        )
    for tag in DESCRIPTION_TAGS[1:]:
        text = str(metadata.get(tag, "") or "").upper()
        words = set("".join(ch if ch.isalnum() else " " for ch in text).split())
        if model.body_parts and any(part in text for part in model.body_parts):
            continue
        named = sorted(words & set(OTHER_EXAMS))
        if named:
            reasons.append(f"{tag} '{text.strip()}' names another examination ({named[0]})")
    return reasons


def layout_reasons(panel_shapes: tuple[str, ...], model: ScopeModel) -> list[str]:
    """A linear-probe model on a sector-shaped image (curvilinear or phased-array probe)."""
    if model.probe == "linear" and "sector" in panel_shapes:
        return [
            "the image is sector-shaped (curvilinear or phased-array probe); this model was "
            "trained on linear-probe images"
        ]
    return []


def assess_scope(
    model: ScopeModel | None,
    features: np.ndarray | None,
    metadata: dict[str, Any],
    panel_shapes: tuple[str, ...] = (),
) -> Scope:
    """Score the features and read the hints; any reason puts the image out of scope."""
    if model is None or features is None:
        return IN_SCOPE_UNCHECKED
    score = model.distance(features) / model.threshold
    reasons = tag_reasons(metadata, model) + layout_reasons(panel_shapes, model)
    if score >= 1.0:
        what = model.description or "the images this model was trained on"
        reasons.insert(0, f"the image looks unlike {what} (scope score {score:.2f}, limit 1.00)")
    return Scope(score=score, in_scope=not reasons, reasons=tuple(reasons))
