"""Undo and redo for the reader's measurements (calipers, ellipses, traces, angles). Qt-free.

Measurements are not part of the mask (MaskEditor's history): they have their own stacks of
snapshots, one per completed action (add, move, delete, clear), so Ctrl+Z with a measuring
tool chosen takes back the last measurement action without touching the mask corrections.
A snapshot is small (a few points per measurement), so whole copies are kept.
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
        self._undo: list[tuple[str, Snapshot]] = []
        self._redo: list[tuple[str, Snapshot]] = []

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

    def record(self, name: str, before: Snapshot) -> None:
        """`before`: the measurements as they were before the action called `name`."""
        self._undo.append((name, before))
        del self._undo[:-MAX_STEPS]
        self._redo.clear()

    def undo(self, now: Snapshot) -> Snapshot | None:
        """The measurements to show after undoing the last action (None: nothing to undo)."""
        if not self._undo:
            return None
        name, before = self._undo.pop()
        self._redo.append((name, now))
        return before

    def redo(self, now: Snapshot) -> Snapshot | None:
        if not self._redo:
            return None
        name, after = self._redo.pop()
        self._undo.append((name, now))
        return after
