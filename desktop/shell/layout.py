"""Where the window's widgets sit: the case list docked left, the pages (the image, a study
view, a volume workspace, or the placeholder) in the middle with the frame controls under it,
the image's findings, review, descriptor and display panels (or the study's) in a scrolling
column on the right, the training panel docked at the bottom (hidden until asked for), and
the status bar's read-outs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models.study.state import StudyState, registry_bundle_finder
from desktop.pages.study import StudyPage
from desktop.shell.saving import StudySaving
from desktop.widgets.case_list_dock import DOCK_WIDTH

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

PLACEHOLDER = (
    "Open an ultrasound image, cine, DICOM series or NIfTI\n"
    "File ▸ Open… (Ctrl+O), File ▸ Open Folder…, or drop a file here"
)


def _column(widgets: list[tuple[QWidget, int]]) -> QWidget:
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget, stretch in widgets:
        layout.addWidget(widget, stretch=stretch)
    return column


def build_layout(w: MainWindow) -> None:
    panels = w.image_page.panels  # the findings panel takes the height left
    side = _column([(panels[0], 1)] + [(p, 0) for p in panels[1:]])
    side.setObjectName("sidePanel")
    side.setMinimumWidth(420)
    w.side_column = side  # the study page adds its panel here (desktop.shell.page_host)

    w.placeholder = QLabel(PLACEHOLDER)
    w.placeholder.setObjectName("placeholder")
    w.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
    w.canvas_stack = QStackedWidget()
    for page in (w.placeholder, w.canvas):
        w.canvas_stack.addWidget(page)
    # A multi-view case opens on the study page, which hides the single-image widgets.
    # Its model is the registry's active one for the study's views, in the window's data root.
    w.study_page = StudyPage(w.page_host, StudyState(registry_bundle_finder(w.review_store.root)))
    reviewer = w.page_host.reviewer  # the study's Save (Ctrl+S) goes through window.saving
    w.saving.study = StudySaving(w.study_page, w.review_store, w.cases, reviewer)
    image_area = _column([(w.canvas_stack, 1), (w.frame_controls, 0)])
    image_area.layout().setSpacing(0)

    splitter = QSplitter()
    splitter.addWidget(image_area)
    side_scroll = QScrollArea()  # a short window scrolls the panel, never overlaps its text
    w.side_scroll = side_scroll  # the volume page hides it (desktop.shell.page_host)
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

    central = _column([(w.banner, 0), (w.error_bar, 0), (splitter, 1)])
    central.layout().setSpacing(0)
    w.setCentralWidget(central)
    w.addToolBar(w.toolbar)
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, w.case_dock)
    w.resizeDocks([w.case_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
    w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, w.training_panel)
    w.training_panel.hide()  # Model ▸ Model & Training; the image gets the room


def build_status_bar(w: MainWindow) -> None:
    bar = w.statusBar()
    w.cursor_label = QLabel()
    w.tool_label = QLabel()
    w.busy_label = QLabel("Working…")
    w.busy_bar = QProgressBar()
    w.busy_bar.setRange(0, 0)  # indeterminate: inference reports no fraction
    w.busy_bar.setFixedWidth(120)
    w.busy_bar.setTextVisible(False)
    for widget in (w.cursor_label, w.tool_label, w.busy_label, w.busy_bar):
        bar.addPermanentWidget(widget)
    # The read-out belongs to the image under the mouse: another page or case clears it
    # (a CT's HU value stayed on the study page).
    w.canvas_stack.currentChanged.connect(lambda _index: w.cursor_label.clear())
    w.state.subscribe("image_changed", lambda _image: w.cursor_label.clear())
    w.study_page.state.subscribe("study_changed", lambda _s: w.cursor_label.clear())
