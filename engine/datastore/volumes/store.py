"""CT/MR volume cases in the datastore, so CT corrections feed fine-tuning as 2D ones do.

<root>/images/<case>/ct.nii.gz        the CT: a NIfTI copied byte for byte, a DICOM series
                                      (folder or enhanced file) written once as NIfTI on its
                                      own grid
<root>/labels/original/<case>.nii.gz  the volume model's label map as first shown: written once
<root>/labels/final/<case>.nii.gz     the reader's corrected label map: the training target

The same datastore as the 2D cases (engine.datastore.store): the same index, lock, atomic
writes and held-out split fixed when the case enters; the same pending rule for a
correction (announced as "pending_final" before its NIfTI replaces the previous one, so a
kill between the two is repaired when the datastore is next opened). Entries carry
"kind": "volume"; the 2D paths refuse them and volume cases are only read here.

store = VolumeStore(Datastore(root))
case = store.add_volume("ct.nii.gz")                       # split fixed now
store.save_original(case, prediction.labels, prediction.model_id, prediction.label_names)
store.save_correction(case, labels, "dr.a", names)         # labels/final + provenance
store.export_training_set("train_dir", split="train")      # images/, masks/ (NIfTI)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import write_bytes_atomic
from engine.datastore.errors import DatastoreError
from engine.datastore.heldout import split_for
from engine.datastore.index import read_index, write_index
from engine.datastore.masks import file_sha256, sha256_of
from engine.datastore.records import CORRECTED, KIND_KEY, STATUSES, entry_kind
from engine.datastore.store import (
    Datastore,
    _check_name,
    _safe_id,
    _unique_id,
    _why,
    now_iso,
)
from engine.datastore.volumes.records import (
    VOLUME_KIND,
    VolumeGrid,
    VolumeRecord,
    volume_record_from_json,
)
from engine.metrics import dice
from engine.types import Volume

CT_NAME = "ct.nii.gz"
LABELS_SUFFIX = ".nii.gz"


class VolumeStore:
    """The volume cases of one datastore (a Datastore, or its root)."""

    def __init__(self, store: Datastore | str | Path | None = None) -> None:
        self.store = store if isinstance(store, Datastore) else Datastore(store)

    @property
    def root(self) -> Path:
        return self.store.root

    # -- reading -------------------------------------------------------------------------

    def cases(self, status: str | None = None, split: str | None = None) -> list[VolumeRecord]:
        """Volume cases in the order they were added; optionally one status or split."""
        if status is not None and status not in STATUSES:
            raise DatastoreError(f"unknown case status {status!r}; use one of {STATUSES}")
        raw = read_index(self.store.index_path)["cases"]
        records = [
            volume_record_from_json(self.root, cid, entry)
            for cid, entry in raw.items()
            if entry_kind(entry) == VOLUME_KIND
        ]
        records.sort(key=lambda r: (r.added, r.case_id))
        return [
            r
            for r in records
            if (status is None or r.status == status) and (split is None or r.split == split)
        ]

    def case(self, case_id: str) -> VolumeRecord:
        raw = read_index(self.store.index_path)["cases"]
        return volume_record_from_json(self.root, case_id, _volume_entry(self.root, raw, case_id))

    def volume(self, case_id: str) -> Volume:
        from engine.io import read_nifti

        return read_nifti(self.case(case_id).image)

    def original_labels(self, case_id: str) -> np.ndarray | None:
        record = self.case(case_id)
        return None if record.original is None else _read_stored(record.original.path, record)

    def final_labels(self, case_id: str) -> np.ndarray | None:
        record = self.case(case_id)
        return None if record.final is None else _read_stored(record.final.path, record)

    def case_id_for(self, path: str | Path) -> str | None:
        """The stored volume case of a CT on disk: a file inside the datastore, a copy (same
        name, same bytes) of an imported NIfTI, or the DICOM series it was imported from."""
        path = Path(path)
        if not path.exists():
            return None
        records = self.cases()
        resolved = path.resolve()
        images = (self.root / "images").resolve()
        if resolved.is_relative_to(images):
            case_id = resolved.relative_to(images).parts[0]
            return case_id if any(r.case_id == case_id for r in records) else None
        for record in records:
            if record.source_path == str(resolved) and not _is_nifti(path):
                return record.case_id
            if record.source != path.name or not path.is_file() or not record.image.is_file():
                continue
            same_size = record.image.stat().st_size == path.stat().st_size
            if same_size and file_sha256(record.image) == file_sha256(path):
                return record.case_id
        return None

    # -- writing -------------------------------------------------------------------------

    def add_volume(self, path: str | Path, case_id: str | None = None) -> str:
        """Import a CT (NIfTI file, DICOM series folder or enhanced DICOM file) as a new
        volume case; returns its id. The held-out split is fixed here, never changed."""
        from engine.io import load_any

        source = Path(path)
        volume = load_any(source)  # LoadError (file and reason) before anything is written
        if not isinstance(volume, Volume):
            raise DatastoreError(f"{source}: not a CT/MR volume (a 2D image: use add_case)")
        data = source.read_bytes() if _is_nifti(source) else _as_nifti(volume)
        grid = VolumeGrid.of(volume)
        with self.store._editing() as index:
            cases = index["cases"]
            if case_id is None:
                case_id = _unique_id(_safe_id(_stem(source)), cases)
            else:
                _check_name(case_id, "case id")
                if case_id in cases:
                    raise DatastoreError(f"{self.root}: case {case_id!r} is already stored")
            rel = Path("images") / case_id / CT_NAME
            write_bytes_atomic(self.root / rel, data)
            cases[case_id] = {
                KIND_KEY: VOLUME_KIND,
                "image": rel.as_posix(),
                "grid": grid.to_json(),
                "split": split_for(case_id, self.store.heldout_fraction),
                "added": now_iso(),
                "source": source.name,
                "source_path": str(source.resolve()),
                "original": None,
                "final": None,
            }
        return case_id

    def save_original(
        self,
        case_id: str,
        labels: np.ndarray | str | Path,
        model_id: str,
        label_names: Sequence[str],
        probabilities: Mapping[str, float] | None = None,
    ) -> None:
        """The volume model's label map as first shown. Written once: every correction is
        measured against it, so it is never replaced."""
        names = _names(label_names, case_id)
        with self.store._editing() as index:
            entry = _volume_entry(self.root, index["cases"], case_id)
            if entry.get("original") is not None:
                raise DatastoreError(
                    f"case {case_id!r}: the original AI labels are already stored "
                    f"(by {entry['original']['model_id']}) and are never replaced"
                )
            grid = VolumeGrid.from_json(entry["grid"])
            values = _label_array(labels, grid, len(names), case_id)
            rel = Path("labels") / "original" / f"{case_id}{LABELS_SUFFIX}"
            data = _label_nifti(values, grid, names)
            write_bytes_atomic(self.root / rel, data)
            entry["original"] = {
                "path": rel.as_posix(),
                "model_id": str(model_id),
                "created": now_iso(),
                "label_names": list(names),
                "volumes_ml": volumes_ml(values, names, grid.spacing_mm),
                "probabilities": {str(k): float(v) for k, v in (probabilities or {}).items()},
                "sha256": sha256_of(data),
            }

    def save_correction(
        self,
        case_id: str,
        labels: np.ndarray | str | Path,
        author: str,
        label_names: Sequence[str],
        label: str | None = None,
        assistance: Mapping[str, Any] | None = None,
    ) -> VolumeRecord:
        """Store (or replace) the reader's label map of a volume case, with its provenance.
        labels: a (z, y, x) array or a NIfTI label file on the CT's grid (another grid is
        refused with the reason). label: the tumour class the reader confirmed, if any.
        assistance: how a model helped draw it (Smart Click), kept as provenance."""
        if not str(author).strip():
            raise DatastoreError(f"case {case_id!r}: a correction needs an author")
        names = _names(label_names, case_id)
        with self.store._editing() as index:
            entry = _volume_entry(self.root, index["cases"], case_id)
            grid = VolumeGrid.from_json(entry["grid"])
            values = _label_array(labels, grid, len(names), case_id)
            data = _label_nifti(values, grid, names)
            original = entry.get("original")
            previous = entry.get("final") or {}
            rel = Path("labels") / "final" / f"{case_id}{LABELS_SUFFIX}"
            record: dict[str, Any] = {
                "path": rel.as_posix(),
                "author": str(author),
                "updated": now_iso(),
                "revision": int(previous.get("revision", 0)) + 1,
                "sha256": sha256_of(data),
                "label_names": list(names),
                "volumes_ml": volumes_ml(values, names, grid.spacing_mm),
                "label": None if label is None or not str(label).strip() else str(label),
                "correction_dice": None
                if original is None
                else _dice_per_label(self.root / original["path"], values, names),
            }
            if assistance:
                record["assistance"] = dict(assistance)
            # Announce, replace the NIfTI, then commit (as Datastore.save_correction).
            entry["pending_final"] = record
            write_index(self.store.index_path, index)
            try:
                write_bytes_atomic(self.root / rel, data)
            except OSError as exc:  # disk full, quota, read-only: keep the previous correction
                entry.pop("pending_final")
                with suppress(OSError):  # else still pending: the next open drops it
                    write_index(self.store.index_path, index)
                raise DatastoreError(
                    f"{self.root}: the corrected labels of case {case_id!r} cannot be written "
                    f"({_why(exc)}); the previous ones are kept"
                ) from exc
            entry["final"] = entry.pop("pending_final")
        return self.case(case_id)

    # -- using the data ------------------------------------------------------------------

    def export_training_set(
        self,
        out_dir: str | Path,
        split: str | None = "train",
        pins: Mapping[str, str] | None = None,
    ) -> Path:
        """Corrected volume cases as a volume data set folder (images/, masks/ as NIfTI,
        labels.csv, split.csv, provenance.json): what engine.volume.evaluation and
        training.finetune_volume read. pins: {case id: label time}, as for 2D cases."""
        from engine.datastore.volumes.export import export_volumes

        return export_volumes(self, out_dir, split, pins)


def pin_volume_cases(store: VolumeStore, split: str) -> dict[str, Any]:
    """A datastore selection of every corrected volume case of a split, pinned to its label
    time (engine.datastore.selection materialises it as a volume data set folder)."""
    cases = {
        r.case_id: r.final.updated
        for r in store.cases(status=CORRECTED, split=split)
        if r.final is not None
    }
    return {"datastore": str(store.root), "kind": VOLUME_KIND, "split": split, "cases": cases}


def volumes_ml(
    labels: np.ndarray, names: Sequence[str], spacing_mm: Sequence[float]
) -> dict[str, float]:
    """mL per label name (background excluded), from the voxel size."""
    counts = np.bincount(labels.ravel(), minlength=len(names))
    unit = float(np.prod([float(s) for s in spacing_mm])) / 1000.0
    return {name: float(counts[v]) * unit for v, name in enumerate(names) if v > 0}


def _volume_entry(root: Path, cases: dict[str, Any], case_id: str) -> dict[str, Any]:
    if case_id not in cases:
        raise DatastoreError(f"{root}: no case {case_id!r} in the datastore")
    entry = cases[case_id]
    if entry_kind(entry) != VOLUME_KIND:
        kind = entry_kind(entry) or "2D image"
        raise DatastoreError(f"case {case_id!r} is a {kind} case, not a volume case")
    return entry


def _names(label_names: Sequence[str], case_id: str) -> tuple[str, ...]:
    names = tuple(str(n) for n in label_names)
    if len(names) < 2 or len(names) > 256:
        raise DatastoreError(
            f"case {case_id!r}: a label map needs 2 to 256 label names (background first), "
            f"got {names}"
        )
    return names


def _label_array(
    labels: np.ndarray | str | Path, grid: VolumeGrid, n_labels: int, case_id: str
) -> np.ndarray:
    """The label map as uint8 on the case's grid; DatastoreError naming the file (or the
    case) and the reason when it is of another grid or not a label map."""
    from engine.volume.label_maps import grid_mismatch, label_values

    if isinstance(labels, str | Path):
        from engine.io import read_nifti

        where = str(labels)
        loaded = read_nifti(labels)
        array, spacing = loaded.voxels, loaded.spacing_mm
    else:
        where, array, spacing = f"case {case_id!r}", np.asarray(labels), grid.spacing_mm
    if array.ndim != 3:
        raise DatastoreError(f"{where}: a label map is 3D (z, y, x), got shape {array.shape}")
    why = grid_mismatch(array.shape, spacing, grid.empty_volume())
    if why is not None:
        raise DatastoreError(f"{where}: not on the grid of case {case_id!r}: {why}")
    values = label_values(array, n_labels)
    if values is None:
        raise DatastoreError(f"{where}: not a label map with values 0..{n_labels - 1}")
    return values


def _label_nifti(values: np.ndarray, grid: VolumeGrid, names: Sequence[str]) -> bytes:
    from engine.volume.label_maps import label_bytes

    return label_bytes(values, grid.empty_volume(), names)


def _read_stored(path: Path, record: VolumeRecord) -> np.ndarray:
    from engine.errors import LesionLensError
    from engine.volume.label_maps import read_label_map

    try:
        return read_label_map(path, record.grid.empty_volume(), 256)
    except LesionLensError as exc:
        raise DatastoreError(f"{path}: stored labels cannot be read ({exc})") from exc


def _dice_per_label(
    original_path: Path, values: np.ndarray, names: Sequence[str]
) -> dict[str, float]:
    """Dice(original, final) per label: 1.0 everywhere = the AI's labels accepted unchanged."""
    from engine.io import read_nifti

    original = np.rint(read_nifti(original_path).voxels).astype(np.int64)
    if original.shape != values.shape:
        raise DatastoreError(f"{original_path}: the stored AI labels are not on the CT's grid")
    return {name: dice(original == v, values == v) for v, name in enumerate(names) if v > 0}


def _as_nifti(volume: Volume) -> bytes:
    from engine.volume.label_maps import nifti_bytes

    voxels = volume.voxels
    if voxels.dtype == np.float64:
        voxels = voxels.astype(np.float32)
    return nifti_bytes(voxels, volume, "LesionLens: from " + Path(volume.source).name)


def _is_nifti(path: Path) -> bool:
    from engine.io.nifti import is_nifti_name

    return path.is_file() and is_nifti_name(path)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".nii.gz", ".nii", ".dcm"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name
