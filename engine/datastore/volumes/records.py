"""What the datastore index says about one CT/MR volume case, as frozen dataclasses.

A volume entry carries "kind": "volume" (engine.datastore.records.KIND_KEY), so the 2D paths
(Datastore.cases, export_training_set, the 2D selection and fine-tune) never read it as an
image case. Its label maps are NIfTI on the CT's own grid; the grid is kept in the index so
a label map can be checked and written without reading the CT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.datastore.records import Reviewed
from engine.types import Volume

VOLUME_KIND = "volume"


@dataclass(frozen=True)
class VolumeGrid:
    """Shape (z, y, x), voxel size (mm) and position of the CT every label map must match."""

    shape: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]
    orientation: tuple[float, float, float, float, float, float]
    origin: tuple[float, float, float]

    @classmethod
    def of(cls, volume: Volume) -> VolumeGrid:
        return cls(
            shape=tuple(int(n) for n in volume.voxels.shape),  # type: ignore[arg-type]
            spacing_mm=tuple(float(v) for v in volume.spacing_mm),  # type: ignore[arg-type]
            orientation=tuple(float(v) for v in volume.orientation),  # type: ignore[arg-type]
            origin=tuple(float(v) for v in volume.origin),  # type: ignore[arg-type]
        )

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> VolumeGrid:
        return cls(
            shape=tuple(int(n) for n in raw["shape"]),  # type: ignore[arg-type]
            spacing_mm=tuple(float(v) for v in raw["spacing_mm"]),  # type: ignore[arg-type]
            orientation=tuple(float(v) for v in raw["orientation"]),  # type: ignore[arg-type]
            origin=tuple(float(v) for v in raw["origin"]),  # type: ignore[arg-type]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "shape": list(self.shape),
            "spacing_mm": list(self.spacing_mm),
            "orientation": list(self.orientation),
            "origin": list(self.origin),
        }

    def empty_volume(self) -> Volume:
        """A Volume of this grid with no voxel values: enough to write a label map on it."""
        return Volume(
            voxels=np.zeros(self.shape, dtype=np.uint8),
            spacing_mm=self.spacing_mm,
            orientation=self.orientation,
            origin=self.origin,
        )


@dataclass(frozen=True)
class VolumeAiLabel:
    """The volume model's label map as first shown (labels/original, written once)."""

    path: Path
    model_id: str
    created: str
    label_names: tuple[str, ...]
    volumes_ml: dict[str, float]
    probabilities: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeCorrection:
    """The reader's corrected label map (labels/final): the training target. Provenance as
    ClinicianLabel's: author, time, revision, sha256 of the NIfTI bytes (checked before
    training), plus the label volumes in mL and, per label, Dice(original, final)."""

    path: Path
    author: str
    updated: str  # ISO time; fine-tuning requests pin it
    revision: int
    sha256: str
    label_names: tuple[str, ...]
    volumes_ml: dict[str, float]
    label: str | None = None  # the tumour class the reader confirmed, when given
    correction_dice: dict[str, float | None] = field(default_factory=dict)
    # How a model helped (Smart Click on a plane); empty when drawn by hand.
    assistance: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeRecord(Reviewed):
    case_id: str
    image: Path  # the CT as NIfTI inside the data root
    grid: VolumeGrid
    split: str  # "train" or "val" (held out, never trained on)
    added: str
    source: str  # the file or folder name it was imported from
    source_path: str  # where it was imported from (a DICOM series folder is found by it)
    original: VolumeAiLabel | None = None
    final: VolumeCorrection | None = None


def volume_record_from_json(root: Path, case_id: str, raw: dict[str, Any]) -> VolumeRecord:
    original, final = raw.get("original"), raw.get("final")
    return VolumeRecord(
        case_id=case_id,
        image=root / raw["image"],
        grid=VolumeGrid.from_json(raw["grid"]),
        split=str(raw["split"]),
        added=str(raw["added"]),
        source=str(raw.get("source", "")),
        source_path=str(raw.get("source_path", "")),
        original=None
        if original is None
        else VolumeAiLabel(
            path=root / original["path"],
            model_id=str(original["model_id"]),
            created=str(original["created"]),
            label_names=tuple(original["label_names"]),
            volumes_ml={k: float(v) for k, v in original["volumes_ml"].items()},
            probabilities={k: float(v) for k, v in (original.get("probabilities") or {}).items()},
        ),
        final=None
        if final is None
        else VolumeCorrection(
            path=root / final["path"],
            author=str(final["author"]),
            updated=str(final["updated"]),
            revision=int(final["revision"]),
            sha256=str(final["sha256"]),
            label_names=tuple(final["label_names"]),
            volumes_ml={k: float(v) for k, v in final["volumes_ml"].items()},
            label=final.get("label"),
            correction_dice=dict(final.get("correction_dice") or {}),
            assistance=dict(final.get("assistance") or {}),
        ),
    )
