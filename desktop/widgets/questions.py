"""The two questions the window asks before work could be lost. Modal on purpose: leaving a
case with unsaved corrections must wait for the reader's answer. The window calls them
through methods of its own so tests can answer instead of a reader."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def ask_unsaved_changes(parent: QWidget, what: str) -> str:
    """SAVE, DISCARD or CANCEL."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent,
        "Unsaved corrections",
        f"The corrections of this case are not saved. Save them before {what}?",
        buttons.Save | buttons.Discard | buttons.Cancel,
        buttons.Save,
    )
    return {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(answer, CANCEL)


def ask_discard_drafts(parent: QWidget, names: list[str]) -> bool:
    """True to close although other cases have unsaved drafts."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent,
        "Unsaved drafts",
        f"{len(names)} other case{'s have' if len(names) != 1 else ' has'} unsaved "
        f"corrections kept as drafts ({', '.join(names)}). They are not in the datastore "
        "and will be lost. Close anyway?",
        buttons.Discard | buttons.Cancel,
        buttons.Cancel,
    )
    return answer == buttons.Discard
