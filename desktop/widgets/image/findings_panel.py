"""Side panel: the case on screen, the model's image-level output, one table row per lesion.

Renders CaseState; the wording and units come from findings_table (Qt-free, tested alone).
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.models.image.findings_table import (
    COLUMN_TIPS,
    case_fields,
    column_titles,
    domain_warning,
    finding_rows,
    model_text,
    probabilities_text,
    result_text,
    scope_note,
)
from desktop.models.image.series import VOLUME
from desktop.models.image.state import CaseState

LABEL_COLOURS = {"benign": "#63d297", "malignant": "#ff6b6b"}
WARNING_STYLE = "color: #ffb347;"


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


def value_label() -> QLabel:
    label = QLabel("—")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class FindingsPanel(QWidget):
    def __init__(self, state: CaseState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.label_value = value_label()
        self.label_value.setObjectName("classLabel")
        self.probabilities_value = value_label()
        self.model_value = value_label()
        # One form for case and model output, so both value columns line up.
        self.form = QFormLayout()
        self.form.addRow(section_title("Case"))
        self._case_rows = 0  # case rows follow the title; their number depends on the file
        self.case_values: dict[str, QLabel] = {}
        self.form.addRow(section_title("Model output"))
        self.form.addRow("Image label", self.label_value)
        self.form.addRow("Probabilities", self.probabilities_value)
        self.form.addRow("Model", self.model_value)

        self.table = QTableWidget(0, len(column_titles(True)))
        self.table.setHorizontalHeaderLabels(column_titles(True))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setToolTip("Click a lesion to select it; Del deletes it (Ctrl+Z undoes)")
        self.table.itemSelectionChanged.connect(self._on_row_selected)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.note = QLabel()
        self.note.setObjectName("note")
        self.note.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(6)
        layout.addLayout(self.form)
        layout.addSpacing(6)
        layout.addWidget(section_title("Findings"))
        layout.addWidget(self.table, stretch=1)
        layout.addWidget(self.note)

        for event in (
            "image_changed",
            "frame_changed",
            "analysis_changed",
            "findings_changed",
            "calibration_changed",
            "model_changed",
            "busy_changed",
            "domain_changed",
        ):
            state.subscribe(event, lambda *_: self.refresh())
        state.subscribe("lesion_selected", self._on_lesion_selected)
        self.refresh()

    def case_value(self, field: str) -> str:
        """The text shown for one case field ("" when the field is absent)."""
        label = self.case_values.get(field)
        return label.text() if label is not None else ""

    def refresh(self) -> None:
        """Redraw from the state; cheap enough to do on every event."""
        state, analysis, image = self.state, self.state.analysis, self.state.image
        self._show_case_fields()
        self.model_value.setText(model_text(state.model))
        calibrated = image is not None and image.calibrated
        self.table.setHorizontalHeaderLabels(column_titles(calibrated))
        for column, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        blocker = QSignalBlocker(self.table)  # refilling the rows is not the reader selecting
        self.table.setRowCount(0)
        if analysis is None:
            self.label_value.setText("—")
            self.label_value.setStyleSheet("")
            self.probabilities_value.setText("—")
            self.note.setText(self._waiting_text())
            self.note.setStyleSheet(WARNING_STYLE if state.withheld is not None else "")
            return
        label = result_text(analysis)
        self.label_value.setText(label)
        self.label_value.setStyleSheet(f"color: {LABEL_COLOURS.get(label, '#e6e6e6')};")
        self.probabilities_value.setText(probabilities_text(analysis))
        rows = finding_rows(analysis, self.state.lesion_ids)
        self.table.setRowCount(len(rows))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c != 1:
                    item.setTextAlignment(right)
                self.table.setItem(r, c, item)
        if state.selected_lesion is not None and state.selected_lesion < len(rows):
            self.table.selectRow(state.selected_lesion)
        blocker.unblock()
        editor = self.state.editor
        corrected = editor is not None and editor.differs_from_ai
        series = state.series
        warning = domain_warning(state.model, image, series is not None and series.kind == VOLUME)
        warning = "\n".join(w for w in (warning, scope_note(analysis)) if w)
        note = (
            ""
            if analysis.withheld and not rows
            else self._findings_note(len(rows), calibrated, corrected)
        )
        self.note.setText("\n".join(t for t in (warning, note) if t))
        self.note.setStyleSheet(WARNING_STYLE if warning else "")

    def _on_row_selected(self) -> None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        self.state.select_lesion(min(rows) if rows else None)

    def _on_lesion_selected(self, index: int | None) -> None:
        if index is None and self.table.selectionModel().hasSelection():
            with QSignalBlocker(self.table):
                self.table.clearSelection()

    def _show_case_fields(self) -> None:
        for _ in range(self._case_rows):
            self.form.removeRow(1)
        self.case_values = {}
        fields = case_fields(self.state.image, self.state.path)
        for row, (name, text) in enumerate(fields, start=1):
            value = value_label()
            value.setText(text)
            self.form.insertRow(row, name, value)
            self.case_values[name] = value
        self._case_rows = len(fields)

    def _waiting_text(self) -> str:
        if self.state.image is None:
            return "No image open."
        if self.state.busy:
            return "Analysing…"
        if self.state.model is None:
            return "No model loaded: the image is shown without analysis."
        withheld = self.state.withheld
        if withheld is not None:
            return (
                f"{withheld.reason()} The image is shown without AI. "
                "For research: Model ▸ Run Model Anyway."
            )
        return "No analysis."

    @staticmethod
    def _findings_note(count: int, calibrated: bool, corrected: bool = False) -> str:
        correction = (
            " Mask corrected: sizes are measured on the corrected mask; the class stays the"
            " model's (the model takes no mask input, so it is not re-run)."
            if corrected
            else ""
        )
        if count == 0:
            if corrected:
                return "No lesion left in the corrected mask."
            return "No lesion found: the model found no lesion in this image."
        units = "Sizes in millimetres." if calibrated else "Sizes in pixels: uncalibrated (px)."
        return (
            f"{count} lesion{'s' if count != 1 else ''}. {units} "
            "Unc. = spread of the class probability under test-time augmentation." + correction
        )
