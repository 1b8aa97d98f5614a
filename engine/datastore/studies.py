"""Multi-view studies in the datastore: the same store as 2D cases, a different kind of entry.

A study (anterior + posterior bone scan, photo + ultrasound) is one case with one class and a
mask per view, so it cannot be a 2D CaseRecord (one mask, on the first view). Its index entry
carries "kind": "study" (no "kind" = a 2D image; engine.datastore.volumes uses the same key),
and the 2D paths (Datastore.cases, export_training_set, pinned selections) never see it.

<root>/images/<case>/<view>.<ext>          every view, copied in byte for byte
<root>/labels/original/<case>/<view>.png   the AI's mask per view as first shown: written once
<root>/labels/final/<case>/<view>.png      the reader's corrected mask per view

Writes take the datastore's lock and write atomically, as 2D corrections do. A confirmation
replaces several PNGs, which no single rename can do, so each new PNG is first written whole
beside its target (.<view>.png.staged), then the record is announced in the index as
"pending", then the staged files are renamed into place, then the record is committed. A kill
before the announcement leaves the previous confirmation (staged files are removed on the
next open); a kill after it is rolled forward on the next open, since every new PNG is then
either in place or staged complete (the pending record wins when its PNGs are on disk).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.atomic import write_bytes_atomic, write_csv_atomic, write_json_atomic
from engine.datastore.errors import DatastoreError
from engine.datastore.heldout import split_for
from engine.datastore.index import write_index
from engine.datastore.masks import binary_mask, file_sha256, png_bytes, read_mask, sha256_of
from engine.datastore.records import CORRECTED, STATUSES, Reviewed, entry_kind
from engine.metrics import dice

if TYPE_CHECKING:
    from engine.datastore.store import Datastore

KIND = "study"
ASSISTED_METHOD = "reader-drawn with AI assistance"
STAGED_SUFFIX = ".staged"


@dataclass(frozen=True)
class StudyAiLabel:
    """The model's class and per-view masks as first shown (written once, like a 2D
    labels/original): the reference every confirmation is measured against."""

    masks: dict[str, Path]  # view -> labels/original/<case>/<view>.png
    model_id: str
    probabilities: dict[str, float]
    created: str

    @property
    def label(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)


@dataclass(frozen=True)
class StudyLabel:
    """The reader's confirmed class and corrected per-view masks: the training target, with
    the provenance a 2D ClinicianLabel has (sha256 per file, so a pinned label can be checked
    before training)."""

    masks: dict[str, Path]  # view -> labels/final/<case>/<view>.png
    label: str
    author: str
    updated: str  # ISO time; fine-tuning requests pin it
    revision: int
    sha256: dict[str, str]  # view -> sha256 of its PNG bytes
    correction_dice: dict[str, float]  # view -> Dice(original, final) where an original exists
    # How a model helped draw the masks (Smart Click); empty when drawn or accepted by hand.
    assistance: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StudyRecord(Reviewed):
    case_id: str
    views: dict[str, Path]  # view name -> image file (absolute), in reading order
    shapes: dict[str, tuple[int, int]]  # view -> rows, cols: every mask of the view matches
    split: str  # "train" or "val" (held out, never trained on), fixed when added
    added: str
    source: str  # the folder the study was imported from
    original: StudyAiLabel | None = None
    final: StudyLabel | None = None


def is_study(entry: dict[str, Any]) -> bool:
    return entry_kind(entry) == KIND


class StudyStore:
    """The studies of one Datastore (its root, lock and index)."""

    def __init__(self, store: Datastore) -> None:
        self.store = store
        self.root = store.root

    # -- reading -------------------------------------------------------------------------

    def studies(
        self,
        status: str | None = None,
        split: str | None = None,
        views: Iterable[str] | None = None,
    ) -> list[StudyRecord]:
        """Stored studies in the order they were added; optionally one status or split, and
        only the studies of exactly these view names (a study model's data: a bone-scan
        model cannot train on photo + ultrasound pairs)."""
        from engine.datastore.index import read_index

        if status is not None and status not in STATUSES:
            raise DatastoreError(f"unknown case status {status!r}; use one of {STATUSES}")
        wanted = None if views is None else {str(v) for v in views}
        raw = read_index(self.store.index_path)["cases"]
        records = [_record(self.root, cid, e) for cid, e in raw.items() if is_study(e)]
        records.sort(key=lambda r: (r.added, r.case_id))
        return [
            r
            for r in records
            if (status is None or r.status == status)
            and (split is None or r.split == split)
            and (wanted is None or set(r.views) == wanted)
        ]

    def study(self, case_id: str) -> StudyRecord:
        from engine.datastore.index import read_index

        raw = read_index(self.store.index_path)["cases"]
        return _record(self.root, case_id, _study_entry(self.root, raw, case_id))

    def original_masks(self, case_id: str) -> dict[str, np.ndarray]:
        original = self.study(case_id).original
        return {} if original is None else {v: read_mask(p) for v, p in original.masks.items()}

    def final_masks(self, case_id: str) -> dict[str, np.ndarray]:
        final = self.study(case_id).final
        return {} if final is None else {v: read_mask(p) for v, p in final.masks.items()}

    def find(self, views: Mapping[str, str | Path]) -> str | None:
        """The stored study these view files are: the study's own folder in images/, or a
        copy (same view names, same bytes) of one imported from elsewhere. None if neither."""
        paths = {str(v): Path(p) for v, p in views.items()}
        if not paths or not all(p.is_file() for p in paths.values()):
            return None
        images = (self.root / "images").resolve()
        for record in self.studies():
            if set(record.views) != set(paths):
                continue
            inside = all(p.resolve().is_relative_to(images) for p in paths.values())
            if inside and all(p.resolve() == record.views[v].resolve() for v, p in paths.items()):
                return record.case_id
            if all(_same_bytes(record.views[v], p) for v, p in paths.items()):
                return record.case_id
        return None

    # -- writing -------------------------------------------------------------------------

    def add_study(
        self, views: Mapping[str, str | Path], case_id: str | None = None, source: str = ""
    ) -> str:
        """Copy every view in as a new study; returns its id. The held-out split is fixed
        here, by the id alone (engine.datastore.heldout), as for a 2D case."""
        from engine.datastore.store import _check_name, _safe_id, _suffix, _unique_id, now_iso
        from engine.io import load_image

        if len(views) < 1:
            raise DatastoreError("a study needs at least one view")
        files: dict[str, tuple[Path, bytes, tuple[int, int]]] = {}
        for view, path in views.items():
            _check_name(str(view), "view name")
            path = Path(path)
            image = load_image(path)  # LoadError (file and reason) before anything is written
            files[str(view)] = (path, path.read_bytes(), (image.height, image.width))
        first = next(iter(files.values()))[0]
        name = source or (first.parent.name or first.stem)
        with self.store._editing() as index:
            cases = index["cases"]
            if case_id is None:
                case_id = _unique_id(_safe_id(name), cases)
            else:
                _check_name(case_id, "case id")
                if case_id in cases:
                    raise DatastoreError(f"{self.root}: case {case_id!r} is already stored")
            stored = {}
            for view, (path, data, _shape) in files.items():
                rel = Path("images") / case_id / f"{view}{_suffix(path)}"
                write_bytes_atomic(self.root / rel, data)
                stored[view] = rel.as_posix()
            cases[case_id] = {
                "kind": KIND,
                "views": stored,
                "shapes": {v: list(shape) for v, (_p, _d, shape) in files.items()},
                "split": split_for(case_id, self.store.heldout_fraction),
                "added": now_iso(),
                "source": name,
                "original": None,
                "final": None,
            }
        return case_id

    def save_prediction(
        self,
        case_id: str,
        masks: Mapping[str, np.ndarray],
        model_id: str,
        probabilities: Mapping[str, float],
    ) -> None:
        """The AI's class and per-view masks as first shown. Written once: never replaced."""
        from engine.datastore.store import now_iso

        if not probabilities:
            raise DatastoreError(f"study {case_id!r}: the AI's class probabilities are empty")
        with self.store._editing() as index:
            entry = _study_entry(self.root, index["cases"], case_id)
            if entry.get("original") is not None:
                raise DatastoreError(
                    f"study {case_id!r}: the original AI result is already stored "
                    f"(by {entry['original']['model_id']}) and is never replaced"
                )
            pngs = _view_pngs(case_id, entry, masks)
            stored = {}
            for view, data in pngs.items():
                rel = Path("labels") / "original" / case_id / f"{view}.png"
                write_bytes_atomic(self.root / rel, data)
                stored[view] = rel.as_posix()
            entry["original"] = {
                "masks": stored,
                "model_id": str(model_id),
                "probabilities": {str(k): float(v) for k, v in probabilities.items()},
                "created": now_iso(),
            }

    def save_confirmation(
        self,
        case_id: str,
        label: str,
        masks: Mapping[str, np.ndarray],
        author: str,
        assistance: Mapping[str, Any] | None = None,
    ) -> StudyRecord:
        """Store (or replace) the reader's confirmed class and corrected per-view masks.
        masks: every view the reader's masks cover (each the size of its view). assistance:
        how a model helped draw them (Smart Click: {"method": ASSISTED_METHOD, "model_ids":
        [...]}), kept as provenance. See the module docstring for the crash rule."""
        from engine.datastore.store import _why, now_iso

        if not str(label).strip():
            raise DatastoreError(f"study {case_id!r}: the confirmed class is empty")
        if not str(author).strip():
            raise DatastoreError(f"study {case_id!r}: a confirmation needs an author")
        with self.store._editing() as index:
            entry = _study_entry(self.root, index["cases"], case_id)
            original = entry.get("original")
            classes = list((original or {}).get("probabilities", {}))
            if classes and str(label) not in classes:
                raise DatastoreError(
                    f"study {case_id!r}: {label!r} is not one of the model's classes {classes}"
                )
            pngs = _view_pngs(case_id, entry, masks)
            previous = entry.get("final") or {}
            agreement = {}
            for view in pngs:
                ai = (original or {}).get("masks", {}).get(view)
                if ai is not None:
                    agreement[view] = dice(read_mask(self.root / ai), masks[view] > 0)
            record = {
                "masks": {
                    v: (Path("labels") / "final" / case_id / f"{v}.png").as_posix() for v in pngs
                },
                "label": str(label),
                "author": str(author),
                "updated": now_iso(),
                "revision": int(previous.get("revision", 0)) + 1,
                "sha256": {v: sha256_of(data) for v, data in pngs.items()},
                "correction_dice": agreement,
            }
            if assistance:
                record["assistance"] = dict(assistance)
            staged = {v: _staged(self.root / rel) for v, rel in record["masks"].items()}
            try:
                for view, data in pngs.items():
                    write_bytes_atomic(staged[view], data)
            except OSError as exc:  # disk full, quota, read-only: keep the previous one
                for path in staged.values():
                    path.unlink(missing_ok=True)
                raise DatastoreError(
                    f"{self.root}: the confirmation of study {case_id!r} cannot be written "
                    f"({_why(exc)}); the previous one is kept"
                ) from exc
            # Announce, move the staged PNGs into place, then commit (the module docstring).
            entry["pending_final"] = record
            write_index(self.store.index_path, index)
            _move_staged(self.root, record)
            entry["final"] = entry.pop("pending_final")
        return self.study(case_id)

    # -- using the data ------------------------------------------------------------------

    def export_training_set(
        self,
        out_dir: str | Path,
        split: str | None = "train",
        pins: Mapping[str, str] | None = None,
    ) -> Path:
        """Confirmed studies as a multi-view canonical folder (views.csv with a mask column,
        labels.csv, split.csv, provenance.json): what training.view_data and
        engine.study.evaluation read. pins: {case id: label time}, failing if a confirmation
        changed since it was pinned or a file no longer matches the index."""
        from engine.datastore.export import build_folder, check_unchanged

        if pins is not None:
            records = [self._pinned(case_id, stamp, split) for case_id, stamp in pins.items()]
        else:
            records = self.studies(status=CORRECTED, split=split)
        if not records:
            which = "any split" if split is None else f"split {split!r}"
            raise DatastoreError(f"{self.root}: no confirmed studies in {which} to export")

        def fill(staging: Path) -> None:
            rows, provenance = [], {}
            for record in records:
                final = record.final
                assert final is not None
                for view, image in record.views.items():
                    file = Path("images") / f"{record.case_id}_{view}{image.suffix.lower()}"
                    _copy(image, staging / file)
                    mask = ""
                    if view in final.masks:
                        path = final.masks[view]
                        check_unchanged(path, final.sha256[view])
                        mask = (Path("masks") / f"{record.case_id}_{view}.png").as_posix()
                        _copy(path, staging / mask)
                    rows.append((record.case_id, view, file.as_posix(), mask))
                provenance[record.case_id] = {
                    "label_updated": final.updated,
                    "revision": final.revision,
                    "sha256": final.sha256,
                    "author": final.author,
                    "original_model_id": record.original.model_id if record.original else None,
                    "correction_dice": final.correction_dice,
                    "assistance": final.assistance or None,
                }
            write_csv_atomic(staging / "views.csv", ("case", "view", "file", "mask"), rows)
            labels = [(r.case_id, r.final.label) for r in records if r.final is not None]
            write_csv_atomic(staging / "labels.csv", ("case", "label"), labels)
            write_csv_atomic(
                staging / "split.csv", ("case", "split"), [(r.case_id, r.split) for r in records]
            )
            write_json_atomic(
                staging / "provenance.json",
                {"datastore": str(self.root), "kind": KIND, "cases": provenance},
            )

        return build_folder(out_dir, fill)

    def _pinned(self, case_id: str, stamp: str, split: str | None) -> StudyRecord:
        from engine.datastore.export import check_pinned

        return check_pinned(
            self.study(case_id),
            stamp,
            split,
            f"study {case_id!r}",
            "no confirmed class",
            "the confirmation changed since it was pinned",
        )


