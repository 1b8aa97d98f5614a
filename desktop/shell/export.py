"""File ▸ Export… for a single image: the dialog (non-blocking), the export on the worker
queue with the reader's calipers and outlines, then (optionally) the DICOM outputs sent to a
PACS node, and a non-modal summary of what was written. Study and volume pages export their
own cases; the window asks them first."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator
from pathlib import Path

from PySide6.QtWidgets import QMainWindow, QMessageBox

from desktop.models.image.state import CaseState
from desktop.models.pacs.export import send_exported, send_failure
from desktop.shell.jobs import JobQueue
from desktop.widgets.image.export_dialog import ExportDialog
from engine.pacs import PacsNode
from engine.report import ExportRequest, ExportResult, ModelInfo, export_case
from engine.report.naming import case_pseudonym
from engine.types import Analysis

EXPORT_TAG = "export"


def export_steps(
    analysis: Analysis, model: ModelInfo, request: ExportRequest, send_to: PacsNode | None = None
) -> Generator[str, None, ExportResult]:
    """Export, then (send_to) store the DICOM outputs on a PACS node."""
    yield "Exporting…"
    result = export_case(analysis, model, request)
    if send_to is None:
        return result
    return (yield from send_exported(result, send_to))


class ImageExport:
    """dialog / message: the last ones opened (tests drive them); last: the last result."""

    def __init__(
        self,
        window: QMainWindow,
        state: CaseState,
        jobs: JobQueue,
        reviewer: Callable[[], str],
    ) -> None:
        self.window = window
        self.state = state
        self.jobs = jobs
        self.reviewer = reviewer
        self.dialog: ExportDialog | None = None
        self.message: QMessageBox | None = None
        self.last: ExportResult | None = None
        self._folder: Path | None = None

    def open_dialog(self) -> ExportDialog | None:
        state = self.state
        if state.analysis is None or state.model is None or state.path is None:
            state.notify("Nothing to export: open and analyse a case first")
            return None
        folder = self._folder or state.path.parent / "export"
        dialog = ExportDialog(
            state.path.stem,
            self.reviewer(),
            folder,
            state.frame_index,
            self.window,
            pseudonym=case_pseudonym(state.analysis.image.pixels),  # one name per case
        )
        dialog.accepted.connect(lambda: self.start(dialog.request(), dialog.send_node()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def start(self, request: ExportRequest, send_to: PacsNode | None = None) -> None:
        state = self.state
        if state.analysis is None or state.model is None:
            return
        if state.editor is not None:
            state.editor.end_stroke()
        analysis, model = state.analysis, ModelInfo.from_spec(state.model.spec)
        # The reader's calipers go with the reader's class and outlines (on the findings).
        request = dataclasses.replace(
            request, calipers=state.line_measurements(), shapes=state.shape_measurements()
        )
        anchor = next(p for p in (request.pdf, request.seg, request.sr, request.key_image) if p)
        self._folder = anchor.parent
        steps = lambda: export_steps(analysis, model, request, send_to)  # noqa: E731
        self.jobs.start(steps, EXPORT_TAG, self._on_exported)

    def _on_exported(self, _tag: str, result: ExportResult) -> None:
        self.last = result
        folder = result.written[0].parent if result.written else self._folder
        summary = f"Exported {len(result.written)} files to {folder}"
        self.window.statusBar().showMessage(summary)
        details = "\n".join(f"• {path.name}" for path in result.written)
        if result.notes:
            details += "\n\n" + "\n".join(result.notes)
        if send_failure(result):
            self.state.report_error(send_failure(result))
        box = QMessageBox(
            QMessageBox.Icon.Information, "Export finished", summary, parent=self.window
        )
        box.setInformativeText(details)
        box.setModal(False)
        self.message = box
        box.open()
