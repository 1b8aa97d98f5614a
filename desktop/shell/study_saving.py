"""Saving the study on the study page, and leaving it with unsaved changes: the same Save
(Ctrl+S) and the same question as for an image (desktop.shell.saving hands over while the
study page is shown). What is stored and restored is desktop.models.study.stored's."""

from __future__ import annotations

from collections.abc import Callable

from desktop.models.reading.case_list import CaseList
from desktop.models.reading.review_store import ReviewStore
from desktop.models.study.stored import StudyReviews
from desktop.pages.study import StudyPage
from desktop.widgets.questions import DISCARD, SAVE
from engine.errors import LesionLensError


class StudySaving:
    def __init__(
        self,
        page: StudyPage,
        store: ReviewStore,
        cases: CaseList,
        reviewer: Callable[[], str],
    ) -> None:
        self.page = page
        self.reviews = StudyReviews(store)
        self.cases = cases
        self.reviewer = reviewer
        # A study that opens is looked up in the window's datastore and its stored class and
        # masks are shown once its analysis arrives.
        page.state.find_stored = self.reviews.stored

    @property
    def active(self) -> bool:
        return self.page.active

    @property
    def modified(self) -> bool:
        """The study on screen has changes that leaving would lose."""
        return self.page.active and self.page.state.modified

    @property
    def can_save(self) -> bool:
        state = self.page.state
        return self.page.active and state.corrections is not None and not state.busy

    def save(self) -> bool:
        """The study's class and view masks to the datastore (atomic there)."""
        state = self.page.state
        if not self.can_save:
            state.notify("Nothing to save: the study has no analysis on screen")
            return False
        try:
            saved = self.reviews.save(state, self.reviewer())
        except (LesionLensError, OSError) as exc:
            state.report_error(f"Not saved: {exc}")
            return False
        state.mark_saved(saved)
        if state.path is not None:
            self.cases.set_status(state.path, saved.status, heldout=saved.heldout)
        state.notify(f"Saved study {saved.case_id}: {saved.summary()}")
        return True

    def leave(self, answer: str) -> bool:
        """The reader's answer (SAVE, DISCARD, CANCEL) to leaving the study's unsaved changes:
        True when it may be left (a discarded study keeps what the datastore holds)."""
        if answer == SAVE:
            return self.save()
        return answer == DISCARD
