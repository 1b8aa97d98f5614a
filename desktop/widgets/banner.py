"""The research-use banner: always visible, and it quotes the loaded model's own card."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from desktop.models.image.findings_table import disclaimer_text
from desktop.models.image.state import CaseState

HEADLINE = "Research use only — not for diagnosis"


class ResearchBanner(QFrame):
    def __init__(self, state: CaseState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("researchBanner")
        self.state = state
        self.headline = QLabel(HEADLINE)
        self.headline.setObjectName("bannerHeadline")
        self.detail = QLabel()
        self.detail.setObjectName("bannerDetail")
        self.detail.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(2)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        state.subscribe("model_changed", lambda _model: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.detail.setText(disclaimer_text(self.state.model))

    def text(self) -> str:
        return f"{self.headline.text()}\n{self.detail.text()}"
