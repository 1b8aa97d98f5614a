"""Overlay opacity slider and contour checkbox, two-way bound to CaseState.

Input is written to the state; the state's display_changed event updates the controls under
a QSignalBlocker (napari's event blocker), so menu actions and these controls never loop.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QWidget

from desktop.state import CaseState


class DisplayControls(QWidget):
    def __init__(self, state: CaseState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setToolTip("Mask overlay opacity")
        self.opacity_value = QLabel()
        self.opacity_value.setMinimumWidth(36)
        self.contours_box = QCheckBox("Contours")
        self.contours_box.setToolTip("Show lesion contours and caliper lines")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(QLabel("Overlay"))
        layout.addWidget(self.opacity_slider, stretch=1)
        layout.addWidget(self.opacity_value)
        layout.addSpacing(8)
        layout.addWidget(self.contours_box)

        self.opacity_slider.valueChanged.connect(lambda v: state.set_overlay_opacity(v / 100))
        self.contours_box.toggled.connect(state.set_contours_visible)
        state.subscribe("display_changed", self.refresh)
        self.refresh()

    def refresh(self) -> None:
        percent = round(self.state.overlay_opacity * 100)
        with QSignalBlocker(self.opacity_slider), QSignalBlocker(self.contours_box):
            self.opacity_slider.setValue(percent)
            self.contours_box.setChecked(self.state.contours_visible)
        self.opacity_value.setText(f"{percent} %")
