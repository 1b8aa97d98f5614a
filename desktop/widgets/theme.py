"""Dark theme: reading rooms are dim, and a bright frame around a B-mode image hurts contrast."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

WINDOW = "#1b1e23"
BASE = "#14161a"
TEXT = "#dfe3e8"
MUTED = "#9aa3ad"
ACCENT = "#3a8ee6"

STYLE_SHEET = f"""
#researchBanner {{ background: #3a2a06; border-bottom: 1px solid #7a5a10; }}
#bannerHeadline {{ color: #ffc940; font-weight: bold; font-size: 14px; }}
#bannerDetail {{ color: #e8d6a8; font-size: 12px; }}
#errorBar {{ background: #4a1515; border-bottom: 1px solid #a33; }}
#errorBar QLabel {{ color: #ffd2d2; font-weight: bold; }}
#sidePanel {{ background: {WINDOW}; }}
#sectionTitle {{ color: {TEXT}; font-weight: bold; font-size: 13px; padding-top: 8px; }}
#classLabel {{ font-weight: bold; font-size: 16px; }}
#note {{ color: {MUTED}; }}
#placeholder {{ background: #08090b; color: {MUTED}; font-size: 15px; }}
QTableWidget {{ gridline-color: #2a2e35; }}
QHeaderView::section {{ background: #23272e; color: {TEXT}; padding: 4px;
    border: 0; border-right: 1px solid #2f343c; border-bottom: 1px solid #2f343c; }}
QStatusBar {{ color: {TEXT}; }}
QSplitter::handle {{ background: #2a2e35; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: "#1a1d22",
        QPalette.ColorRole.ToolTipBase: "#2a2e35",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#262a31",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: MUTED,
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b727b"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
