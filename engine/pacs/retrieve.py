"""Retrieve a study into the data root: one atomic file per instance, resumable.

Layout: <dest>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm, with
<dest> = <data root>/pacs by default (not a temporary folder: retrieved studies open like
local files and stay). Each instance is written to a temporary file and renamed into place,
so a file that exists is complete; a retrieve that stops half way (cancel, network, a PACS
that sends only part of the study) leaves the instances it got, and the next retrieve of
the study fetches only the missing ones. study.json is written last, once every instance
the PACS listed is there: it marks the study complete.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from engine.atomic import write_bytes_atomic, write_json_atomic
from engine.datastore.home import data_root
from engine.pacs.client import PacsConnection, connect
from engine.pacs.dicomweb import header_of
from engine.pacs.errors import PacsError, PartialRetrieveError
from engine.pacs.nodes import PacsNode
from engine.pacs.query import InstanceRef, is_uid

MANIFEST = "study.json"
PACS_FOLDER = "pacs"


@dataclass(frozen=True)
class RetrieveProgress:
    done: int  # instances stored so far in this study (including those already there)
    total: int
    bytes_received: int

    @property
    def text(self) -> str:
        return f"{self.done}/{self.total} instances, {self.bytes_received / 1e6:.1f} MB"


@dataclass(frozen=True)
class RetrievedStudy:
    study_uid: str
    folder: Path
    files: tuple[Path, ...]
    fetched: int  # instances received in this call
    reused: int  # instances already on disk from an earlier, interrupted retrieve
    bytes_received: int


def retrieved_root(root: str | Path | None = None) -> Path:
    """<data root>/pacs: where retrieved studies live."""
    return data_root(root) / PACS_FOLDER


def instance_path(dest: Path, ref: InstanceRef) -> Path:
    return dest / ref.study_uid / ref.series_uid / f"{ref.sop_uid}.dcm"


def is_complete(study_folder: Path) -> bool:
    return (study_folder / MANIFEST).is_file()


def retrieve_study(
    node: PacsNode,
    study_uid: str,
    dest: str | Path | None = None,
    connection: PacsConnection | None = None,
) -> Generator[RetrieveProgress, None, RetrievedStudy]:
    """Yields progress after each stored instance; returns the study on disk. Raises
    PacsError (PartialRetrieveError when only some instances arrived). Closing the
    generator stops the transfer; what was stored stays for the next call to resume."""
    study_uid = study_uid.strip()
    if not is_uid(study_uid):
        raise PacsError(node.name, f"{study_uid!r} is not a Study Instance UID")
    dest = Path(dest) if dest is not None else retrieved_root()
    own = connection is None
    connection = connection or connect(node)
    try:
        return (yield from _retrieve(connection, node.name, study_uid, dest))
    finally:
        if own:
            connection.close()


def _retrieve(
    connection: PacsConnection, name: str, study_uid: str, dest: Path
) -> Generator[RetrieveProgress, None, RetrievedStudy]:
    refs = connection.list_instances(study_uid)
    if not refs:
        raise PacsError(name, f"study {study_uid} not found (no instances)")
    refs = list({ref.sop_uid: ref for ref in refs}.values())
    folder = dest / study_uid
    _remove_stale_temporaries(folder)
    wanted = {ref.sop_uid: ref for ref in refs if not instance_path(dest, ref).is_file()}
    reused = len(refs) - len(wanted)
    series_of = {ref.series_uid for ref in refs}
    partly_there = {ref.series_uid for ref in refs if ref.sop_uid not in wanted}
    whole_series = series_of - partly_there
    done, received, fetched = reused, 0, 0
    yield RetrieveProgress(done, len(refs), 0)
    why = ""
    if wanted:
        try:
            for data in connection.fetch(list(wanted.values()), whole_series):
                ref = _check_instance(name, data, study_uid)
                if ref.sop_uid not in wanted:
                    continue  # a duplicate, or one we already had
                write_bytes_atomic(instance_path(dest, ref), data)
                del wanted[ref.sop_uid]
                done, fetched, received = done + 1, fetched + 1, received + len(data)
                yield RetrieveProgress(done, len(refs), received)
        except PacsError as exc:
            if done == 0:
                raise
            why = exc.reason
    if wanted:
        raise PartialRetrieveError(
            name, study_uid, len(refs) - len(wanted), len(refs), why or "the PACS sent no more"
        )
    files = tuple(sorted(instance_path(dest, ref) for ref in refs))
    write_json_atomic(
        folder / MANIFEST,
        {
            "study_instance_uid": study_uid,
            "node": name,
            "retrieved": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "instances": [str(p.relative_to(folder)) for p in files],
        },
    )
    return RetrievedStudy(study_uid, folder, files, fetched, reused, received)


def _check_instance(name: str, data: bytes, study_uid: str) -> InstanceRef:
    """The received instance's identity; a PacsError for something that is not DICOM of
    this study (its UIDs become file names, so they must be UIDs)."""
    try:
        header = header_of(data)
        ref = InstanceRef(
            study_uid=str(header.StudyInstanceUID),
            series_uid=str(header.SeriesInstanceUID),
            sop_uid=str(header.SOPInstanceUID),
            sop_class_uid=str(header.get("SOPClassUID", "")),
        )
    except Exception as exc:  # noqa: BLE001 - any decoding failure means a malformed answer
        raise PacsError(name, f"malformed instance in the answer ({exc})") from exc
    if not all(is_uid(uid) for uid in (ref.study_uid, ref.series_uid, ref.sop_uid)):
        raise PacsError(name, "malformed instance in the answer (its UIDs are not UIDs)")
    if ref.study_uid != study_uid:
        raise PacsError(name, f"asked for study {study_uid}, got an instance of {ref.study_uid}")
    return ref


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files of a write that was killed (the rename never happened)."""
    if folder.is_dir():
        for tmp in folder.glob("*/.*.tmp"):
            tmp.unlink(missing_ok=True)


def read_manifest(study_folder: Path) -> dict:
    return json.loads((study_folder / MANIFEST).read_text(encoding="utf-8"))
