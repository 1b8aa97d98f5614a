"""The volume's side widgets: the label legend with volumes and the finding (the fourth cell
beside the three views), and the controls (HU window, tools, interpolation, model, files).

They render VolumeSession and write input back to it under QSignalBlocker, as the 2D panels
do with CaseState. The tools are the window's ToolState, so the brush size and tool chosen
here are the ones of the 2D canvas too.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models.editing.tool_state import (
    BRUSH,
    BRUSH_RADII,
    ERASER,
    NAVIGATE,
    SMART_CLICK,
    TOOL_NAMES,
    ToolState,
)
from desktop.models.image.window_level import WindowLevel
from desktop.models.volume.display import hex_colour, label_colours
from desktop.models.volume.findings import finding_lines, volume_rows
from desktop.models.volume.session import VolumeSession
from desktop.widgets.image.findings_panel import section_title, value_label

CUSTOM_WINDOW = "Custom (right-drag)"
TOOL_TIPS = {
    SMART_CLICK: "Smart Click (A): click a structure on any view to outline it in the chosen "
    "label on that slice (Shift+click or right click removes, a drag draws a box round it); "
    "each click or box is one undo step",
}
TOOL_STYLE = "QToolButton:checked { background: #3a8ee6; color: #ffffff; border-radius: 3px; }"
SWATCH = '<span style="color:{colour}; font-size:15px;">■</span>'


class VolumeReadout(QWidget):
    """Legend and label selector in one (a coloured radio button per label), mL per label
    (on screen and the AI's), the finding, and the value under the crosshair."""

    def __init__(self, session: VolumeSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("sidePanel")
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(14)
        self.rows: dict[str, tuple[QRadioButton, QLabel, QLabel, QLabel]] = {}
        for col, title in enumerate(("", "Label", "Volume", "AI")):
            self.grid.addWidget(QLabel(f"<b>{title}</b>"), 0, col)
        self.form = QFormLayout()
        self.finding_values: dict[str, QLabel] = {}
        self.position_value = value_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(section_title("Labels (click to edit)"))
        layout.addLayout(self.grid)
        layout.addWidget(section_title("Finding"))
        layout.addLayout(self.form)
        layout.addWidget(section_title("Crosshair"))
        layout.addWidget(self.position_value)
        layout.addStretch(1)
        self.group.idClicked.connect(session.set_active_label)
        session.subscribe("volume_changed", self._rebuild)
        session.subscribe("prediction_changed", lambda _p: self._rebuild())
        session.subscribe("labels_changed", self.refresh)
        session.subscribe("display_changed", self.refresh)
        session.subscribe("position_changed", lambda _v: self._show_position())
        self._rebuild()

    def _rebuild(self) -> None:
        """New rows only when the label names change (a model with other labels)."""
        if tuple(self.rows) == self.session.label_names[1:]:
            self.refresh()
            return
        for button, *labels in self.rows.values():
            self.group.removeButton(button)
            for widget in (button, *labels):
                self.grid.removeWidget(widget)
                widget.hide()
                widget.deleteLater()
        self.rows = {}
        colours = label_colours(self.session.label_names)
        for value, name in enumerate(self.session.label_names):
            if value == 0:
                continue
            button = QRadioButton(name.capitalize())
            button.setToolTip(f"Brush and eraser paint {name}; interpolation fills {name}")
            swatch = QLabel(SWATCH.format(colour=hex_colour(colours[value])))
            ml, ai = QLabel(), QLabel()
            for label in (ml, ai):
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            ai.setObjectName("note")
            self.group.addButton(button, value)
            for col, widget in enumerate((swatch, button, ml, ai)):
                self.grid.addWidget(widget, value, col)
            self.rows[name] = (button, ml, ai, swatch)
        self.grid.setColumnStretch(1, 1)
        self.refresh()

    def refresh(self) -> None:
        session = self.session
        ai = session.prediction.volumes_ml if session.prediction is not None else None
        for row in volume_rows(session.label_names, session.volumes_ml(), ai):
            widgets = self.rows.get(row.name)
            if widgets is None:
                continue
            button, ml, ai_label, _swatch = widgets
            with QSignalBlocker(button):
                button.setChecked(row.value == session.active_label)
            ml.setText(row.ml)
            ai_label.setText(row.ai_ml)
        self._show_finding()
        self._show_position()

    def _show_finding(self) -> None:
        labels = self.session.labels
        edited = (
            labels is not None and labels.differs_from_ai and self.session.prediction is not None
        )
        lines = finding_lines(self.session.prediction, edited)
        while self.form.rowCount():
            self.form.removeRow(0)
        self.finding_values = {}
        for name, text in lines:
            value = value_label()
            value.setText(text)
            if name == "Tumour class" and self.session.prediction is not None:
                value.setObjectName("classLabel")
            self.form.addRow(name, value)
            self.finding_values[name] = value

    def _show_position(self) -> None:
        session = self.session
        if session.volume is None:
            self.position_value.setText("–")
            return
        z, y, x = session.position
        hu = session.hu_at_position()
        label = session.label_names[int(session.labels.labels[z, y, x])] if session.labels else ""
        self.position_value.setText(f"z {z}  y {y}  x {x}:  {hu:.0f} HU  {label}")

    def ml_text(self, name: str) -> str:
        return self.rows[name][1].text()


class VolumeControls(QWidget):
    """HU window, tools, undo/redo/interpolate, opacity, the volume model, label files.

    Signals: analyze_requested, save_requested, load_requested (the window owns the worker
    and the file dialogs)."""

    analyze_requested = Signal()
    save_requested = Signal()
    load_requested = Signal()

    def __init__(
        self, session: VolumeSession, tools: ToolState, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.tools = session, tools
        self.setObjectName("sidePanel")
        self.setStyleSheet(TOOL_STYLE)
        self.window_box = QComboBox()
        self.window_box.setToolTip("HU window presets; right-drag on a view adjusts W/L")
        self.window_value = QLabel()
        self.window_value.setObjectName("note")
        self.tool_buttons: dict[str, QToolButton] = {}
        tool_row = QHBoxLayout()
        for tool, key in ((NAVIGATE, "N"), (BRUSH, "B"), (ERASER, "E"), (SMART_CLICK, "A")):
            button = QToolButton()
            button.setText(TOOL_NAMES[tool])
            button.setCheckable(True)
            button.setToolTip(TOOL_TIPS.get(tool, f"{TOOL_NAMES[tool]} ({key})"))
            button.clicked.connect(lambda _c=False, t=tool: tools.set_tool(t))
            tool_row.addWidget(button)
            self.tool_buttons[tool] = button
        self.size_spin = QDoubleSpinBox()
        self.size_spin.setRange(2 * BRUSH_RADII[0], 2 * BRUSH_RADII[-1])
        self.size_spin.setDecimals(0)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush diameter in pixels of the view ([ and ])")
        tool_row.addWidget(self.size_spin)
        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")
        self.reset_button = QPushButton("Reset to AI")
        self.reset_button.setToolTip("Back to the volume model's labels (undoable)")
        self.interpolate_button = QPushButton("Interpolate")
        self.interpolate_button.setToolTip(
            "Fill the slices between the slices you edited, for the chosen label, in the view "
            "you last edited (shape-based: outlines blend from one edited slice to the next)"
        )
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.analyze_button = QPushButton("Analyze volume")
        self.analyze_button.setToolTip("Kidney and tumour segmentation and tumour class (3D model)")
        self.save_button = QPushButton("Save labels")
        self.save_button.setToolTip("Write the labels beside the CT: labels/<name>.labels.nii.gz")
        self.load_button = QPushButton("Load labels…")
        self.note = QLabel()
        self.note.setObjectName("note")
        self.note.setWordWrap(True)

        edit_row = QHBoxLayout()
        for button in (
            self.undo_button,
            self.redo_button,
            self.interpolate_button,
            self.reset_button,
        ):
            edit_row.addWidget(button)
        file_row = QHBoxLayout()
        file_row.addWidget(self.save_button)
        file_row.addWidget(self.load_button)
        form = QFormLayout()
        form.addRow("Window", self.window_box)
        form.addRow("", self.window_value)
        form.addRow("Overlay", self.opacity_slider)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(section_title("Display"))
        layout.addLayout(form)
        layout.addWidget(section_title("Edit labels"))
        layout.addLayout(tool_row)
        layout.addLayout(edit_row)
        layout.addWidget(section_title("Model"))
        layout.addWidget(self.analyze_button)
        layout.addWidget(self.note)
        layout.addWidget(section_title("Files"))
        layout.addLayout(file_row)
        layout.addStretch(1)

        self.window_box.activated.connect(self._on_preset_chosen)
        self.size_spin.valueChanged.connect(lambda d: tools.set_brush_radius(d / 2.0))
        self.undo_button.clicked.connect(session.undo)
        self.redo_button.clicked.connect(session.redo)
        self.interpolate_button.clicked.connect(session.interpolate)
        self.reset_button.clicked.connect(session.reset_to_ai)
        self.opacity_slider.valueChanged.connect(lambda v: session.set_opacity(v / 100))
        self.analyze_button.clicked.connect(self.analyze_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.load_button.clicked.connect(self.load_requested)
        tools.subscribe("tool_changed", self.refresh)
        session.subscribe("volume_changed", self._fill_presets)
        session.subscribe("window_changed", lambda _w: self._show_window())
        for event in (
            "labels_changed",
            "busy_changed",
            "display_changed",
            "volume_changed",
            "prediction_changed",
        ):
            session.subscribe(event, lambda *_: self.refresh())
        self._fill_presets()
        self.refresh()

    def set_note(self, text: str) -> None:
        self.note.setText(text)

    def refresh(self) -> None:
        session, labels = self.session, self.session.labels
        for tool, button in self.tool_buttons.items():
            with QSignalBlocker(button):
                button.setChecked(self.tools.tool == tool)
        with QSignalBlocker(self.size_spin):
            self.size_spin.setValue(2 * self.tools.brush_radius)
        with QSignalBlocker(self.opacity_slider):
            self.opacity_slider.setValue(round(session.opacity * 100))
        editable = labels is not None and not session.busy
        self.undo_button.setEnabled(editable and labels.can_undo)
        self.redo_button.setEnabled(editable and labels.can_redo)
        self.undo_button.setToolTip(f"Undo {labels.undo_name}" if editable else "Undo")
        self.redo_button.setToolTip(f"Redo {labels.redo_name}" if editable else "Redo")
        self.interpolate_button.setEnabled(editable)
        self.reset_button.setEnabled(
            editable and session.prediction is not None and labels.differs_from_ai
        )
        self.analyze_button.setEnabled(session.volume is not None and not session.busy)
        self.save_button.setEnabled(editable and session.path is not None)
        self.load_button.setEnabled(editable)

    def _fill_presets(self) -> None:
        with QSignalBlocker(self.window_box):
            self.window_box.clear()
            for preset in self.session.presets:
                self.window_box.addItem(f"{preset.name}  W{preset.width:g} L{preset.center:g}")
            self.window_box.addItem(CUSTOM_WINDOW)
        self._show_window()

    def _show_window(self) -> None:
        window = self.session.window
        self.window_value.setText(window.text())
        index = len(self.session.presets)
        for i, preset in enumerate(self.session.presets):
            if window == WindowLevel.from_preset(preset):
                index = i
                break
        with QSignalBlocker(self.window_box):
            self.window_box.setCurrentIndex(index)

    def _on_preset_chosen(self, index: int) -> None:
        if 0 <= index < len(self.session.presets):
            self.session.apply_preset(self.session.presets[index].name)
        else:
            self._show_window()
