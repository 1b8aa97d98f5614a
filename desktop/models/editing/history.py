"""Undo, redo and "saved here" for the 2D mask editor and the 3D label editor. Qt-free.

Both editors record each edit as a patch that knows how to apply itself both ways; this
mixin owns the two stacks and the marker of the last save, so "undo", "redo" and "would
closing lose something?" mean the same in 2D and 3D.
"""

from __future__ import annotations

from typing import Any, Protocol


class Edit(Protocol):
    name: str

    @property
    def nbytes(self) -> int: ...


class EditHistory:
    """Mixin: call `_start_history()` in __init__, `_push(edit)` after each edit; implement
    `_apply(edit, forward)` and `end_stroke()`; have `self.events` with a "changed" event."""

    events: Any

    def _start_history(self) -> None:
        self._undo: list[Any] = []
        self._redo: list[Any] = []
        self._clean: Any = None  # the history top when last saved (None: as opened)

    def _apply(self, edit: Any, forward: bool) -> None:
        raise NotImplementedError

    def end_stroke(self) -> Any:
        raise NotImplementedError

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_depth(self) -> int:
        """How many edits can be undone: lets another history (the measurements') tell which
        of the two changed last."""
        return len(self._undo)

    @property
    def undo_name(self) -> str:
        return self._undo[-1].name if self._undo else ""

    @property
    def redo_name(self) -> str:
        return self._redo[-1].name if self._redo else ""

    @property
    def modified(self) -> bool:
        """Changes since the case was opened or last saved (what a close would lose)."""
        return (self._undo[-1] if self._undo else None) is not self._clean

    @property
    def history_nbytes(self) -> int:
        return sum(edit.nbytes for edit in (*self._undo, *self._redo))

    def undo(self) -> bool:
        self.end_stroke()
        if not self._undo:
            return False
        edit = self._undo.pop()
        self._redo.append(edit)
        self._apply(edit, forward=False)
        return True

    def redo(self) -> bool:
        self.end_stroke()
        if not self._redo:
            return False
        edit = self._redo.pop()
        self._undo.append(edit)
        self._apply(edit, forward=True)
        return True

    def mark_saved(self) -> None:
        """What is shown now is what is stored: closing loses nothing."""
        self._clean = self._undo[-1] if self._undo else None
        self.events.emit("changed", "saved")

    def _push(self, edit: Any) -> None:
        self._undo.append(edit)
        self._redo.clear()
