"""The workstation window: banner, image canvas, findings panel, menus and status bar.

It wires widgets to CaseState and runs the slow parts (model loading, inference) on a
worker thread. Every failure becomes a message in the window (status bar and error bar);
the GUI thread never blocks on the model and never shows a half-loaded case.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.banner import ResearchBanner
from desktop.canvas import ImageCanvas
from desktop.display_controls import DisplayControls
from desktop.error_bar import ErrorBar
from desktop.findings_panel import FindingsPanel
from desktop.paths import SAMPLE_PATH
from desktop.state import AnalysisRequest, CaseState, analysis_steps
from desktop.worker import GeneratorJob
from engine.inference import LoadedModel, load_model
from engine.io import SUPPORTED_SUFFIXES
from engine.types import Analysis

OPACITY_STEP = 0.1
FILE_FILTER = (
    "Images (" + " ".join(f"*{s}" for s in sorted(SUPPORTED_SUFFIXES)) + ");;All files (*)"
)


def model_steps(bundle_dir: str | Path | None) -> Generator[str, None, LoadedModel]:
    yield "Loading model…"
    return load_model(bundle_dir)


class MainWindow(QMainWindow):
    def __init__(self, state: CaseState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state or CaseState()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one inference at a time; results arrive in order
        self._jobs: set[GeneratorJob] = set()
        self._started_at = 0.0

        self.banner = ResearchBanner(self.state)
        self.error_bar = ErrorBar(self.state)
        self.canvas = ImageCanvas(self.state)
        self.findings_panel = FindingsPanel(self.state)
        self.display_controls = DisplayControls(self.state)
        self._build_layout()
        self._build_menus()
        self._build_status_bar()
        self.setAcceptDrops(True)
        self.setWindowTitle("LesionLens")

        s = self.state
        s.subscribe("image_changed", lambda _image: self._on_image_changed())
        s.subscribe("model_changed", lambda _model: self.analyze_if_ready())
        s.subscribe("busy_changed", self._on_busy_changed)
        s.subscribe("display_changed", self._sync_view_actions)
        s.subscribe("error", self.show_error)

    # -- construction -------------------------------------------------------------------------

    def _build_layout(self) -> None:
        side = QWidget()
        side.setObjectName("sidePanel")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.findings_panel, stretch=1)
        side_layout.addWidget(self.display_controls)
        side.setMinimumWidth(420)

        self.placeholder = QLabel(
            "Open an ultrasound image or DICOM\nFile ▸ Open… (Ctrl+O), or drop a file here"
        )
        self.placeholder.setObjectName("placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.canvas_stack = QStackedWidget()
        self.canvas_stack.addWidget(self.placeholder)
        self.canvas_stack.addWidget(self.canvas)

        splitter = QSplitter()
        splitter.addWidget(self.canvas_stack)
        splitter.addWidget(side)
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

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action("&Open…", self.choose_file, QKeySequence.StandardKey.Open)
        self.sample_action = self._action("Open &Sample", lambda: self.open_path(SAMPLE_PATH))
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.sample_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        view_menu = self.menuBar().addMenu("&View")
        self.contours_action = self._action("Show &Contours", self.state.set_contours_visible, "C")
        self.contours_action.setCheckable(True)
        self.more_opacity_action = self._action(
            "&More Overlay Opacity", lambda: self._step_opacity(OPACITY_STEP), "]"
        )
        self.less_opacity_action = self._action(
            "&Less Overlay Opacity", lambda: self._step_opacity(-OPACITY_STEP), "["
        )
        self.reset_zoom_action = self._action("&Fit Image", self.canvas.reset_zoom, "Ctrl+0")
        for action in (self.contours_action, self.more_opacity_action, self.less_opacity_action):
            view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.reset_zoom_action)
        self._sync_view_actions()

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
        self.busy_label = QLabel("Analysing…")
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: inference reports no fraction
        self.busy_bar.setFixedWidth(120)
        self.busy_bar.setTextVisible(False)
        bar.addPermanentWidget(self.cursor_label)
        bar.addPermanentWidget(self.busy_label)
        bar.addPermanentWidget(self.busy_bar)
        self.canvas.cursor_moved.connect(self.cursor_label.setText)
        self._on_busy_changed(False)

    # -- actions ------------------------------------------------------------------------------

    def choose_file(self) -> None:
        start = str(self.state.path.parent) if self.state.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open image", start, FILE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a file; on failure the error is shown and the previous case stays."""
        self.statusBar().showMessage(f"Opening {Path(path).name}…")
        return self.state.open(path)

    def load_model(self, bundle_dir: str | Path | None = None) -> None:
        """Load a bundle on the worker thread; None means the default bundle."""
        self._start(lambda: model_steps(bundle_dir), None, self._on_model_loaded)

    def analyze_if_ready(self) -> None:
        if self.state.can_analyze:
            request = self.state.start_analysis()
            self._started_at = time.perf_counter()
            self._start(lambda: analysis_steps(request), request, self._on_analysis_done)

    def has_running_jobs(self) -> bool:
        """True while a model load or an analysis is queued or running."""
        return bool(self._jobs)

    def show_error(self, message: str | None) -> None:
        """Errors never open a blocking dialog: the error bar and the status bar carry them."""
        if message:
            self.statusBar().showMessage(message)

    def _show_status(self, message: str) -> None:
        """Background news (progress, model loaded) never pushes an open error out of view."""
        self.statusBar().showMessage(self.state.last_error or message)

    def _step_opacity(self, delta: float) -> None:
        self.state.set_overlay_opacity(round(self.state.overlay_opacity + delta, 2))

    # -- worker -------------------------------------------------------------------------------

    def _start(
        self,
        steps: Callable[[], Generator[str, None, Any]],
        tag: Any,
        on_success: Callable[[Any, Any], None],
    ) -> None:
        job = GeneratorJob(steps, tag)
        job.signals.progress.connect(self._on_progress)
        job.signals.succeeded.connect(on_success)
        job.signals.failed.connect(self._on_job_failed)
        job.signals.finished.connect(lambda: self._jobs.discard(job))
        self._jobs.add(job)
        self.pool.start(job)

    @Slot(str)
    def _on_progress(self, message: str) -> None:
        self._show_status(message)

    @Slot(object, object)
    def _on_model_loaded(self, _tag: None, model: LoadedModel) -> None:
        self._show_status(f"Model {model.spec.model_id} v{model.spec.version} loaded")
        self.state.set_model(model)

    @Slot(object, object)
    def _on_analysis_done(self, request: AnalysisRequest, analysis: Analysis) -> None:
        if self.state.finish_analysis(request, analysis):
            seconds = time.perf_counter() - self._started_at
            n = len(analysis.findings)
            self.statusBar().showMessage(
                f"Analysis done in {seconds:.2f} s: {analysis.prediction.label}, "
                f"{n} lesion{'s' if n != 1 else ''}"
            )

    @Slot(object, object)
    def _on_job_failed(self, tag: Any, error: BaseException) -> None:
        if isinstance(tag, AnalysisRequest):
            self.state.fail_analysis(tag, error)
        else:
            self.state.report_error(error)

    # -- state -> window ----------------------------------------------------------------------

    def _on_image_changed(self) -> None:
        path, image = self.state.path, self.state.image
        name = path.name if path else "image"
        self.setWindowTitle(f"LesionLens — {name}")
        self.canvas_stack.setCurrentWidget(self.canvas)
        spacing = image.spacing_mm
        calibration = f"{spacing[1]:.3f} mm/px" if spacing else "uncalibrated (px)"
        self.statusBar().showMessage(
            f"Opened {name}: {image.width} × {image.height} px, {calibration}"
        )
        self.analyze_if_ready()

    def _on_busy_changed(self, busy: bool) -> None:
        self.busy_label.setVisible(busy)
        self.busy_bar.setVisible(busy)

    def _sync_view_actions(self) -> None:
        self.contours_action.setChecked(self.state.contours_visible)

    # -- Qt events ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0].toLocalFile())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        for job in list(self._jobs):
            job.cancel()
        self.pool.waitForDone(10_000)
        super().closeEvent(event)
