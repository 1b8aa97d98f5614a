"""Reports and interoperability: PDF, DICOM SEG and SR, JSON/CSV, de-identification.

One module per output (pdf, seg, sr, tabular, secondary_capture, key_image) plus
deidentify; `export_case` runs the ones a caller asks for. Public API for the CLI and GUI:

- export_case(analysis, model_info, ExportRequest(...), deidentifier=None) -> ExportResult
- ModelInfo.from_spec(loaded_model.spec)
- CaseFindings, write_findings_json, write_findings_csv, pseudonymous_cases (batch tables)
- Deidentifier (share one across the cases of one export for consistent UIDs)
- volume_seg(volume, labels, names, model_info) for CT/MR series (e.g. kidney + tumour)
"""

from engine.report.deidentify import Deidentifier
from engine.report.errors import ExportError
from engine.report.export import ExportRequest, ExportResult, export_case
from engine.report.model_info import ModelInfo
from engine.report.seg import volume_seg
from engine.report.tabular import (
    CaseFindings,
    pseudonymous_cases,
    write_findings_csv,
    write_findings_json,
)

__all__ = [
    "CaseFindings",
    "Deidentifier",
    "ExportError",
    "ExportRequest",
    "ExportResult",
    "ModelInfo",
    "export_case",
    "pseudonymous_cases",
    "volume_seg",
    "write_findings_csv",
    "write_findings_json",
]
