"""Undo, redo and "saved here" for the 2D mask editor and the 3D label editor. Qt-free.

Both editors stand on one label core (label_array.LabelArray), which records each edit as a
patch that applies itself both ways; this mixin applies the steps as the stacks (UndoStack,
shared with the measurements' history) move and keeps the marker of the last save, so
"undo", "redo" and "would closing lose something?" mean the same in 2D and 3D.
"""

from __future__ import annotations

from typing import Any, Protocol

from desktop.models.editing.undo_stack import UndoStack


class Edit(Protocol):
    name: str

    @property
    def nbytes(self) -> int: ...


class EditHistory(UndoStack[Any]):
    """Mixin: call `_start_history()` in __init__, `_push(edit)` after each edit; implement
    `_apply(edit, forward)` and `end_stroke()`; have `self.events` with a "changed" event."""

    events: Any

    def _start_history(self) -> None:
        self._start_stacks()
        self._clean: Any = None  # the history top when last saved (None: as opened)

    def _apply(self, edit: Any, forward: bool) -> None:
        raise NotImplementedError

    def end_stroke(self) -> Any:
        raise NotImplementedError

    @property
    def modified(self) -> bool:
        """Changes since the case was opened or last saved (what a close would lose)."""
        return (self._undo[-1] if self._undo else None) is not self._clean

    @property
    def history_nbytes(self) -> int:
        return sum(edit.nbytes for edit in (*self._undo, *self._redo))

    def undo(self) -> bool:
        return self._step(forward=False)

    def redo(self) -> bool:
        return self._step(forward=True)

    def _step(self, forward: bool) -> bool:
        self.end_stroke()  # a stroke still being drawn is an edit of its own first
        edit = self._move(forward)
        if edit is None:
            return False
        self._apply(edit, forward=forward)
        return True

    def mark_saved(self) -> None:
        """What is shown now is what is stored: closing loses nothing."""
        self._clean = self._undo[-1] if self._undo else None
        self.events.emit("changed", "saved")
