"""Corrected cases -> canonical data set folders, the one format training and evaluation read.

Folders are built in a hidden staging folder beside the target and swapped into place, so a
reader never sees half an export. Files are copied, not linked: nothing done to an export
can reach back into the datastore.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from engine.atomic import (
    replace_folder_atomic,
    write_bytes_atomic,
    write_json_atomic,
    write_png_atomic,
)
from engine.datastore.errors import DatastoreError
from engine.datastore.masks import file_sha256
from engine.datastore.records import CORRECTED, CaseRecord

if TYPE_CHECKING:
    from engine.datastore.store import Datastore

R = TypeVar("R")

# What training.data.load_folder and engine.evaluation.find_image read.
TRAINABLE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".dcm")


def export_cases(
    store: Datastore,
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
        raise DatastoreError(f"{store.root}: no corrected cases in {which} to export")

    def fill(staging: Path) -> None:
        provenance: dict[str, Any] = {}
        for record in records:
            assert record.final is not None
            _copy_image(record.image, staging / "images", record.case_id)
            check_unchanged(record.final.path, record.final.sha256)
            _copy(record.final.path, staging / "masks" / f"{record.case_id}.png")
            provenance[record.case_id] = {
                "label_updated": record.final.updated,
                "revision": record.final.revision,
                "sha256": record.final.sha256,
                "author": record.final.author,
                "original_model_id": record.original.model_id if record.original else None,
                "correction_dice": record.final.correction_dice,
                "assistance": record.final.assistance or None,
            }
        labels = [(r.case_id, r.final.label) for r in records if r.final is not None]
        _write_csv(staging / "labels.csv", ("case", "label"), labels)
        splits = [(r.case_id, r.split) for r in records]
        _write_csv(staging / "split.csv", ("case", "split"), splits)
        write_json_atomic(
            staging / "provenance.json",
            {
                "datastore": str(store.root),
                "exported": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "cases": provenance,
            },
        )

    return build_folder(out_dir, fill)


def subset_folder(
    source: str | Path, out_dir: str | Path, split: str, split_file: str | Path | None = None
) -> Path:
    """The rows of one split of a canonical folder, as a folder of their own. The split is
    the folder's split.csv, or split_file (a fixed split kept outside a read-only folder)."""
    from engine.datasets.tables import read_mapping
    from engine.evaluation import find_image, read_labels

    source = Path(source)
    labels = read_labels(source)
    table = Path(split_file) if split_file is not None else source / "split.csv"
    splits = read_mapping(table, "case", "split")
    if not splits:
        raise DatastoreError(f"{table}: the split is missing, so split {split!r} is undefined")
    chosen = [c for c in sorted(labels) if splits.get(c, "train") == split]
    if not chosen:
        raise DatastoreError(f"{table}: the split has no {split!r} cases of {source}")

    def fill(staging: Path) -> None:
        for case in chosen:
            image = find_image(source, case)
            _copy(image, staging / "images" / image.name)
            mask = source / "masks" / f"{case}.png"
            if not mask.is_file():
                raise DatastoreError(f"{source}: case {case} has no mask masks/{case}.png")
            _copy(mask, staging / "masks" / mask.name)
        _write_csv(staging / "labels.csv", ("case", "label"), [(c, labels[c]) for c in chosen])
        _write_csv(staging / "split.csv", ("case", "split"), [(c, split) for c in chosen])

    return build_folder(out_dir, fill)


def folder_fingerprint(folder: str | Path) -> str:
    """A short id of a canonical folder's content (cases, labels, image and mask bytes), so a
    gate verdict says exactly which held-out set it was measured on."""
    from engine.evaluation import find_image, read_labels

    folder = Path(folder)
    digest = hashlib.sha256()
    if (folder / "views.csv").is_file():  # a multi-view folder: every view and its mask
        return _views_fingerprint(folder, digest)
    for case, label in sorted(read_labels(folder).items()):
        image = file_sha256(find_image(folder, case))
        mask = file_sha256(folder / "masks" / f"{case}.png")
        digest.update(f"{case},{label},{image},{mask}\n".encode())
    return digest.hexdigest()[:16]


def _views_fingerprint(folder: Path, digest: Any) -> str:
    from engine.datasets.tables import read_table
    from engine.evaluation import read_labels

    labels = read_labels(folder)
    rows = read_table(folder / "views.csv", ("case", "view", "file"))
    for row in sorted(rows, key=lambda r: (r["case"], r["view"])):
        image = file_sha256(folder / row["file"])
        mask = file_sha256(folder / row["mask"]) if row.get("mask") else ""
        digest.update(
            f"{row['case']},{labels.get(row['case'])},{row['view']},{image},{mask}\n".encode()
        )
    return digest.hexdigest()[:16]


def build_folder(out_dir: str | Path, fill: Callable[[Path], None]) -> Path:
    """Run fill(staging) and swap the finished folder into out_dir (replacing it)."""
    return replace_folder_atomic(out_dir, fill)


def _pinned(store: Datastore, case_id: str, stamp: str, split: str | None) -> CaseRecord:
    return check_pinned(
        store.case(case_id),
        stamp,
        split,
        f"case {case_id!r}",
        "no corrected label",
        "the label changed since it was pinned",
    )


def check_pinned(
    record: R, stamp: str, split: str | None, name: str, missing: str, changed: str
) -> R:
    """The record a request pinned, refused (DatastoreError) if the reader's result is gone
    (`missing`), changed since the pin (`changed`) or lies in another split: the one rule for
    the pins of every kind of case; name, missing and changed say it in the kind's words."""
    if record.final is None:
        raise DatastoreError(f"{name} has {missing}")
    if record.final.updated != stamp:
        raise DatastoreError(
            f"{name}: {changed} (pinned {stamp}, now {record.final.updated}); make a new request"
        )
    if split is not None and record.split != split:
        raise DatastoreError(
            f"{name} belongs to the {record.split!r} split, not {split!r} "
            "(held-out cases are never trained on)"
        )
    return record


def check_unchanged(path: Path, sha256: str) -> None:
    """A stored file an export copies must still be the one the index recorded."""
    if file_sha256(path) != sha256:
        raise DatastoreError(
            f"{path}: does not match the datastore index (changed outside LesionLens?)"
        )


def _copy_image(path: Path, folder: Path, case_id: str) -> None:
    suffix = path.suffix.lower()
    if suffix in TRAINABLE_SUFFIXES:
        _copy(path, folder / f"{case_id}{suffix}")
        return
    from engine.io import load_image

    write_png_atomic(folder / f"{case_id}.png", load_image(path).pixels)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_bytes_atomic(path, buf.getvalue().encode("utf-8"))
