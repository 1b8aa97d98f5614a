"""Saving a review, and leaving a case with unsaved corrections.

Corrections reach the datastore (and so training) only when saved explicitly: Ctrl+S, or
Save when asked. Discarding drops the case's draft; Cancel keeps the case on screen. The
question itself is the window's (ask_unsaved_changes, which tests replace). A CT volume's
labels are saved the same way (save_volume): the NIfTI beside the CT, then the volume case
in the datastore (desktop.models.volume.stored_case). A study on the study page has the same
Save (Ctrl+S) and the same question (StudySaving, which ReviewSaving hands over to while the
study page is shown); what is stored and restored is desktop.models.study.stored's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop.models.feedback.state import TrainingState
from desktop.models.image.series import CINE, IMAGE
from desktop.models.image.state import CaseState, describe_error
from desktop.models.reading.case_list import CaseList
from desktop.models.reading.review import SavedReview
from desktop.models.reading.review_store import ReviewStore, default_author
from desktop.models.study.stored import StudyReviews
from desktop.models.volume.session import VolumeSession
from desktop.models.volume.stored_case import store_session
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


class ReviewSaving:
    def __init__(
        self,
        state: CaseState,
        cases: CaseList,
        store: ReviewStore,
        training: TrainingState,
        reviewer: Callable[[], str],
    ) -> None:
        self.state = state
        self.cases = cases
        self.store = store
        self.training = training
        self.reviewer = reviewer
        # The study page's saving (StudySaving above), wired by the layout once the
        # page exists; while that page is shown, Save and leaving are the study's.
        self.study: StudySaving | None = None

    @property
    def study_modified(self) -> bool:
        return self.study is not None and self.study.modified

    @property
    def can_save(self) -> bool:
        """Whether Save has something to store: the study's analysis on the study page, else
        the image's editor."""
        if self.study is not None and self.study.active:
            return self.study.can_save
        return self.state.editor is not None

    def save(self) -> bool:
        """The corrected mask and confirmed class to the datastore (atomic there)."""
        if self.study is not None and self.study.active:
            saved = self.study.save()
            if saved:
                self.training.refresh_readiness()
            return saved
        state = self.state
        review = state.review_to_save(self.reviewer())
        if review is None:
            state.notify("Nothing to save: no analysis on screen")
            return False
        unseen = state.unseen_reason
        if unseen is not None:  # a review is a reader's look at the mask, never a blind save
            state.report_error(f"Not saved as reviewed: {unseen}")
            return False
        try:
            saved = self.store.save(review)
        except (LesionLensError, OSError) as exc:
            state.report_error(f"Not saved: {describe_error(exc)}")
            return False
        state.mark_saved(saved)
        self.cases.set_status(review.path, saved.status, heldout=saved.heldout)
        self.cases.set_draft(review.path, False)
        self.training.refresh_readiness()
        state.notify(f"Saved {saved.case_id}: {saved.summary()}")
        return True

    def save_volume(self, session: VolumeSession, path: str | Path | None = None) -> bool:
        """A volume's labels: the NIfTI beside the CT (or at `path`), then the volume case in
        the datastore with the reader as author. True when the labels file is written; a
        datastore failure is reported and keeps the file (the labels are not lost)."""
        target = session.save_labels(path)
        if target is None:
            return False
        author = self.reviewer().strip() or default_author()
        try:
            record = store_session(self.store.store, session, author)
        except (LesionLensError, OSError) as exc:
            session.report_error(
                f"Labels saved to {target.name}, but not stored in the datastore: "
                f"{describe_error(exc)}"
            )
            return True
        self.training.refresh_readiness()
        held = " (held out)" if record.heldout else ""
        session.notify(
            f"Saved labels to {target} and volume case {record.case_id}{held} "
            f"to the datastore (revision {record.final.revision if record.final else 0})"
        )
        return True

    def leave(self, answer: str) -> bool:
        """The reader's answer (SAVE, DISCARD, CANCEL) to leaving unsaved corrections: True
        when the case may be left."""
        if self.study_modified:
            assert self.study is not None
            return self.study.leave(answer)
        if answer == SAVE:
            return self.save()
        if answer == DISCARD and self.state.path is not None:
            self.state.drop_draft()
            self.cases.set_draft(self.state.path, False)
        return answer == DISCARD

    def stored(self) -> SavedReview | None:
        """The saved review of the image on screen (first frame of an image or cine)."""
        state = self.state
        if state.path is None or state.series is None:
            return None
        if state.series.kind not in (IMAGE, CINE) or state.frame_index != 0:
            return None
        try:
            return self.store.saved_review(state.path)
        except (LesionLensError, OSError) as exc:
            state.report_error(f"Stored review not read: {describe_error(exc)}")
            return None
