"""The shared undo/redo stacks (UndoStack): how steps move, what is kept, what is forgotten."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.models.editing.measurement_history import MAX_STEPS, MeasurementHistory, Snapshot
from desktop.models.editing.undo_stack import UndoStack


@dataclass(frozen=True)
class _Named:
    name: str


class _Stack(UndoStack[_Named]):
    max_steps = 3

    def __init__(self) -> None:
        self._start_stacks()


def test_steps_move_between_the_stacks_and_a_new_step_drops_the_redo_branch() -> None:
    stack = _Stack()
    assert stack._move(forward=False) is None and stack.undo_name == ""  # noqa: SLF001
    for name in "abcd":
        stack._push(_Named(name))  # noqa: SLF001
    assert stack.undo_depth == 3  # max_steps: the oldest ("a") is forgotten
    assert stack._move(forward=False) == _Named("d")  # noqa: SLF001
    assert stack.undo_name == "c" and stack.redo_name == "d"
    # `leave`: what goes on the other stack may differ from what came off (snapshots).
    assert stack._move(forward=True, leave=lambda s: _Named(s.name.upper())) == _Named("d")  # noqa: SLF001
    assert stack.undo_name == "D" and not stack.can_redo
    stack._move(forward=False)  # noqa: SLF001
    stack._push(_Named("e"))  # noqa: SLF001
    assert not stack.can_redo and stack.undo_name == "e"


def test_measurement_history_keeps_the_last_max_steps_actions() -> None:
    history = MeasurementHistory()
    for i in range(MAX_STEPS + 5):
        history.record(f"Add caliper {i}", Snapshot((i,), ()), mask_depth=i)
    assert history.undo_depth == MAX_STEPS and history.undo_mask_depth == MAX_STEPS + 4
    for _ in range(MAX_STEPS):
        assert history.undo(Snapshot((), ())) is not None
    assert history.undo(Snapshot((), ())) is None and history.redo_name == "Add caliper 5"
    assert history.redo_mask_depth == 5