def pin_studies(store: Datastore, split: str, views: Iterable[str] | None = None) -> dict[str, Any]:
    """A datastore selection of every confirmed study of a split (of exactly these views, when
    given), pinned to its label time (engine.datastore.selection: "kind": "study" makes
    materialise export a views.csv folder)."""
    cases = {
        r.case_id: r.final.updated
        for r in StudyStore(store).studies(status=CORRECTED, split=split, views=views)
        if r.final is not None
    }
    return {"datastore": str(store.root), "kind": KIND, "split": split, "cases": cases}


def finish_pending(root: Path, case_id: str, entry: dict[str, Any]) -> bool:
    """Repair one study entry after a crash inside save_confirmation (the module docstring):
    roll a pending record forward when all its PNGs are on disk, in place or staged; drop it
    otherwise. Staged files no record points to are removed. Returns whether the entry
    changed."""
    pending = entry.pop("pending_final", None)
    if pending is not None:
        try:
            _move_staged(root, pending)
            entry["final"] = pending
        except (OSError, DatastoreError):
            pass  # not every new PNG made it: the previous confirmation stands
    case_dir = root / "labels" / "final" / case_id
    if case_dir.is_dir():
        for leftover in (*case_dir.glob(f".*{STAGED_SUFFIX}"), *case_dir.glob(".*.tmp")):
            leftover.unlink(missing_ok=True)
    return pending is not None


