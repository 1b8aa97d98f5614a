"""What the datastore index says about one case, as frozen dataclasses.

The index (datastore.json) stores these as plain JSON; paths in it are relative to the data
root so a data root can be moved or backed up as one folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NEW, PREDICTED, CORRECTED = "new", "predicted", "corrected"
STATUSES = (NEW, PREDICTED, CORRECTED)
# An index entry that is not a 2D image case says what it is under "kind" ("volume":
# engine.datastore.volumes); an entry without it is an image case, as every entry once was.
KIND_KEY = "kind"


def entry_kind(raw: dict[str, Any]) -> str | None:
    """The "kind" of an index entry; None for a 2D image case."""
    return raw.get(KIND_KEY)


@dataclass(frozen=True)
class AiLabel:
    """The model's mask as first shown to the clinician (labels/original, written once)."""

    path: Path
    model_id: str
    probabilities: dict[str, float]
    created: str
    usefulness: float | None = None  # active-learning score of this model on this case
    extra: dict[str, Any] = field(default_factory=dict)  # its parts: spread, entropy, no_lesion

    @property
    def label(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)


@dataclass(frozen=True)
class ClinicianLabel:
    """The corrected mask and confirmed class (labels/final): the training target."""

    path: Path
    label: str
    author: str
    updated: str  # ISO time; fine-tuning requests pin it
    revision: int
    sha256: str  # of the PNG bytes, so a pinned label can be checked before training
    correction_dice: float | None  # Dice(original, final): 1.0 = accepted unchanged
    # The reader's descriptor decisions ("1" -> {"shape": {"value": "irregular"}, ...}).
    descriptor_choices: dict[str, Any] = field(default_factory=dict)
    # How a model helped draw the mask (Smart Click: reader-drawn with AI assistance); empty
    # when the reader drew or corrected it by hand.
    assistance: dict[str, Any] = field(default_factory=dict)


class Reviewed:
    """What every stored case says of its review, whatever its kind (an image, a study, a
    volume): new, predicted (the AI's result stored) or corrected (the reader's), and whether
    it is held out. Its records carry `original`, `final` and `split`."""

    original: Any
    final: Any
    split: str

    @property
    def status(self) -> str:
        if self.final is not None:
            return CORRECTED
        return PREDICTED if self.original is not None else NEW

    @property
    def heldout(self) -> bool:
        return self.split == "val"


@dataclass(frozen=True)
class CaseRecord(Reviewed):
    case_id: str
    views: dict[str, Path]  # view name -> image file (absolute)
    shape: tuple[int, int]  # rows, cols of the first view: every mask must match it
    split: str  # "train" or "val" (held out, never trained on)
    added: str
    source: str  # the file name it was imported from
    original: AiLabel | None = None
    final: ClinicianLabel | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def image(self) -> Path:
        """The first (primary) view; masks refer to it."""
        return next(iter(self.views.values()))


def record_from_json(root: Path, case_id: str, raw: dict[str, Any]) -> CaseRecord:
    original = raw.get("original")
    final = raw.get("final")
    return CaseRecord(
        case_id=case_id,
        views={name: root / rel for name, rel in raw["views"].items()},
        shape=(int(raw["shape"][0]), int(raw["shape"][1])),
        split=str(raw["split"]),
        added=str(raw["added"]),
        source=str(raw.get("source", "")),
        original=None
        if original is None
        else AiLabel(
            path=root / original["path"],
            model_id=str(original["model_id"]),
            probabilities={k: float(v) for k, v in original["probabilities"].items()},
            created=str(original["created"]),
            usefulness=original.get("usefulness"),
            extra={k: original.get(k) for k in ("spread", "entropy", "no_lesion")},
        ),
        final=None
        if final is None
        else ClinicianLabel(
            path=root / final["path"],
            label=str(final["label"]),
            author=str(final["author"]),
            updated=str(final["updated"]),
            revision=int(final["revision"]),
            sha256=str(final["sha256"]),
            correction_dice=final.get("correction_dice"),
            descriptor_choices=dict(final.get("descriptor_choices") or {}),
            assistance=dict(final.get("assistance") or {}),
        ),
        extra={k: v for k, v in raw.items() if k not in _KNOWN},
    )


_KNOWN = {"views", "shape", "split", "added", "source", "original", "final", "pending_final"}
