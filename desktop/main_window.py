"""The workstation window: a shell of menus and pages around the case on screen.

The pages (desktop.pages: the single image, a study, a volume) share one case list, one
worker queue and one Model & training dock; they see this window only as a PageHost
(desktop.shell.page_host), and case_page() says which of them shows the case. desktop.shell
does the work (worker queue, navigation, Analyze all, export, saving, calipers in the
datastore) over the Qt-free state of desktop.models; this module wires them. Failures become
messages (status and error bar), never a blocked GUI thread. Corrections reach the datastore
(and training) only when saved (Ctrl+S, or Save when asked); ask_unsaved_changes and
ask_discard_drafts are the questions tests replace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMessageBox, QWidget

from desktop.models.editing.tool_state import ToolState
from desktop.models.feedback.state import TrainingState
from desktop.models.image.batch_analysis import AnalysisCache
from desktop.models.image.series import VOLUME
from desktop.models.image.state import AnalysisRequest, CaseState, describe_error
from desktop.models.reading.case_list import CaseEntry, CaseList
from desktop.models.reading.review_store import ReviewStore
from desktop.pages.host import CasePage
from desktop.pages.image import ImagePage
from desktop.pages.volume import VolumePage
from desktop.shell.analysis import ImageAnalysis
from desktop.shell.batch import BATCH_TAG, BatchRunner
from desktop.shell.export import EXPORT_TAG, ImageExport
from desktop.shell.jobs import JobQueue
from desktop.shell.layout import build_layout, build_status_bar
from desktop.shell.measurements import MeasurementSync
from desktop.shell.menus import build_menus
from desktop.shell.navigation import CaseNavigator, opened_message
from desktop.shell.page_host import WindowPageHost
from desktop.shell.saving import ReviewSaving
from desktop.shell.shown_page import ShownPage
from desktop.shell.usefulness import SORT_TAG, CaseSorter
from desktop.widgets.banner import ResearchBanner
from desktop.widgets.case_list_dock import CaseListDock
from desktop.widgets.error_bar import ErrorBar
from desktop.widgets.feedback.panel import TrainingPanel
from desktop.widgets.feedback.runner import TrainingRunner
from desktop.widgets.gui_gc import pin_garbage_collection_to_gui_thread
from desktop.widgets.image.export_dialog import ExportDialog
from desktop.widgets.pacs.browser import PacsBrowser
from desktop.widgets.questions import CANCEL, DISCARD, SAVE, ask_discard_drafts, ask_unsaved_changes
from desktop.widgets.shortcuts_dialog import ShortcutsDialog
from engine.inference import LoadedModel
from engine.pacs import PacsNode
from engine.report import ExportRequest, ExportResult

__all__ = ["CANCEL", "DISCARD", "SAVE", "MainWindow"]

ANALYSE_DELAY_MS = 250  # after the last frame change, so scrubbing does not queue analyses


class MainWindow(QMainWindow):
    def __init__(
        self,
        state: CaseState | None = None,
        review_store: ReviewStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        pin_garbage_collection_to_gui_thread()  # workers never collect (desktop.widgets.gui_gc)
        self.state = s = state or CaseState()
        self.review_store = review_store or ReviewStore()
        self.tools = ToolState()
        self.cases = CaseList()
        self.jobs = JobQueue(self, self._show_status, self._on_job_failed, self._on_busy_changed)
        self.page_host = WindowPageHost(self)  # what the pages see of the window

        self.banner = ResearchBanner(s)
        self.error_bar = ErrorBar(s)
        self.image_page = page = ImagePage(self.page_host, s, self.tools)  # the single image
        self.canvas, self.toolbar = page.canvas, page.toolbar  # its widgets, as tests name them
        self.frame_controls, self.findings_panel = page.frame_controls, page.findings_panel
        self.review_panel, self.descriptor_panel = page.review_panel, page.descriptor_panel
        self.display_controls = page.display_controls
        self.case_dock = CaseListDock(self.cases)
        self.training = TrainingState(self.review_store)
        self.training_runner = TrainingRunner(self.training, self)
        self.training_panel = TrainingPanel(self.training, self.training_runner)
        reviewer = lambda: self.review_panel.reviewer  # noqa: E731
        self.measurements = MeasurementSync(self, s, self.review_store)
        self.saving = ReviewSaving(s, self.cases, self.review_store, self.training, reviewer)
        self.navigator = CaseNavigator(self, self)
        self.exporter = ImageExport(self, s, self.jobs, reviewer)
        self.batch = BatchRunner(
            s, self.cases, self.case_dock, self.review_store, self.jobs, self._show_status,
            lambda running: self.analyze_all_action.setEnabled(not running),
            lambda path: self.analyze_if_ready() if path == s.path else None,
        )  # fmt: skip
        self.analysis = ImageAnalysis(
            self, s, self.cases, self.jobs, self.batch, self.saving, self._show_status
        )
        self.sorter = CaseSorter(s, self.cases, self.case_dock, self.review_store, self.jobs)
        self.shown_page = ShownPage(self)
        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.timeout.connect(self.analyze_if_ready)
        build_layout(self)
        build_menus(self)
        self._sync_view_actions()
        build_status_bar(self)
        self._on_busy_changed()
        self.page_host.show_tool(None)
        self.setAcceptDrops(True)
        self.setWindowTitle("LesionLens")

        s.subscribe("image_changed", lambda _image: self._on_image_changed())
        s.subscribe("frame_changed", lambda _index: self._frame_timer.start(ANALYSE_DELAY_MS))
        s.subscribe("model_changed", lambda _model: self.analyze_if_ready())
        s.subscribe("domain_changed", self.analyze_if_ready)
        s.subscribe("busy_changed", lambda _busy: self._on_busy_changed())
        s.subscribe("display_changed", self._sync_view_actions)
        s.subscribe("review_changed", self.refresh_review_actions)
        s.subscribe("analysis_changed", lambda _a: self.refresh_review_actions())
        s.subscribe("status", self._show_status)
        s.subscribe("error", self.show_error)
        refresh = self.refresh_review_actions
        self.study_page.state.subscribe("analysis_changed", lambda _a: refresh())
        self.frame_controls.frame_requested.connect(self.navigator.request_frame)
        self.frame_controls.play_button.toggled.connect(self._on_play_toggled)
        self.case_dock.case_chosen.connect(self.go_to_case)
        self.case_dock.sort_requested.connect(self.sort_cases)
        self.case_dock.analyze_all_requested.connect(self.analyze_all)
        self.case_dock.cancel_requested.connect(self.batch.cancel)
        self.review_panel.save_requested.connect(self.save_review)
        t = self.training
        t.subscribe("error", s.report_error)
        t.subscribe("status", self._show_status)
        t.subscribe("active_model_changed", self.load_model)
        t.subscribe("readiness_changed", lambda _reason: self.sync_actions())
        t.subscribe("models_changed", self.sync_actions)
        for event in ("image_changed", "frame_changed", "model_changed", "domain_changed"):
            s.subscribe(event, lambda *_: self.sync_actions())
        self.volume_mode = VolumePage(
            self.page_host, self.review_store.root
        )  # CT/MR volumes: three views, labels
        self.training.refresh()
        self.refresh_review_actions()

    # -- opening cases (desktop.shell.navigation) ---------------------------------------------

    def open_path(self, path: str | Path) -> bool:
        return self.navigator.open_path(path)

    def open_folder(self, folder: str | Path) -> bool:
        return self.navigator.open_folder(folder)

    def open_datastore_cases(self) -> bool:
        return self.navigator.open_datastore_cases()

    def open_pacs_browser(self) -> PacsBrowser:
        return self.navigator.open_pacs_browser()

    @property
    def pacs_browser(self) -> PacsBrowser | None:
        return self.navigator.pacs_browser

    def go_to_case(self, entry: CaseEntry) -> bool:
        return self.navigator.go_to_case(entry)

    def step_case(self, step: int) -> bool:
        return self.navigator.step_case(step)

    # -- saving and leaving (desktop.shell.saving) --------------------------------------------

    def save_review(self) -> bool:
        """Ctrl+S: the corrected mask and confirmed class to the datastore."""
        return self.saving.save()

    def confirm_leave(self, what: str) -> bool:
        """True when the case on screen may be left (nothing unsaved, saved, or discarded)."""
        if not self.state.modified and not self.saving.study_modified:
            return self.volume_mode.confirm_leave(what)  # label edits of a volume
        return self.saving.leave(self.ask_unsaved_changes(what))

    def ask_unsaved_changes(self, what: str) -> str:
        """SAVE, DISCARD or CANCEL (desktop.widgets.questions); tests replace this method."""
        return ask_unsaved_changes(self, what)

    def ask_discard_drafts(self, names: list[str]) -> bool:
        """True to close although other cases have unsaved drafts. Tests replace this."""
        return ask_discard_drafts(self, names)

    # -- export (desktop.shell.export; the study and volume pages export their own) ------------

    def open_export_dialog(self) -> QWidget | None:
        """File ▸ Export… of the page shown: non-blocking; exports when the dialog is accepted."""
        page = self.case_page()
        return self.exporter.open_dialog() if page is None else page.open_export_dialog()

    def start_export(self, request: ExportRequest, send_to: PacsNode | None = None) -> None:
        self.exporter.start(request, send_to)

    @property
    def last_export(self) -> ExportResult | None:
        return self.exporter.last

    @property
    def export_dialog(self) -> ExportDialog | None:
        return self.exporter.dialog

    @property
    def export_message(self) -> QMessageBox | None:
        return self.exporter.message

    # -- model, analysis, batch ---------------------------------------------------------------

    def load_model(self, bundle_dir: str | Path | None = None) -> None:
        """Load a bundle on the worker thread; None means the default bundle."""
        self.analysis.load_model(bundle_dir)

    def load_active_model(self) -> None:
        self.analysis.load_active_model(self.training.registry)

    def run_model_anyway(self) -> bool:
        return self.analysis.run_anyway(self.volume_mode.active)

    def analyze_if_ready(self) -> None:
        self.analysis.analyze_if_ready()

    def image_on_screen(self) -> bool:
        """The single image is shown and may be analysed now (for desktop.shell.analysis)."""
        return not (
            self.study_page.active  # the image behind the study page is not on screen
            or self.model_picker.choosing  # its model is being chosen; the analysis follows
            or self.frame_controls.playing
        )

    def case_page(self) -> CasePage | None:
        """The page showing the case instead of the single image (None: the image)."""
        pages = (self.study_page, getattr(self, "volume_mode", None))  # volume: built last
        return next((p for p in pages if p is not None and p.active), None)

    def apply_operating_point(self, model: LoadedModel) -> LoadedModel:
        return self.detection_menu.apply(model)

    def analyze_all(self) -> bool:
        """Model ▸ Analyze All Cases (desktop.shell.batch)."""
        return self.batch.start()

    @property
    def batch_running(self) -> bool:
        return self.batch.running

    @property
    def batch_results(self) -> AnalysisCache:
        return self.batch.results

    def has_running_jobs(self) -> bool:
        """True while a model load, an analysis or an export is queued or running."""
        return self.jobs.running

    def start_finetune(self) -> bool:
        """Model ▸ Fine-tune on Corrected Cases (the panel's button does the same)."""
        self.training_panel.show()
        return self.training_runner.start(self.training_panel.epochs_box.value())

    def sort_cases(self, order: str) -> None:
        """The case list's Sort box (desktop.shell.usefulness)."""
        self.sorter.sort(order)

    def _on_job_failed(self, tag: Any, error: BaseException) -> None:
        if isinstance(tag, AnalysisRequest):
            self.state.fail_analysis(tag, error)
        elif tag == EXPORT_TAG:
            self.state.report_error(f"Export failed: {describe_error(error)}")
        elif tag == BATCH_TAG:
            self.batch.failed(error)
        elif tag == SORT_TAG:
            self.sorter.failed(error)
        else:
            self.state.report_error(error)

    # -- the page shown -------------------------------------------------------------------------

    def show_shortcuts(self) -> ShortcutsDialog:
        return self.shown_page.show_shortcuts()

    def toggle_play(self) -> None:
        self.frame_controls.set_playing(not self.frame_controls.playing)
        self._on_play_toggled(self.frame_controls.playing)

    def _on_play_toggled(self, playing: bool) -> None:
        if not playing:
            self._frame_timer.start(ANALYSE_DELAY_MS)

    @property
    def calibration_dialog(self) -> QInputDialog | None:
        return self.image_page.calibration_dialog

    # -- state -> window ----------------------------------------------------------------------

    def show_error(self, message: str | None) -> None:
        """Errors never open a blocking dialog: the error bar and the status bar carry them."""
        if message:
            self.statusBar().showMessage(message)

    def _show_status(self, message: str) -> None:
        """Background news (progress, model loaded) never pushes an open error out of view."""
        self.statusBar().showMessage(self.state.last_error or message)

    def _on_image_changed(self) -> None:
        self.study_page.leave()  # first: the new image is analysed only once it is on screen
        self.measurements.restore()  # before the analysis, so it is measured in mm
        self._update_title()
        series = self.state.series
        volume = series is not None and series.kind == VOLUME
        if not volume:  # a volume opens straight on the volume page, never on the 2D canvas
            self.page_host.show_image()
        self.cursor_label.setText("")  # a readout of the last image is no value of this one
        self.cases.set_current_path(self.state.path)
        self.statusBar().showMessage(opened_message(self.state))
        # Every candidate reads 2D ultrasound: an image the domain check withholds (CT, a
        # volume, a photo) gets no proposal, nor does a volume while no model is loaded yet
        # (it opens in the volume page). A model change or proposal starts it later.
        if self.state.withheld or volume or not self.model_picker.apply(self.state.image):
            self.analyze_if_ready()

    def _update_title(self) -> None:
        if self.study_page.active:
            return  # the study page titles the window with its case
        path = self.state.path
        if path is None and self.state.image is None:
            self.setWindowTitle("LesionLens")
            return
        name = path.name if path else "image"
        self.setWindowTitle(f"LesionLens — {name}" + (" *" if self.state.modified else ""))

    def refresh_review_actions(self) -> None:
        """Title, Save and Export follow what is on screen and whether it has a result."""
        self._update_title()
        self.sync_actions()

    def _on_busy_changed(self) -> None:
        working = self.state.busy or self.jobs.running
        self.busy_label.setVisible(working)
        self.busy_bar.setVisible(working)

    def sync_actions(self) -> None:
        """Save, Export, Run Model Anyway and the training actions follow the page shown."""
        state, training = self.state, self.training
        pages = (self.study_page, getattr(self, "volume_mode", None))  # volume: built last
        image_done = state.analysis is not None and state.model is not None
        self.save_action.setEnabled(self.saving.can_save)
        self.export_action.setEnabled(image_done or any(p and p.exportable() for p in pages))
        volume_shown = pages[1] is not None and pages[1].active
        self.run_anyway_action.setEnabled(state.can_run_anyway and not volume_shown)
        self.finetune_action.setEnabled(training.readiness is None)
        self.finetune_action.setToolTip(training.readiness_text())
        self.rollback_action.setEnabled(training.can_roll_back)

    def _sync_view_actions(self) -> None:
        self.contours_action.setChecked(self.state.contours_visible)
        self.uncertainty_action.setChecked(self.state.uncertainty_visible)

    # -- Qt events ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0].toLocalFile())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.confirm_leave("closing"):
            event.ignore()
            return
        others = sorted(p.name for p in self.state.drafts if p != self.state.path)
        if others and not self.ask_discard_drafts(others):
            event.ignore()
            return
        self.measurements.flush()
        self.frame_controls.set_playing(False)
        self.training_runner.shutdown()  # never leave a training process behind
        self.batch.stop_quietly()
        self.jobs.shutdown()  # reports still queued are dropped
        super().closeEvent(event)
