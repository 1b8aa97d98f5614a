"""Corrected volume cases -> a volume data set folder (the `lesionlens synth kidney-ct` layout
that engine.volume.evaluation and training.finetune_volume read):

images/<case>.nii.gz   the CT            masks/<case>.nii.gz   the corrected label map
labels.csv             case,label (the tumour class the reader confirmed; empty when not given)
split.csv              case,split        provenance.json       who corrected what, when

Built in a staging folder and swapped into place (engine.datastore.export.build_folder), so a
reader never sees half an export; files are copied, so nothing done to an export reaches back
into the datastore.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.atomic import write_csv_atomic, write_json_atomic
from engine.datastore.errors import DatastoreError
from engine.datastore.export import build_folder, check_pinned, check_unchanged
from engine.datastore.records import CORRECTED
from engine.datastore.volumes.records import VolumeRecord

if TYPE_CHECKING:
    from engine.datastore.volumes import VolumeStore


def export_volumes(
    store: VolumeStore,
    out_dir: str | Path,
    split: str | None = "train",
    pins: Mapping[str, str] | None = None,
) -> Path:
    if pins is not None:
        records = [_pinned(store, case_id, stamp, split) for case_id, stamp in pins.items()]
    else:
        records = [r for r in store.cases(status=CORRECTED) if split is None or r.split == split]
    if not records:
        which = "any split" if split is None else f"split {split!r}"
        raise DatastoreError(f"{store.root}: no corrected volume cases in {which} to export")

    def fill(staging: Path) -> None:
        provenance: dict[str, Any] = {}
        for record in records:
            final = record.final
            assert final is not None
            check_unchanged(final.path, final.sha256)
            _copy(record.image, staging / "images" / f"{record.case_id}.nii.gz")
            _copy(final.path, staging / "masks" / f"{record.case_id}.nii.gz")
            provenance[record.case_id] = {
                "label_updated": final.updated,
                "revision": final.revision,
                "sha256": final.sha256,
                "author": final.author,
                "label_names": list(final.label_names),
                "volumes_ml": final.volumes_ml,
                "original_model_id": record.original.model_id if record.original else None,
                "correction_dice": final.correction_dice or None,
                "assistance": final.assistance or None,
            }
        labels = [(r.case_id, (r.final.label if r.final else None) or "") for r in records]
        write_csv_atomic(staging / "labels.csv", ("case", "label"), labels)
        splits = [(r.case_id, r.split) for r in records]
        write_csv_atomic(staging / "split.csv", ("case", "split"), splits)
        write_json_atomic(
            staging / "provenance.json",
            {
                "datastore": str(store.root),
                "kind": "volume",
                "exported": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "cases": provenance,
            },
        )

    return build_folder(out_dir, fill)


def _pinned(store: VolumeStore, case_id: str, stamp: str, split: str | None) -> VolumeRecord:
    return check_pinned(
        store.case(case_id),
        stamp,
        split,
        f"volume case {case_id!r}",
        "no corrected labels",
        "the labels changed since they were pinned",
    )


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
