"""File ▸ Export…: which outputs, de-identified or not, the reviewer, and the folder.

The dialog only builds an engine.report.ExportRequest; the window runs export_case on the
worker thread. De-identification is on by default (issue 9). Output names are derived from
the case name, or when de-identifying from the case's pseudonym (engine.report.naming), so
the file names carry no identifier and two patients never share one. When a file of the
export exists already, Export asks (Replace / Cancel) before anything is written (issue 20).

"Send to PACS" (image exports) adds SEG, SR and the key image as a Secondary Capture to the
outputs and names the node the window stores them to after writing them
(desktop.main_window.export_steps); de-identified unless the reader unticks De-identify,
e.g. for their own hospital's PACS.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.errors import LesionLensError
from engine.pacs import NodeBook, PacsNode
from engine.report import ExportRequest
from engine.report.naming import existing

OUTPUTS = ("pdf", "seg", "sr", "key_image", "json", "csv")
OUTPUT_TITLES = {
    "pdf": "PDF report",
    "seg": "DICOM SEG (mask)",
    "sr": "DICOM SR (TID 1500 measurements)",
    "key_image": "Key image (PNG)",
    "json": "Findings (JSON)",
    "csv": "Findings (CSV)",
    "labels_nifti": "Labels (NIfTI, on the CT's grid)",
}
FILE_NAMES = {
    "pdf": "report.pdf",
    "seg": "seg.dcm",
    "sr": "sr.dcm",
    "key_image": "key.png",
    "json": "finding.json",
    "csv": "finding.csv",
    "labels_nifti": "labels.nii.gz",
}
DEIDENTIFIED_STEM = "case"
PACS_OUTPUTS = {"seg", "sr"}  # and the key image as a Secondary Capture


def output_paths(
    folder: Path,
    stem: str,
    outputs: set[str],
    offered: Sequence[str],
    deidentify: bool,
    pseudonym: str | None = None,
) -> dict[str, Path]:
    """`<folder>/<stem>_<file name>` per chosen output; de-identifying, the stem is the
    case's pseudonym (or "case" without one), so file names carry no identifier."""
    stem = (pseudonym or DEIDENTIFIED_STEM) if deidentify else stem
    return {name: folder / f"{stem}_{FILE_NAMES[name]}" for name in offered if name in outputs}


def request_paths(request: object) -> list[Path]:
    """Every file an export request names (any request dataclass: image, study, volume)."""
    values = (getattr(request, f.name) for f in dataclasses.fields(request))  # type: ignore[arg-type]
    return [v for v in values if isinstance(v, Path)]


def export_request(
    folder: Path,
    stem: str,
    outputs: set[str],
    deidentify: bool = True,
    reviewer: str = "",
    frame_index: int = 0,
    for_pacs: bool = False,
    pseudonym: str | None = None,
    overwrite: bool = False,
) -> ExportRequest:
    """`<folder>/<stem>_report.pdf`, `_seg.dcm`, `_sr.dcm`, `_key.png` for the chosen outputs
    (and `_source_sc.dcm`, the Secondary Capture SEG and SR reference for a PNG/JPG source);
    for_pacs adds SEG, SR and `_key_sc.dcm` (the key image as a Secondary Capture).
    De-identifying, the stem and the case printed in the PDF are the pseudonym."""
    if for_pacs:
        outputs = set(outputs) | PACS_OUTPUTS
    name = (pseudonym or DEIDENTIFIED_STEM) if deidentify else stem
    paths = output_paths(folder, stem, outputs, OUTPUTS, deidentify, pseudonym)
    dicom = "seg" in paths or "sr" in paths
    return ExportRequest(
        **paths,
        key_image_dicom=folder / f"{name}_key_sc.dcm" if for_pacs else None,
        secondary_capture=folder / f"{name}_source_sc.dcm" if dicom else None,
        deidentify=deidentify,
        reviewer=reviewer,
        frame_index=frame_index,
        case=(pseudonym or "") if deidentify else stem,
        overwrite=overwrite,
    )


