"""File ▸ Export…: the dialog builds the request, the worker writes, notes and errors show."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image as PILImage
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop.main_window import MainWindow
from desktop.widgets.image.export_dialog import export_request
from engine.report.naming import case_pseudonym

ANALYSIS_TIMEOUT_MS = 15_000
EXPORT_TIMEOUT_MS = 30_000
LEFT = Qt.MouseButton.LeftButton


def test_request_names_and_deidentified_stem(tmp_path: Path) -> None:
    request = export_request(
        tmp_path, "DOE_JANE", {"pdf", "sr"}, deidentify=True, reviewer="a", pseudonym="case-1a"
    )
    assert request.pdf == tmp_path / "case-1a_report.pdf"
    assert request.sr == tmp_path / "case-1a_sr.dcm"
    assert request.secondary_capture == tmp_path / "case-1a_source_sc.dcm"  # no shared name
    assert request.seg is None and request.key_image is None
    assert request.deidentify and request.case == "case-1a" and request.reviewer == "a"
    assert not request.overwrite
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
    case = dialog.pseudonym
    assert case == case_pseudonym(window.state.analysis.image.pixels)
    outputs = ("finding.csv", "finding.json", "key.png", "report.pdf", "seg.dcm", "sr.dcm")
    assert names == [f"{case}_{n}" for n in outputs]
    assert all((out / name).stat().st_size > 0 for name in names)
    (finding,) = json.loads((out / f"{case}_finding.json").read_text())["cases"]
    assert finding["case"] == case and finding["file"] == ""  # de-identified: no file name
    assert finding["lesion_count"] == len(window.state.analysis.findings)
    seg = pydicom.dcmread(out / f"{case}_seg.dcm")
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


def _export_click(qtbot, dialog) -> None:  # noqa: ANN001
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), LEFT)


def test_export_never_overwrites_another_case_nor_without_asking(
    qtbot, window: MainWindow, node_sample, tmp_path: Path
) -> None:  # noqa: ANN001
    """Issue 20, item 3: the remembered folder plus one de-identified name (case_report.pdf)
    overwrote the previous patient's files. Each case has its own pseudonym in every file
    name, and exporting a case again asks (Cancel keeps the files, Replace rewrites them)."""
    first, second = tmp_path / "DOE_JANE.png", tmp_path / "ROE_RICHARD.png"
    PILImage.fromarray(node_sample.image).save(first)
    PILImage.fromarray(np.ascontiguousarray(node_sample.image[::-1])).save(second)
    out = tmp_path / "out"

    def export(path: Path, folder: Path | None = None):  # noqa: ANN202
        window.open_path(path)
        qtbot.waitUntil(
            lambda: window.state.analysis is not None and not window.has_running_jobs(),
            timeout=ANALYSIS_TIMEOUT_MS,
        )
        window.exporter.last = None
        dialog = window.open_export_dialog()
        if folder is not None:
            dialog.folder_edit.setText(str(folder))
        assert Path(dialog.folder_edit.text()) == out  # the remembered folder after the first
        _export_click(qtbot, dialog)
        return dialog

    export(first, out)
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=EXPORT_TIMEOUT_MS)
    jane = {p: p.read_bytes() for p in window.last_export.written}
    dialog = export(second)
    assert dialog.overwrite_box is None  # nothing of this case is there: no question
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=EXPORT_TIMEOUT_MS)
    richard = set(window.last_export.written)
    assert richard.isdisjoint(jane) and len(richard) == len(jane) == 7  # + SC, JSON, CSV
    assert any(p.name.endswith("_source_sc.dcm") for p in richard)
    assert all(p.read_bytes() == data for p, data in jane.items())  # Jane's files untouched
    assert not any("DOE" in p.name or "ROE" in p.name for p in out.iterdir())

    stamps = {p: p.stat().st_mtime_ns for p in richard}
    dialog = export(second)  # the same case again: asked first
    box = dialog.overwrite_box
    assert box is not None and box.isVisible() and dialog.isVisible()
    assert all(p.name in box.informativeText() for p in richard)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), LEFT)
    qtbot.wait(300)
    assert window.last_export is None and not window.has_running_jobs()
    assert {p: p.stat().st_mtime_ns for p in richard} == stamps  # nothing rewritten
    assert dialog.isVisible()  # to pick another folder
    _export_click(qtbot, dialog)
    qtbot.mouseClick(dialog.overwrite_box.button(QMessageBox.StandardButton.Cancel), LEFT)
    _export_click(qtbot, dialog)
    qtbot.mouseClick(dialog.replace_button, LEFT)
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=EXPORT_TIMEOUT_MS)
    assert set(window.last_export.written) == richard
    assert all(p.stat().st_mtime_ns > stamps[p] for p in richard)
