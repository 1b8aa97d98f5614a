"""Help ▸ Keyboard Shortcuts: every key the window answers to, read from its menus and
actions when the dialog opens, so the list can never drift from what the keys do."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(keys, command, menu) for every action with a shortcut, menu order first, then the
    window's own actions no menu lists; one row per action."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()

    def name(action: QAction) -> str:
        return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} ▸ {name(action)}")
            elif action.shortcuts() and id(action) not in seen:
                seen.add(id(action))
                rows.append((_keys(action), name(action), path))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), name(top))
    for action in window.actions():
        if action.shortcuts() and id(action) not in seen and action.text():
            seen.add(id(action))
            rows.append((_keys(action), name(action), ""))
    return rows


def _keys(action: QAction) -> str:
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Keys", "Command", "Menu"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 640)
