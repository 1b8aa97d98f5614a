"""Run a generator on a thread pool and report back through Qt signals (superqt's idea).

The generator yields progress text and returns its result; it can be cancelled between
yields. Signals are delivered on the GUI thread (queued), so slots may touch widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal


class JobSignals(QObject):
    """progress(str) while running; then succeeded(tag, result) or failed(tag, error) unless
    cancelled; finished() always comes last. The tag is whatever the caller gave the job, so
    one slot can tell the results of several jobs apart."""

    progress = Signal(str)
    succeeded = Signal(object, object)
    failed = Signal(object, object)
    finished = Signal()


class GeneratorJob(QRunnable):
    """One unit of background work. Keep a reference to `signals` until a result arrives."""

    def __init__(self, steps: Callable[[], Generator[str, None, Any]], tag: Any = None) -> None:
        super().__init__()
        self.tag = tag
        self.setAutoDelete(False)  # Python owns it; the window drops it when it reports
        self.signals = JobSignals()
        self._steps = steps
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    def run(self) -> None:
        try:
            generator = self._steps()
            while not self._cancelled:
                self.signals.progress.emit(next(generator))
            generator.close()
        except StopIteration as done:
            self.signals.succeeded.emit(self.tag, done.value)
        except Exception as exc:  # noqa: BLE001 - every failure must reach the window as a message
            self.signals.failed.emit(self.tag, exc)
        finally:
            self.signals.finished.emit()
