"""The window's one worker queue: model loads, analyses, exports and batch steps run one at a
time on a thread pool of one, so results arrive in the order they were asked for.

Every job reports on the GUI thread (desktop.widgets.worker); a report that arrives after the
window closed is dropped, because its widgets are gone. Pages and pickers get `start` and
never hold the pool themselves, so progress, cancellation and shutdown stay in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QThreadPool

from desktop.widgets.worker import GeneratorJob

Steps = Callable[[], Generator[str, None, Any]]
OnSuccess = Callable[[Any, Any], None]
OnFailure = Callable[[Any, BaseException], None]


class JobQueue:
    """start(steps, tag, on_success, on_failure): on_failure defaults to `failed`; progress
    text goes to `progress`; `changed` is called whenever a job is queued or ends."""

    def __init__(
        self,
        parent: QObject,
        progress: Callable[[str], None],
        failed: OnFailure,
        changed: Callable[[], None],
    ) -> None:
        self.pool = QThreadPool(parent)
        self.pool.setMaxThreadCount(1)  # one inference at a time; results arrive in order
        self.jobs: set[GeneratorJob] = set()
        self.closed = False  # set by shutdown: late job signals are dropped
        self._progress = progress
        self._failed = failed
        self._changed = changed

    @property
    def running(self) -> bool:
        """True while a job is queued or running."""
        return bool(self.jobs)

    def start(
        self, steps: Steps, tag: Any, on_success: OnSuccess, on_failure: OnFailure | None = None
    ) -> None:
        job = GeneratorJob(steps, tag)
        job.signals.progress.connect(self._while_open(self._progress))
        job.signals.succeeded.connect(self._while_open(on_success))
        job.signals.failed.connect(self._while_open(on_failure or self._failed))
        job.signals.finished.connect(self._while_open(lambda: self._finished(job)))
        self.jobs.add(job)
        self._changed()
        self.pool.start(job)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel every job between its steps, wait for the pool, drop what still arrives."""
        for job in list(self.jobs):
            job.cancel()
        self.pool.waitForDone(timeout_ms)
        self.closed = True

    def _while_open(self, slot: Callable[..., None]) -> Callable[..., None]:
        """A job's signal can arrive after the window closed (queued while closing); its
        widgets are gone then, so the result is dropped."""

        def guarded(*args: Any) -> None:
            if not self.closed:
                slot(*args)

        return guarded

    def _finished(self, job: GeneratorJob) -> None:
        self.jobs.discard(job)
        self._changed()
