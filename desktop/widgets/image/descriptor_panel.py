"""Descriptor section of the side panel: per lesion, the AI's proposed lexicon values (whatever
template the finding carries: BI-RADS for breast models, ACR TI-RADS for thyroid models,
lymph-node descriptors for node models such as the default) with the reason for each, and the
reader's decision. Rows come from the set itself (its descriptors and their options), so a
template needs no code here beyond a display name.

One row per descriptor and one for the category: a combo box of the lexicon's values (the
AI's proposal marked "(AI)"), the reason ("not parallel: height/width 1.30") and who set it.
Choosing another value overrides it; "Confirm AI proposals" accepts what is still the AI's.
Every decision goes through CaseState (set_descriptor / confirm_descriptors), which keeps it
with the case review and puts it on the findings the exports read. Shown only for models
with a descriptor template (engine.descriptors.template_for) and a lesion that has them.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models.image.state import CaseState
from desktop.widgets.image.findings_panel import section_title
from engine.descriptors import CATEGORY_OPTIONS, template_for
from engine.descriptors.types import DescriptorSet

NAMES = {
    "shape": "Shape",
    "orientation": "Orientation",
    "margin": "Margin",
    "echo_pattern": "Echo pattern",
    "posterior_features": "Posterior features",
    "composition": "Composition",
    "echogenicity": "Echogenicity",
    "echogenic_foci": "Echogenic foci",
    "hilum": "Hilum",
    "cortex": "Cortex",
    "vascular_pattern": "Vascular pattern",
    "category": "Category",
}  # any other name is shown as it is
CATEGORY_NAMES = {"ti-rads": "TI-RADS level", "lymph-node": "Assessment"}
NOT_SET = "not set"


def set_by_text(source: str, proposed: bool) -> str:
    if source == "reader":
        return "reader"
    return "AI proposal" if proposed else "AI, confirmed"


class DescriptorPanel(QWidget):
    """The outer widget stays in the layout (the study page hides and shows it); its body
    is shown only when the lesion on display has descriptors."""

    def __init__(self, state: CaseState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.body = QWidget()
        self.title = section_title("Descriptors")
        self.lesion_box = QComboBox()
        self.lesion_box.setToolTip("The lesion whose descriptors are shown (numbers as drawn)")
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(2)
        self.confirm_button = QPushButton("Confirm AI proposals")
        self.confirm_button.setToolTip(
            "Accept every value still proposed by the AI for this lesion, category included"
        )
        self.final_label = QLabel()
        self.final_label.setObjectName("note")
        self.final_label.setWordWrap(True)
        self.value_boxes: dict[str, QComboBox] = {}
        self.reason_labels: dict[str, QLabel] = {}
        self.source_labels: dict[str, QLabel] = {}

        inner = QVBoxLayout(self.body)
        inner.setContentsMargins(12, 0, 12, 6)
        inner.setSpacing(4)
        inner.addWidget(self.title)
        inner.addWidget(self.lesion_box)
        inner.addLayout(self.grid)
        inner.addWidget(self.confirm_button)
        inner.addWidget(self.final_label)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.body)

        self.lesion_box.activated.connect(lambda _i: self.refresh())
        self.confirm_button.clicked.connect(self._confirm)
        for event in ("analysis_changed", "findings_changed", "image_changed", "model_changed"):
            state.subscribe(event, lambda *_: self.refresh())
        self.refresh()

    # -- what is shown ------------------------------------------------------------------------

    @property
    def lesion(self) -> int:
        """The lesion number (1-based) on display; 0 when none."""
        data = self.lesion_box.currentData()
        return int(data) if data is not None else 0

    def descriptors(self) -> DescriptorSet | None:
        analysis = self.state.analysis
        if analysis is None or not 1 <= self.lesion <= len(analysis.findings):
            return None
        return analysis.findings[self.lesion - 1].descriptors

    def refresh(self) -> None:
        state = self.state
        analysis = state.analysis
        model = state.model
        described = []
        if analysis is not None and model is not None and template_for(model.spec) is not None:
            described = [
                n for n, f in enumerate(analysis.findings, start=1) if f.descriptors is not None
            ]
        keep = self.lesion
        with QSignalBlocker(self.lesion_box):
            self.lesion_box.clear()
            for number in described:
                self.lesion_box.addItem(f"Lesion {number}", number)
            index = self.lesion_box.findData(keep)
            self.lesion_box.setCurrentIndex(index if index >= 0 else 0)
        d = self.descriptors() if described else None
        self.body.setVisible(d is not None and state.editor is not None)
        if d is None:
            return
        self._build_rows(d)
        self.confirm_button.setEnabled(not d.final)
        self.final_label.setText(
            "All decided by the reader: final."
            if d.final
            else "AI proposals: not final until you confirm or change them."
        )

    def _build_rows(self, d: DescriptorSet) -> None:
        names = (*d.names, "category")
        if tuple(self.value_boxes) != names:
            self._clear_rows()
            for row, name in enumerate(names):
                label = CATEGORY_NAMES.get(d.template) if name == "category" else None
                title = QLabel(label or NAMES.get(name, name))
                box = QComboBox()
                box.setObjectName(f"descriptor_{name}")
                box.setToolTip(f"{NAMES.get(name, name)}: choose to override the AI")
                box.activated.connect(lambda index, n=name: self._chosen(n, index))
                reason = QLabel()
                reason.setWordWrap(True)
                reason.setObjectName("note")
                source = QLabel()
                source.setObjectName("note")
                self.grid.addWidget(title, 2 * row, 0)
                self.grid.addWidget(box, 2 * row, 1)
                self.grid.addWidget(source, 2 * row, 2)
                self.grid.addWidget(reason, 2 * row + 1, 0, 1, 3)
                self.value_boxes[name] = box
                self.reason_labels[name] = reason
                self.source_labels[name] = source
        ai = self._ai_values()
        for name in names:
            if name == "category":
                value, options = d.category, CATEGORY_OPTIONS.get(d.template, ())
                reason = "; ".join(d.category_reasons)
                who = set_by_text(d.category_source, d.category_proposed)
            else:
                item = d[name]
                value, options, reason = item.value, item.options, item.reason
                who = set_by_text(item.source, item.proposed)
            box = self.value_boxes[name]
            with QSignalBlocker(box):
                box.clear()
                values = list(options)
                if value is not None and value not in values:
                    values.append(value)  # a free-text term the reader chose stays visible
                box.addItem(NOT_SET, None)
                for option in values:
                    shown = f"{option}  (AI)" if option == ai.get(name) else option
                    box.addItem(shown, option)
                box.setCurrentIndex(max(0, box.findData(value)))
            self.reason_labels[name].setText(reason)
            self.source_labels[name].setText(who)

    def _clear_rows(self) -> None:
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.value_boxes, self.reason_labels, self.source_labels = {}, {}, {}

    def _ai_values(self) -> dict[str, str | None]:
        """What the AI proposed for the lesion on display (before any reader decision)."""
        state = self.state
        ai = state.ai_analysis
        if ai is None or not 1 <= self.lesion <= len(ai.findings) or state.editor is None:
            return {}
        if state.editor.modified:  # the outline changed: the AI's proposal is the fresh one
            shown = state.analysis
            if shown is None:
                return {}
            d = shown.findings[self.lesion - 1].descriptors
            chosen = state.descriptor_choices.get(self.lesion, {})
            if d is None:
                return {}
            return {
                **{i.name: i.value for i in d.descriptors if i.name not in chosen},
                **({} if "category" in chosen else {"category": d.category}),
            }
        d = ai.findings[self.lesion - 1].descriptors
        if d is None:
            return {}
        return {**{i.name: i.value for i in d.descriptors}, "category": d.category}

    # -- the reader's decisions ---------------------------------------------------------------

    def _chosen(self, name: str, index: int) -> None:
        box = self.value_boxes.get(name)
        if box is None or index < 0 or not self.lesion:
            return
        self.state.set_descriptor(self.lesion, name, box.itemData(index))

    def _confirm(self) -> None:
        if self.lesion:
            self.state.confirm_descriptors(self.lesion)
