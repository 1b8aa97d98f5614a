"""The case list's Sort box: by name, or most useful to correct next — every listed case
scored by the loaded model on the worker queue (desktop.models.reading.active_learning)."""

from __future__ import annotations

from desktop.models.image.state import CaseState, describe_error
from desktop.models.reading.active_learning import Scores, usefulness_steps
from desktop.models.reading.case_list import NAME_ORDER, CaseList
from desktop.models.reading.review_store import ReviewStore
from desktop.shell.jobs import JobQueue
from desktop.widgets.case_list_dock import CaseListDock

SORT_TAG = "usefulness"


class CaseSorter:
    def __init__(
        self,
        state: CaseState,
        cases: CaseList,
        dock: CaseListDock,
        store: ReviewStore,
        jobs: JobQueue,
    ) -> None:
        self.state = state
        self.cases = cases
        self.dock = dock
        self.store = store
        self.jobs = jobs

    def sort(self, order: str) -> None:
        if order == NAME_ORDER:
            self.cases.sort_by_name()
            return
        if self.state.model is None or not self.cases.entries:
            self.state.notify("Load a model and open cases before sorting by usefulness")
            self.dock.show_order()
            return
        entries, model, store = list(self.cases.entries), self.state.model, self.store
        self.jobs.start(lambda: usefulness_steps(entries, store, model), SORT_TAG, self._on_scored)

    def failed(self, error: BaseException) -> None:
        self.dock.show_order()
        self.state.report_error(f"Cannot sort by usefulness: {describe_error(error)}")

    def _on_scored(self, _tag: str, scores: Scores) -> None:
        if set(scores) != {e.path for e in self.cases.entries}:
            self.dock.show_order()  # another list was opened meanwhile
            return
        self.cases.sort_by_usefulness(scores)
        ranked = sum(1 for score in scores.values() if score is not None)
        self.state.notify(f"Sorted: most useful to correct next first ({ranked} cases scored)")
