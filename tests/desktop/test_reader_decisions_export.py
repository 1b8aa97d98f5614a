"""Issue 19, from the desktop: the class chosen in the review panel, a lesion drawn by hand
and the calipers reach the single-image PDF and SR (they used to leave as the AI's)."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from desktop.models.image.findings_table import finding_rows
from engine.report import ExportRequest

ANALYSIS_TIMEOUT_MS = 15_000
EXPORT_TIMEOUT_MS = 30_000


def _empty_corner(mask: np.ndarray, size: int = 24) -> tuple[int, int]:
    """The top-left (row, col) of a size×size box well away from the AI's lesion."""
    rows, cols = mask.shape
    for r in range(8, rows - size - 8, 8):
        for c in range(8, cols - size - 8, 8):
            if not mask[max(0, r - 10) : r + size + 10, max(0, c - 10) : c + size + 10].any():
                return r, c
    raise AssertionError("no empty corner")


def test_reader_class_drawn_lesion_and_calipers_reach_pdf_and_sr(
    qtbot, window: MainWindow, node_png: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    window.open_path(node_png)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    state = window.state
    ai_label = state.ai_analysis.prediction.label
    assert state.ai_analysis.findings, "the sample should show the model's lesion"

    # The reader picks the other class in the review panel, with the keyboard.
    box = window.review_panel.class_box
    box.setFocus()
    key = Qt.Key.Key_Down if box.currentIndex() == 0 else Qt.Key.Key_Up
    qtbot.keyClick(box, key)
    reader_label = state.editor.label
    assert reader_label != ai_label
    assert all(f.label == reader_label for f in state.analysis.findings)
    assert all(f.label_source == "reader" for f in state.analysis.findings)

    # ... outlines a lesion the model missed, and measures a caliper.
    r, c = _empty_corner(state.ai_analysis.prediction.mask)
    assert state.editor.fill_polygon([(r, c), (r, c + 24), (r + 24, c + 24), (r + 24, c)])
    drawn = [f for f in state.analysis.findings if f.drawn_by_reader]
    assert len(drawn) == 1 and drawn[0].ai_probability is None
    number = next(i for i, f in enumerate(state.analysis.findings) if f.drawn_by_reader)
    assert finding_rows(state.analysis)[number][2:4] == ["—", "—"]  # no AI % in the table
    state.add_caliper((10.0, 10.0), (10.0, 70.0))

    sr_path, pdf_path = tmp_path / "sr.dcm", tmp_path / "r.pdf"
    window.start_export(ExportRequest(pdf=pdf_path, sr=sr_path, deidentify=False))
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=EXPORT_TIMEOUT_MS)

    groups = hd.sr.srread(sr_path).content.get_planar_roi_measurement_groups()
    lesions = [g for g in groups if g.tracking_identifier.startswith("Lesion")]
    calipers = [g for g in groups if g.tracking_identifier.startswith("Caliper")]
    assert len(lesions) == len(state.analysis.findings) and len(calipers) == 1
    for group in lesions:
        classes = {
            q.name.meaning: q.value.meaning.lower() for q in group.get_qualitative_evaluations()
        }
        assert classes["Lesion class (reader)"] == reader_label
    outlines = [
        {q.name.meaning: q.value.meaning for q in g.get_qualitative_evaluations()}["Outline source"]
        for g in lesions
    ]
    assert outlines.count("Drawn by the reader") == 1
    (length,) = calipers[0].get_measurements()
    assert (length.value, length.unit.value) == (60.0, "{pixel}")
    assert pdf_path.stat().st_size > 0
