"""The image with the model's mask overlay, lesion contours and caliper lines.

A pyqtgraph view that only renders CaseState: it subscribes to the state's events and never
decides anything itself. Needs `pg.setConfigOptions(imageAxisOrder="row-major")` (app.py
sets it once), so arrays are (row, col) here as everywhere else.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

from desktop.display import (
    contour_xy,
    cursor_text,
    display_levels,
    overlay_rgba,
    scale_bar_mm,
    segment_xy,
)
from desktop.state import CaseState
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


class ImageCanvas(pg.GraphicsLayoutWidget):
    """Signals: cursor_moved(str) - readout of the pixel under the mouse, "" outside the image."""

    cursor_moved = Signal(str)

    def __init__(self, state: CaseState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setBackground(BACKGROUND)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.view: pg.ViewBox = self.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = pg.ImageItem()
        self.overlay_item = pg.ImageItem()
        self.overlay_item.setZValue(10)
        self.view.addItem(self.image_item)
        self.view.addItem(self.overlay_item)
        self.finding_items: list[pg.GraphicsObject] = []
        self.scale_items: list[pg.GraphicsObject] = []
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        state.subscribe("image_changed", self._on_image_changed)
        state.subscribe("analysis_changed", self._on_analysis_changed)
        state.subscribe("display_changed", self._on_display_changed)
        if state.image is not None:
            self._on_image_changed(state.image)
            self._on_analysis_changed(state.analysis)

    def reset_zoom(self) -> None:
        self.view.autoRange(padding=0.02)

    # -- state -> view ------------------------------------------------------------------------

    def _on_image_changed(self, image: Image) -> None:
        pixels = image.pixels
        self.image_item.setImage(pixels, autoLevels=False, levels=display_levels(pixels))
        self._set_scale_bar(image)
        self.reset_zoom()

    def _on_analysis_changed(self, analysis: Analysis | None) -> None:
        for item in self.finding_items:
            self.view.removeItem(item)
        self.finding_items = []
        if analysis is None:
            self.overlay_item.clear()
            return
        self._draw_overlay()
        for number, finding in enumerate(analysis.findings, start=1):
            self._add_finding(number, finding.contour, finding.measurements)
        self._on_display_changed()

    def _on_display_changed(self) -> None:
        if self.state.analysis is not None:
            self._draw_overlay()
        for item in self.finding_items:
            item.setVisible(self.state.contours_visible)

    def _draw_overlay(self) -> None:
        mask = self.state.analysis.prediction.mask
        self.overlay_item.setImage(overlay_rgba(mask, self.state.overlay_opacity), autoLevels=False)

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

    def _set_scale_bar(self, image: Image) -> None:
        """A calibrated bar drawn in image coordinates, so it stays true under zoom and pan."""
        for item in self.scale_items:
            self.view.removeItem(item)
        self.scale_items = []
        length_mm = scale_bar_mm(image.spacing_mm, image.width)
        if length_mm is None:
            return
        length_px = length_mm / image.spacing_mm[1]
        margin = 0.04 * min(image.width, image.height)
        x0, y = margin, image.height - margin
        line = pg.PlotDataItem([x0, x0 + length_px], [y, y], pen=SCALE_PEN)
        text = pg.TextItem(f"{length_mm:g} mm", color=SCALE_COLOR, anchor=(0.5, 1.0))
        text.setPos(x0 + length_px / 2, y - 1)
        for item in (line, text):
            item.setZValue(30)
            self.view.addItem(item)
        self.scale_items = [line, text]

    # -- input -> signals ---------------------------------------------------------------------

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        image = self.state.image
        if image is None or not self.view.sceneBoundingRect().contains(scene_pos):
            self.cursor_moved.emit("")
            return
        point = self.view.mapSceneToView(scene_pos)
        self.cursor_moved.emit(cursor_text(image.pixels, point.x(), point.y(), image.spacing_mm))
