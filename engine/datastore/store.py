"""The datastore: imported cases, the AI's masks and the clinician's corrections.

<root>/datastore.json               index (engine.datastore.index)
<root>/images/<case>/<view>.<ext>   the imported views, copied in byte for byte
<root>/labels/original/<case>.png   the model's mask as first shown: written once
<root>/labels/final/<case>.png      the clinician's corrected mask: the training target

Every mutation takes <root>/.lock, re-reads the index, writes the files atomically, and only
then writes the index that points at them. A corrected mask is announced in the index as
"pending" before its PNG replaces the previous one, so a kill between the two is repaired
when the datastore is next opened (the pending record wins if the PNG on disk is its PNG).

Entries with a "kind" key are not 2D image cases (a CT volume: engine.datastore.volumes; a
multi-view study: engine.datastore.studies); every method here skips or refuses them, so no
2D path picks one up.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from engine.atomic import write_bytes_atomic
from engine.datastore.errors import DatastoreError
from engine.datastore.heldout import HELDOUT_FRACTION, split_for
from engine.datastore.home import data_root
from engine.datastore.index import INDEX_NAME, LOCK_NAME, read_index, write_index
from engine.datastore.masks import binary_mask, file_sha256, png_bytes, read_mask, sha256_of
from engine.datastore.records import (
    CORRECTED,
    STATUSES,
    CaseRecord,
    entry_kind,
    record_from_json,
)
from engine.datastore.usefulness import Usefulness, usefulness_score
from engine.metrics import dice
from engine.types import Prediction

LOCK_TIMEOUT_S = 60.0
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SUFFIX_ALIASES = {".dicom": ".dcm", ".jpeg": ".jpg", ".tif": ".tiff"}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class Datastore:
    """Cases with their views, AI masks and clinician corrections under one data root.

    Safe to use from several processes at once (GUI, CLI, a training job reading it):
    reads see complete index versions, writes are serialised by the file lock.
    """

    def __init__(self, root: str | Path | None = None, heldout_fraction: float = HELDOUT_FRACTION):
        self.root = data_root(root)
        self.heldout_fraction = heldout_fraction
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatastoreError(f"{self.root}: cannot create the data root ({exc})") from exc
        self._lock = FileLock(str(self.root / LOCK_NAME), timeout=LOCK_TIMEOUT_S)
        with self._lock:
            index = read_index(self.index_path)
            repaired = _finish_pending(self.root, index)
            _remove_stale_temporaries(self.root)
            if repaired or not self.index_path.is_file():
                write_index(self.index_path, index)

    @property
    def index_path(self) -> Path:
        return self.root / INDEX_NAME

    # -- reading -------------------------------------------------------------------------

    def cases(self, status: str | None = None, split: str | None = None) -> list[CaseRecord]:
        """Cases in the order they were added; optionally only one status or split."""
        if status is not None and status not in STATUSES:
            raise DatastoreError(f"unknown case status {status!r}; use one of {STATUSES}")
        raw = read_index(self.index_path)["cases"]
        records = [
            record_from_json(self.root, cid, entry)
            for cid, entry in raw.items()
            if entry_kind(entry) is None  # volume cases: engine.datastore.volumes
        ]
        records.sort(key=lambda r: (r.added, r.case_id))
        return [
            r
            for r in records
            if (status is None or r.status == status) and (split is None or r.split == split)
        ]

    def case(self, case_id: str) -> CaseRecord:
        raw = read_index(self.index_path)["cases"]
        if case_id not in raw:
            raise DatastoreError(f"{self.root}: no case {case_id!r} in the datastore")
        _check_image_entry(case_id, raw[case_id])
        return record_from_json(self.root, case_id, raw[case_id])

    def original_mask(self, case_id: str) -> np.ndarray | None:
        record = self.case(case_id)
        return None if record.original is None else read_mask(record.original.path)

    def final_mask(self, case_id: str) -> np.ndarray | None:
        record = self.case(case_id)
        return None if record.final is None else read_mask(record.final.path)

    # -- writing -------------------------------------------------------------------------

    def add_case(self, image_path: str | Path, case_id: str | None = None, view: str = "us") -> str:
        """Copy an image in as a new case; returns its id. The held-out split is fixed here."""
        from engine.io import load_image

        source = Path(image_path)
        image = load_image(source)  # LoadError (file and reason) before anything is written
        data = source.read_bytes()
        _check_name(view, "view name")
        with self._editing() as index:
            cases = index["cases"]
            if case_id is None:
                case_id = _unique_id(_safe_id(source.stem), cases)
            else:
                _check_name(case_id, "case id")
                if case_id in cases:
                    raise DatastoreError(f"{self.root}: case {case_id!r} is already stored")
            rel = Path("images") / case_id / f"{view}{_suffix(source)}"
            write_bytes_atomic(self.root / rel, data)
            cases[case_id] = {
                "views": {view: rel.as_posix()},
                "shape": [image.height, image.width],
                "split": split_for(case_id, self.heldout_fraction),
                "added": now_iso(),
                "source": source.name,
                "original": None,
                "final": None,
            }
        return case_id

    def add_view(self, case_id: str, image_path: str | Path, view: str) -> None:
        """A further view of a case (another projection or modality); masks stay on the first."""
        from engine.io import load_image

        source = Path(image_path)
        load_image(source)
        data = source.read_bytes()
        _check_name(view, "view name")
        with self._editing() as index:
            entry = self._entry(index, case_id)
            if view in entry["views"]:
                raise DatastoreError(f"case {case_id!r} already has a view {view!r}")
            rel = Path("images") / case_id / f"{view}{_suffix(source)}"
            write_bytes_atomic(self.root / rel, data)
            entry["views"][view] = rel.as_posix()

    def save_prediction(
        self,
        case_id: str,
        mask: np.ndarray,
        model_id: str,
        probabilities: Mapping[str, float],
        uncertainty: np.ndarray | None = None,
        spread: float = 0.0,
    ) -> None:
        """Store the AI's mask as first shown to the clinician. Written once: the original is
        the reference every correction is measured against, so it is never replaced."""
        with self._editing() as index:
            entry = self._entry(index, case_id)
            if entry.get("original") is not None:
                raise DatastoreError(
                    f"case {case_id!r}: the original AI mask is already stored "
                    f"(by {entry['original']['model_id']}) and is never replaced"
                )
            lesion = binary_mask(mask, tuple(entry["shape"]), f"case {case_id!r}")
            score = entropy = no_lesion = None
            if uncertainty is not None:
                score, entropy, no_lesion = usefulness_score(lesion, uncertainty, spread)
            rel = Path("labels") / "original" / f"{case_id}.png"
            write_bytes_atomic(self.root / rel, png_bytes(lesion))
            entry["original"] = {
                "path": rel.as_posix(),
                "model_id": str(model_id),
                "probabilities": {str(k): float(v) for k, v in probabilities.items()},
                "created": now_iso(),
                "usefulness": score,
                "spread": float(spread) if score is not None else None,
                "entropy": entropy,
                "no_lesion": no_lesion,
            }

    def record_prediction(self, case_id: str, prediction: Prediction) -> None:
        """save_prediction from an engine Prediction (mask, probabilities, uncertainty)."""
        self.save_prediction(
            case_id,
            prediction.mask,
            prediction.model_id,
            prediction.probabilities,
            uncertainty=prediction.uncertainty,
            spread=prediction.spread,
        )

    def save_correction(
        self,
        case_id: str,
        mask: np.ndarray,
        label: str,
        author: str,
        descriptor_choices: Mapping[Any, Any] | None = None,
        assistance: Mapping[str, Any] | None = None,
    ) -> CaseRecord:
        """Store (or replace) the clinician's mask and confirmed class for a case.
        descriptor_choices: the reader's lexicon decisions (lesion number -> descriptor ->
        choice, plain JSON), kept with the correction; not a training target.
        assistance: how the mask was drawn when a model helped (Smart Click: {"method":
        "reader-drawn with AI assistance", "model_ids": [...]}), kept as provenance."""
        if not str(label).strip():
            raise DatastoreError(f"case {case_id!r}: the confirmed class is empty")
        if not str(author).strip():
            raise DatastoreError(f"case {case_id!r}: a correction needs an author")
        with self._editing() as index:
            entry = self._entry(index, case_id)
            lesion = binary_mask(mask, tuple(entry["shape"]), f"case {case_id!r}")
            data = png_bytes(lesion)
            original = entry.get("original")
            size = (
                None if original is None else dice(read_mask(self.root / original["path"]), lesion)
            )
            previous = entry.get("final") or {}
            rel = Path("labels") / "final" / f"{case_id}.png"
            record = {
                "path": rel.as_posix(),
                "label": str(label),
                "author": str(author),
                "updated": now_iso(),
                "revision": int(previous.get("revision", 0)) + 1,
                "sha256": sha256_of(data),
                "correction_dice": size,
            }
            if assistance:
                record["assistance"] = dict(assistance)
            if descriptor_choices:
                record["descriptor_choices"] = {
                    str(k): dict(v) for k, v in descriptor_choices.items()
                }
            # Announce, replace the PNG, then commit (see the module docstring).
            entry["pending_final"] = record
            write_index(self.index_path, index)
            try:
                write_bytes_atomic(self.root / rel, data)
            except OSError as exc:  # disk full, quota, read-only: keep the previous correction
                entry.pop("pending_final")
                with suppress(OSError):  # else still pending: the next open drops it
                    write_index(self.index_path, index)
                raise DatastoreError(
                    f"{self.root}: the correction of case {case_id!r} cannot be written "
                    f"({_why(exc)}); the previous one is kept"
                ) from exc
            entry["final"] = entry.pop("pending_final")
        return self.case(case_id)

    def save_measurements(self, case_id: str, measurements: dict[str, Any]) -> None:
        """The reader's measurements of a case (calibration, calipers: plain JSON from the
        viewer), kept in the index beside its labels and replaced as a whole; never trained
        on. An empty dict removes them."""
        with self._editing() as index:
            entry = self._entry(index, case_id)
            if measurements:
                entry["measurements"] = {**measurements, "updated": now_iso()}
            else:
                entry.pop("measurements", None)

    def measurements(self, case_id: str) -> dict[str, Any]:
        """What save_measurements stored for the case ({} when nothing)."""
        return dict(self.case(case_id).extra.get("measurements") or {})

    # -- using the data ------------------------------------------------------------------

    def export_training_set(
        self,
        out_dir: str | Path,
        split: str | None = "train",
        pins: Mapping[str, str] | None = None,
    ) -> Path:
        """Corrected cases as a canonical folder (images/, masks/, labels.csv, split.csv).

        split: "train", "val" (held out) or None for both. pins: {case id: label time} to
        export exactly those cases, failing if any label changed since it was pinned.
        """
        from engine.datastore.export import export_cases

        return export_cases(self, out_dir, split, pins)

    def most_useful_to_correct(
        self, model: Any = None, limit: int | None = None
    ) -> list[Usefulness]:
        """Uncorrected cases, most useful first (engine.datastore.usefulness).

        model: an engine LoadedModel. Stored scores are used where the original came from
        this model; other cases are predicted now (nothing is written). Without a model, only
        the stored scores are used and cases without one come last.
        """
        model_id = model.spec.model_id if model is not None else None
        scores = []
        for record in self.cases():
            if record.status == CORRECTED:
                continue
            original = record.original
            stored = original is not None and original.usefulness is not None
            if stored and (model_id is None or original.model_id == model_id):
                usefulness = self._stored_usefulness(record)
            elif model is not None:
                usefulness = _predicted_usefulness(record, model)
            else:
                usefulness = Usefulness(record.case_id, float("-inf"), 0.0, 0.0, False)
            scores.append(usefulness)
        scores.sort(key=lambda u: (-u.score, u.case_id))
        return scores if limit is None else scores[:limit]

    # -- internals -----------------------------------------------------------------------

    @contextmanager
    def _editing(self) -> Iterator[dict[str, Any]]:
        """The current index, under the lock; written back when the block succeeds."""
        with self._lock:
            index = read_index(self.index_path)
            try:
                yield index
                write_index(self.index_path, index)
            except OSError as exc:  # the index on disk is still the one read above
                raise DatastoreError(
                    f"{self.root}: cannot write to the datastore ({_why(exc)}); nothing was changed"
                ) from exc

    def _entry(self, index: dict[str, Any], case_id: str) -> dict[str, Any]:
        """A 2D image case's entry (a study or volume is refused: its files differ)."""
        if case_id not in index["cases"]:
            raise DatastoreError(f"{self.root}: no case {case_id!r} in the datastore")
        _check_image_entry(case_id, index["cases"][case_id])
        return index["cases"][case_id]

    def _stored_usefulness(self, record: CaseRecord) -> Usefulness:
        original = record.original
        assert original is not None and original.usefulness is not None
        return Usefulness(
            record.case_id,
            float(original.usefulness),
            float(original.extra.get("spread") or 0.0),
            float(original.extra.get("entropy") or 0.0),
            bool(original.extra.get("no_lesion")),
            record.heldout,
            original.model_id,
        )


