"""File ▸ Export… for a study: the PDF (both views with the attention map and outline, the
case's finding), the finding as JSON and CSV. The same dialog as for one image, with the
outputs a study has; it builds an engine.report.study.export.StudyExportRequest."""

from __future__ import annotations

from pathlib import Path

from desktop.widgets.image.export_dialog import DEIDENTIFIED_STEM, ExportDialog, output_paths
from engine.report.study.export import StudyExportRequest

STUDY_OUTPUTS = ("pdf", "json", "csv")


def study_export_request(
    folder: Path,
    stem: str,
    outputs: set[str],
    deidentify: bool = True,
    reviewer: str = "",
    mirror_posterior: bool = True,
    confirmed_label: str | None = None,
    pseudonym: str | None = None,
) -> StudyExportRequest:
    """`<folder>/<stem>_report.pdf`, `_finding.json`, `_finding.csv` for the chosen outputs;
    the stem (and the case name in the outputs) is the pseudonym when de-identifying."""
    return StudyExportRequest(
        **output_paths(folder, stem, outputs, STUDY_OUTPUTS, deidentify, pseudonym),
        deidentify=deidentify,
        reviewer=reviewer,
        case=(pseudonym or DEIDENTIFIED_STEM) if deidentify else stem,
        mirror_posterior=mirror_posterior,
        confirmed_label=confirmed_label,
    )


class StudyExportDialog(ExportDialog):
    def __init__(
        self,
        case_stem: str,
        reviewer: str,
        folder: Path,
        mirror_posterior: bool,
        parent=None,  # noqa: ANN001
        confirmed_label: str | None = None,
        pseudonym: str | None = None,
    ):
        super().__init__(
            case_stem, reviewer, folder, 0, parent, outputs=STUDY_OUTPUTS, pseudonym=pseudonym
        )
        self.setWindowTitle("Export study")
        self.mirror_posterior = mirror_posterior
        self.confirmed_label = confirmed_label

    def request(self) -> StudyExportRequest:  # type: ignore[override]
        return study_export_request(
            Path(self.folder_edit.text().strip()).expanduser(),
            self.case_stem,
            self.outputs(),
            deidentify=self.deidentify_box.isChecked(),
            reviewer=self.reviewer_edit.text().strip(),
            mirror_posterior=self.mirror_posterior,
            confirmed_label=self.confirmed_label,
            pseudonym=self.pseudonym,
        )