class ExportDialog(QDialog):
    def __init__(
        self,
        case_stem: str,
        reviewer: str,
        folder: Path,
        frame_index: int = 0,
        parent: QWidget | None = None,
        outputs: Sequence[str] = OUTPUTS,
        book: NodeBook | None = None,
        pseudonym: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export case")
        self.setMinimumWidth(480)
        self.case_stem, self.frame_index = case_stem, frame_index
        self.pseudonym = pseudonym
        self.overwrite = False  # the reader agreed to replace the files that exist
        self.overwrite_box: QMessageBox | None = None
        self.output_boxes = {name: QCheckBox(OUTPUT_TITLES[name]) for name in outputs}
        for box in self.output_boxes.values():
            box.setChecked(True)
            box.toggled.connect(self._update_ok)
        self.deidentify_box = QCheckBox("De-identify (DICOM PS3.15 basic profile)")
        self.deidentify_box.setChecked(True)
        self.deidentify_box.setToolTip(
            "Remove patient identifiers and remap UIDs; the file names use the case's "
            f"pseudonym ({pseudonym or DEIDENTIFIED_STEM})"
        )
        sends = "SEG, SR and key image" if "key_image" in outputs else "SEG"
        self.send_box = QCheckBox(f"Send to PACS ({sends})")
        self.send_box.setToolTip(
            "After writing the files, store SEG, SR and the key image (Secondary Capture) "
            "on the chosen node"
        )
        self.node_combo = QComboBox()
        self.pacs_note = QLabel()
        self.pacs_note.setObjectName("note")
        self.pacs_note.setWordWrap(True)
        self.reviewer_edit = QLineEdit(reviewer)
        self.folder_edit = QLineEdit(str(folder))
        self.folder_edit.textChanged.connect(self._update_ok)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, stretch=1)
        folder_row.addWidget(browse)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Reviewer", self.reviewer_edit)
        form.addRow("Output folder", folder_row)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Outputs</b>"))
        for box in self.output_boxes.values():
            layout.addWidget(box)
        layout.addSpacing(6)
        layout.addWidget(self.deidentify_box)
        send_row = QHBoxLayout()
        send_row.addWidget(self.send_box)
        send_row.addWidget(self.node_combo, stretch=1)
        layout.addLayout(send_row)
        layout.addWidget(self.pacs_note)
        layout.addLayout(form)
        note = QLabel("Research use only — not for diagnosis.")
        note.setObjectName("note")
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self._fill_nodes(book, can_send="seg" in outputs)  # images and volumes, not studies
        self.send_box.toggled.connect(self._sync_pacs)
        self.deidentify_box.toggled.connect(self._sync_pacs)
        self.node_combo.currentIndexChanged.connect(self._sync_pacs)
        self._update_ok()

    def outputs(self) -> set[str]:
        return {name for name, box in self.output_boxes.items() if box.isChecked()}

    def request(self) -> ExportRequest:
        return export_request(
            Path(self.folder_edit.text().strip()).expanduser(),
            self.case_stem,
            self.outputs(),
            deidentify=self.deidentify_box.isChecked(),
            reviewer=self.reviewer_edit.text().strip(),
            frame_index=self.frame_index,
            for_pacs=self.send_node() is not None,
            pseudonym=self.pseudonym,
            overwrite=self.overwrite,
        )

    def accept(self) -> None:
        """Export: at once when no file of it exists; else ask first (non-modal box, so the
        dialog stays open to pick another folder on Cancel)."""
        found = existing(request_paths(self.request()))
        if not found or self.overwrite:
            super().accept()
            return
        listed = "\n".join(f"• {p.name}" for p in found)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Replace files?",
            f"{len(found)} file{'s' if len(found) != 1 else ''} of this export exist already in "
            f"{found[0].parent}. Replace {'them' if len(found) != 1 else 'it'}?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(listed)
        self.replace_button = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda button: self._on_overwrite_answer(button))
        self.overwrite_box = box
        box.open()

    def _on_overwrite_answer(self, button: object) -> None:
        if button is self.replace_button:
            self.overwrite = True
            super().accept()

    def send_node(self) -> PacsNode | None:
        """The node to store SEG, SR and key image on, None when not sending."""
        if not self.send_box.isChecked():
            return None
        return self._nodes.get(self.node_combo.currentText())

    def _fill_nodes(self, book: NodeBook | None, can_send: bool) -> None:
        self._nodes: dict[str, PacsNode] = {}
        if not can_send:  # a multi-view study exports no DICOM to store
            for widget in (self.send_box, self.node_combo, self.pacs_note):
                widget.hide()
            return
        try:
            self._nodes = (book or NodeBook()).load()
        except LesionLensError as exc:
            self.pacs_note.setText(str(exc))
        self.node_combo.addItems(list(self._nodes))
        if not self._nodes:
            self.send_box.setEnabled(False)
            self.node_combo.setEnabled(False)
            self.send_box.setToolTip("No PACS node yet: File ▸ PACS… ▸ Nodes…")
        self._sync_pacs()

    def _sync_pacs(self) -> None:
        sending = self.send_box.isChecked()
        self.node_combo.setEnabled(sending and bool(self._nodes))
        node = self.node_combo.currentText()
        if not sending:
            self.pacs_note.setText("")
        elif self.deidentify_box.isChecked():
            self.pacs_note.setText(f"De-identified copies go to {node} (a new pseudonymous study).")
        else:
            self.pacs_note.setText(
                f"Identified: patient data goes to {node}, filed in the original study."
            )
        self._update_ok()

    def _update_ok(self) -> None:
        ok = (bool(self.outputs()) or self.send_box.isChecked()) and bool(
            self.folder_edit.text().strip()
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)
