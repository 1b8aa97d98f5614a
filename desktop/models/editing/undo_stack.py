"""Two stacks of named steps: the one undo/redo of the mask, label and measurement editors.

Qt-free. The 2D mask editor and the 3D label editor step patches (EditHistory); the reader's
measurements step snapshots (MeasurementHistory). What a step holds differs, but how the two
stacks move, what can be undone and what the Undo/Redo menu items are called do not, so that
is written once here and each history only says what a step is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Named(Protocol):
    @property
    def name(self) -> str: ...


Step = TypeVar("Step", bound=Named)


class UndoStack(Generic[Step]):
    """Mixin or base: call `_start_stacks()` before use, `_push(step)` after each action,
    `_move(forward)` to step back (False) or forth (True)."""

    max_steps: int | None = None  # the oldest steps beyond this are forgotten (None: all kept)

    def _start_stacks(self) -> None:
        self._undo: list[Step] = []
        self._redo: list[Step] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_depth(self) -> int:
        """How many steps can be undone: lets another history (the measurements') tell which
        of the two changed last."""
        return len(self._undo)

    @property
    def undo_name(self) -> str:
        return self._undo[-1].name if self._undo else ""

    @property
    def redo_name(self) -> str:
        return self._redo[-1].name if self._redo else ""

    def _push(self, step: Step) -> None:
        """A new action: it can be undone, and what could be redone is another branch, gone."""
        self._undo.append(step)
        if self.max_steps is not None:
            del self._undo[: -self.max_steps]
        self._redo.clear()

    def _move(self, forward: bool, leave: Callable[[Step], Step] | None = None) -> Step | None:
        """Take the top step off the redo stack (forward) or the undo stack (back) and put it
        on the other one, as `leave(step)` when given (a snapshot history leaves the state it
        goes away from); None when there is nothing to move."""
        source, target = (self._redo, self._undo) if forward else (self._undo, self._redo)
        if not source:
            return None
        step = source.pop()
        target.append(step if leave is None else leave(step))
        return step
