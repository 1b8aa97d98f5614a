"""The views of a study side by side, with the controls that belong to them: linked zoom and
pan (only when the geometry matches, and the reason shown either way), posterior mirroring,
the attention map (toggle and opacity), the lesion outlines, and Smart Click with its undo
and redo (desktop.models.study.tools: click or box a lesion on any 2D view). Renders
StudyState.

Linking is done here rather than with pyqtgraph's setXLink: opposed projections need the
column range mirrored (desktop.models.study.geometry.linked_range), and a guard keeps the two views
from echoing each other's range changes.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models.editing.smart_click import SmartClick, shared_interactive_model
from desktop.models.editing.tool_state import NAVIGATE, SMART_CLICK, ToolState
from desktop.models.study.geometry import ViewRange, linked_range, opposed, view_title
from desktop.models.study.state import StudyState
from desktop.models.study.tools import StudyViewController
from desktop.widgets.study.view_pane import ViewPane
from engine.types import Image, Study, StudyAnalysis

LINKED_STYLE = "color: #63d297;"
INDEPENDENT_STYLE = "color: #9aa3ad;"
SMART_TIP = (
    "Smart Click (A): click a lesion on a view to outline it, Shift+click or right click "
    "removes, a drag draws a box round it; each click or box is one undo step (Ctrl+Z). "
    "The outline becomes that view's findings, exported as reader-drawn with AI assistance"
)
SMART_STYLE = "QToolButton:checked { background: #3a8ee6; color: #ffffff; border-radius: 3px; }"


class StudyView(QWidget):
    """Signals: cursor_moved(str) - the view and pixel under the mouse, for the status bar."""

    cursor_moved = Signal(str)

    def __init__(
        self, state: StudyState, tools: ToolState | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.tools = tools or ToolState()  # the study's own: the 2D tools stay as they were
        self.panes: dict[str, ViewPane] = {}
        self._syncing = False

        self.link_box = QCheckBox("Link zoom && pan")
        self.link_state = QLabel()
        self.link_state.setWordWrap(True)
        self.mirror_box = QCheckBox("Mirror posterior")
        self.mirror_box.setToolTip(
            "Show the posterior view mirrored, so both views have the patient's right on the "
            "left (display only: coordinates, map and outline stay as acquired)"
        )
        self.map_box = QCheckBox("Attention map")
        self.map_box.setToolTip("Where the model looked in each view (attention map)")
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setFixedWidth(110)
        self.opacity_slider.setToolTip("Attention map opacity")
        self.contour_box = QCheckBox("Outline")
        self.contour_box.setToolTip("Lesion outline on the segmented view")
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Fit every view to its pane")
        self.smart_button = QToolButton()
        self.smart_button.setText("Smart Click")
        self.smart_button.setCheckable(True)
        self.smart_button.setToolTip(SMART_TIP)
        self.smart_button.setStyleSheet(SMART_STYLE)
        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")

        controls = QHBoxLayout()
        controls.setContentsMargins(8, 4, 8, 4)
        for widget in (self.link_box, self.mirror_box, self.map_box):
            controls.addWidget(widget)
        controls.addWidget(QLabel("Opacity"))
        controls.addWidget(self.opacity_slider)
        controls.addWidget(self.contour_box)
        controls.addStretch(1)
        controls.addWidget(self.fit_button)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(controls)
        self.link_state.setContentsMargins(10, 0, 10, 4)
        # Smart Click beside the link note (which wraps), not in the row above: that row's
        # width is already the window's minimum (the study page sits in the window's stack).
        edit_row = QHBoxLayout()
        edit_row.setContentsMargins(0, 0, 8, 4)
        edit_row.addWidget(self.link_state, stretch=1)
        for widget in (self.smart_button, self.undo_button, self.redo_button):
            edit_row.addWidget(widget)
        layout.addLayout(edit_row)
        layout.addWidget(self.splitter, stretch=1)

        self.link_box.toggled.connect(state.set_link_wanted)
        self.mirror_box.toggled.connect(state.set_mirror_posterior)
        self.map_box.toggled.connect(state.set_maps_visible)
        self.contour_box.toggled.connect(state.set_contours_visible)
        self.opacity_slider.valueChanged.connect(lambda v: state.set_map_opacity(v / 100.0))
        self.fit_button.clicked.connect(self.fit)
        self.smart_button.clicked.connect(self._on_smart_toggled)
        self.undo_button.clicked.connect(state.undo)
        self.redo_button.clicked.connect(state.redo)
        self.tools.subscribe("tool_changed", self._sync_edit_controls)
        state.subscribe("corrections_changed", lambda _view: self._sync_edit_controls())
        state.subscribe("busy_changed", lambda _busy: self._sync_edit_controls())
        state.subscribe("study_changed", self._on_study_changed)
        state.subscribe("analysis_changed", self._on_analysis_changed)
        state.subscribe("display_changed", self._on_display_changed)
        state.subscribe("link_changed", lambda _linked: self._sync_controls())
        state.subscribe("window_changed", self._on_window_changed)
        if state.study is not None:
            self._on_study_changed(state.study)
        self._sync_controls()
        self._sync_edit_controls()

    # -- queries (tests, screenshots) -----------------------------------------------------

    def pane(self, view: str) -> ViewPane:
        return self.panes[view]

    def view_range(self, view: str) -> ViewRange:
        return self.panes[view].view_range()

    def fit(self) -> None:
        """Fit every view; linked views then follow the first."""
        for pane in self.panes.values():
            pane.fit()

    # -- state -> view --------------------------------------------------------------------

    def _on_study_changed(self, study: Study) -> None:
        for pane in self.panes.values():
            pane.setParent(None)
            pane.deleteLater()
        self.panes = {}
        for name, view in study.views.items():
            controller = None
            if isinstance(view, Image):
                smart = SmartClick(shared_interactive_model)
                controller = StudyViewController(self.state, self.tools, name, smart)
            pane = ViewPane(
                lambda dx, dy, n=name: self._drag_window(n, dx, dy), controller=controller
            )
            if isinstance(view, Image):
                pane.show_view(name, view, self.state.is_mirrored(name), self.state.window(name))
                self._on_window_changed(name, pane)
            else:
                pane.title.setText(f"{name}: a volume (open it on its own to scroll slices)")
            pane.view.sigRangeChanged.connect(lambda *_args, n=name: self._on_range_changed(n))
            pane.reader_moved.connect(self._on_reader_moved)
            pane.cursor_moved.connect(self.cursor_moved)
            self.splitter.addWidget(pane)
            self.panes[name] = pane
        self.splitter.setSizes([1000] * len(self.panes))
        self._sync_controls()
        self._sync_edit_controls()

    def _drag_window(self, name: str, dx: float, dy: float) -> None:
        if self.state.window(name) is None:
            self.state.notify(
                f"{view_title(name)}: a colour picture is shown as acquired (no window/level)"
            )
            return
        self.state.drag_window(name, dx, dy)

    def _on_window_changed(self, name: str, pane: ViewPane | None = None) -> None:
        pane = pane or self.panes.get(name)
        window = self.state.window(name)
        if pane is not None and window is not None:
            pane.set_window(window, self.state.window_name(name))

    def _on_analysis_changed(self, analysis: StudyAnalysis | None) -> None:
        state = self.state
        for name, pane in self.panes.items():
            if analysis is None:
                pane.set_map(None, state.map_opacity, state.maps_visible)
                pane.set_contours((), state.contours_visible)
                continue
            pane.set_map(
                analysis.prediction.view_maps.get(name), state.map_opacity, state.maps_visible
            )
            pane.set_contours(analysis.findings.get(name, ()), state.contours_visible)
        self._show_masks()
        self._sync_controls()
        self._sync_edit_controls()

    # -- Smart Click ----------------------------------------------------------------------

    def toggle_smart_click(self) -> None:
        """Key A on the study page: Smart Click on, or back to pan/zoom."""
        self.tools.set_tool(NAVIGATE if self.tools.tool == SMART_CLICK else SMART_CLICK)

    def _on_smart_toggled(self, checked: bool) -> None:
        self.tools.set_tool(SMART_CLICK if checked else NAVIGATE)

    def _show_masks(self) -> None:
        """Each corrected view shows the reader's mask under its outline."""
        corrections = self.state.corrections
        for name, pane in self.panes.items():
            edited = corrections is not None and name in corrections.editors
            if edited and corrections.edited(name):
                pane.set_mask(corrections.editors[name].mask)
            else:
                pane.set_mask(None)

    def _sync_edit_controls(self) -> None:
        state, corrections = self.state, self.state.corrections
        with QSignalBlocker(self.smart_button):
            self.smart_button.setChecked(self.tools.tool == SMART_CLICK)
        editable = corrections is not None and not state.busy
        self.smart_button.setEnabled(state.study is not None)
        self.undo_button.setEnabled(editable and corrections.can_undo)
        self.redo_button.setEnabled(editable and corrections.can_redo)
        self.undo_button.setToolTip(
            f"Undo {corrections.undo_name} (Ctrl+Z)"
            if editable and corrections.can_undo
            else "Undo (Ctrl+Z)"
        )
        self.redo_button.setToolTip("Redo (Ctrl+Y)")
        for pane in self.panes.values():
            shape = (
                Qt.CursorShape.CrossCursor
                if self.tools.tool == SMART_CLICK
                else Qt.CursorShape.ArrowCursor
            )
            pane.canvas.viewport().setCursor(shape)

    def _on_display_changed(self) -> None:
        state, analysis = self.state, self.state.analysis
        for name, pane in self.panes.items():
            if pane.mirrored != state.is_mirrored(name):
                pane.set_mirrored(state.is_mirrored(name))
            if analysis is not None:
                pane.set_map(
                    analysis.prediction.view_maps.get(name), state.map_opacity, state.maps_visible
                )
            for item in pane.contour_items:
                item.setVisible(state.contours_visible)
        self._sync_controls()

    def _sync_controls(self) -> None:
        state = self.state
        names = state.view_names
        analysis = state.analysis
        with QSignalBlocker(self.link_box):
            self.link_box.setEnabled(state.link.linkable)
            self.link_box.setChecked(state.linked)
        self.link_box.setToolTip(state.link.reason)
        if state.linked:
            text, style = f"Linked zoom and pan: {state.link.reason}", LINKED_STYLE
        elif state.link.linkable:
            text, style = "Independent zoom and pan: link switched off", INDEPENDENT_STYLE
        else:
            text, style = f"Independent zoom and pan: {state.link.reason}", INDEPENDENT_STYLE
        self.link_state.setText(text)
        self.link_state.setStyleSheet(style)
        with QSignalBlocker(self.mirror_box):
            self.mirror_box.setVisible("posterior" in names)
            self.mirror_box.setChecked(state.mirror_posterior)
        has_maps = analysis is not None and bool(analysis.prediction.view_maps)
        has_contours = analysis is not None and any(analysis.findings.values())
        with QSignalBlocker(self.map_box):
            self.map_box.setEnabled(has_maps)
            self.map_box.setChecked(state.maps_visible)
        with QSignalBlocker(self.opacity_slider):
            self.opacity_slider.setEnabled(has_maps)
            self.opacity_slider.setValue(round(state.map_opacity * 100))
        with QSignalBlocker(self.contour_box):
            self.contour_box.setEnabled(has_contours)
            self.contour_box.setChecked(state.contours_visible)
        if state.linked and names:
            self._on_range_changed(names[0])  # switching the link on lines the views up

    # -- linked zoom and pan --------------------------------------------------------------

    def _on_reader_moved(self) -> None:
        """Linked views follow the reader's zoom, so none of them goes back to fitting its
        pane on a resize either."""
        if self.state.linked:
            for pane in self.panes.values():
                pane.keep_view()

    def _on_range_changed(self, source: str) -> None:
        if self._syncing or not self.state.linked or source not in self.panes:
            return
        pane = self.panes[source]
        if pane.image is None or pane.follows_pane:
            return  # a view fitting its own pane is not a zoom to copy
        view_range = pane.view_range()
        self._syncing = True
        try:
            for name, other in self.panes.items():
                if name == source or other.image is None:
                    continue
                mirror = opposed(source, name)
                other.set_view_range(linked_range(view_range, pane.image.width, mirror))
        finally:
            self._syncing = False
