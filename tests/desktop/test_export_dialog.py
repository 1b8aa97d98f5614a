"""File ▸ Export…: the dialog builds the request, the worker writes, notes and errors show."""

from __future__ import annotations

from pathlib import Path

import pydicom

from desktop.export_dialog import export_request
from desktop.main_window import MainWindow

ANALYSIS_TIMEOUT_MS = 15_000
EXPORT_TIMEOUT_MS = 30_000


def test_request_names_and_deidentified_stem(tmp_path: Path) -> None:
    request = export_request(tmp_path, "DOE_JANE", {"pdf", "sr"}, deidentify=True, reviewer="a")
    assert request.pdf == tmp_path / "case_report.pdf" and request.sr == tmp_path / "case_sr.dcm"
    assert request.seg is None and request.key_image is None
    assert request.deidentify and request.case == "" and request.reviewer == "a"
    kept = export_request(tmp_path, "scan1", {"seg"}, deidentify=False, frame_index=3)
    assert kept.seg == tmp_path / "scan1_seg.dcm" and kept.case == "scan1"
    assert kept.frame_index == 3


def test_export_from_the_dialog(
    qtbot, window: MainWindow, node_dicom: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    window.open_path(node_dicom)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    dialog = window.open_export_dialog()
    assert dialog is not None and dialog.isVisible()
    assert dialog.deidentify_box.isChecked()  # on by default
    assert all(box.isChecked() for box in dialog.output_boxes.values())
    out = tmp_path / "out"
    dialog.folder_edit.setText(str(out))
    dialog.reviewer_edit.setText("Dr Test")
    dialog.accept()
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=EXPORT_TIMEOUT_MS)
    names = sorted(p.name for p in window.last_export.written)
    assert names == ["case_key.png", "case_report.pdf", "case_seg.dcm", "case_sr.dcm"]
    assert all((out / name).stat().st_size > 0 for name in names)
    seg = pydicom.dcmread(out / "case_seg.dcm")
    assert seg.Modality == "SEG" and str(seg.PatientName) != "SYNTHETIC^NODE"
    assert any("Identifiers removed" in note for note in window.last_export.notes)
    assert "Identifiers removed" in window.export_message.informativeText()
    assert window.error_bar.isHidden()


def test_export_failure_shows_in_the_error_bar(
    qtbot, window: MainWindow, node_png: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    window.open_path(node_png)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    dialog = window.open_export_dialog()
    for name, box in dialog.output_boxes.items():
        box.setChecked(name == "key_image")
    dialog.folder_edit.setText(str(blocker / "sub"))
    dialog.accept()
    qtbot.waitUntil(lambda: window.state.last_error is not None, timeout=EXPORT_TIMEOUT_MS)
    assert window.error_bar.message().startswith("Export failed:")
    assert window.last_export is None
