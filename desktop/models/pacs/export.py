"""Send to PACS after an export (image or volume): the DICOM files just written go to the
chosen node. Qt-free; runs inside the export's worker generator.

A PACS that refuses or is down does not undo the export: the result keeps its files and
gains a note starting with NOT_SENT, which the window shows as an error."""

from __future__ import annotations

from collections.abc import Generator

from engine.pacs import PacsError, PacsNode, send_files
from engine.report import ExportResult

NOT_SENT = "Not sent:"


def send_exported(result: ExportResult, node: PacsNode) -> Generator[str, None, ExportResult]:
    files = [p for p in result.written if p.suffix == ".dcm"]
    try:
        sent = yield from send_files(node, files)
    except PacsError as exc:
        return ExportResult(result.written, (*result.notes, f"{NOT_SENT} {exc}"))
    return ExportResult(result.written, (*result.notes, f"Sent {len(sent.sent)} to {sent.node}."))


def send_failure(result: ExportResult) -> str | None:
    """The NOT_SENT note of a result, if the send failed."""
    return next((note for note in result.notes if note.startswith(NOT_SENT)), None)
