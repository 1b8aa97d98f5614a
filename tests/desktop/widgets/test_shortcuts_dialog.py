"""Help ▸ Keyboard Shortcuts lists what the keys really do, read from the live actions."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from desktop.widgets.shortcuts_dialog import ShortcutsDialog, shortcut_rows


def test_f1_opens_the_list_of_every_shortcut(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(ShortcutsDialog)))
    rows = shortcut_rows(window)
    by_command = {command: (keys, menu) for keys, command, menu in rows}
    assert by_command["Save Review"] == ("Ctrl+S", "File")
    assert by_command["Brush"][0] == "B" and by_command["Undo"][0] == "Ctrl+Z"
    assert "Ctrl+Right" in by_command["Next Case"][0] and "PgDown" in by_command["Next Case"][0]
    assert len({command for _, command, _ in rows}) == len(rows)  # one row per action
    dialog = window.show_shortcuts()
    assert dialog.table.rowCount() == len(rows)
    texts = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert {"Keyboard Shortcuts", "Delete Selected Measurement or Lesion"} <= texts
