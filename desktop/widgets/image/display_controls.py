"""Overlay opacity, contour and uncertainty switches, and the window preset, bound to CaseState.

Input is written to the state; the state's events update the controls under a QSignalBlocker
(napari's event blocker), so menu actions and these controls never loop.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLabel, QSlider, QWidget

from desktop.models.image.state import CaseState
from desktop.models.image.window_level import WindowLevel, default_window

DEFAULT_WINDOW = "Default window"
CUSTOM_WINDOW = "Custom (right-drag)"  # as in the volume panel


class DisplayControls(QWidget):
    def __init__(self, state: CaseState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setToolTip("Mask overlay opacity ({ and })")
        self.opacity_value = QLabel()
        self.opacity_value.setMinimumWidth(36)
        self.contours_box = QCheckBox("Contours")
        self.contours_box.setToolTip("Show lesion contours and long/short axes (C)")
        self.uncertainty_box = QCheckBox("Uncertainty")
        self.uncertainty_box.setToolTip(
            "Show where the model hesitates: per-pixel entropy of the segmentation (U)"
        )
        self.window_box = QComboBox()
        self.window_box.setToolTip("Window presets; right-drag on the image adjusts W/L")
        self.window_box.setMinimumContentsLength(20)
        self.window_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.window_value = QLabel()
        self.window_value.setObjectName("note")

        layout = QGridLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(QLabel("Overlay"), 0, 0)
        layout.addWidget(self.opacity_slider, 0, 1)
        layout.addWidget(self.opacity_value, 0, 2)
        layout.addWidget(self.contours_box, 0, 3)
        layout.addWidget(self.uncertainty_box, 0, 4)
        layout.addWidget(QLabel("Window"), 1, 0)
        layout.addWidget(self.window_box, 1, 1)
        layout.addWidget(self.window_value, 1, 2, 1, 3)
        layout.setColumnStretch(1, 1)

        self.opacity_slider.valueChanged.connect(lambda v: state.set_overlay_opacity(v / 100))
        self.contours_box.toggled.connect(state.set_contours_visible)
        self.uncertainty_box.toggled.connect(state.set_uncertainty_visible)
        self.window_box.activated.connect(self._on_preset_chosen)
        state.subscribe("display_changed", self.refresh)
        state.subscribe("window_changed", lambda _w: self._show_window())
        state.subscribe("image_changed", lambda _image: self._fill_presets())
        state.subscribe("frame_changed", lambda _index: self._fill_presets())
        self.refresh()
        self._fill_presets()

    def refresh(self) -> None:
        percent = round(self.state.overlay_opacity * 100)
        with (
            QSignalBlocker(self.opacity_slider),
            QSignalBlocker(self.contours_box),
            QSignalBlocker(self.uncertainty_box),
        ):
            self.opacity_slider.setValue(percent)
            self.contours_box.setChecked(self.state.contours_visible)
            self.uncertainty_box.setChecked(self.state.uncertainty_visible)
        self.opacity_value.setText(f"{percent} %")

    def _fill_presets(self) -> None:
        with QSignalBlocker(self.window_box):
            self.window_box.clear()
            self.window_box.addItem(DEFAULT_WINDOW)
            for preset in self.state.presets:
                self.window_box.addItem(f"{preset.name}  {preset.width:g}/{preset.center:g}")
            self.window_box.addItem(CUSTOM_WINDOW)
        self.window_box.setEnabled(self.state.window_adjustable)
        self._show_window()

    def _show_window(self) -> None:
        """The preset in the box when the window is one, "Default window" when it is the
        image's default, else Custom (after a right-drag); the values beside it."""
        window = self.state.window
        if not self.state.window_adjustable:
            self.window_value.setText("colour: shown as acquired")
            return
        self.window_value.setText(window.text() if window is not None else "")
        presets = self.state.presets
        index = len(presets) + 1  # Custom
        image = self.state.image
        if window is None or (image is not None and window == default_window(image)):
            index = 0
        for i, preset in enumerate(presets, start=1):
            if window == WindowLevel.from_preset(preset):
                index = i
                break
        with QSignalBlocker(self.window_box):
            self.window_box.setCurrentIndex(index)

    def _on_preset_chosen(self, index: int) -> None:
        presets = self.state.presets
        if index <= 0:
            self.state.reset_window()
        elif index <= len(presets):
            self.state.apply_preset(presets[index - 1].name)
        else:
            self._show_window()  # Custom is what a drag makes, not a choice
