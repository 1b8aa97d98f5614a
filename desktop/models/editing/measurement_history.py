"""Undo and redo for the reader's measurements (calipers, ellipses, traces, angles). Qt-free.

Measurements are not part of the mask (MaskEditor's history): they have their own stacks of
snapshots, one per completed action (add, move, delete, clear). Each entry remembers how deep
the mask's undo stack was when it was made, so one Ctrl+Z takes back whichever came last, a
measurement or a mask edit (CaseState.measurement_undo_first). A snapshot is small (a few
points per measurement), so whole copies are kept; the stacks themselves are UndoStack's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from desktop.models.editing.undo_stack import UndoStack

MAX_STEPS = 200


@dataclass(frozen=True)
class Snapshot:
    calipers: tuple[Any, ...]
    shapes: tuple[Any, ...]


@dataclass(frozen=True)
class _Step:
    """One action: its name, the measurements on the other side of it, the mask's depth."""

    name: str
    snapshot: Snapshot
    mask_depth: int


class MeasurementHistory(UndoStack[_Step]):
    max_steps = MAX_STEPS

    def __init__(self) -> None:
        self._start_stacks()

    def clear(self) -> None:
        self._start_stacks()

    @property
    def undo_mask_depth(self) -> int:
        """The mask's undo depth when the action to undo was made (-1: nothing to undo)."""
        return self._undo[-1].mask_depth if self._undo else -1

    @property
    def redo_mask_depth(self) -> int:
        return self._redo[-1].mask_depth if self._redo else -1

    def record(self, name: str, before: Snapshot, mask_depth: int = 0) -> None:
        """`before`: the measurements as they were before the action called `name`;
        mask_depth: the mask editor's undo depth at that moment."""
        self._push(_Step(name, before, mask_depth))

    def undo(self, now: Snapshot) -> Snapshot | None:
        """The measurements to show after undoing the last action (None: nothing to undo)."""
        return self._restore(forward=False, now=now)

    def redo(self, now: Snapshot) -> Snapshot | None:
        return self._restore(forward=True, now=now)

    def _restore(self, forward: bool, now: Snapshot) -> Snapshot | None:
        """The step's snapshot comes back; `now` is left in its place, for the way back."""
        step = self._move(forward, leave=lambda s: replace(s, snapshot=now))
        return None if step is None else step.snapshot
