"""CaseState without Qt: events, keeping the previous case on errors, stale results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from desktop.models.image.state import CaseState, analysis_steps, describe_error
from desktop.models.reading.review import REVIEWED, SavedReview
from engine.errors import BundleError, LoadError
from engine.types import Analysis


def record(state: CaseState) -> list[tuple]:
    events: list[tuple] = []
    for name in ("image_changed", "analysis_changed", "busy_changed", "display_changed", "error"):
        state.subscribe(name, lambda *args, name=name: events.append((name, *args)))
    return events


def run_to_end(steps):  # noqa: ANN001, ANN201 - a generator; returns its return value
    progress = []
    while True:
        try:
            progress.append(next(steps))
        except StopIteration as done:
            return progress, done.value


def test_models_do_not_import_qt() -> None:
    """Every module under desktop.models runs without Qt (napari's components/ rule; the
    import-linter contract checks the imports, this checks what importing them pulls in)."""
    code = (
        "import importlib, pkgutil, sys, desktop.models as m\n"
        "for info in pkgutil.walk_packages(m.__path__, 'desktop.models.'):\n"
        "    importlib.import_module(info.name)\n"
        "assert not [n for n in sys.modules if n.startswith(('PySide6', 'pyqtgraph'))]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_open_emits_image_and_clears_analysis(node_dicom: Path) -> None:
    state = CaseState()
    events = record(state)
    assert state.open(node_dicom)
    assert state.image is not None and state.image.calibrated
    assert state.path == node_dicom
    assert [e[0] for e in events] == ["image_changed", "analysis_changed"]
    assert state.analysis is None


def test_bad_file_keeps_previous_case(node_png: Path, tmp_path: Path, known_analysis) -> None:  # noqa: ANN001
    state = CaseState()
    state.open(node_png)
    image = state.image
    state.analysis = known_analysis
    events = record(state)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert not state.open(empty)
    assert state.image is image and state.analysis is known_analysis
    assert state.last_error == "Cannot open empty.png: file is empty (0 bytes)"
    assert events == [("error", state.last_error)]


def test_successful_open_clears_error(node_png: Path, tmp_path: Path) -> None:
    state = CaseState()
    state.open(tmp_path / "missing.dcm")
    assert state.last_error is not None
    state.open(node_png)
    assert state.last_error is None


def test_analysis_round_trip(node_dicom: Path, model) -> None:  # noqa: ANN001
    state = CaseState(model)
    state.open(node_dicom)
    assert state.can_analyze
    request = state.start_analysis()
    assert state.busy and not state.can_analyze
    progress, analysis = run_to_end(analysis_steps(request))
    assert progress and isinstance(analysis, Analysis)
    assert state.finish_analysis(request, analysis)
    assert state.analysis is analysis and not state.busy and not state.can_analyze


def test_stale_result_is_dropped(node_dicom: Path, node_png: Path, known_analysis) -> None:  # noqa: ANN001
    state = CaseState(model=object())  # type: ignore[arg-type] - never called here
    state.open(node_dicom)
    old = state.start_analysis()
    state.open(node_png)  # the user moved on before the result came back
    assert not state.busy
    assert not state.finish_analysis(old, known_analysis)
    state.fail_analysis(old, RuntimeError("late"))
    assert state.analysis is None and state.last_error is None


def test_failed_analysis_keeps_image_and_reports(node_png: Path) -> None:
    state = CaseState(model=object())  # type: ignore[arg-type]
    state.open(node_png)
    request = state.start_analysis()
    state.fail_analysis(request, ValueError("boom"))
    assert state.image is not None and not state.busy
    assert state.last_error == "Unexpected error: ValueError: boom"


def test_display_settings_clamp_and_emit_once() -> None:
    state = CaseState()
    events = record(state)
    state.set_overlay_opacity(1.7)
    state.set_overlay_opacity(1.0)
    state.set_contours_visible(False)
    assert state.overlay_opacity == 1.0 and not state.contours_visible
    assert events == [("display_changed",), ("display_changed",)]


def test_unsubscribe_and_unknown_event() -> None:
    state = CaseState()
    seen: list[object] = []
    unsubscribe = state.subscribe("error", seen.append)
    state.report_error("first")
    unsubscribe()
    state.report_error("second")
    assert seen == ["first"]
    with pytest.raises(ValueError, match="unknown event"):
        state.subscribe("imagechanged", print)


def test_describe_error_names_file_and_reason(tmp_path: Path) -> None:
    assert describe_error(LoadError(tmp_path / "x.dcm", "not a DICOM file")) == (
        "Cannot open x.dcm: not a DICOM file"
    )
    assert describe_error(BundleError(tmp_path, "model.onnx is missing")).startswith(
        "Model unavailable: model bundle"
    )


def test_unsaved_edits_of_a_case_left_are_kept_as_a_draft_and_restored(
    tmp_path: Path, known_analysis: Analysis
) -> None:
    """Leaving a case keeps its unsaved corrections in memory only (never the datastore);
    opening it again restores them, still unsaved and undoable; saving forgets the draft."""
    state = CaseState()
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    image = known_analysis.image
    state.show_image(image, first, known_analysis)
    assert not state.keep_draft()  # nothing unsaved, nothing kept
    state.editor.begin_stroke((5.0, 5.0), 3.0)
    state.editor.end_stroke()
    state.editor.set_label("malignant")
    edited = state.editor.mask.copy()
    assert state.keep_draft() and state.has_draft(first)

    state.show_image(image, second, known_analysis)  # another case starts from its AI mask
    assert not state.modified and not np.array_equal(state.editor.mask, edited)
    assert not state.has_draft(second)

    state.show_image(image, first, known_analysis)
    assert state.modified and np.array_equal(state.editor.mask, edited)
    assert state.editor.label == "malignant" and state.editor.undo_name == "Class"
    assert np.array_equal(state.analysis.prediction.mask, edited)  # findings follow the draft
    assert first not in state.drafts and state.has_draft(first)  # in the editor again
    review = state.review_to_save("dr.a")
    assert review is not None and np.array_equal(review.mask, edited)
    assert state.keep_draft()
    state.mark_saved(SavedReview("a", edited, "malignant", "dr.a", "2026-12-01T10:00:00", REVIEWED))
    assert not state.has_draft(first) and not state.drafts
