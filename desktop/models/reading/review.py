"""What a review is made of, as plain data: the correction to store, and one read back.

Qt-free and storage-free: CaseState produces a ReviewToSave,
desktop.models.reading.review_store writes it (engine.datastore) and hands back a SavedReview
when the case is opened again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop.models.editing.caliper import CaseMeasurements
from engine.types import Prediction

NEW, AI_DONE, CORRECTED, REVIEWED = "new", "AI done", "corrected", "reviewed"
STATUSES = (NEW, AI_DONE, CORRECTED, REVIEWED)


@dataclass(frozen=True)
class ReviewToSave:
    """The corrected mask and the confirmed class of the case on screen."""

    path: Path  # the file the case was opened from
    kind: str  # desktop.models.image.series: "image", "cine" or "volume"
    frame_index: int
    ai_prediction: Prediction  # the model's output as first shown: labels/original
    mask: np.ndarray  # H×W uint8 0/1: labels/final
    label: str
    author: str = ""
    # The reader's descriptor decisions (desktop.models.image.state.DescriptorChoices), stored
    # with the correction so a reopened case shows them again.
    descriptor_choices: dict = field(default_factory=dict)
    measurements: CaseMeasurements | None = None  # calibration and calipers, stored with it
    # Interactive models (Smart Click) whose outlines are in the mask: provenance
    # "reader-drawn with AI assistance".
    assisted_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class SavedReview:
    """A stored correction: shown instead of the AI mask when the case is opened again."""

    case_id: str
    mask: np.ndarray
    label: str
    author: str
    updated: str  # ISO time
    status: str  # CORRECTED or REVIEWED
    heldout: bool = False  # the case is in the datastore's fixed held-out split
    descriptor_choices: dict = field(default_factory=dict)

    def summary(self) -> str:
        return f"{self.status} by {self.author}, {self.updated[:16].replace('T', ' ')} UTC"


def review_status_text(modified: bool, differs_from_ai: bool, saved: SavedReview | None) -> str:
    """One line under the class selector: is what is on screen stored, and how."""
    if modified:
        return "Unsaved changes" + (" - mask corrected" if differs_from_ai else "")
    if saved is not None:
        return f"Saved: {saved.summary()}"
    return "AI result, not reviewed yet"
