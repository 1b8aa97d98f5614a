"""The open CT's labels as a datastore volume case (engine.datastore.volumes). Qt-free.

Saving a volume's labels writes the NIfTI beside the CT (desktop.models.volume.label_files,
as always: other viewers read it, and reopening the CT brings it back) and then this: the CT
is imported once (found again by engine.datastore.volumes.VolumeStore.case_id_for), the
model's labels as first shown go to labels/original once, and the reader's labels to
labels/final with their provenance, so CT corrections reach fine-tuning as 2D ones do.
"""

from __future__ import annotations

from typing import Any

from desktop.models.volume.labels import VolumeLabels
from desktop.models.volume.session import VolumeSession
from engine.datastore import Datastore
from engine.datastore.volumes import VolumeStore
from engine.datastore.volumes.records import VolumeRecord

ASSISTED = "reader-drawn with AI assistance"  # the 2D corrections' wording


def assistance_of(labels: VolumeLabels) -> dict[str, Any] | None:
    """Provenance of Smart Click on a plane: which interactive models drew outlines."""
    if not labels.assisted_by:
        return None
    return {"method": ASSISTED, "model_ids": sorted(labels.assisted_by)}


def store_session(store: Datastore, session: VolumeSession, author: str) -> VolumeRecord:
    """The session's CT, AI labels (once) and the reader's labels as a volume case.
    Raises DatastoreError / LoadError naming the file and the reason; nothing is half-stored
    (each step is atomic, and a step already done is not repeated)."""
    if session.path is None or session.labels is None or session.volume is None:
        raise ValueError("store_session needs an open volume with a file and labels")
    volumes = VolumeStore(store)
    case_id = volumes.case_id_for(session.path)
    if case_id is None:
        case_id = volumes.add_volume(session.path)
    prediction = session.prediction
    if prediction is not None and volumes.case(case_id).original is None:
        volumes.save_original(
            case_id,
            prediction.labels,
            prediction.model_id,
            prediction.label_names or session.label_names,
            prediction.probabilities,
        )
    labels = session.labels
    return volumes.save_correction(
        case_id, labels.labels, author, labels.label_names, assistance=assistance_of(labels)
    )
