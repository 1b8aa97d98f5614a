"""Named events for the Qt-free models: a widget subscribes, the model emits, nobody polls."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Callback = Callable[..., None]


class Events:
    """A fixed set of event names, each with its listeners; an unknown name is a typo."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        self._listeners: dict[str, list[Callback]] = {name: [] for name in self.names}

    def subscribe(self, event: str, callback: Callback) -> Callable[[], None]:
        """Call `callback(*args)` on `event`; returns the function that unsubscribes it."""
        if event not in self._listeners:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(self.names)}")
        self._listeners[event].append(callback)
        return lambda: self._listeners[event].remove(callback)

    def emit(self, event: str, *args: Any) -> None:
        for callback in list(self._listeners[event]):
            callback(*args)
