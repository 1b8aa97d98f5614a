"""A non-modal error strip above the image: it never blocks the user (or a test), and it
stays until dismissed or until a file opens successfully."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.models.image.state import CaseState


class ErrorBar(QFrame):
    def __init__(self, state: CaseState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(state.dismiss_error)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.addWidget(self.label, stretch=1)
        layout.addWidget(self.dismiss_button)
        state.subscribe("error", self.show_message)
        self.show_message(state.last_error)

    def show_message(self, message: str | None) -> None:
        self.label.setText(message or "")
        self.setVisible(bool(message))

    def message(self) -> str:
        return self.label.text() if not self.isHidden() else ""
