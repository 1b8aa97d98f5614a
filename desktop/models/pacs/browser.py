"""The PACS browser's state, without Qt: the nodes, the last search and its results, the
selection, and the generators the worker thread runs (search, retrieve).

The widget (desktop.widgets.pacs.browser) renders this and forwards clicks; tests drive it without
a display. Network work is a generator yielding progress text (desktop.widgets.worker runs it);
retrieve progress also lands in `progress` as (done, total) for the progress bar.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from desktop.models.events import Events
from desktop.models.opening import VOLUME, opens_as
from desktop.models.reading.case_list import CaseEntry
from engine.case_kind import DICOM_SUFFIXES
from engine.errors import LoadError
from engine.io import read_header
from engine.pacs import (
    NodeBook,
    PacsNode,
    RetrievedStudy,
    SeriesResult,
    StudyQuery,
    StudyResult,
    connect,
    retrieve_study,
    retrieved_root,
)


@dataclass(frozen=True)
class FoundStudy:
    study: StudyResult
    series: tuple[SeriesResult, ...]


def search_steps(node: PacsNode, query: StudyQuery) -> Generator[str, None, list[FoundStudy]]:
    """Studies matching the query, each with its series (one C-FIND/QIDO per study)."""
    yield f"Searching {node.name}…"
    with connect(node) as pacs:
        studies = pacs.find_studies(query)
        found = []
        for i, study in enumerate(studies, start=1):
            yield f"Listing series of study {i}/{len(studies)} on {node.name}…"
            series = sorted(pacs.find_series(study.study_uid), key=lambda s: s.number or 0)
            found.append(FoundStudy(study, tuple(series)))
    found.sort(key=lambda f: f.study.study_date, reverse=True)  # newest first, as PACS show
    return found


class PacsBrowserState:
    EVENTS = ("nodes_changed", "results_changed", "progress_changed", "busy_changed")

    def __init__(self, book: NodeBook | None = None, dest: Path | None = None) -> None:
        self.book = book or NodeBook()
        self.dest = dest  # None: <data root>/pacs at retrieve time
        self.nodes: dict[str, PacsNode] = {}
        self.node_name = ""
        self.results: list[FoundStudy] = []
        self.progress = (0, 0)
        self.busy = False
        self.events = Events(self.EVENTS)
        self.subscribe = self.events.subscribe

    # -- nodes ---------------------------------------------------------------------------

    def reload_nodes(self) -> None:
        """Re-read the node file (NodeConfigError when it is unreadable)."""
        self.nodes = self.book.load()
        if self.node_name not in self.nodes:
            self.node_name = next(iter(self.nodes), "")
        self.events.emit("nodes_changed")

    def choose_node(self, name: str) -> None:
        if name in self.nodes:
            self.node_name = name

    @property
    def node(self) -> PacsNode | None:
        return self.nodes.get(self.node_name)

    # -- work ----------------------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.events.emit("busy_changed", busy)

    def can_search(self) -> str:
        """ "" when a search can start, else why not (shown as the button's tooltip)."""
        if self.busy:
            return "A search or retrieve is running"
        return "" if self.node is not None else "Add a PACS node first (Nodes…)"

    def can_retrieve(self, study_uids: Sequence[str]) -> str:
        reason = self.can_search()
        if reason:
            return reason
        return "" if study_uids else "Select one or more studies"

    def set_results(self, results: list[FoundStudy]) -> None:
        self.results = list(results)
        self.events.emit("results_changed")

    def set_progress(self, done: int, total: int) -> None:
        self.progress = (done, total)
        self.events.emit("progress_changed", done, total)

    def retrieve_steps(
        self, study_uids: Sequence[str]
    ) -> Generator[str, None, list[RetrievedStudy]]:
        """Retrieve each study into the data root; progress counts instances over all the
        studies. Stopped between instances when the job is cancelled (what arrived stays,
        and the next retrieve resumes)."""
        node = self.node
        assert node is not None
        dest = self.dest if self.dest is not None else retrieved_root()
        expected = {r.study.study_uid: r.study.instance_count for r in self.results}
        total = sum(expected.get(uid) or 0 for uid in study_uids)
        done_before, studies = 0, []
        for n, uid in enumerate(study_uids, start=1):
            steps = retrieve_study(node, uid, dest)
            try:
                while True:
                    p = next(steps)
                    total = max(total, done_before + p.total)
                    self.progress = (done_before + p.done, total)
                    yield f"Retrieving study {n}/{len(study_uids)} from {node.name}: {p.text}"
            except StopIteration as finished:
                study = finished.value
            finally:
                steps.close()
            studies.append(study)
            done_before += len(study.files)
        return studies


def retrieved_entries(studies: Sequence[RetrievedStudy]) -> list[CaseEntry]:
    """Case-list entries for retrieved studies, as File ▸ Open Folder lists them: a CT/MR
    series folder is one case, every other instance (ultrasound image, cine) its own;
    SEG, SR and other non-images are left out. Named by patient ID, date, modality, series
    and instance number, as the browser showed them (the files are named by UID)."""
    entries: list[CaseEntry] = []
    for study in studies:
        for series in sorted(p for p in study.folder.iterdir() if p.is_dir()):
            files = sorted(p for p in series.iterdir() if p.suffix.lower() in DICOM_SUFFIXES)
            headers = [(p, h) for p, h in ((p, _image_header(p)) for p in files) if h]
            if not headers:
                continue
            if len(headers) > 1 and opens_as(series) == VOLUME:
                name = f"{_series_name(headers[0][1])} ({len(headers)})/"
                entries.append(CaseEntry(series, name))
                continue
            for path, header in headers:
                number = str(header.get("InstanceNumber", "") or "").strip()
                name = _series_name(header) + (f".{number}" if number else "")
                entries.append(CaseEntry(path, name))
    return entries


NOT_IMAGES = {"SEG", "SR", "KO", "PR", "DOC"}


def _series_name(header: Dataset) -> str:
    """ "<patient ID> · <modality> <series number>", short enough for the case list."""
    number = str(header.get("SeriesNumber", "") or "").strip()
    modality = str(header.get("Modality", "") or "").strip()
    patient = str(header.get("PatientID", "") or "").strip()
    return " · ".join(p for p in (patient, f"{modality} {number}".strip()) if p)


def _image_header(path: Path) -> Dataset | None:
    """The header of an image instance; None for SEG/SR/unreadable files."""
    try:
        header = read_header(path)
    except LoadError:
        return None
    if "Rows" not in header or str(header.get("Modality", "")) in NOT_IMAGES:
        return None
    return header
