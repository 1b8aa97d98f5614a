"""Cine play/pause and the frame or slice slider under the canvas.

Renders CaseState (series, frame index). It never changes the frame itself: it emits
frame_requested and the window decides (unsaved corrections are guarded first). Playback
steps at the file's frame rate (FrameTime / CineRate), decoding each frame when shown.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from desktop.models.image.series import CINE
from desktop.models.image.state import CaseState

DEFAULT_FRAME_TIME_MS = 40.0  # 25 fps when the file does not say
MIN_FRAME_TIME_MS = 10.0


class FrameControls(QWidget):
    frame_requested = Signal(int)

    def __init__(self, state: CaseState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.play_button = QToolButton()
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play / pause the cine (Space)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Frame or slice (Left/Right arrows)")
        self.position_label = QLabel()
        self.position_label.setMinimumWidth(170)
        self.timer = QTimer(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 10, 2)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, stretch=1)
        layout.addWidget(self.position_label)

        self.play_button.toggled.connect(self.set_playing)
        self.slider.valueChanged.connect(self.frame_requested)
        self.timer.timeout.connect(self._tick)
        state.subscribe("image_changed", lambda _image: self._on_case_changed())
        state.subscribe("frame_changed", lambda _index: self.refresh())
        self._on_case_changed()

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def set_playing(self, playing: bool) -> None:
        series = self.state.series
        playing = bool(playing) and series is not None and series.kind == CINE
        if playing:
            frame_ms = series.frame_time_ms or DEFAULT_FRAME_TIME_MS
            self.timer.start(round(max(MIN_FRAME_TIME_MS, frame_ms)))
        else:
            self.timer.stop()
        with QSignalBlocker(self.play_button):
            self.play_button.setChecked(playing)
        self.play_button.setText("❚❚" if playing else "▶")

    def step(self, delta: int) -> None:
        series = self.state.series
        if series is not None and series.count > 1:
            self.frame_requested.emit((self.state.frame_index + delta) % series.count)

    def refresh(self) -> None:
        series = self.state.series
        if series is None:
            return
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, max(0, series.count - 1))
            self.slider.setValue(self.state.frame_index)
        self.position_label.setText(series.position_text(self.state.frame_index))

    def _on_case_changed(self) -> None:
        self.set_playing(False)
        series = self.state.series
        self.show_if_frames()
        self.play_button.setVisible(series is not None and series.kind == CINE)
        self.refresh()

    def show_if_frames(self) -> None:
        """Shown only for a cine or series: a page leaving must not bring it back for a
        single image."""
        series = self.state.series
        self.setVisible(series is not None and series.count > 1)

    def _tick(self) -> None:
        self.step(1)
