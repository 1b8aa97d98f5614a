"""Review section of the side panel: confirm the class, see whether it is saved, save it.

Renders CaseState (the editor's confirmed class, the unsaved flag, the stored review) and
writes the chosen class back through the editor, so the class is undoable like any edit.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models.image.state import CaseState
from desktop.models.reading.review import review_status_text
from desktop.models.reading.review_store import default_author
from desktop.widgets.image.findings_panel import section_title


class ReviewPanel(QWidget):
    """save_requested: the Save button (the window does the saving, with error handling)."""

    save_requested = Signal()

    def __init__(self, state: CaseState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.class_box = QComboBox()
        self.class_box.setToolTip("The class you confirm for this case (undoable: Ctrl+Z)")
        self.reviewer_edit = QLineEdit(default_author())
        self.reviewer_edit.setToolTip("Stored with the correction as its author")
        self.status_label = QLabel()
        self.status_label.setObjectName("note")
        self.status_label.setWordWrap(True)
        self.save_button = QPushButton("Save review  (Ctrl+S)")
        self.save_button.setToolTip(
            "Store the corrected mask and the confirmed class in the datastore"
        )
        form = QFormLayout()
        form.addRow("Confirmed class", self.class_box)
        form.addRow("Reviewer", self.reviewer_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 12, 6)
        layout.setSpacing(4)
        layout.addWidget(section_title("Review"))
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(self.save_button)

        self.class_box.activated.connect(self._on_class_chosen)
        self.save_button.clicked.connect(self.save_requested)
        for event in ("analysis_changed", "review_changed", "image_changed"):
            state.subscribe(event, lambda *_: self.refresh())
        self.refresh()

    @property
    def reviewer(self) -> str:
        return self.reviewer_edit.text().strip()

    def refresh(self) -> None:
        editor = self.state.editor
        with QSignalBlocker(self.class_box):
            self.class_box.clear()
            if editor is not None:
                ai_label = self.state.ai_analysis.prediction.label
                for name in editor.classes:
                    shown = f"{name}  (AI)" if name == ai_label else name
                    self.class_box.addItem(shown, name)
                self.class_box.setCurrentIndex(max(0, self.class_box.findData(editor.label)))
        self.class_box.setEnabled(editor is not None)
        self.save_button.setEnabled(editor is not None)
        if editor is None:
            self.status_label.setText("No analysis to review.")
        else:
            self.status_label.setText(
                review_status_text(editor.modified, editor.differs_from_ai, self.state.saved)
            )

    def _on_class_chosen(self, index: int) -> None:
        editor = self.state.editor
        if editor is not None and index >= 0:
            editor.set_label(self.class_box.itemData(index))
