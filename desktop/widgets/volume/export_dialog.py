"""File ▸ Export… for a CT volume: the two-segment DICOM SEG (kidney, tumour), the finding as
JSON (volumes in mL, both classifiers, radiomics features) and the label map as NIfTI. The
same dialog as for one image, with the outputs a volume has; it builds an
engine.report.volume.export.VolumeExportRequest."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget

from desktop.widgets.image.export_dialog import ExportDialog, output_paths
from engine.report.volume.export import VolumeExportRequest

VOLUME_OUTPUTS = ("seg", "json", "labels_nifti")


def volume_export_request(
    folder: Path,
    stem: str,
    outputs: set[str],
    deidentify: bool = True,
    corrected: bool = False,
    pseudonym: str | None = None,
) -> VolumeExportRequest:
    """`<folder>/<stem>_seg.dcm`, `_finding.json`, `_labels.nii.gz` for the chosen outputs;
    the stem is the pseudonym when de-identifying, so file names carry no identifier."""
    paths = output_paths(folder, stem, outputs, VOLUME_OUTPUTS, deidentify, pseudonym)
    return VolumeExportRequest(**paths, deidentify=deidentify, corrected=corrected)


class VolumeExportDialog(ExportDialog):
    def __init__(
        self,
        case_stem: str,
        folder: Path,
        corrected: bool,
        parent: QWidget | None = None,
        pseudonym: str | None = None,
    ) -> None:
        super().__init__(
            case_stem, "", folder, 0, parent, outputs=VOLUME_OUTPUTS, pseudonym=pseudonym
        )
        self.setWindowTitle("Export volume")
        self.corrected = corrected
        self.reviewer_edit.setEnabled(False)  # no report page to sign for a volume yet

    def request(self) -> VolumeExportRequest:  # type: ignore[override]
        outputs = self.outputs() | ({"seg"} if self.send_node() is not None else set())
        return volume_export_request(
            Path(self.folder_edit.text().strip()).expanduser(),
            self.case_stem,
            outputs,
            deidentify=self.deidentify_box.isChecked(),
            corrected=self.corrected,
            pseudonym=self.pseudonym,
        )
