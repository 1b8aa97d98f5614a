"""File ▸ Export…: which outputs, de-identified or not, the reviewer, and the folder.

The dialog only builds an engine.report.ExportRequest; the window runs export_case on the
worker thread. De-identification is on by default (issue 9). Output names are derived from
the case name, or a neutral "case" when de-identifying so the file names carry no identifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.report import ExportRequest

OUTPUTS = ("pdf", "seg", "sr", "key_image")
OUTPUT_TITLES = {
    "pdf": "PDF report",
    "seg": "DICOM SEG (mask)",
    "sr": "DICOM SR (TID 1500 measurements)",
    "key_image": "Key image (PNG)",
    "json": "Finding (JSON)",
    "csv": "Finding (CSV, one row per view)",
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


def output_paths(
    folder: Path, stem: str, outputs: set[str], offered: Sequence[str], deidentify: bool
) -> dict[str, Path]:
    """`<folder>/<stem>_<file name>` per chosen output; the stem is "case" when
    de-identifying, so file names carry no identifier."""
    stem = DEIDENTIFIED_STEM if deidentify else stem
    return {name: folder / f"{stem}_{FILE_NAMES[name]}" for name in offered if name in outputs}


def export_request(
    folder: Path,
    stem: str,
    outputs: set[str],
    deidentify: bool = True,
    reviewer: str = "",
    frame_index: int = 0,
) -> ExportRequest:
    """`<folder>/<stem>_report.pdf`, `_seg.dcm`, `_sr.dcm`, `_key.png` for the chosen outputs."""
    return ExportRequest(
        **output_paths(folder, stem, outputs, OUTPUTS, deidentify),
        deidentify=deidentify,
        reviewer=reviewer,
        frame_index=frame_index,
        case="" if deidentify else stem,
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
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export case")
        self.setMinimumWidth(480)
        self.case_stem, self.frame_index = case_stem, frame_index
        self.output_boxes = {name: QCheckBox(OUTPUT_TITLES[name]) for name in outputs}
        for box in self.output_boxes.values():
            box.setChecked(True)
            box.toggled.connect(self._update_ok)
        self.deidentify_box = QCheckBox("De-identify (DICOM PS3.15 basic profile)")
        self.deidentify_box.setChecked(True)
        self.deidentify_box.setToolTip(
            "Remove patient identifiers and remap UIDs; the file names use 'case'"
        )
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
        layout.addLayout(form)
        note = QLabel("Research use only — not for diagnosis.")
        note.setObjectName("note")
        layout.addWidget(note)
        layout.addWidget(self.buttons)
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
        )

    def _update_ok(self) -> None:
        ok = bool(self.outputs()) and bool(self.folder_edit.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)
