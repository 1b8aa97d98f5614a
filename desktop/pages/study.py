"""The study page of the main window: a multi-view case (anterior + posterior, photo +
ultrasound) opens here instead of the single-image canvas. It owns the StudyState and its
widgets, runs "Analyze" for the study on the window's worker thread (the model is the
registry's active one for exactly these views, engine.model_lookup.default_bundle: the
shipped bundle for them until a fine-tune is promoted) and exports the study.

The page asks the window for what it needs through desktop.pages.host.PageHost (the central
stack, the status bar, the banner, the one job queue, …), never through the window itself.
Opening a single image leaves the study page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from desktop.models.editing.tool_state import NAVIGATE, ToolState
from desktop.models.study.findings import study_disclaimer
from desktop.models.study.state import StudyRequest, StudyResult, StudyState, study_analysis_steps
from desktop.pages.host import PageHost
from desktop.widgets.study.export_dialog import StudyExportDialog
from desktop.widgets.study.findings_panel import StudyFindingsPanel
from desktop.widgets.study.view import StudyView
from desktop.widgets.window_presets_menu import PresetTarget
from engine.report import ExportResult, ModelInfo
from engine.report.naming import case_pseudonym
from engine.report.study.export import StudyExportRequest, export_study
from engine.types import StudyAnalysis

TOOLS_OFF = (
    "a study shows several views side by side; the drawing and measuring tools work on one "
    "image (open one view's file with File > Open to measure it). Smart Click works on each "
    "view: the button above the views, key A"
)


def study_export_steps(
    analysis: StudyAnalysis, model: ModelInfo, request: StudyExportRequest
) -> Generator[str, None, ExportResult]:
    yield "Exporting the study…"
    return export_study(analysis, model, request)


class StudyPage:
    """view: goes into the window's central stack; panel: into its side column, in place of
    the single image's panels while the page is shown."""

    EXPORT_TAG = "study-export"

    def __init__(self, host: PageHost, state: StudyState | None = None) -> None:
        self.host = host
        self.state = state or StudyState()
        self.tools = ToolState()  # the study's own tool (Smart Click or pan/zoom)
        self.view = StudyView(self.state, self.tools)
        self.panel = StudyFindingsPanel(self.state)
        host.add_page(self.view, self.panel)
        self.view.cursor_moved.connect(host.show_cursor)
        self.active = False
        self.export_dialog: StudyExportDialog | None = None
        self.export_message: QMessageBox | None = None
        self.last_export: ExportResult | None = None
        self._export_folder: Path | None = None
        self.state.subscribe("status", self._show_status)
        self.state.subscribe("study_changed", lambda _study: self._show_disclaimer())
        # Loading another image model rewrites the banner; on the study page it keeps the
        # study model's card (this subscriber runs after the banner's own).
        host.state.subscribe("model_changed", lambda _model: self._show_disclaimer())
        self.state.subscribe("error", lambda message: message and self._show_status(message))
        self._build_actions()
        self.tools.subscribe("tool_changed", self._show_tool)
        for event in ("corrections_changed", "busy_changed", "analysis_changed", "study_changed"):
            self.state.subscribe(event, lambda *_: self._sync_actions())

    def _build_actions(self) -> None:
        """Keys on the study page: A (Smart Click), Ctrl+Z / Ctrl+Y. Enabled only while the page
        is shown, when the 2D toolbar's actions with these keys are off (set_unavailable)."""
        self.smart_click_action = self._action(
            "Study Smart Click", self.view.toggle_smart_click, "A"
        )
        self.undo_action = self._action("Undo Study Edit", self.state.undo, "Ctrl+Z")
        self.redo_action = self._action("Redo Study Edit", self.state.redo, "Ctrl+Y")
        self._sync_actions()

    def _action(self, text: str, slot, shortcut: str) -> QAction:  # noqa: ANN001
        action = QAction(text, self.host.parent_widget())
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.host.add_actions([action])
        return action

    def _show_tool(self) -> None:
        """The status bar names the study's tool while the page is shown (the 2D one after)."""
        if self.active:
            self.host.show_tool(self.tools.label)

    def _sync_actions(self) -> None:
        corrections, active = self.state.corrections, self.active
        editable = active and corrections is not None and not self.state.busy
        self.smart_click_action.setEnabled(active and self.state.study is not None)
        self.undo_action.setEnabled(editable and corrections.can_undo)
        self.redo_action.setEnabled(editable and corrections.can_redo)

    # -- showing ----------------------------------------------------------------------------

    def open(self, path: str | Path) -> bool:
        """Open the study at `path` (see desktop.models.study.cases) and analyse it when a model
        fits."""
        self._show_status(f"Opening study {Path(path).name}…")
        if not self.state.open(path):
            return False
        self.enter()
        study = self.state.study
        assert study is not None
        views = " + ".join(study.views)
        self._show_status(f"Opened study {study.case_id}: {views}; {self.state.link.reason}")
        self.analyze_if_ready()
        return True

    def enter(self) -> None:
        # The 2D tools' keys are off here: Caliper (M) dragged a pan on the study's views.
        self.host.show_page(self.view, keep_side_column=True, tools_off=TOOLS_OFF)
        self.panel.show()
        self.active = True
        self._sync_actions()
        self._show_tool()
        self._show_disclaimer()
        study = self.state.study
        if study is not None:
            self.host.set_title(f"LesionLens — {study.case_id} (study)")

    def leave(self) -> None:
        if not self.active:
            return
        self.view.tools.set_tool(NAVIGATE)
        self.active = False
        self._sync_actions()
        self.host.show_tool(None)  # the window's own tool
        self.panel.hide()  # the window shows the image (and its widgets) next
        self.host.show_model_card(None)  # back to the image model's card

    def _show_disclaimer(self) -> None:
        """The research banner quotes the card of the model that reads this study."""
        if self.active:
            self.host.show_model_card(study_disclaimer(self.state.bundle))

    # -- analysis ---------------------------------------------------------------------------

    def analyze_if_ready(self) -> bool:
        state = self.state
        if not state.can_analyze:
            if state.study is not None and state.bundle is None:
                self._show_status(state.why_not_analysed())
            return False
        request = state.start_analysis()
        self.host.start_job(
            lambda: study_analysis_steps(request), request, self._on_analysed, self._on_failed
        )
        return True

    def _on_analysed(self, request: StudyRequest, result: StudyResult) -> None:
        if self.state.finish_analysis(request, result):
            prediction = result.analysis.prediction
            p = prediction.probabilities[prediction.label]
            self._show_status(
                f"Study {request.study.case_id}: {prediction.label} ({p:.0%}) "
                f"with {result.spec.model_id}"
            )

    def _on_failed(self, tag: object, error: BaseException) -> None:
        if isinstance(tag, StudyRequest):
            self.state.fail_analysis(tag, error)
        else:
            self.state.report_error(f"Export failed: {error}")

    # -- export -----------------------------------------------------------------------------

    def exportable(self) -> bool:
        """File ▸ Export… applies: the page is shown and its study analysed."""
        return self.active and self.state.analysis is not None

    def reset_window(self) -> None:
        self.state.reset_windows()  # each grey view back to its own default

    def preset_target(self) -> PresetTarget:
        state = self.state
        return PresetTarget(state.preset_names, state.apply_preset, state.notify)

    def open_export_dialog(self) -> StudyExportDialog | None:
        state = self.state
        if state.analysis is None or state.spec is None or state.study is None:
            self._show_status("Nothing to export: the study has no analysis yet")
            return None
        base = state.path.parent if state.path is not None else Path.home()
        folder = self._export_folder or base / "export"
        dialog = StudyExportDialog(
            state.study.case_id,
            self.host.reviewer(),
            folder,
            state.mirror_posterior,
            self.host.parent_widget(),
            confirmed_label=state.confirmed_label,
            pseudonym=case_pseudonym(state.path or state.study.case_id),
        )
        dialog.accepted.connect(lambda: self.start_export(dialog.request()))
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def start_export(self, request: StudyExportRequest) -> None:
        state = self.state
        if state.analysis is None or state.spec is None or not request.outputs:
            return
        analysis, model = state.analysis, ModelInfo.from_spec(state.spec)
        if state.corrections is not None:  # Smart Click outlines: reader-drawn, AI-assisted
            request = dataclasses.replace(request, assistance=state.corrections.assistance())
        self._export_folder = request.outputs[0].parent
        self.host.start_job(
            lambda: study_export_steps(analysis, model, request),
            self.EXPORT_TAG,
            self._on_exported,
            self._on_failed,
        )

    def _on_exported(self, _tag: str, result: ExportResult) -> None:
        self.last_export = result
        folder = result.written[0].parent if result.written else self._export_folder
        summary = f"Exported {len(result.written)} files to {folder}"
        self._show_status(summary)
        details = "\n".join(f"• {path.name}" for path in result.written)
        if result.notes:
            details += "\n\n" + "\n".join(result.notes)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Export finished",
            summary,
            parent=self.host.parent_widget(),
        )
        box.setInformativeText(details)
        box.setModal(False)
        self.export_message = box
        box.open()

    def _show_status(self, message: str) -> None:
        self.host.show_status(message)
