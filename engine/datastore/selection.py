"""A pinned selection of labelled cases, as a fine-tuning request names it.

Two shapes, both plain JSON so they travel in request files:
  {"folder": DIR, "split": "train"|"val"|null}            rows of a canonical folder
      (+ "split_file": F when the split is kept outside DIR, engine.datastore.heldout)
  {"datastore": ROOT, "split": "train"|"val", "cases": {case id: label time}}
      (+ "kind": "volume" for CT volume cases: a volume data set folder,
      engine.datastore.volumes; "kind": "study" for confirmed multi-view studies: a
      views.csv folder, engine.datastore.studies)
materialise() turns any of them into a canonical folder holding exactly those cases (a 2D
selection never holds a case of another kind).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.datastore.errors import DatastoreError


def materialise(selection: dict[str, Any], out_dir: str | Path) -> Path:
    """The selection as a canonical folder: the folder itself when it is used whole, else a
    copy of exactly the selected cases in out_dir."""
    from engine.datastore.export import subset_folder

    if not isinstance(selection, dict):
        raise DatastoreError(f"a data selection must be an object, not {selection!r}")
    if "folder" in selection:
        folder = Path(selection["folder"])
        if not (folder / "labels.csv").is_file():
            raise DatastoreError(f"{folder}: not a canonical data set folder (no labels.csv)")
        split = selection.get("split")
        if split is None:
            return folder
        return subset_folder(folder, out_dir, str(split), selection.get("split_file"))
    if "datastore" in selection:
        from engine.datastore.store import Datastore

        cases = selection.get("cases")
        if not isinstance(cases, dict) or not cases:
            raise DatastoreError("a datastore selection needs 'cases': {case id: label time}")
        store = Datastore(selection["datastore"])
        if selection.get("kind") == "volume":
            from engine.datastore.volumes import VolumeStore

            volumes = VolumeStore(store)
            return volumes.export_training_set(out_dir, selection.get("split"), pins=cases)
        if selection.get("kind") == "study":
            from engine.datastore.studies import StudyStore

            studies = StudyStore(store)
            return studies.export_training_set(out_dir, split=selection.get("split"), pins=cases)
        if selection.get("kind") is not None:
            raise DatastoreError(f"a datastore selection of unknown kind {selection['kind']!r}")
        return store.export_training_set(out_dir, split=selection.get("split"), pins=cases)
    raise DatastoreError(f"a data selection needs 'folder' or 'datastore', got {sorted(selection)}")


def pin_cases(store: Any, split: str) -> dict[str, Any]:
    """A datastore selection of every corrected case of a split, pinned to its label time."""
    from engine.datastore.records import CORRECTED

    cases = {
        r.case_id: r.final.updated
        for r in store.cases(status=CORRECTED, split=split)
        if r.final is not None
    }
    return {"datastore": str(store.root), "split": split, "cases": cases}
