"""One plane of the volume (axial, coronal or sagittal): the CT slice, the label overlay, the
crosshair, a title with the slice number and a slider. It only renders VolumeSession and
forwards input: clicks and strokes go to a PlaneToolController through the 2D canvas's
ToolViewBox; the wheel scrolls slices (Ctrl+wheel zooms); right-drag sets window/level.

Pixels are shown with their true aspect: the view box keeps x/y scale at the ratio of the
pixel's mm size, so a 3 mm slice looks 3 mm tall next to 0.8 mm pixels.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsEllipseItem,
    QLabel,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop.models.editing.tool_state import BRUSH, ERASER, ToolState
from desktop.models.image.display import PIXEL_CENTRE
from desktop.models.volume.display import CROSSHAIR_RGB, label_lut, labels_rgba
from desktop.models.volume.planes import TITLES, edge_letters
from desktop.models.volume.session import VolumeSession
from desktop.models.volume.tools import PlaneToolController
from desktop.widgets.image.canvas import (
    BACKGROUND,
    BRUSH_PEN,
    DRAFT_PEN,
    ERASER_PEN,
    draw_rubber_band,
)
from desktop.widgets.image.tool_view_box import ToolViewBox

CROSSHAIR_PEN = pg.mkPen((*CROSSHAIR_RGB, 150), width=1, style=Qt.PenStyle.DashLine)
LETTER_STYLE = "color: #e6e6e6; background: transparent; font-weight: bold; font-size: 13px;"
LETTER_MARGIN = 6
ACTIVE_BORDER = "#ffd60a"
IDLE_BORDER = "#2a2f36"


class PlaneViewBox(ToolViewBox):
    """ToolViewBox whose wheel scrolls slices; Ctrl+wheel zooms as in the 2D canvas."""

    def __init__(self, controller: PlaneToolController, session: VolumeSession) -> None:
        super().__init__(controller, session.drag_window)  # type: ignore[arg-type]
        self.session = session
        self.plane = controller.plane

    def wheelEvent(self, ev, axis=None) -> None:  # noqa: ANN001, N802 - pyqtgraph override
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
            return
        ev.accept()
        delta = ev.delta() if hasattr(ev, "delta") else ev.angleDelta().y()
        if delta:
            self.session.step_slice(self.plane, 1 if delta > 0 else -1)


class PlaneCanvas(pg.GraphicsLayoutWidget):
    """Signals: cursor_moved(str) - the voxel and HU under the mouse, "" outside."""

    cursor_moved = Signal(str)

    def __init__(
        self, session: VolumeSession, tools: ToolState, plane: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.tools, self.plane = session, tools, plane
        self.controller = PlaneToolController(session, tools, plane)
        self.setBackground(BACKGROUND)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.view = PlaneViewBox(self.controller, session)
        self.addItem(self.view)
        self.image_item = pg.ImageItem()
        self.overlay_item = pg.ImageItem()
        self.overlay_item.setZValue(10)
        self.view.addItem(self.image_item)
        self.view.addItem(self.overlay_item)
        self.h_line = pg.InfiniteLine(angle=0, movable=False, pen=CROSSHAIR_PEN)
        self.v_line = pg.InfiniteLine(angle=90, movable=False, pen=CROSSHAIR_PEN)
        self.brush_cursor = QGraphicsEllipseItem()
        self.brush_cursor.setPen(BRUSH_PEN)
        self.brush_cursor.setVisible(False)
        self.box_line = pg.PlotDataItem(pen=DRAFT_PEN)  # a Smart Click box being dragged
        self.box_line.setVisible(False)
        for z, item in (
            (20, self.h_line),
            (21, self.v_line),
            (30, self.brush_cursor),
            (31, self.box_line),
        ):
            item.setZValue(z)
            self.view.addItem(item, ignoreBounds=True)
        self.controller.box_changed = self._draw_box
        self.index = -1
        self._lut = label_lut(session.label_names, session.opacity)
        # Orientation letters at the edges of the viewport (A/P, R/L, S/I), as on a scanner's
        # console: they stay put while the slice is zoomed and panned.
        self.letters = {side: QLabel(self) for side in ("top", "bottom", "left", "right")}
        for side, label in self.letters.items():
            label.setObjectName(f"orientation_{side}")
            label.setStyleSheet(LETTER_STYLE)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        s = session
        s.subscribe("volume_changed", self._on_volume_changed)
        s.subscribe("position_changed", lambda _voxel: self._on_position_changed())
        s.subscribe("window_changed", lambda window: self.image_item.setLevels(window.levels))
        s.subscribe("labels_edited", self._on_labels_edited)
        s.subscribe("prediction_changed", lambda _p: self._draw_overlay())
        s.subscribe("display_changed", self._on_display_changed)
        tools.subscribe("tool_changed", self._on_tool_changed)
        if session.volume is not None:
            self._on_volume_changed()

    @property
    def layout_(self):  # noqa: ANN201 - PlaneLayout of the open volume
        return self.session.layouts.get(self.plane)

    def reset_zoom(self) -> None:
        self.view.autoRange(padding=0.02)

    def viewport_point(self, row: float, col: float) -> QPoint:
        """Where display point (row, col) is on the viewport (tests, screenshots)."""
        scene = self.view.mapViewToScene(QPointF(col + PIXEL_CENTRE, row + PIXEL_CENTRE))
        return self.mapFromScene(scene)

    # -- session -> view ----------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        self._place_letters()

    def _place_letters(self) -> None:
        if not hasattr(self, "letters"):  # a resize while the base class is being built
            return
        w, h, m = self.width(), self.height(), LETTER_MARGIN
        top, bottom = self.letters["top"], self.letters["bottom"]
        left, right = self.letters["left"], self.letters["right"]
        top.move((w - top.width()) // 2, m)
        bottom.move((w - bottom.width()) // 2, h - bottom.height() - m)
        left.move(m, (h - left.height()) // 2)
        right.move(w - right.width() - m, (h - right.height()) // 2)

    def _on_volume_changed(self) -> None:
        layout = self.layout_
        if layout is None or self.session.volume is None:
            for label in self.letters.values():
                label.setText("")
            self.image_item.clear()
            self.overlay_item.clear()
            self.index = -1
            return
        row_mm, col_mm = layout.pixel_mm
        self.view.setAspectLocked(True, ratio=col_mm / row_mm)
        for side, text in edge_letters(self.session.volume, layout).items():
            self.letters[side].setText(text)
            self.letters[side].adjustSize()
        self._place_letters()
        self.index = -1
        self._lut = label_lut(self.session.label_names, self.session.opacity)
        self._on_position_changed()
        self.reset_zoom()

    def _on_position_changed(self) -> None:
        layout, volume = self.layout_, self.session.volume
        if layout is None or volume is None:
            return
        index, row, col = layout.plane_point(self.session.position)
        if index != self.index:
            self.index = index
            pixels = layout.view(volume.voxels, index)
            self.image_item.setImage(pixels, autoLevels=False, levels=self.session.window.levels)
            self._draw_overlay()
        self.h_line.setPos(row + PIXEL_CENTRE)
        self.v_line.setPos(col + PIXEL_CENTRE)

    def _draw_overlay(self) -> None:
        layout, labels = self.layout_, self.session.labels
        if layout is None or labels is None or self.index < 0:
            self.overlay_item.clear()
            return
        if len(self._lut) != len(labels.label_names):
            self._lut = label_lut(labels.label_names, self.session.opacity)
        plane = layout.view(labels.labels, self.index)
        self.overlay_item.setImage(labels_rgba(plane, self._lut), autoLevels=False)

    def _on_labels_edited(self, region: tuple[slice, slice, slice]) -> None:
        layout = self.layout_
        if layout is None:
            return
        cut = region[layout.axis]
        start, stop, _ = cut.indices(layout.count)
        if start <= self.index < stop:
            self._draw_overlay()

    def _on_display_changed(self) -> None:
        self._lut = label_lut(self.session.label_names, self.session.opacity)
        self._draw_overlay()

    # -- pointer ------------------------------------------------------------------------------

    def _draw_box(self, box: tuple[tuple[float, float], tuple[float, float]] | None) -> None:
        """The rubber band of a Smart Click box, from the press to the mouse."""
        draw_rubber_band(self.box_line, box)

    def _on_tool_changed(self) -> None:
        tool = self.tools.tool
        self.brush_cursor.setPen(ERASER_PEN if tool == ERASER else BRUSH_PEN)
        if tool not in (BRUSH, ERASER):
            self.brush_cursor.setVisible(False)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        layout, volume = self.layout_, self.session.volume
        if (
            layout is None
            or volume is None
            or not self.view.sceneBoundingRect().contains(scene_pos)
        ):
            self.brush_cursor.setVisible(False)
            self.cursor_moved.emit("")
            return
        point = self.view.mapSceneToView(scene_pos)
        row, col = point.y() - PIXEL_CENTRE, point.x() - PIXEL_CENTRE
        if self.tools.tool in (BRUSH, ERASER):
            r = self.tools.brush_radius
            row_mm, col_mm = layout.pixel_mm
            rr = r * col_mm / row_mm  # round on screen: rows may be thicker than columns
            cx, cy = col + PIXEL_CENTRE, row + PIXEL_CENTRE
            self.brush_cursor.setRect(QRectF(cx - r, cy - rr, 2 * r, 2 * rr))
            self.brush_cursor.setVisible(True)
        voxel = layout.voxel(self.index, row, col)
        if voxel is None:
            self.cursor_moved.emit("")
            return
        z, y, x = voxel
        value = float(volume.voxels[voxel])
        label = ""
        if self.session.labels is not None:
            label = self.session.label_names[int(self.session.labels.labels[voxel])]
        self.cursor_moved.emit(f"z {z}  y {y}  x {x}  {value:.0f} HU  {label}")


class PlanePanel(QFrame):
    """A plane with its title (name, slice number, position in mm) and its slice slider."""

    def __init__(
        self, session: VolumeSession, tools: ToolState, plane: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.plane = session, plane
        self.setObjectName("planePanel")
        self.title = QLabel()
        self.title.setObjectName("planeTitle")
        # The title's text changes on every scroll; its width must never move the view.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.canvas = PlaneCanvas(session, tools, plane)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Slice (mouse wheel over the view; Ctrl+wheel zooms)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.canvas, stretch=1)
        layout.addWidget(self.slider)
        self.slider.valueChanged.connect(lambda index: session.set_slice(plane, index))
        session.subscribe("volume_changed", self.refresh)
        session.subscribe("position_changed", lambda _voxel: self.refresh())
        session.subscribe("display_changed", self.refresh)
        self.refresh()

    def refresh(self) -> None:
        layout = self.session.layouts.get(self.plane)
        active = self.session.active_plane == self.plane
        border = ACTIVE_BORDER if active else IDLE_BORDER
        self.setStyleSheet(f"QFrame#planePanel {{ border: 1px solid {border}; }}")
        if layout is None:
            self.title.setText(TITLES[self.plane])
            return
        index = self.session.slice_index(self.plane)
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, layout.count - 1)
            self.slider.setValue(self.session.position[layout.axis])
        spacing = self.session.volume.spacing_mm[layout.axis] if self.session.volume else 0.0
        mark = "  ✎" if active else ""
        self.title.setText(
            f"<b>{layout.title or TITLES[self.plane]}</b>  slice {index + 1}/{layout.count}"
            f"  ({index * spacing:.1f} mm){mark}"
        )

    def shown_pixels(self) -> np.ndarray | None:
        return self.canvas.image_item.image