def _move_staged(root: Path, record: Mapping[str, Any]) -> None:
    """Every view's PNG of `record` into place: already there (its sha256), or renamed from
    its complete staged copy. DatastoreError if a view has neither."""
    for view, rel in record["masks"].items():
        target, want = root / rel, record["sha256"][view]
        if target.is_file() and file_sha256(target) == want:
            continue
        staged = _staged(target)
        if not (staged.is_file() and file_sha256(staged) == want):
            raise DatastoreError(f"{target}: the confirmed mask of view {view!r} is not on disk")
        os.replace(staged, target)
    with suppress(OSError):  # the renames themselves durable (POSIX; a no-op elsewhere)
        _fsync_dir((root / next(iter(record["masks"].values()))).parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _staged(target: Path) -> Path:
    return target.with_name(f".{target.name}{STAGED_SUFFIX}")


def _view_pngs(
    case_id: str, entry: Mapping[str, Any], masks: Mapping[str, np.ndarray]
) -> dict[str, bytes]:
    """PNG bytes per view, after checking each view exists and each mask is its size."""
    if not masks:
        raise DatastoreError(f"study {case_id!r}: no view masks given")
    shapes = entry["shapes"]
    unknown = sorted(set(masks) - set(shapes))
    if unknown:
        raise DatastoreError(
            f"study {case_id!r} has no view {', '.join(unknown)} (it has {', '.join(shapes)})"
        )
    return {
        str(view): png_bytes(binary_mask(mask, tuple(shapes[view]), f"study {case_id!r} {view}"))
        for view, mask in masks.items()
    }


def _study_entry(root: Path, cases: Mapping[str, Any], case_id: str) -> dict[str, Any]:
    if case_id not in cases:
        raise DatastoreError(f"{root}: no study {case_id!r} in the datastore")
    entry = cases[case_id]
    if not is_study(entry):
        kind = entry.get("kind", "image")
        raise DatastoreError(f"{root}: case {case_id!r} is a {kind} case, not a study")
    return entry


def _record(root: Path, case_id: str, raw: Mapping[str, Any]) -> StudyRecord:
    original, final = raw.get("original"), raw.get("final")
    return StudyRecord(
        case_id=case_id,
        views={view: root / rel for view, rel in raw["views"].items()},
        shapes={view: (int(s[0]), int(s[1])) for view, s in raw["shapes"].items()},
        split=str(raw["split"]),
        added=str(raw["added"]),
        source=str(raw.get("source", "")),
        original=None
        if original is None
        else StudyAiLabel(
            masks={v: root / rel for v, rel in original["masks"].items()},
            model_id=str(original["model_id"]),
            probabilities={k: float(v) for k, v in original["probabilities"].items()},
            created=str(original["created"]),
        ),
        final=None
        if final is None
        else StudyLabel(
            masks={v: root / rel for v, rel in final["masks"].items()},
            label=str(final["label"]),
            author=str(final["author"]),
            updated=str(final["updated"]),
            revision=int(final["revision"]),
            sha256={v: str(s) for v, s in final["sha256"].items()},
            correction_dice={v: float(d) for v, d in (final.get("correction_dice") or {}).items()},
            assistance=dict(final.get("assistance") or {}),
        ),
    )


def _same_bytes(stored: Path, other: Path) -> bool:
    return (
        stored.is_file()
        and stored.stat().st_size == other.stat().st_size
        and stored.read_bytes() == other.read_bytes()
    )


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
