"""Opening cases: a file, a series or study folder, a folder of cases as the case list, the
datastore's cases, studies retrieved from a PACS; moving through the list and through the
frames of a cine or slices of a series.

Leaving a case never loses the reader's work: unsaved corrections are asked about (opening
another file, another frame, closing) or kept as an in-memory draft of the case left (moving
through the list), never written to the datastore behind the reader's back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QFileDialog, QMainWindow

from desktop.models.image.series import VOLUME
from desktop.models.image.state import CaseState
from desktop.models.opening import CASE_LIST, STUDY, opens_as
from desktop.models.pacs.browser import retrieved_entries
from desktop.models.reading.case_list import CaseEntry, CaseList, folder_entries
from desktop.models.reading.review import NEW
from desktop.models.reading.review_store import ReviewStore, record_status
from desktop.models.study.stored import StudyReviews, study_folder, study_status
from desktop.pages.study import StudyPage
from desktop.pages.volume import VolumePage
from desktop.shell.measurements import MeasurementSync
from desktop.shell.saving import ReviewSaving
from desktop.widgets.image.frame_controls import FrameControls
from desktop.widgets.pacs.browser import PacsBrowser
from engine.datastore import DatastoreError
from engine.errors import LesionLensError, LoadError
from engine.io import NIFTI_SUFFIXES, SUPPORTED_SUFFIXES

FILE_FILTER = (
    "Images ("
    + " ".join(f"*{s}" for s in sorted(SUPPORTED_SUFFIXES | set(NIFTI_SUFFIXES)))
    + ");;All files (*)"
)


def opened_message(state: CaseState) -> str:
    """The status line for the image just opened: size, frames or slices, calibration, and
    whether the model will read it."""
    path, image, series = state.path, state.image, state.series
    spacing = image.spacing_mm
    calibration = f"{spacing[1]:.3f} mm/px" if spacing else "uncalibrated (px)"
    extent = ""
    if series is not None and series.count > 1:
        extent = f", {series.count} {'slices' if series.kind == VOLUME else 'frames'}"
    note = "; not analysed: the model was not made for it" if state.withheld else ""
    name = path.name if path else "image"
    return f"Opened {name}: {image.width} × {image.height} px{extent}, {calibration}{note}"


class Host(Protocol):
    """What navigation needs of the window."""

    state: CaseState
    cases: CaseList
    review_store: ReviewStore
    study_page: StudyPage
    volume_mode: VolumePage
    frame_controls: FrameControls
    measurements: MeasurementSync
    saving: ReviewSaving

    def confirm_leave(self, what: str) -> bool: ...

    def refresh_review_actions(self) -> None: ...


class CaseNavigator:
    def __init__(self, window: QMainWindow, host: Host) -> None:
        self.window = window
        self.host = host
        self.pacs_browser: PacsBrowser | None = None

    @property
    def state(self) -> CaseState:
        return self.host.state

    @property
    def cases(self) -> CaseList:
        return self.host.cases

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open image", self._start_dir(), FILE_FILTER
        )
        if path:
            self.open_path(path)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, "Open folder of cases", self._start_dir()
        )
        if folder:
            self.open_folder(folder)

    def open_path(self, path: str | Path) -> bool:
        """Open a file or series folder; asks first when corrections are unsaved. On failure
        the error is shown and the previous case stays."""
        if not self.host.confirm_leave("opening another file"):
            return False
        return self.open(path)

    def open(self, path: str | Path) -> bool:
        """Open `path` as what desktop.models.opening says it is (engine.case_kind's kind, as
        for the CLI): a study on the study page, a multi-view data set as the case list, an
        image or a volume on the image page (which hands a volume to the volume page)."""
        self.host.measurements.flush()  # the case being left keeps its last caliper move
        self.window.statusBar().showMessage(f"Opening {Path(path).name}…")
        kind = opens_as(path)
        if kind == CASE_LIST:
            return self.open_folder(path)
        if kind == STUDY:
            return self.open_study(path)
        with self.host.measurements.quiet():
            return self.state.open(path)

    def open_study(self, path: str | Path) -> bool:
        """A multi-view case (views side by side, one finding for the case): desktop.pages.study.
        (A multi-view data set of several cases never gets here: open lists it.)"""
        page = self.host.study_page
        if not page.open(path):  # the page shows itself
            return False
        self.cases.set_current_path(path)
        self.host.refresh_review_actions()
        return True

    def open_folder(self, folder: str | Path) -> bool:
        """List the folder's cases on the left and open the first."""
        try:
            entries = folder_entries(folder)
        except LoadError as exc:  # an unreadable DICOMDIR
            self.state.report_error(exc)
            return False
        except OSError as exc:
            self.state.report_error(f"Cannot list {folder}: {exc.strerror or exc}")
            return False
        store = self.host.review_store
        try:
            statuses = store.statuses([e.path for e in entries])
            held = store.heldout_paths([e.path for e in entries])
            entries = [
                CaseEntry(
                    e.path,
                    e.name,
                    statuses[e.path] if e.status == NEW else e.status,
                    heldout=e.path in held,
                )
                for e in entries
            ]
        except (DatastoreError, OSError) as exc:
            self.state.report_error(f"Datastore unavailable, statuses not shown: {exc}")
        self.cases.set_entries(entries, str(folder))
        self.cases.set_current_path(self.state.path)
        if not entries:
            self.state.notify(f"No images in {folder}")
            return False
        return self.go_to_case(entries[0])

    def open_datastore_cases(self) -> bool:
        store = self.host.review_store
        try:
            records = store.cases()
            studies = StudyReviews(store).records()
            root = store.root
        except (DatastoreError, OSError) as exc:
            self.state.report_error(exc if isinstance(exc, LesionLensError) else str(exc))
            return False
        added = [
            (r.added, CaseEntry(r.image, r.case_id, record_status(r), heldout=r.heldout))
            for r in records
        ]
        added += [
            (s.added, CaseEntry(study_folder(s), s.case_id, study_status(s), heldout=s.heldout))
            for s in studies
        ]
        entries = [entry for _, entry in sorted(added, key=lambda pair: pair[0])]
        self.cases.set_entries(entries, f"Datastore {root}")
        self.cases.set_current_path(self.state.path)
        return self.go_to_case(entries[0]) if entries else False

    def open_pacs_browser(self) -> PacsBrowser:
        """File ▸ PACS…: search and retrieve; retrieved studies become the case list."""
        if self.pacs_browser is None:
            self.pacs_browser = PacsBrowser(parent=self.window)
            self.pacs_browser.studies_retrieved.connect(self.open_retrieved_studies)
        self.pacs_browser.reload_nodes()
        self.pacs_browser.show()
        self.pacs_browser.raise_()
        return self.pacs_browser

    def open_retrieved_studies(self, studies: list) -> bool:
        entries = retrieved_entries(studies)
        if not entries:
            self.state.notify("The retrieved studies hold no image to open")
            return False
        try:  # a study retrieved again keeps its review status
            statuses = self.host.review_store.statuses([e.path for e in entries])
            entries = [CaseEntry(e.path, e.name, statuses[e.path]) for e in entries]
        except (DatastoreError, OSError) as exc:
            self.state.report_error(f"Datastore unavailable, statuses not shown: {exc}")
        self.cases.set_entries(entries, "PACS")
        self.cases.set_current_path(self.state.path)
        return self.go_to_case(entries[0])

    def go_to_case(self, entry: CaseEntry) -> bool:
        """Case change: unsaved corrections stay a draft of the case left (memory only, never
        in the datastore, so never trained on) until the clinician saves them."""
        state = self.state
        if state.path is not None and Path(entry.path) == state.path:
            return True
        if not self.host.volume_mode.confirm_leave("opening another case"):
            self.cases.set_current_path(state.path)
            return False
        study = self.host.study_page.state  # a study keeps no draft: asked, as on Open
        if self.host.saving.study_modified and not self.host.confirm_leave("opening another case"):
            self.cases.set_current_path(study.path)
            return False
        left = state.path
        kept = state.keep_draft()
        if left is not None:
            self.cases.set_draft(left, state.has_draft(left))
        opened = self.open(entry.path)
        if kept and left is not None:
            state.notify(
                f"{left.name}: unsaved corrections kept as a draft (not in the datastore, never "
                "trained on); open it again and save (Ctrl+S) to keep them"
            )
        return opened

    def step_case(self, step: int) -> bool:
        entry = self.cases.neighbour(step)
        if entry is None:
            self.state.notify(
                "No further case in the list"
                if self.cases.entries
                else "No case list: File ▸ Open Folder…"
            )
            return False
        return self.go_to_case(entry)

    def request_frame(self, index: int) -> bool:
        """Another frame or slice; unsaved corrections of this one are guarded first."""
        state = self.state
        if index == state.frame_index:
            return False
        if state.modified:
            self.host.frame_controls.set_playing(False)
            if not self.host.confirm_leave("showing another frame"):
                self.host.frame_controls.refresh()
                return False
        self.host.measurements.flush()
        with self.host.measurements.quiet():  # the calipers of a frame stay with it
            return state.show_frame(index)

    def case_folder(self) -> Path | None:
        """The folder the case list shows (None for the datastore or no list)."""
        source = Path(self.cases.source) if self.cases.source else None
        return source if source is not None and source.is_dir() else None

    def _start_dir(self) -> str:
        return str(self.state.path.parent) if self.state.path else str(Path.home())
