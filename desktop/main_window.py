"""The workstation window: case list, image canvas with correction tools, findings and review,
and the Model & training dock (registry, fine-tuning on corrected cases, the gate's verdict).

It wires widgets to CaseState and TrainingState and runs the slow parts (model loading,
inference, export, active-learning scores) on a worker thread; fine-tuning runs in a child
process (desktop.widgets.feedback.runner). Every failure becomes a message in the window (status bar
and error bar); the GUI thread never blocks on the model and never shows a half-loaded case.
Corrections go to the datastore (and so into training) only when saved explicitly (Ctrl+S,
or Save when asked). Moving to another case of the list keeps unsaved corrections as an
in-memory draft of that case (marked ✎, restored when it is opened again), never in the
datastore; closing or opening another file with unsaved corrections asks first
(ask_unsaved_changes and ask_discard_drafts, which tests replace).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models.editing.tool_state import ToolState
from desktop.models.feedback.state import TrainingState
from desktop.models.image.batch_analysis import (
    AnalysisCache,
    BatchStep,
    batch_steps,
    next_batch_step,
)
from desktop.models.image.series import CINE, IMAGE, VOLUME
from desktop.models.image.state import AnalysisRequest, CaseState, analysis_steps, describe_error
from desktop.models.pacs.browser import retrieved_entries
from desktop.models.pacs.export import send_exported, send_failure
from desktop.models.paths import SAMPLE_PATH
from desktop.models.reading.active_learning import Scores, usefulness_steps
from desktop.models.reading.case_list import NAME_ORDER, CaseEntry, CaseList, folder_entries
from desktop.models.reading.review import AI_DONE, NEW, SavedReview
from desktop.models.reading.review_store import ReviewStore, record_status
from desktop.models.study.cases import is_study_dataset, is_study_path
from desktop.pages.study import StudyPage
from desktop.pages.volume import VolumeMode
from desktop.widgets.banner import ResearchBanner
from desktop.widgets.case_list_dock import DOCK_WIDTH, CaseListDock
from desktop.widgets.error_bar import ErrorBar
from desktop.widgets.feedback.panel import TrainingPanel
from desktop.widgets.feedback.runner import TrainingRunner
from desktop.widgets.gui_gc import pin_garbage_collection_to_gui_thread
from desktop.widgets.image.canvas import ImageCanvas
from desktop.widgets.image.descriptor_panel import DescriptorPanel
from desktop.widgets.image.display_controls import DisplayControls
from desktop.widgets.image.edit_toolbar import EditToolBar
from desktop.widgets.image.export_dialog import ExportDialog
from desktop.widgets.image.findings_panel import FindingsPanel
from desktop.widgets.image.frame_controls import FrameControls
from desktop.widgets.image.model_picker import ModelPicker
from desktop.widgets.image.operating_point_menu import DetectionMenu
from desktop.widgets.image.review_panel import ReviewPanel
from desktop.widgets.pacs.browser import PacsBrowser
from desktop.widgets.shortcuts_dialog import ShortcutsDialog
from desktop.widgets.window_presets_menu import PresetTarget, WindowPresetsMenu
from desktop.widgets.worker import GeneratorJob
from engine.datastore import DatastoreError
from engine.errors import LesionLensError, LoadError
from engine.inference import LoadedModel, load_model
from engine.io import NIFTI_SUFFIXES, SUPPORTED_SUFFIXES
from engine.pacs import PacsNode
from engine.report import ExportRequest, ExportResult, ModelInfo, export_case
from engine.report.naming import case_pseudonym
from engine.types import Analysis

OPACITY_STEP = 0.1
MEASURE_DELAY_MS = 400  # after the last caliper move, before the datastore is written
ANALYSE_DELAY_MS = 250  # after the last frame change, so scrubbing does not queue analyses
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"
EXPORT_TAG = "export"
SORT_TAG = "usefulness"
BATCH_TAG = "batch"
FILE_FILTER = (
    "Images ("
    + " ".join(f"*{s}" for s in sorted(SUPPORTED_SUFFIXES | set(NIFTI_SUFFIXES)))
    + ");;All files (*)"
)


def add_to_menu(menu: QMenu, action: QAction | None) -> None:
    """An action, or a separator for None."""
    if action is None:
        menu.addSeparator()
    else:
        menu.addAction(action)


def model_steps(bundle_dir: str | Path | None) -> Generator[str, None, LoadedModel]:
    yield "Loading model…"
    return load_model(bundle_dir)


def export_steps(
    analysis: Analysis, model: ModelInfo, request: ExportRequest, send_to: PacsNode | None = None
) -> Generator[str, None, ExportResult]:
    """Export, then (send_to) store the DICOM outputs on a PACS node."""
    yield "Exporting…"
    result = export_case(analysis, model, request)
    if send_to is None:
        return result
    return (yield from send_exported(result, send_to))


class MainWindow(QMainWindow):
    def __init__(
        self,
        state: CaseState | None = None,
        review_store: ReviewStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        pin_garbage_collection_to_gui_thread()  # workers never collect (desktop.widgets.gui_gc)
        self.state = state or CaseState()
        self.review_store = review_store or ReviewStore()
        self.tools = ToolState()
        self.cases = CaseList()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one inference at a time; results arrive in order
        self._jobs: set[GeneratorJob] = set()
        self._closed = False  # set by closeEvent: late job signals are dropped
        self._started_at = 0.0
        self.last_export: ExportResult | None = None
        self.export_dialog: ExportDialog | None = None
        self.export_message: QMessageBox | None = None
        self.pacs_browser: PacsBrowser | None = None
        self.calibration_dialog: QInputDialog | None = None
        self._export_folder: Path | None = None
        self.batch_results = AnalysisCache()  # "Analyze all" results, shown when opened
        self._batch: Generator[BatchStep, None, None] | None = None
        self._batch_cancelled = False

        self.banner = ResearchBanner(self.state)
        self.error_bar = ErrorBar(self.state)
        self.canvas = ImageCanvas(self.state, self.tools)
        self.findings_panel = FindingsPanel(self.state)
        self.review_panel = ReviewPanel(self.state)
        self.descriptor_panel = DescriptorPanel(self.state)
        self.display_controls = DisplayControls(self.state)
        self.frame_controls = FrameControls(self.state)
        self.toolbar = EditToolBar(self.state, self.tools, self.canvas.controller)
        self.case_dock = CaseListDock(self.cases)
        self.training = TrainingState(self.review_store)
        self.training_runner = TrainingRunner(self.training, self)
        self.training_panel = TrainingPanel(self.training, self.training_runner)
        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.timeout.connect(self.analyze_if_ready)
        # Calipers and calibration of a stored case go to the datastore once a drag settles.
        self._measure_timer = QTimer(self)
        self._measure_timer.setSingleShot(True)
        self._measure_timer.timeout.connect(self._store_measurements)
        self._quiet_measurements = False  # opening a case or frame: nothing the reader did
        self._build_layout()
        self._build_menus()
        self._build_status_bar()
        self.setAcceptDrops(True)
        self.setWindowTitle("LesionLens")

        s = self.state
        s.subscribe("image_changed", lambda _image: self._on_image_changed())
        s.subscribe("frame_changed", lambda _index: self._frame_timer.start(ANALYSE_DELAY_MS))
        s.subscribe("model_changed", lambda _model: self.analyze_if_ready())
        s.subscribe("domain_changed", self.analyze_if_ready)
        s.subscribe("busy_changed", self._on_busy_changed)
        s.subscribe("display_changed", self._sync_view_actions)
        s.subscribe("review_changed", self._on_review_changed)
        s.subscribe("analysis_changed", lambda _a: self._on_review_changed())
        s.subscribe("status", self._show_status)
        s.subscribe("error", self.show_error)
        s.subscribe("calipers_changed", self._on_measurements_changed)
        s.subscribe("calibration_changed", lambda _image: self._on_measurements_changed())
        self.study_page.state.subscribe("analysis_changed", lambda _a: self._on_review_changed())
        self.tools.subscribe("tool_changed", self._show_tool)
        self.canvas.controller.subscribe("calibration_requested", self._ask_calibration)
        self.frame_controls.frame_requested.connect(self.request_frame)
        self.frame_controls.play_button.toggled.connect(self._on_play_toggled)
        self.case_dock.case_chosen.connect(self.go_to_case)
        self.case_dock.sort_requested.connect(self.sort_cases)
        self.case_dock.analyze_all_requested.connect(self.analyze_all)
        self.case_dock.cancel_requested.connect(self.cancel_batch)
        self.review_panel.save_requested.connect(self.save_review)
        t = self.training
        t.subscribe("error", self.state.report_error)
        t.subscribe("status", self._show_status)
        t.subscribe("active_model_changed", self.load_model)
        t.subscribe("readiness_changed", lambda _reason: self._sync_model_actions())
        t.subscribe("models_changed", self._sync_model_actions)
        for event in ("image_changed", "frame_changed", "model_changed", "domain_changed"):
            s.subscribe(event, lambda *_: self._sync_model_actions())
        self.volume_mode = VolumeMode(self)  # CT/MR volumes: three views, labels, 3D model
        self.training.refresh()
        self._on_review_changed()

    # -- construction -------------------------------------------------------------------------

    def _build_layout(self) -> None:
        side = QWidget()
        side.setObjectName("sidePanel")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.findings_panel, stretch=1)
        side_layout.addWidget(self.review_panel)
        side_layout.addWidget(self.descriptor_panel)
        side_layout.addWidget(self.display_controls)
        side.setMinimumWidth(420)
        # A multi-view case opens on the study page, which hides the single-image widgets.
        hidden = [
            self.findings_panel,
            self.review_panel,
            self.descriptor_panel,
            self.display_controls,
        ]
        self.study_page = StudyPage(self, self._start, [*hidden, self.frame_controls, self.toolbar])
        side_layout.addWidget(self.study_page.panel, stretch=1)

        self.placeholder = QLabel(
            "Open an ultrasound image, cine, DICOM series or NIfTI\n"
            "File ▸ Open… (Ctrl+O), File ▸ Open Folder…, or drop a file here"
        )
        self.placeholder.setObjectName("placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.canvas_stack = QStackedWidget()
        self.canvas_stack.addWidget(self.placeholder)
        self.canvas_stack.addWidget(self.canvas)
        self.canvas_stack.addWidget(self.study_page.view)
        image_area = QWidget()
        image_layout = QVBoxLayout(image_area)
        image_layout.setContentsMargins(0, 0, 0, 0)
        image_layout.setSpacing(0)
        image_layout.addWidget(self.canvas_stack, stretch=1)
        image_layout.addWidget(self.frame_controls)

        splitter = QSplitter()
        splitter.addWidget(image_area)
        side_scroll = QScrollArea()  # a short window scrolls the panel, never overlaps its text
        self.side_scroll = side_scroll  # volume mode hides it (desktop.pages.volume)
        side_scroll.setWidget(side)
        side_scroll.setWidgetResizable(True)
        side_scroll.setFrameShape(QFrame.Shape.NoFrame)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_scroll.setMinimumWidth(side.minimumWidth())
        splitter.addWidget(side_scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([840, 440])
        splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.error_bar)
        layout.addWidget(splitter, stretch=1)
        self.setCentralWidget(central)
        self.addToolBar(self.toolbar)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.case_dock)
        self.resizeDocks([self.case_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.training_panel)
        self.training_panel.hide()  # Model ▸ Model & Training; the image gets the room

    def _build_menus(self) -> None:
        bar = self.toolbar
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action("&Open…", self.choose_file, QKeySequence.StandardKey.Open)
        self.open_folder_action = self._action("Open &Folder…", self.choose_folder, "Ctrl+Shift+O")
        self.datastore_action = self._action(
            "&Datastore Cases", self.open_datastore_cases, "Ctrl+Shift+D"
        )
        self.sample_action = self._action("Open &Sample", lambda: self.open_path(SAMPLE_PATH))
        # One case of every kind a shipped model reads: node ultrasound, bone scan, skin pair, CT.
        self.samples_folder_action = self._action(
            "Open Sample &Cases", lambda: self.open_folder(SAMPLE_PATH.parent)
        )
        self.save_action = self._action("&Save Review", self.save_review, "Ctrl+S")
        self.export_action = self._action("&Export…", self.open_export_dialog, "Ctrl+E")
        self.pacs_action = self._action("&PACS…", self.open_pacs_browser, "Ctrl+Shift+P")
        self.next_case_action = self._action("&Next Case", lambda: self.step_case(1))
        self.next_case_action.setShortcuts([QKeySequence("Ctrl+Right"), QKeySequence("PgDown")])
        self.previous_case_action = self._action("&Previous Case", lambda: self.step_case(-1))
        self.previous_case_action.setShortcuts([QKeySequence("Ctrl+Left"), QKeySequence("PgUp")])
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        for action in (
            self.open_action,
            self.open_folder_action,
            self.datastore_action,
            self.sample_action,
            self.samples_folder_action,
            self.pacs_action,
            None,
            self.save_action,
            self.export_action,
            None,
            self.next_case_action,
            self.previous_case_action,
            None,
            self.quit_action,
        ):
            add_to_menu(file_menu, action)

        edit_menu = self.menuBar().addMenu("&Edit")
        for action in (
            bar.undo_action,
            bar.redo_action,
            None,
            bar.fill_holes_action,
            bar.smooth_action,
            bar.reset_action,
            None,
            bar.finish_polygon_action,
            bar.cancel_action,
            bar.delete_caliper_action,
            bar.clear_calipers_action,
        ):
            add_to_menu(edit_menu, action)

        tools_menu = self.menuBar().addMenu("&Tools")
        for action in bar.tool_actions.values():
            tools_menu.addAction(action)
        tools_menu.addSeparator()
        tools_menu.addAction(bar.grow_action)
        tools_menu.addAction(bar.shrink_action)
        for action in bar.actions_for_window:
            self.addAction(action)  # shortcuts work whatever has the focus

        view_menu = self.menuBar().addMenu("&View")
        self.contours_action = self._action("Show &Contours", self.state.set_contours_visible, "C")
        self.contours_action.setCheckable(True)
        self.uncertainty_action = self._action(
            "Show &Uncertainty", self.state.set_uncertainty_visible, "U"
        )
        self.uncertainty_action.setCheckable(True)
        self.more_opacity_action = self._action(
            "&More Overlay Opacity", lambda: self._step_opacity(OPACITY_STEP), "}"
        )
        self.less_opacity_action = self._action(
            "&Less Overlay Opacity", lambda: self._step_opacity(-OPACITY_STEP), "{"
        )
        self.reset_zoom_action = self._action("&Fit Image", self.canvas.reset_zoom, "Ctrl+0")
        self.actual_size_action = self._action(
            "&Actual Size (1:1)", self.canvas.actual_size, "Ctrl+1"
        )
        self.reset_window_action = self._action("&Default Window/Level", self.reset_window, "W")
        self.reset_window_action.setToolTip(
            "W: back to the window the image opened with (8-bit as stored; wider data from "
            "its body's values); right-drag on the image sets window/level"
        )
        self.play_action = self._action("&Play / Pause", self._toggle_play, "Space")
        self.next_frame_action = self._action("Next Frame", lambda: self.frame_controls.step(1))
        self.next_frame_action.setShortcut(QKeySequence("Right"))
        self.previous_frame_action = self._action(
            "Previous Frame", lambda: self.frame_controls.step(-1)
        )
        self.previous_frame_action.setShortcut(QKeySequence("Left"))
        for action in (
            self.contours_action,
            self.uncertainty_action,
            self.more_opacity_action,
            self.less_opacity_action,
            None,
            self.reset_zoom_action,
            self.actual_size_action,
            self.reset_window_action,
            None,
            self.play_action,
            self.next_frame_action,
            self.previous_frame_action,
            None,
            self.case_dock.toggleViewAction(),
        ):
            add_to_menu(view_menu, action)
        self.window_presets = WindowPresetsMenu(self, self._preset_target)
        after_reset = view_menu.actions()[view_menu.actions().index(self.reset_window_action) + 1]
        view_menu.insertMenu(after_reset, self.window_presets.menu)
        self._sync_view_actions()

        model_menu = self.menuBar().addMenu("&Model")
        self.training_action = self.training_panel.toggleViewAction()
        self.training_action.setText("Model && &Training Panel")
        self.training_action.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.addAction(self.training_action)
        self.finetune_action = self._action("&Fine-tune on Corrected Cases", self.start_finetune)
        self.rollback_action = self._action("&Roll Back Model", self.training.rollback)
        self.analyze_all_action = self._action("Analyze &All Cases", self.analyze_all)
        self.analyze_all_action.setToolTip(
            "Run the model on every case of the list without AI yet (Cancel in the case list)"
        )
        self.run_anyway_action = self._action("Run Model &Anyway", self.run_model_anyway)
        self.run_anyway_action.setToolTip(
            "For research: analyse an image the model was not made for, or show the findings "
            "withheld as out of its scope (marked as run on demand; not findings)"
        )
        for action in (
            self.training_action,
            self.finetune_action,
            self.rollback_action,
            None,
            self.analyze_all_action,
            self.run_anyway_action,
        ):
            add_to_menu(model_menu, action)
        model_menu.addSeparator()
        self.model_picker = ModelPicker(
            model_menu,
            current_case=lambda: self.state.path,
            current_folder=self._case_folder,
            current_model=lambda: self.state.model,
            use_model=self.load_model,
            start_job=self._start,
            notify=self.state.notify,
            resume=self.analyze_if_ready,
        )
        self.detection_menu = DetectionMenu(model_menu, self._use_operating_point)
        self.state.subscribe("model_changed", self.detection_menu.refresh)
        model_menu.setToolTipsVisible(True)
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = self._action(
            "&Keyboard Shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents
        )
        help_menu.addAction(self.shortcuts_action)

    def reset_window(self) -> None:
        """View ▸ Default Window/Level (W) on the page shown: the study's grey views, the
        CT's three planes or the single image."""
        if self.study_page.active:
            self.study_page.state.reset_windows()
        else:
            if self.canvas_stack.currentWidget() is self.volume_mode.workspace:
                self.volume_mode.session.reset_window()
            self.state.reset_window()  # the volume's 2D slice too, as before the three planes

    def _preset_target(self) -> PresetTarget:
        """What keys 1-9 act on: the study's grey views, the CT's three planes, or the image."""
        if self.study_page.active:
            study = self.study_page.state
            return PresetTarget(study.preset_names, study.apply_preset, study.notify)
        volume = getattr(self, "volume_mode", None)  # made after the menus
        if volume is not None and self.canvas_stack.currentWidget() is volume.workspace:
            session = volume.session
            names = lambda: [p.name for p in session.presets]  # noqa: E731
            return PresetTarget(names, session.apply_preset, self.state.notify)
        state = self.state
        return PresetTarget(
            lambda: [p.name for p in state.presets], state.apply_preset, state.notify
        )

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help ▸ Keyboard Shortcuts (F1): non-modal, listed from the live actions."""
        self.window_presets.refresh()  # the presets of the page shown
        dialog = ShortcutsDialog(self)
        dialog.show()
        return dialog

    def _use_operating_point(self, model: LoadedModel) -> None:
        """The reader chose another lesion-detection operating point: re-analyse with it."""
        self.state.set_model(model)
        self.analyze_if_ready()

    def _action(
        self, text: str, slot: Callable[..., Any], shortcut: QKeySequence.StandardKey | str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even while the menu bar is hidden
        return action

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.cursor_label = QLabel()
        self.tool_label = QLabel()
        self.busy_label = QLabel("Working…")
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: inference reports no fraction
        self.busy_bar.setFixedWidth(120)
        self.busy_bar.setTextVisible(False)
        bar.addPermanentWidget(self.cursor_label)
        bar.addPermanentWidget(self.tool_label)
        bar.addPermanentWidget(self.busy_label)
        bar.addPermanentWidget(self.busy_bar)
        self.canvas.cursor_moved.connect(self.cursor_label.setText)
        self.study_page.view.cursor_moved.connect(self.cursor_label.setText)
        # The read-out belongs to the image under the mouse: another page or case clears it
        # (a CT's HU value stayed on the study page).
        self.canvas_stack.currentChanged.connect(lambda _index: self.cursor_label.clear())
        self.state.subscribe("image_changed", lambda _image: self.cursor_label.clear())
        self.study_page.state.subscribe("study_changed", lambda _s: self.cursor_label.clear())
        self._on_busy_changed(False)
        self._show_tool()

    # -- opening cases ------------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self._start_dir(), FILE_FILTER)
        if path:
            self.open_path(path)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open folder of cases", self._start_dir())
        if folder:
            self.open_folder(folder)

    def open_path(self, path: str | Path) -> bool:
        """Open a file or series folder; asks first when corrections are unsaved. On failure
        the error is shown and the previous case stays."""
        if not self.confirm_leave("opening another file"):
            return False
        return self._open(path)

    def _open(self, path: str | Path) -> bool:
        self.flush_measurements()  # the case being left keeps its last caliper move
        self.statusBar().showMessage(f"Opening {Path(path).name}…")
        if is_study_path(path):
            return self.open_study(path)
        self._quiet_measurements = True
        try:
            return self.state.open(path)
        finally:
            self._quiet_measurements = False

    def open_study(self, path: str | Path) -> bool:
        """A multi-view case (views side by side, one finding for the case): desktop.pages.study.
        A multi-view data set of several cases opens as the case list."""
        if is_study_dataset(path):
            return self.open_folder(path)
        if not self.study_page.open(path):
            return False
        self.canvas_stack.setCurrentWidget(self.study_page.view)
        self.cases.set_current_path(path)
        self._on_review_changed()
        return True

    def open_folder(self, folder: str | Path) -> bool:
        """List the folder's cases on the left and open the first."""
        try:
            entries = folder_entries(folder)
        except LoadError as exc:  # an unreadable DICOMDIR
            self.state.report_error(exc)
            return False
        except OSError as exc:
            self.state.report_error(f"Cannot list {folder}: {exc.strerror or exc}")
            return False
        try:
            statuses = self.review_store.statuses([e.path for e in entries])
            held = self.review_store.heldout_paths([e.path for e in entries])
            entries = [
                CaseEntry(
                    e.path,
                    e.name,
                    statuses[e.path] if e.status == NEW else e.status,
                    heldout=e.path in held,
                )
                for e in entries
            ]
        except (DatastoreError, OSError) as exc:
            self.state.report_error(f"Datastore unavailable, statuses not shown: {exc}")
        self.cases.set_entries(entries, str(folder))
        self.cases.set_current_path(self.state.path)
        if not entries:
            self.state.notify(f"No images in {folder}")
            return False
        return self.go_to_case(entries[0])

    def open_datastore_cases(self) -> bool:
        try:
            records = self.review_store.cases()
            root = self.review_store.root
        except (DatastoreError, OSError) as exc:
            self.state.report_error(exc if isinstance(exc, LesionLensError) else str(exc))
            return False
        entries = [
            CaseEntry(r.image, r.case_id, record_status(r), heldout=r.heldout) for r in records
        ]
        self.cases.set_entries(entries, f"Datastore {root}")
        self.cases.set_current_path(self.state.path)
        return self.go_to_case(entries[0]) if entries else False

    def open_pacs_browser(self) -> PacsBrowser:
        """File ▸ PACS…: search and retrieve; retrieved studies become the case list."""
        if self.pacs_browser is None:
            self.pacs_browser = PacsBrowser(parent=self)
            self.pacs_browser.studies_retrieved.connect(self.open_retrieved_studies)
        self.pacs_browser.reload_nodes()
        self.pacs_browser.show()
        self.pacs_browser.raise_()
        return self.pacs_browser

    def open_retrieved_studies(self, studies: list) -> bool:
        entries = retrieved_entries(studies)
        if not entries:
            self.state.notify("The retrieved studies hold no image to open")
            return False
        try:  # a study retrieved again keeps its review status
            statuses = self.review_store.statuses([e.path for e in entries])
            entries = [CaseEntry(e.path, e.name, statuses[e.path]) for e in entries]
        except (DatastoreError, OSError) as exc:
            self.state.report_error(f"Datastore unavailable, statuses not shown: {exc}")
        self.cases.set_entries(entries, "PACS")
        self.cases.set_current_path(self.state.path)
        return self.go_to_case(entries[0])

    def go_to_case(self, entry: CaseEntry) -> bool:
        """Case change: unsaved corrections stay a draft of the case left (memory only, never
        in the datastore, so never trained on) until the clinician saves them."""
        if self.state.path is not None and Path(entry.path) == self.state.path:
            return True
        if not self.volume_mode.confirm_leave("opening another case"):
            self.cases.set_current_path(self.state.path)
            return False
        left = self.state.path
        kept = self.state.keep_draft()
        if left is not None:
            self.cases.set_draft(left, self.state.has_draft(left))
        opened = self._open(entry.path)
        if kept and left is not None:
            self.state.notify(
                f"{left.name}: unsaved corrections kept as a draft (not in the datastore, never "
                "trained on); open it again and save (Ctrl+S) to keep them"
            )
        return opened

    def step_case(self, step: int) -> bool:
        entry = self.cases.neighbour(step)
        if entry is None:
            self.state.notify(
                "No further case in the list"
                if self.cases.entries
                else "No case list: File ▸ Open Folder…"
            )
            return False
        return self.go_to_case(entry)

    def request_frame(self, index: int) -> bool:
        """Another frame or slice; unsaved corrections of this one are guarded first."""
        if index == self.state.frame_index:
            return False
        if self.state.modified:
            self.frame_controls.set_playing(False)
            if not self.confirm_leave("showing another frame"):
                self.frame_controls.refresh()
                return False
        self.flush_measurements()
        self._quiet_measurements = True  # the calipers of a frame stay with it
        try:
            return self.state.show_frame(index)
        finally:
            self._quiet_measurements = False

    # -- model and analysis -------------------------------------------------------------------

    def load_model(self, bundle_dir: str | Path | None = None) -> None:
        """Load a bundle on the worker thread; None means the default bundle."""
        self._start(lambda: model_steps(bundle_dir), None, self._on_model_loaded)

    def load_active_model(self) -> None:
        """The registry's active model (the shipped default until a model is promoted)."""
        try:
            bundle_dir = self.training.registry.active_dir()
        except (LesionLensError, OSError) as exc:
            self.state.report_error(f"Model registry unavailable, using the default: {exc}")
            bundle_dir = None
        self.load_model(bundle_dir)

    def run_model_anyway(self) -> bool:
        """Model ▸ Run Model Anyway: analyse an image outside the model's domain (research)."""
        if self.volume_mode.active:
            self.state.notify(
                "A volume is analysed by the volume model (Model ▸ Analyze Volume), "
                "not slice by slice with the ultrasound model"
            )
            return False
        if not self.state.run_model_anyway():
            self.state.notify("Nothing to override: the model was made for this image")
            return False
        self.state.notify("Running the model outside its domain: its output is not a finding")
        return True

    # -- fine-tuning and active learning ------------------------------------------------------

    def start_finetune(self) -> bool:
        """Model ▸ Fine-tune on Corrected Cases (the panel's button does the same)."""
        self.training_panel.show()
        return self.training_runner.start(self.training_panel.epochs_box.value())

    def sort_cases(self, order: str) -> None:
        """The case list's Sort box: by name, or most useful to correct next (scored by the
        model on the worker thread)."""
        if order == NAME_ORDER:
            self.cases.sort_by_name()
            return
        if self.state.model is None or not self.cases.entries:
            self.state.notify("Load a model and open cases before sorting by usefulness")
            self.case_dock.show_order()
            return
        entries, model, store = list(self.cases.entries), self.state.model, self.review_store
        self._start(lambda: usefulness_steps(entries, store, model), SORT_TAG, self._on_scored)

    @Slot(object, object)
    def _on_scored(self, _tag: str, scores: Scores) -> None:
        if set(scores) != {e.path for e in self.cases.entries}:
            self.case_dock.show_order()  # another list was opened meanwhile
            return
        self.cases.sort_by_usefulness(scores)
        ranked = sum(1 for score in scores.values() if score is not None)
        self.state.notify(f"Sorted: most useful to correct next first ({ranked} cases scored)")

    def analyze_if_ready(self) -> None:
        if self.study_page.active:
            return  # the image behind the study page is not on screen
        if self.model_picker.choosing:
            return  # the model for this image is being chosen; the analysis follows
        if self.state.can_analyze and not self.frame_controls.playing:
            request = self.state.start_analysis()
            self._started_at = time.perf_counter()
            cached = self._batch_result()
            if cached is not None:  # analysed by "Analyze all": no second run
                self._on_analysis_done(request, cached)
                return
            self._start(lambda: analysis_steps(request), request, self._on_analysis_done)

    def _batch_result(self) -> Analysis | None:
        state = self.state
        if state.model is None or state.series is None or state.series.kind != IMAGE:
            return None
        spec = state.model.spec
        return self.batch_results.get(state.path, spec.model_id, spec.operating_point)

    # -- batch ("Analyze all") ----------------------------------------------------------------

    def analyze_all(self) -> bool:
        """The case list's Analyze all (Model ▸ Analyze All Cases): every listed case without an
        AI result, one case per worker job, so the case on screen keeps its turn and Cancel
        stops between cases."""
        if self.batch_running:
            return False
        model = self.state.model
        if model is None:
            self.state.notify("Load a model before analysing the cases")
            return False
        model_id = model.spec.model_id
        on_screen = self.state.path if self.state.busy else None  # being analysed already
        paths = [
            e.path
            for e in self.cases.entries
            if e.status == NEW
            and e.path != on_screen
            and not is_study_path(e.path)  # studies are analysed when opened
            and self.batch_results.get(e.path, model_id, model.spec.operating_point) is None
        ]
        if not paths:
            studies = any(is_study_path(e.path) for e in self.cases.entries)
            self.state.notify(
                "Multi-view studies are analysed when opened"
                if studies
                else "Every case in the list already has an AI result"
            )
            return False
        self._batch, self._batch_cancelled = batch_steps(paths, model), False
        self.case_dock.show_batch_progress(0, len(paths))
        self.case_dock.set_batch_running(True)
        self.analyze_all_action.setEnabled(False)
        self._next_batch_case()
        return True

    @property
    def batch_running(self) -> bool:
        return self._batch is not None

    def cancel_batch(self) -> None:
        """Stop after the case being analysed (its result is still kept)."""
        if self._batch is not None:
            self._batch_cancelled = True
            self.state.notify("Stopping the batch after the current case…")

    def _next_batch_case(self) -> None:
        steps = self._batch
        assert steps is not None
        self._start(lambda: next_batch_step(steps), BATCH_TAG, self._on_batch_step)

    @Slot(object, object)
    def _on_batch_step(self, _tag: str, step: BatchStep | None) -> None:
        if step is None:
            self._end_batch("Batch finished")
            return
        if step.analysis is not None:
            self.batch_results.put(step.path, step.analysis, step.kind)
            self._record_ai(step)
        elif step.error is not None:
            self.state.report_error(f"Batch: cannot analyse {step.path.name}: {step.error}")
        self.cases.set_status(step.path, step.status)
        self.case_dock.show_batch_progress(step.done, step.total)
        self._show_status(f"Analysed {step.done} / {step.total}: {step.path.name}")
        if step.path == self.state.path:
            self.analyze_if_ready()  # the open case shows its batch result
        if self._batch_cancelled:
            self._end_batch(f"Batch cancelled after {step.done} / {step.total} cases")
        elif step.done >= step.total:
            self._end_batch(f"Batch finished: {step.total} cases")
        else:
            self._next_batch_case()

    def _record_ai(self, step: BatchStep) -> None:
        """A case already in the datastore keeps the AI mask in labels/original."""
        if step.kind != IMAGE or step.analysis is None:
            return
        try:
            self.review_store.record_ai(step.path, step.analysis.prediction)
        except (LesionLensError, OSError) as exc:
            self.state.report_error(f"AI result of {step.path.name} not stored: {exc}")

    def _end_batch(self, message: str) -> None:
        if self._batch is not None:
            self._batch.close()
        self._batch = None
        self.case_dock.set_batch_running(False)
        self.analyze_all_action.setEnabled(True)
        self._show_status(message)

    def has_running_jobs(self) -> bool:
        """True while a model load, an analysis or an export is queued or running."""
        return bool(self._jobs)

    # -- saving -------------------------------------------------------------------------------

    def save_review(self) -> bool:
        """Ctrl+S: the corrected mask and confirmed class to the datastore (atomic there)."""
        review = self.state.review_to_save(self.review_panel.reviewer)
        if review is None:
            self.state.notify("Nothing to save: no analysis on screen")
            return False
        unseen = self.state.unseen_reason
        if unseen is not None:  # a review is a reader's look at the mask, never a blind save
            self.state.report_error(f"Not saved as reviewed: {unseen}")
            return False
        try:
            saved = self.review_store.save(review)
        except (LesionLensError, OSError) as exc:
            self.state.report_error(f"Not saved: {describe_error(exc)}")
            return False
        self.state.mark_saved(saved)
        self.cases.set_status(review.path, saved.status, heldout=saved.heldout)
        self.cases.set_draft(review.path, False)
        self.training.refresh_readiness()
        self.state.notify(f"Saved {saved.case_id}: {saved.summary()}")
        return True

    def ask_unsaved_changes(self, what: str) -> str:
        """SAVE, DISCARD or CANCEL. A modal question; tests replace this method."""
        answer = QMessageBox.question(
            self,
            "Unsaved corrections",
            f"The corrections of this case are not saved. Save them before {what}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        return {
            QMessageBox.StandardButton.Save: SAVE,
            QMessageBox.StandardButton.Discard: DISCARD,
        }.get(answer, CANCEL)

    def confirm_leave(self, what: str) -> bool:
        """True when the case on screen may be left (nothing unsaved, saved, or discarded)."""
        if not self.state.modified:
            return self.volume_mode.confirm_leave(what)  # label edits of a volume
        answer = self.ask_unsaved_changes(what)
        if answer == SAVE:
            return self.save_review()
        if answer == DISCARD and self.state.path is not None:
            self.state.drop_draft()
            self.cases.set_draft(self.state.path, False)
        return answer == DISCARD

    def ask_discard_drafts(self, names: list[str]) -> bool:
        """True to close although other cases have unsaved drafts. Tests replace this."""
        answer = QMessageBox.question(
            self,
            "Unsaved drafts",
            f"{len(names)} other case{'s have' if len(names) != 1 else ' has'} unsaved "
            f"corrections kept as drafts ({', '.join(names)}). They are not in the datastore "
            "and will be lost. Close anyway?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def _stored_review(self) -> SavedReview | None:
        state = self.state
        if state.path is None or state.series is None:
            return None
        if state.series.kind not in (IMAGE, CINE) or state.frame_index != 0:
            return None
        try:
            return self.review_store.saved_review(state.path)
        except (LesionLensError, OSError) as exc:
            state.report_error(f"Stored review not read: {describe_error(exc)}")
            return None

    # -- export -------------------------------------------------------------------------------

    def open_export_dialog(self) -> ExportDialog | None:
        """File ▸ Export…: non-blocking; the export starts when the dialog is accepted."""
        if self.study_page.active:
            return self.study_page.open_export_dialog(self.review_panel.reviewer)
        if self.volume_mode.active:
            return self.volume_mode.open_export_dialog()
        state = self.state
        if state.analysis is None or state.model is None or state.path is None:
            self.state.notify("Nothing to export: open and analyse a case first")
            return None
        folder = self._export_folder or state.path.parent / "export"
        dialog = ExportDialog(
            state.path.stem,
            self.review_panel.reviewer,
            folder,
            state.frame_index,
            self,
            pseudonym=case_pseudonym(state.analysis.image.pixels),  # one name per case
        )
        dialog.accepted.connect(lambda: self.start_export(dialog.request(), dialog.send_node()))
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def start_export(self, request: ExportRequest, send_to: PacsNode | None = None) -> None:
        state = self.state
        if state.analysis is None or state.model is None:
            return
        if state.editor is not None:
            state.editor.end_stroke()
        analysis, model = state.analysis, ModelInfo.from_spec(state.model.spec)
        # The reader's calipers go with the reader's class and outlines (on the findings).
        request = dataclasses.replace(
            request, calipers=state.line_measurements(), shapes=state.shape_measurements()
        )
        anchor = next(p for p in (request.pdf, request.seg, request.sr, request.key_image) if p)
        self._export_folder = anchor.parent
        steps = lambda: export_steps(analysis, model, request, send_to)  # noqa: E731
        self._start(steps, EXPORT_TAG, self._on_exported)

    @Slot(object, object)
    def _on_exported(self, _tag: str, result: ExportResult) -> None:
        self.last_export = result
        folder = result.written[0].parent if result.written else self._export_folder
        summary = f"Exported {len(result.written)} files to {folder}"
        self.statusBar().showMessage(summary)
        details = "\n".join(f"• {path.name}" for path in result.written)
        if result.notes:
            details += "\n\n" + "\n".join(result.notes)
        if send_failure(result):
            self.state.report_error(send_failure(result))
        box = QMessageBox(QMessageBox.Icon.Information, "Export finished", summary, parent=self)
        box.setInformativeText(details)
        box.setModal(False)
        self.export_message = box
        box.open()

    # -- calibration --------------------------------------------------------------------------

    def _ask_calibration(self, length_px: float) -> None:
        """After the calibration line is drawn: its length in mm (non-blocking dialog)."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Calibrate")
        dialog.setInputMode(QInputDialog.InputMode.DoubleInput)
        dialog.setLabelText(f"Known length of the line you drew ({length_px:.0f} px), in mm:")
        dialog.setDoubleRange(0.01, 10_000.0)
        dialog.setDoubleDecimals(2)
        dialog.setDoubleValue(10.0)
        dialog.doubleValueSelected.connect(self.canvas.controller.finish_calibration)
        dialog.rejected.connect(self.canvas.controller.cancel)
        self.calibration_dialog = dialog
        dialog.open()

    # -- messages -----------------------------------------------------------------------------

    def show_error(self, message: str | None) -> None:
        """Errors never open a blocking dialog: the error bar and the status bar carry them."""
        if message:
            self.statusBar().showMessage(message)

    def _show_status(self, message: str) -> None:
        """Background news (progress, model loaded) never pushes an open error out of view."""
        self.statusBar().showMessage(self.state.last_error or message)

    def _show_tool(self) -> None:
        self.tool_label.setText(self.tools.label)

    def _step_opacity(self, delta: float) -> None:
        self.state.set_overlay_opacity(round(self.state.overlay_opacity + delta, 2))

    def _toggle_play(self) -> None:
        self.frame_controls.set_playing(not self.frame_controls.playing)
        self._on_play_toggled(self.frame_controls.playing)

    def _on_play_toggled(self, playing: bool) -> None:
        if not playing:
            self._frame_timer.start(ANALYSE_DELAY_MS)

    # -- worker -------------------------------------------------------------------------------

    def _start(
        self,
        steps: Callable[[], Generator[str, None, Any]],
        tag: Any,
        on_success: Callable[[Any, Any], None],
        on_failure: Callable[[Any, BaseException], None] | None = None,
    ) -> None:
        job = GeneratorJob(steps, tag)
        job.signals.progress.connect(self._while_open(self._on_progress))
        job.signals.succeeded.connect(self._while_open(on_success))
        job.signals.failed.connect(self._while_open(on_failure or self._on_job_failed))
        job.signals.finished.connect(self._while_open(lambda: self._on_job_finished(job)))
        self._jobs.add(job)
        self._on_busy_changed(self.state.busy)
        self.pool.start(job)

    def _while_open(self, slot: Callable[..., None]) -> Callable[..., None]:
        """A job's signal can arrive after the window closed (queued while closing); its
        widgets are gone then, so the result is dropped."""

        def guarded(*args: Any) -> None:
            if not self._closed:
                slot(*args)

        return guarded

    def _on_job_finished(self, job: GeneratorJob) -> None:
        self._jobs.discard(job)
        self._on_busy_changed(self.state.busy)

    @Slot(str)
    def _on_progress(self, message: str) -> None:
        self._show_status(message)

    @Slot(object, object)
    def _on_model_loaded(self, _tag: None, model: LoadedModel) -> None:
        self._show_status(f"Model {model.spec.model_id} v{model.spec.version} loaded")
        self.state.set_model(self.detection_menu.apply(model))

    @Slot(object, object)
    def _on_analysis_done(self, request: AnalysisRequest, analysis: Analysis) -> None:
        if not self.state.is_current(request):
            return  # stale: the user moved on (no datastore lookup for it)
        saved = self._stored_review()
        if self.state.finish_analysis(request, analysis, saved):
            seconds = time.perf_counter() - self._started_at
            n = len(analysis.findings)
            text = (
                f"Analysis done in {seconds:.2f} s: {analysis.prediction.label}, "
                f"{n} lesion{'s' if n != 1 else ''}"
            )
            if saved is not None:
                text += f"; showing the saved review ({saved.summary()})"
            self._show_status(text)
            if saved is None and self.state.path is not None:
                self.cases.set_status(self.state.path, AI_DONE)

    @Slot(object, object)
    def _on_job_failed(self, tag: Any, error: BaseException) -> None:
        if isinstance(tag, AnalysisRequest):
            self.state.fail_analysis(tag, error)
        elif tag == EXPORT_TAG:
            self.state.report_error(f"Export failed: {describe_error(error)}")
        elif tag == BATCH_TAG:
            self.state.report_error(f"Batch stopped: {describe_error(error)}")
            self._end_batch("Batch stopped")
        elif tag == SORT_TAG:
            self.case_dock.show_order()
            self.state.report_error(f"Cannot sort by usefulness: {describe_error(error)}")
        else:
            self.state.report_error(error)

    # -- state -> window ----------------------------------------------------------------------

    def _on_image_changed(self) -> None:
        self.study_page.leave()  # first: the new image is analysed only once it is on screen
        self._restore_measurements()  # before the analysis, so it is measured in mm
        path, image = self.state.path, self.state.image
        self._update_title()
        self.canvas_stack.setCurrentWidget(self.canvas)
        self.cursor_label.setText("")  # a readout of the last image is no value of this one
        self.cases.set_current_path(path)
        spacing = image.spacing_mm
        calibration = f"{spacing[1]:.3f} mm/px" if spacing else "uncalibrated (px)"
        series = self.state.series
        extent = (
            f", {series.count} {'slices' if series.kind == VOLUME else 'frames'}"
            if series and series.count > 1
            else ""
        )
        name = path.name if path else "image"
        withheld = self.state.withheld
        note = "; not analysed: the model was not made for it" if withheld else ""
        self.statusBar().showMessage(
            f"Opened {name}: {image.width} × {image.height} px{extent}, {calibration}{note}"
        )
        # Every candidate reads 2D ultrasound: an image the domain check withholds (CT, a
        # volume, a photo) gets no proposal, nor does a volume while no model is loaded yet
        # (it opens in the volume page). A model change or proposal starts it later.
        volume = series is not None and series.kind == VOLUME
        if withheld or volume or not self.model_picker.apply(image):
            self.analyze_if_ready()

    # -- measurements (calipers, calibration) -------------------------------------------------

    def _restore_measurements(self) -> None:
        """A reopened case gets the calibration the reader set and its calipers back."""
        state = self.state
        if state.path is None or state.series is None or state.series.kind not in (IMAGE, CINE):
            return
        try:
            stored = self.review_store.measurements(state.path)
        except (LesionLensError, OSError) as exc:
            state.report_error(f"Stored measurements not read: {describe_error(exc)}")
            return
        if stored is not None:
            state.restore_measurements(stored)

    def _on_measurements_changed(self) -> None:
        if not self._quiet_measurements:
            self._measure_timer.start(MEASURE_DELAY_MS)

    def flush_measurements(self) -> None:
        """Store a pending caliper or calibration change now (leaving the case, closing)."""
        if self._measure_timer.isActive():
            self._measure_timer.stop()
            self._store_measurements()

    def _store_measurements(self) -> None:
        """For a case in the datastore: its calipers and calibration, updated in place. A file
        not stored yet gets them with its first Save Review (Ctrl+S)."""
        state = self.state
        if state.path is None or state.series is None or state.series.kind not in (IMAGE, CINE):
            return
        try:
            self.review_store.save_measurements(state.path, state.measurements())
        except (LesionLensError, OSError) as exc:
            state.report_error(f"Measurements not stored: {describe_error(exc)}")

    def _update_title(self) -> None:
        if self.study_page.active:
            return  # the study page titles the window with its case
        path = self.state.path
        if path is None and self.state.image is None:
            self.setWindowTitle("LesionLens")
            return
        name = path.name if path else "image"
        self.setWindowTitle(f"LesionLens — {name}" + (" *" if self.state.modified else ""))

    def _on_review_changed(self) -> None:
        state = self.state
        self._update_title()
        has_analysis = state.analysis is not None
        self.save_action.setEnabled(state.editor is not None)
        study = self.study_page
        study_done = study.active and study.state.analysis is not None
        volume_mode = getattr(self, "volume_mode", None)  # built after the first sync
        volume_done = volume_mode is not None and volume_mode.exportable()
        self.export_action.setEnabled(
            (has_analysis and state.model is not None) or study_done or volume_done
        )

    def _on_busy_changed(self, busy: bool) -> None:
        working = busy or bool(self._jobs)
        self.busy_label.setVisible(working)
        self.busy_bar.setVisible(working)

    def _sync_model_actions(self) -> None:
        state, training = self.state, self.training
        volume_mode = getattr(self, "volume_mode", None)  # built after the first sync
        self.run_anyway_action.setEnabled(
            state.can_run_anyway and not (volume_mode is not None and volume_mode.active)
        )
        self.finetune_action.setEnabled(training.readiness is None)
        self.finetune_action.setToolTip(training.readiness_text())
        self.rollback_action.setEnabled(training.can_roll_back)

    def _sync_view_actions(self) -> None:
        self.contours_action.setChecked(self.state.contours_visible)
        self.uncertainty_action.setChecked(self.state.uncertainty_visible)

    def _case_folder(self) -> Path | None:
        """The folder the case list shows (None for the datastore or no list)."""
        source = Path(self.cases.source) if self.cases.source else None
        return source if source is not None and source.is_dir() else None

    def _start_dir(self) -> str:
        return str(self.state.path.parent) if self.state.path else str(Path.home())

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
        self.flush_measurements()
        self.frame_controls.set_playing(False)
        self.training_runner.shutdown()  # never leave a training process behind
        self._batch_cancelled = True
        for job in list(self._jobs):
            job.cancel()
        self.pool.waitForDone(10_000)
        self._closed = True  # reports still queued are dropped (_while_open)
        super().closeEvent(event)
