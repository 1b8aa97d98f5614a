"""Send DICOM files (SEG, SR, Secondary Capture, ...) to a PACS: STOW-RS or C-STORE."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from engine.errors import LoadError
from engine.pacs.client import PacsConnection, connect
from engine.pacs.nodes import PacsNode


@dataclass(frozen=True)
class SendResult:
    node: str
    sent: tuple[Path, ...]
    sop_instance_uids: tuple[str, ...]
    study_uids: tuple[str, ...]


def read_for_sending(path: Path) -> Dataset:
    try:
        ds = dcmread(path)
    except (InvalidDicomError, OSError, ValueError) as exc:
        raise LoadError(path, f"not a DICOM file ({exc})") from exc
    missing = [k for k in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID") if k not in ds]
    if missing or "TransferSyntaxUID" not in ds.file_meta:
        raise LoadError(path, f"cannot be sent: lacks {', '.join(missing or ['file meta'])}")
    return ds


def send_files(
    node: PacsNode, paths: Sequence[str | Path], connection: PacsConnection | None = None
) -> Generator[str, None, SendResult]:
    """Every file is read (and checked) before anything is sent; then one store per file,
    yielding progress text. A PacsError names the node and the first refusal."""
    files = [Path(p) for p in paths]
    datasets = [read_for_sending(p) for p in files]
    own = connection is None
    connection = connection or connect(node)
    try:
        for i, (path, ds) in enumerate(zip(files, datasets, strict=True), start=1):
            yield f"Sending {path.name} to {node.name} ({i}/{len(files)})…"
            connection.store([ds])
    finally:
        if own:
            connection.close()
    return SendResult(
        node=node.name,
        sent=tuple(files),
        sop_instance_uids=tuple(str(ds.SOPInstanceUID) for ds in datasets),
        study_uids=tuple(dict.fromkeys(str(ds.StudyInstanceUID) for ds in datasets)),
    )
