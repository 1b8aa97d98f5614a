""" "Analyze all": every listed case without an AI result, one case per worker job, so the
case on screen keeps its turn in the queue and Cancel stops between cases. Results go to a
cache the window shows when a case is opened (no second run), and a case already in the
datastore keeps the AI mask in labels/original.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path

from desktop.models.image.batch_analysis import (
    AnalysisCache,
    BatchStep,
    batch_steps,
    next_batch_step,
)
from desktop.models.image.series import IMAGE
from desktop.models.image.state import CaseState, describe_error
from desktop.models.opening import is_study
from desktop.models.reading.case_list import CaseList
from desktop.models.reading.review import NEW
from desktop.models.reading.review_store import ReviewStore
from desktop.shell.jobs import JobQueue
from desktop.widgets.case_list_dock import CaseListDock
from engine.errors import LesionLensError

BATCH_TAG = "batch"


class BatchRunner:
    """The case list's Analyze all (Model ▸ Analyze All Cases) and its Cancel."""

    def __init__(
        self,
        state: CaseState,
        cases: CaseList,
        dock: CaseListDock,
        store: ReviewStore,
        jobs: JobQueue,
        show_status: Callable[[str], None],
        on_running: Callable[[bool], None],
        on_case_done: Callable[[Path], None],
    ) -> None:
        self.state = state
        self.cases = cases
        self.dock = dock
        self.store = store
        self.jobs = jobs
        self.show_status = show_status
        self.on_running = on_running
        self.on_case_done = on_case_done  # the case on screen shows its batch result
        self.results = AnalysisCache()
        self._steps: Generator[BatchStep, None, None] | None = None
        self._cancelled = False

    @property
    def running(self) -> bool:
        return self._steps is not None

    def start(self) -> bool:
        if self.running:
            return False
        model = self.state.model
        if model is None:
            self.state.notify("Load a model before analysing the cases")
            return False
        spec = model.spec
        on_screen = self.state.path if self.state.busy else None  # being analysed already
        studies = {e.path for e in self.cases.entries if is_study(e.path)}
        paths = [
            e.path
            for e in self.cases.entries
            if e.status == NEW
            and e.path != on_screen
            and e.path not in studies  # studies are analysed when opened
            and self.results.get(e.path, spec.model_id, spec.operating_point) is None
        ]
        if not paths:
            self.state.notify(
                "Multi-view studies are analysed when opened"
                if studies
                else "Every case in the list already has an AI result"
            )
            return False
        self._steps, self._cancelled = batch_steps(paths, model), False
        self.dock.show_batch_progress(0, len(paths))
        self.dock.set_batch_running(True)
        self.on_running(True)
        self._next()
        return True

    def cancel(self) -> None:
        """Stop after the case being analysed (its result is still kept)."""
        if self._steps is not None:
            self._cancelled = True
            self.state.notify("Stopping the batch after the current case…")

    def stop_quietly(self) -> None:
        """Closing: no further case is started."""
        self._cancelled = True

    def failed(self, error: BaseException) -> None:
        self.state.report_error(f"Batch stopped: {describe_error(error)}")
        self._end("Batch stopped")

    def _next(self) -> None:
        steps = self._steps
        assert steps is not None
        self.jobs.start(lambda: next_batch_step(steps), BATCH_TAG, self._on_step)

    def _on_step(self, _tag: str, step: BatchStep | None) -> None:
        if step is None:
            self._end("Batch finished")
            return
        if step.analysis is not None:
            self.results.put(step.path, step.analysis, step.kind)
            self._record_ai(step)
        elif step.error is not None:
            self.state.report_error(f"Batch: cannot analyse {step.path.name}: {step.error}")
        self.cases.set_status(step.path, step.status)
        self.dock.show_batch_progress(step.done, step.total)
        self.show_status(f"Analysed {step.done} / {step.total}: {step.path.name}")
        self.on_case_done(step.path)
        if self._cancelled:
            self._end(f"Batch cancelled after {step.done} / {step.total} cases")
        elif step.done >= step.total:
            self._end(f"Batch finished: {step.total} cases")
        else:
            self._next()

    def _record_ai(self, step: BatchStep) -> None:
        """A case already in the datastore keeps the AI mask in labels/original."""
        if step.kind != IMAGE or step.analysis is None:
            return
        try:
            self.store.record_ai(step.path, step.analysis.prediction)
        except (LesionLensError, OSError) as exc:
            self.state.report_error(f"AI result of {step.path.name} not stored: {exc}")

    def _end(self, message: str) -> None:
        if self._steps is not None:
            self._steps.close()
        self._steps = None
        self.dock.set_batch_running(False)
        self.on_running(False)
        self.show_status(message)