def _predicted_usefulness(record: CaseRecord, model: Any) -> Usefulness:
    from engine.io import load_image

    prediction = model.predict(load_image(record.image))
    score, entropy, no_lesion = usefulness_score(
        prediction.mask, prediction.uncertainty, prediction.spread
    )
    return Usefulness(
        record.case_id,
        score,
        prediction.spread,
        entropy,
        no_lesion,
        record.heldout,
        prediction.model_id,
    )


def _finish_pending(root: Path, index: dict[str, Any]) -> bool:
    """Repair after a crash inside save_correction: adopt the pending record when its PNG made
    it to disk, drop it otherwise. Returns whether the index changed."""
    from engine.datastore import studies

    changed = False
    for case_id, entry in index["cases"].items():
        if studies.is_study(entry):  # several PNGs: its own rule (engine.datastore.studies)
            changed = studies.finish_pending(root, case_id, entry) or changed
            continue
        pending = entry.pop("pending_final", None)
        if pending is None:
            continue
        changed = True
        path = root / pending["path"]
        if path.is_file() and file_sha256(path) == pending["sha256"]:
            entry["final"] = pending
    return changed


def _remove_stale_temporaries(root: Path) -> None:
    """Half-written temporaries of a killed writer (all datastore writes hold the lock, and
    so does the caller: none of these can belong to a live writer)."""
    folders = [root, root / "labels" / "original", root / "labels" / "final"]
    images = root / "images"
    if images.is_dir():
        folders += [p for p in images.iterdir() if p.is_dir()]
    for folder in folders:
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)


def _check_image_entry(case_id: str, entry: dict[str, Any]) -> None:
    """The 2D reads and writes refuse a case of another kind (a CT volume is never a 2D case)."""
    kind = entry_kind(entry)
    if kind is not None:
        raise DatastoreError(f"case {case_id!r} is a {kind} case, not a 2D image case")


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _check_name(name: str, what: str) -> None:
    if not _CASE_ID.match(name):
        raise DatastoreError(
            f"{what} {name!r} must start with a letter or digit and hold only letters, "
            "digits, '.', '_' or '-' (at most 128 characters)"
        )


def _safe_id(stem: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:100]
    return cleaned or "case"


def _unique_id(base: str, taken: Mapping[str, Any]) -> str:
    if base not in taken:
        return base
    k = 2
    while f"{base}-{k}" in taken:
        k += 1
    return f"{base}-{k}"


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if not suffix:  # DICOM files often come without one
        from engine.io.dicom import is_dicom

        return ".dcm" if is_dicom(path) else ""
    return _SUFFIX_ALIASES.get(suffix, suffix)
