"""The image with the mask overlay, uncertainty map, lesion contours, axes and calipers.

A pyqtgraph view that only renders CaseState and ToolState: it subscribes to their events
and forwards mouse input to the ToolController (tool_view_box). Needs
`pg.setConfigOptions(imageAxisOrder="row-major")` (app.py sets it once), so arrays are
(row, col) here as everywhere else.

Painting is incremental: a brush stroke redraws only the box it touched in the RGBA overlay
buffer; contours and axes are redrawn once per finished edit (bench/paint.py measures it).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import QGraphicsEllipseItem, QWidget

from desktop.models.editing.caliper import Caliper
from desktop.models.editing.mask_ops import Box
from desktop.models.editing.tool_controller import ToolController
from desktop.models.editing.tool_state import (
    BOX,
    BRUSH,
    ERASER,
    LINE,
    NAVIGATE,
    OPEN,
    Draft,
    ToolState,
)
from desktop.models.image.display import (
    PIXEL_CENTRE,
    contour_xy,
    cursor_text,
    overlay_rgba,
    paint_overlay_box,
    scale_bar_place,
    segment_xy,
    uncertainty_lut,
)
from desktop.models.image.state import CaseState
from desktop.widgets.image.shape_items import shape_items
from desktop.widgets.image.tool_view_box import ToolViewBox
from engine.types import Analysis, Image

BACKGROUND = "#08090b"
CONTOUR_PEN = pg.mkPen("#3ad6ff", width=2)
LONG_AXIS_PEN = pg.mkPen("#ffd43b", width=1.5)
SHORT_AXIS_PEN = pg.mkPen("#ffd43b", width=1.5, style=Qt.PenStyle.DashLine)
LABEL_COLOR = "#ffd43b"
LABEL_FONT = QFont()
LABEL_FONT.setBold(True)
LABEL_FONT.setPointSize(11)
SCALE_COLOR = "#e6e9ed"
SCALE_PEN = pg.mkPen(SCALE_COLOR, width=3)
CALIPER_COLOR = "#7cf29c"
REFUSED_COLOR = "#ff8a8a"
SELECTED_COLOR = "#ffffff"
CALIPER_FILL = pg.mkBrush(8, 9, 11, 170)  # the length stays readable over speckle
CALIPER_TEXT_WIDTH = 230  # screen px: a refusal reason wraps instead of leaving the view
DRAFT_PEN = pg.mkPen("#ffffff", width=1.5, style=Qt.PenStyle.DashLine)
BRUSH_PEN = pg.mkPen("#ffffff", width=1)
ERASER_PEN = pg.mkPen("#ff8a8a", width=1, style=Qt.PenStyle.DashLine)
UNCERTAINTY_OPACITY = 0.75


def draw_rubber_band(
    item: pg.PlotDataItem, box: tuple[tuple[float, float], tuple[float, float]] | None
) -> None:
    """A Smart Click box being dragged on a study view or a CT plane, from the press (r0, c0)
    to the mouse (r1, c1) in image coordinates; hidden for None."""
    if box is None:
        item.setVisible(False)
        return
    (r0, c0), (r1, c1) = box
    rows = np.array([r0, r0, r1, r1, r0]) + PIXEL_CENTRE
    cols = np.array([c0, c1, c1, c0, c0]) + PIXEL_CENTRE
    item.setData(cols, rows)
    item.setVisible(True)


def box_rect(box: Box) -> QRectF:
    """A mask box as a rectangle in image (item) coordinates: pixel (r, c) is [c, c+1]x[r, r+1]."""
    return QRectF(box.col0, box.row0, box.col1 - box.col0, box.row1 - box.row0)


def box_corners(draft: Draft) -> list[tuple[float, float]]:
    """The four corners (row, col) of a box draft, from its two opposite corners."""
    (r0, c0), (r1, c1) = draft.points
    return [(r0, c0), (r0, c1), (r1, c1), (r1, c0)]


class ImageCanvas(pg.GraphicsLayoutWidget):
    """Signals: cursor_moved(str) - readout of the pixel under the mouse, "" outside the image."""

    cursor_moved = Signal(str)

    def __init__(
        self,
        state: CaseState,
        tools: ToolState | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.tools = tools or ToolState()
        self.controller = ToolController(state, self.tools)
        self.setBackground(BACKGROUND)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.view = ToolViewBox(self.controller, state.drag_window)
        self.addItem(self.view)
        self.image_item = pg.ImageItem()
        self.uncertainty_item = pg.ImageItem()
        self.uncertainty_item.setZValue(5)
        self.uncertainty_item.setOpacity(UNCERTAINTY_OPACITY)
        self.uncertainty_item.setLookupTable(uncertainty_lut())
        self.overlay_item = pg.ImageItem()
        self.overlay_item.setZValue(10)
        for item in (self.image_item, self.uncertainty_item, self.overlay_item):
            self.view.addItem(item)
        self.finding_items: list[pg.GraphicsObject] = []
        self.scale_items: list[pg.GraphicsObject] = []
        self.caliper_items: list[pg.GraphicsObject] = []
        self.shape_items: list[pg.GraphicsObject] = []  # ellipses, traces, angles
        self.draft_line = pg.PlotDataItem(pen=DRAFT_PEN)
        self.draft_text = pg.TextItem("", color="#ffffff", anchor=(0, 1))
        self.brush_cursor = QGraphicsEllipseItem()
        self.brush_cursor.setPen(BRUSH_PEN)
        for z, item in ((40, self.draft_line), (41, self.draft_text), (42, self.brush_cursor)):
            item.setZValue(z)
            item.setVisible(False)
            self.view.addItem(item, ignoreBounds=True)
        self._rgba: np.ndarray | None = None
        self._last_point: tuple[float, float] | None = None
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

        s = state
        s.subscribe("image_changed", self._on_image_changed)
        s.subscribe("frame_changed", lambda _index: self._show_pixels())
        s.subscribe("window_changed", lambda _window: self._apply_window())
        s.subscribe("analysis_changed", self._on_analysis_changed)
        s.subscribe("findings_changed", self._draw_findings)
        s.subscribe("mask_edited", self._on_mask_edited)
        s.subscribe("display_changed", self._on_display_changed)
        s.subscribe("calipers_changed", self._draw_calipers)
        s.subscribe("calibration_changed", self._set_scale_bar)
        self.tools.subscribe("draft_changed", self._draw_draft)
        self.tools.subscribe("tool_changed", self._on_tool_changed)
        if state.image is not None:
            self._on_image_changed(state.image)
            self._on_analysis_changed(state.analysis)

    # -- zoom ---------------------------------------------------------------------------------

    def reset_zoom(self) -> None:
        """Fit the whole image in the view."""
        self.view.autoRange(padding=0.02)

    def actual_size(self) -> None:
        """1:1 - one image pixel per screen pixel, about the current centre."""
        rect = self.view.viewRect()
        size = self.view.size()
        cx, cy = rect.center().x(), rect.center().y()
        w, h = size.width(), size.height()
        self.view.setRange(
            QRectF(cx - w / 2.0, cy - h / 2.0, w, h), padding=0.0, disableAutoRange=True
        )

    def viewport_point(self, row: float, col: float) -> QPoint:
        """Where image point (row, col) is on the viewport widget (tests, screenshots)."""
        scene = self.view.mapViewToScene(QPointF(col + PIXEL_CENTRE, row + PIXEL_CENTRE))
        return self.mapFromScene(scene)

    # -- state -> view ------------------------------------------------------------------------

    def _on_image_changed(self, image: Image) -> None:
        self._show_pixels()
        self._on_analysis_changed(self.state.analysis)  # no item of the last case may
        self._set_scale_bar(image)  # count in the bounds that reset_zoom fits
        self.reset_zoom()

    def _show_pixels(self) -> None:
        image = self.state.image
        if image is None:
            return
        self.image_item.setImage(image.pixels, autoLevels=False, levels=self._levels())

    def _levels(self) -> tuple[float, float]:
        window = self.state.window
        if window is None or not self.state.window_adjustable:
            return (0.0, 255.0)
        return window.levels

    def _apply_window(self) -> None:
        if self.image_item.image is not None:
            self.image_item.setLevels(self._levels())

    def _on_analysis_changed(self, analysis: Analysis | None) -> None:
        if analysis is None:
            self._rgba = None
            self.overlay_item.clear()
            self.uncertainty_item.clear()
            self._draw_findings(None)
            self.state.set_mask_displayed(False)
            return
        self._draw_overlay()
        self.uncertainty_item.setImage(
            analysis.prediction.uncertainty, autoLevels=False, levels=(0.0, 1.0)
        )
        self._draw_findings(analysis)
        self._on_display_changed()

    def _on_display_changed(self) -> None:
        if self.state.analysis is not None:
            self._draw_overlay()
        self.uncertainty_item.setVisible(self.state.uncertainty_visible)
        for item in self.finding_items:
            item.setVisible(self.state.contours_visible)
        self._report_mask_shown()

    def _report_mask_shown(self) -> None:
        """Tell the state the mask is on screen: drawn, the canvas visible, and the overlay or
        the contours showing (what lets the case be saved as reviewed)."""
        state = self.state
        drawn = self._rgba is not None and state.analysis is not None
        showing = state.overlay_opacity > 0 or (state.contours_visible and bool(self.finding_items))
        if drawn and showing and self.isVisible():
            state.set_mask_displayed(True)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._report_mask_shown()  # drawn while hidden (another page, window not yet shown)

    def _draw_overlay(self) -> None:
        mask = self.state.shown_mask
        if mask is None:
            return
        self._rgba = overlay_rgba(mask, self.state.overlay_opacity)
        self.overlay_item.setImage(self._rgba, autoLevels=False)

    def _on_mask_edited(self, box: Box) -> None:
        """The paint path: only the touched box of the RGBA buffer is recomputed, the overlay's
        QImage is rebuilt from the buffer (cheap for RGBA8), and only the box is marked for
        repainting, so the view redraws a brush-sized rectangle, not the whole image."""
        mask = self.state.shown_mask
        if mask is None or self._rgba is None or self._rgba.shape[:2] != mask.shape:
            self._draw_overlay()
            return
        paint_overlay_box(self._rgba, mask, box, self.state.overlay_opacity)
        self.overlay_item.render()
        self.overlay_item.update(box_rect(box))

    def _draw_findings(self, analysis: Analysis | None) -> None:
        for item in self.finding_items:
            self.view.removeItem(item)
        self.finding_items = []
        if analysis is None:
            return
        for index, finding in enumerate(analysis.findings):
            number = self.state.lesion_number(index)  # stable across edits
            self._add_finding(number, finding.contour, finding.measurements)
        for item in self.finding_items:
            item.setVisible(self.state.contours_visible)

    def _add_finding(self, number: int, contour: np.ndarray, measurements) -> None:  # noqa: ANN001
        x, y = contour_xy(contour)
        items: list[pg.GraphicsObject] = [pg.PlotDataItem(x, y, pen=CONTOUR_PEN)]
        for endpoints, pen in (
            (measurements.long_axis_endpoints, LONG_AXIS_PEN),
            (measurements.short_axis_endpoints, SHORT_AXIS_PEN),
        ):
            ax, ay = segment_xy(endpoints)
            items.append(
                pg.PlotDataItem(
                    ax, ay, pen=pen, symbol="+", symbolSize=9, symbolPen=pen, symbolBrush=None
                )
            )
        label = pg.TextItem(str(number), color=LABEL_COLOR, anchor=(0.5, 1.0))
        label.setFont(LABEL_FONT)
        top = int(np.argmin(y))
        label.setPos(float(x[top]), float(y[top]) - 2.0)
        items.append(label)
        for item in items:
            item.setZValue(20)
            self.view.addItem(item)
        self.finding_items.extend(items)

    def _draw_calipers(self) -> None:
        for item in self.caliper_items:
            self.view.removeItem(item)
        self.caliper_items = []
        for index, caliper in enumerate(self.state.calipers):
            selected = index == self.state.selected_caliper
            self.caliper_items.extend(self._caliper_items(caliper, selected))
        for item in self.shape_items:
            self.view.removeItem(item)
        self.shape_items = []
        width = self.state.image.width if self.state.image is not None else 1
        for index, shape in enumerate(self.state.shapes):
            self.shape_items.extend(shape_items(shape, index == self.state.selected_shape, width))
        for item in (*self.caliper_items, *self.shape_items):
            item.setZValue(30)
            self.view.addItem(item, ignoreBounds=True)

    def _caliper_items(self, caliper: Caliper, selected: bool = False) -> list[pg.GraphicsObject]:
        colour = REFUSED_COLOR if caliper.length_mm is None else CALIPER_COLOR
        # The selected one (Del deletes it, its end points drag) is drawn thicker, in white.
        pen = pg.mkPen(SELECTED_COLOR if selected else colour, width=3.5 if selected else 2)
        x, y = segment_xy((caliper.start, caliper.end))
        line = pg.PlotDataItem(
            x, y, pen=pen, symbol="+", symbolSize=12, symbolPen=pen, symbolBrush=None
        )
        html = f'<div style="color:{colour}; font-weight:bold;">{caliper.text}'
        if caliper.refused:
            html += f'<br><span style="font-weight:normal;">{caliper.refused}</span>'
        # Under the line; kept inside the image: near the right edge it ends at the right
        # end of the line, near the left edge it starts at the left end.
        width = self.state.image.width if self.state.image is not None else 1
        middle = float(x.mean())
        side, at = (0.5, middle)
        if middle > 0.65 * width:
            side, at = (1.0, float(x.max()))
        elif middle < 0.35 * width:
            side, at = (0.0, float(x.min()))
        text = pg.TextItem(html=html + "</div>", anchor=(side, 0.0), fill=CALIPER_FILL)
        if caliper.refused:
            text.setTextWidth(CALIPER_TEXT_WIDTH)
        text.setPos(at, float(y.max()) + 3.0)
        return [line, text]

    def _set_scale_bar(self, image: Image) -> None:
        """A calibrated bar drawn in image coordinates, so it stays true under zoom and pan."""
        for item in self.scale_items:
            self.view.removeItem(item)
        self.scale_items = []
        place = scale_bar_place(image)
        if place is None:
            return
        x0, y, length_px, length_mm = place
        line = pg.PlotDataItem([x0, x0 + length_px], [y, y], pen=SCALE_PEN)
        text = pg.TextItem(f"{length_mm:g} mm", color=SCALE_COLOR, anchor=(0.5, 1.0))
        text.setPos(x0 + length_px / 2, y - 1)
        for item in (line, text):
            item.setZValue(30)
            self.view.addItem(item)
        self.scale_items = [line, text]

    def _draw_draft(self, draft: Draft | None) -> None:
        if draft is None:
            self.draft_line.setVisible(False)
            self.draft_text.setVisible(False)
            return
        points = np.asarray(box_corners(draft) if draft.kind == BOX else draft.points, float)
        points = points + PIXEL_CENTRE
        if draft.kind not in (LINE, OPEN) and len(points) > 2:
            points = np.vstack([points, points[:1]])  # show the polygon as it will close
        self.draft_line.setData(points[:, 1], points[:, 0])
        self.draft_line.setVisible(True)
        self.draft_text.setText(draft.text)
        self.draft_text.setPos(float(points[-1, 1]) + 3.0, float(points[-1, 0]) - 3.0)
        self.draft_text.setVisible(bool(draft.text))

    # -- tools --------------------------------------------------------------------------------

    def _on_tool_changed(self) -> None:
        tool = self.tools.tool
        painting = tool in (BRUSH, ERASER)
        self.brush_cursor.setPen(ERASER_PEN if tool == ERASER else BRUSH_PEN)
        self.brush_cursor.setVisible(painting and self._last_point is not None)
        if self._last_point is not None:
            self._move_brush_cursor(*self._last_point)
        shape = Qt.CursorShape.OpenHandCursor if tool == NAVIGATE else Qt.CursorShape.CrossCursor
        self.viewport().setCursor(shape)

    def _move_brush_cursor(self, row: float, col: float) -> None:
        r = self.tools.brush_radius
        cx, cy = col + PIXEL_CENTRE, row + PIXEL_CENTRE
        self.brush_cursor.setRect(QRectF(cx - r, cy - r, 2 * r, 2 * r))

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        image = self.state.image
        if image is None or not self.view.sceneBoundingRect().contains(scene_pos):
            self._last_point = None
            self.brush_cursor.setVisible(False)
            self.cursor_moved.emit("")
            return
        point = self.view.mapSceneToView(scene_pos)
        self._last_point = (point.y() - PIXEL_CENTRE, point.x() - PIXEL_CENTRE)
        if self.tools.tool in (BRUSH, ERASER):
            self._move_brush_cursor(*self._last_point)
            self.brush_cursor.setVisible(True)
        self.cursor_moved.emit(cursor_text(image.pixels, point.x(), point.y(), image.spacing_mm))
