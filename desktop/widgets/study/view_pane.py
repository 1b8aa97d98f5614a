"""One view of a study on screen: its title, which side of the patient is where, the image,
the attention map and the lesion outline. Renders what StudyView tells it; no state of its own
beyond the items it draws.

The posterior view may be shown mirrored (desktop.models.study.geometry): the ViewBox flips its x
axis, so pixel coordinates, the map and the outline stay as acquired and flip together.

Zoom: a view fits its pane when it opens and again whenever the pane is resized (the window
laid out, the splitter moved), until the reader zooms or pans; from then on the reader's view is
kept, and Fit hands it back to the pane. (Fitting once at open time fitted a pane that was not
laid out yet: the bone scan opened as a thumbnail.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop.models.image.display import PIXEL_CENTRE, contour_xy, cursor_text, overlay_rgba
from desktop.models.image.window_level import WindowLevel
from desktop.models.study.geometry import ViewRange, orientation_note, side_labels, view_title
from desktop.models.study.tools import StudyViewController
from desktop.widgets.image.canvas import BACKGROUND, CONTOUR_PEN, DRAFT_PEN, draw_rubber_band
from desktop.widgets.image.tool_view_box import ToolViewBox
from desktop.widgets.study.window_view_box import DragWindow, WindowViewBox
from engine.report.heatmap import heat_rgba
from engine.types import Finding, Image

MASK_OPACITY = 0.45  # the reader's corrected mask (Smart Click), under the outline
SIDE_STYLE = "color: #ffd43b; font-weight: bold; font-size: 13pt; padding: 0 6px;"


class ViewPane(QWidget):
    """Signals: reader_moved - the reader zoomed or panned this view (wheel or drag);
    cursor_moved(str) - the pixel under the mouse ("" outside the image)."""

    reader_moved = Signal()
    cursor_moved = Signal(str)

    def __init__(
        self,
        drag_window: DragWindow | None = None,
        parent: QWidget | None = None,
        controller: StudyViewController | None = None,
    ) -> None:
        """controller: Smart Click on this view (left click, Shift/right click, left drag);
        without one the view only pans, zooms and sets window/level."""
        super().__init__(parent)
        self.controller = controller
        self.name = ""
        self.image: Image | None = None
        self.follows_pane = True  # fit on every resize until the reader zooms or pans
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note = QLabel()
        self.note.setObjectName("note")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.left_side, self.right_side = QLabel(), QLabel()
        for label in (self.left_side, self.right_side):
            label.setStyleSheet(SIDE_STYLE)
            label.setToolTip("Patient side (R = patient's right, L = patient's left)")
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(BACKGROUND)
        self.canvas.ci.setContentsMargins(0, 0, 0, 0)
        self.window_label = QLabel()  # W/L of a grey view, and which preset it is
        self.window_label.setObjectName("note")
        self.window_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.window_label.setToolTip("Right-drag on the view sets window/level")
        # Its text changes on every drag step: it must not resize the pane (and refit it).
        self.window_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if controller is not None and drag_window is not None:
            self.view: pg.ViewBox = ToolViewBox(controller, drag_window)  # type: ignore[arg-type]
            controller.box_changed = self._draw_box
        else:
            self.view = WindowViewBox(drag_window)
        self.canvas.addItem(self.view)
        self.image_item = pg.ImageItem()
        self.map_item = pg.ImageItem()
        self.map_item.setZValue(10)
        self.mask_item = pg.ImageItem()  # the reader's corrected mask
        self.mask_item.setZValue(12)
        self.box_line = pg.PlotDataItem(pen=DRAFT_PEN)  # a Smart Click box being dragged
        self.box_line.setZValue(30)
        self.box_line.setVisible(False)
        self.view.addItem(self.image_item)
        self.view.addItem(self.map_item)
        self.view.addItem(self.mask_item)
        self.view.addItem(self.box_line, ignoreBounds=True)
        self.contour_items: list[pg.PlotDataItem] = []
        self.view.sigResized.connect(self._on_resized)
        self.canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.view.sigRangeChangedManually.connect(self._on_reader_moved)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.left_side)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.note)
        titles.addWidget(self.window_label)
        header.addLayout(titles, stretch=1)
        header.addWidget(self.right_side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.canvas, stretch=1)

    # -- what is shown --------------------------------------------------------------------

    def show_view(
        self, name: str, image: Image, mirrored: bool, window: WindowLevel | None = None
    ) -> None:
        """`window`: the grey view's window/level; None for colour (shown as acquired)."""
        self.name, self.image = name, image
        self.title.setText(view_title(name))
        levels = window.levels if window is not None else (0.0, 255.0)
        self.image_item.setImage(image.pixels, autoLevels=False, levels=levels)
        self.window_label.setText("" if window is not None else "colour: shown as acquired")
        self.map_item.clear()
        self.mask_item.clear()
        self.set_contours((), True)
        self.set_mirrored(mirrored)
        self.fit()

    def set_window(self, window: WindowLevel, name: str) -> None:
        """Show the view through `window`; `name` is Default, a preset's name or Custom."""
        self.image_item.setLevels(window.levels)
        self.window_label.setText(f"{window.text()}  ·  {name}")

    @property
    def levels(self) -> tuple[float, float]:
        """The (black, white) values on screen (tests, screenshots)."""
        low, high = self.image_item.getLevels()
        return (float(low), float(high))

    def set_mirrored(self, mirrored: bool) -> None:
        self.view.invertX(mirrored)
        self.note.setText(orientation_note(self.name, mirrored))
        sides = side_labels(self.name, mirrored)
        self.left_side.setText(sides[0] if sides else "")
        self.right_side.setText(sides[1] if sides else "")

    @property
    def mirrored(self) -> bool:
        return bool(self.view.state["xInverted"])

    def set_map(self, values: np.ndarray | None, opacity: float, visible: bool) -> None:
        if values is None:
            self.map_item.clear()
            return
        self.map_item.setImage(heat_rgba(values, opacity), autoLevels=False)
        self.map_item.setVisible(visible)

    def set_contours(self, findings: Sequence[Finding], visible: bool) -> None:
        for item in self.contour_items:
            self.view.removeItem(item)
        self.contour_items = []
        for finding in findings:
            x, y = contour_xy(finding.contour)
            item = pg.PlotDataItem(x, y, pen=CONTOUR_PEN)
            item.setZValue(20)
            item.setVisible(visible)
            self.view.addItem(item)
            self.contour_items.append(item)

    def set_mask(self, mask: np.ndarray | None) -> None:
        """The reader's corrected mask of this view, or None (not corrected)."""
        if mask is None or not mask.any():
            self.mask_item.clear()
            return
        self.mask_item.setImage(overlay_rgba(mask, MASK_OPACITY), autoLevels=False)

    def _draw_box(self, box: tuple[tuple[float, float], tuple[float, float]] | None) -> None:
        """The rubber band of a Smart Click box, from the press to the mouse."""
        draw_rubber_band(self.box_line, box)

    @property
    def map_shown(self) -> bool:
        return self.map_item.image is not None and self.map_item.isVisible()

    # -- zoom -----------------------------------------------------------------------------

    def fit(self) -> None:
        """Show the whole image, and keep doing so as the pane is resized."""
        self.follows_pane = True
        if self.image is not None:
            self.view.autoRange(padding=0.02)

    def keep_view(self) -> None:
        """The reader's zoom and pan stay through resizes (until Fit)."""
        self.follows_pane = False

    def _on_resized(self, *_args: object) -> None:
        if self.follows_pane:
            self.fit()

    def _on_reader_moved(self, *_args: object) -> None:
        self.keep_view()
        self.reader_moved.emit()

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        image = self.image
        if image is None or not self.view.sceneBoundingRect().contains(scene_pos):
            self.cursor_moved.emit("")
            return
        point = self.view.mapSceneToView(scene_pos)
        text = cursor_text(image.pixels, point.x(), point.y(), image.spacing_mm)
        self.cursor_moved.emit(f"{view_title(self.name)}: {text}" if text else "")

    def viewport_point(self, row: float, col: float) -> QPoint:
        """Where image point (row, col) is on the canvas viewport (tests, screenshots)."""
        scene = self.view.mapViewToScene(QPointF(col + PIXEL_CENTRE, row + PIXEL_CENTRE))
        return self.canvas.mapFromScene(scene)

    def viewport(self) -> QWidget:
        """The widget mouse events go to (what the tests' Mouse helper drives)."""
        return self.canvas.viewport()

    def view_range(self) -> ViewRange:
        (x0, x1), (y0, y1) = self.view.viewRange()
        return (float(x0), float(x1), float(y0), float(y1))

    def set_view_range(self, view_range: ViewRange) -> None:
        """An explicit range (the linked view's, a test's): kept through resizes."""
        self.keep_view()
        x0, x1, y0, y1 = view_range
        self.view.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)
