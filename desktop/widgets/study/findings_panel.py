"""Side panel of a study: ONE finding for the case (class, probabilities, spread, model) and,
per view, what the model did there (lesion size on the segmented view, attention map only on
the others). Renders StudyState; the words come from desktop.models.study.findings."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from desktop.models.study.findings import case_fields, view_rows
from desktop.models.study.geometry import view_title
from desktop.models.study.state import StudyState
from desktop.widgets.image.findings_panel import LABEL_COLOURS, section_title, value_label

CASE_COLOURS = {
    **LABEL_COLOURS,
    "normal": LABEL_COLOURS["benign"],
    "metastatic": LABEL_COLOURS["malignant"],
}
NOTE = (
    "The class belongs to the case: the model reads all views together and gives one "
    "answer. The attention map shows where it looked in each view; it is evidence to check, "
    "not a lesion outline. Spread = standard deviation of the class probability over "
    "test-time augmentation."
)


class StudyFindingsPanel(QWidget):
    def __init__(self, state: StudyState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.case_form = QFormLayout()
        self.finding_form = QFormLayout()
        self.view_form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        self.note = QLabel()
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(6)
        layout.addWidget(section_title("Study"))
        layout.addLayout(self.case_form)
        self.finding_title = section_title("Finding of the case")
        self.per_view_title = section_title("Per view")
        layout.addWidget(self.finding_title)
        layout.addLayout(self.finding_form)
        # The reader confirms (or overrides) the case's class; the export carries it.
        self.confirm_box = QComboBox()
        self.confirm_box.setToolTip("Your class for the case; the report shows it beside the AI's")
        self.confirm_box.activated.connect(self._on_confirm_chosen)
        self.confirm_form = QFormLayout()
        self.confirm_form.addRow("Reader's class", self.confirm_box)
        layout.addLayout(self.confirm_form)
        layout.addWidget(self.per_view_title)
        layout.addLayout(self.view_form)
        layout.addWidget(self.note)
        layout.addStretch(1)
        events = ("study_changed", "analysis_changed", "busy_changed", "error", "confirmed_changed")
        for event in events:
            state.subscribe(event, lambda *_: self.refresh())
        self.refresh()

    def value(self, field: str) -> str:
        """The text shown for a field ("" when absent): tests and screenshots read it."""
        label = self.values.get(field)
        return label.text() if label is not None else ""

    @property
    def finding_count(self) -> int:
        """How many case findings are shown: one with an analysis, none without."""
        return 1 if self.values.get("Class") is not None else 0

    def refresh(self) -> None:
        state, analysis = self.state, self.state.analysis
        self.values = {}
        study = state.study
        case_rows = []
        if study is not None:
            case_rows = [
                ("Case", study.case_id),
                ("Views", " + ".join(view_title(v) for v in study.views)),
                ("Source", str(state.path or study.metadata.get("source", ""))),
            ]
        self._fill(self.case_form, case_rows)
        self.finding_title.setVisible(analysis is not None)
        self._show_confirm_choices()
        self.per_view_title.setVisible(analysis is not None)
        if analysis is None:
            self._fill(self.finding_form, [])
            self._fill(self.view_form, [])
            self.note.setText(state.last_error or state.why_not_analysed())
            return
        self._fill(self.finding_form, case_fields(analysis, state.spec))
        label = self.values["Class"]
        label.setObjectName("classLabel")
        colour = CASE_COLOURS.get(analysis.prediction.label, "#e6e6e6")
        label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self._fill(self.view_form, view_rows(analysis))
        self.note.setText(NOTE)

    def _show_confirm_choices(self) -> None:
        """ "not confirmed (AI: x)" first, then the model's classes; the current choice shown."""
        state, box = self.state, self.confirm_box
        box.blockSignals(True)
        box.clear()
        if state.analysis is not None:
            box.addItem(f"not confirmed (AI: {state.analysis.prediction.label})", None)
            for name in state.classes:
                box.addItem(name, name)
            box.setCurrentIndex(max(0, box.findData(state.confirmed_label)))
        box.blockSignals(False)
        box.setEnabled(state.analysis is not None)
        self.confirm_box.setVisible(state.analysis is not None)
        label = self.confirm_form.labelForField(self.confirm_box)
        if label is not None:
            label.setVisible(state.analysis is not None)

    def _on_confirm_chosen(self, index: int) -> None:
        self.state.confirm_label(self.confirm_box.itemData(index))

    def _fill(self, form: QFormLayout, rows: list[tuple[str, str]]) -> None:
        while form.rowCount():
            form.removeRow(0)
        for name, text in rows:
            value = value_label()
            value.setText(text)
            form.addRow(name, value)
            self.values[name] = value
