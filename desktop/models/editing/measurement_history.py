"""Undo and redo for the reader's measurements (calipers, ellipses, traces, angles). Qt-free.

Measurements are not part of the mask (MaskEditor's history): they have their own stacks of
snapshots, one per completed action (add, move, delete, clear). Each entry remembers how deep
the mask's undo stack was when it was made, so one Ctrl+Z takes back whichever came last, a
measurement or a mask edit (CaseState.measurement_undo_first). A snapshot is small (a few
points per measurement), so whole copies are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_STEPS = 200


@dataclass(frozen=True)
class Snapshot:
    calipers: tuple[Any, ...]
    shapes: tuple[Any, ...]


class MeasurementHistory:
    def __init__(self) -> None:
        self._undo: list[tuple[str, Snapshot, int]] = []
        self._redo: list[tuple[str, Snapshot, int]] = []

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_name(self) -> str:
        return self._undo[-1][0] if self._undo else ""

    @property
    def redo_name(self) -> str:
        return self._redo[-1][0] if self._redo else ""

    @property
    def undo_mask_depth(self) -> int:
        """The mask's undo depth when the action to undo was made (-1: nothing to undo)."""
        return self._undo[-1][2] if self._undo else -1

    @property
    def redo_mask_depth(self) -> int:
        return self._redo[-1][2] if self._redo else -1

    def record(self, name: str, before: Snapshot, mask_depth: int = 0) -> None:
        """`before`: the measurements as they were before the action called `name`;
        mask_depth: the mask editor's undo depth at that moment."""
        self._undo.append((name, before, mask_depth))
        del self._undo[:-MAX_STEPS]
        self._redo.clear()

    def undo(self, now: Snapshot) -> Snapshot | None:
        """The measurements to show after undoing the last action (None: nothing to undo)."""
        if not self._undo:
            return None
        name, before, depth = self._undo.pop()
        self._redo.append((name, now, depth))
        return before

    def redo(self, now: Snapshot) -> Snapshot | None:
        if not self._redo:
            return None
        name, after, depth = self._redo.pop()
        self._undo.append((name, now, depth))
        return after
