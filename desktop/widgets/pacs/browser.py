"""File ▸ PACS…: search a PACS node, see studies with their series, retrieve the selected
studies into the data root; they then open in the case list like local files.

Searches and retrieves run on the dialog's own worker thread (desktop.widgets.worker), so the
window stays responsive and inference is not queued behind the network; a retrieve shows a
progress bar and can be cancelled (what arrived stays; the next retrieve resumes). Every
failure is one line in the dialog naming the node and the reason (engine.pacs.PacsError).
State lives in desktop.models.pacs.browser; this file only renders it and forwards clicks.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QDate, QThreadPool, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.models.pacs.browser import FoundStudy, PacsBrowserState, search_steps
from desktop.widgets.pacs.node_dialog import PacsNodeDialog
from desktop.widgets.worker import GeneratorJob
from engine.errors import LesionLensError
from engine.pacs import StudyQuery

MODALITIES = ("", "US", "CT", "MR", "CR", "DX", "MG", "NM", "PT", "XA", "SEG", "SR", "OT")
COLUMNS = ("Patient ID", "Patient name", "Date", "Modality", "Description", "Accession", "Images")
UID_COLUMN = len(COLUMNS)
SEARCH_TAG, RETRIEVE_TAG = "search", "retrieve"


def describe_failure(error: BaseException) -> str:
    if isinstance(error, LesionLensError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class PacsBrowser(QDialog):
    """Signals: studies_retrieved(list[RetrievedStudy]) after a retrieve finished."""

    studies_retrieved = Signal(object)

    def __init__(self, state: PacsBrowserState | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("PACS")
        self.resize(1060, 620)
        self.state = state or PacsBrowserState()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.job: GeneratorJob | None = None
        self._cancel_requested = False
        self.node_dialog: PacsNodeDialog | None = None

        self.node_combo = QComboBox()
        self.node_combo.setMinimumWidth(220)
        self.node_combo.currentTextChanged.connect(self._choose_node)
        self.nodes_button = QPushButton("Nodes…")
        self.nodes_button.clicked.connect(self.open_node_dialog)
        self.node_address = QLabel()
        self.node_address.setObjectName("note")

        self.patient_id_edit = QLineEdit()
        self.patient_name_edit = QLineEdit()
        self.patient_name_edit.setPlaceholderText("e.g. DOE^J*")
        self.accession_edit = QLineEdit()
        self.modality_combo = QComboBox()
        self.modality_combo.addItems(MODALITIES)
        self.modality_combo.setItemText(0, "any")
        self.date_box = QCheckBox("Study date")
        self.date_from = QDateEdit(QDate.currentDate().addYears(-1))
        self.date_to = QDateEdit(QDate.currentDate())
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.date_box.toggled.connect(self.date_from.setEnabled)
        self.date_box.toggled.connect(self.date_to.setEnabled)
        for edit in (self.patient_id_edit, self.patient_name_edit, self.accession_edit):
            edit.returnPressed.connect(self.search)
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)

        self.results = QTreeWidget()
        self.results.setColumnCount(len(COLUMNS) + 1)
        self.results.setHeaderLabels([*COLUMNS, "Study / series UID"])
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.results.setAlternatingRowColors(True)
        self.results.setRootIsDecorated(True)
        header = self.results.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.results.itemSelectionChanged.connect(self._sync_buttons)
        self.results.itemDoubleClicked.connect(lambda *_: self.retrieve())

        self.retrieve_button = QPushButton("Retrieve")
        self.retrieve_button.clicked.connect(self.retrieve)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m instances")
        self.progress.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)

        self._build_layout()
        s = self.state
        s.subscribe("nodes_changed", self._show_nodes)
        s.subscribe("results_changed", self._show_results)
        s.subscribe("busy_changed", lambda _busy: self._sync_buttons())
        self.reload_nodes()

    def _build_layout(self) -> None:
        node_row = QHBoxLayout()
        node_row.addWidget(QLabel("Node"))
        node_row.addWidget(self.node_combo)
        node_row.addWidget(self.nodes_button)
        node_row.addWidget(self.node_address, stretch=1)

        form = QGridLayout()
        left, right = QFormLayout(), QFormLayout()
        left.addRow("Patient ID", self.patient_id_edit)
        left.addRow("Patient name", self.patient_name_edit)
        right.addRow("Accession", self.accession_edit)
        right.addRow("Modality", self.modality_combo)
        dates = QHBoxLayout()
        dates.addWidget(self.date_box)
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        form.addLayout(left, 0, 0)
        form.addLayout(right, 0, 1)
        form.addLayout(dates, 1, 0, 1, 2)
        form.addWidget(self.search_button, 1, 2)

        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, stretch=3)
        bottom.addStretch(1)
        bottom.addWidget(self.retrieve_button)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(node_row)
        layout.addLayout(form)
        layout.addWidget(self.results, stretch=1)
        layout.addWidget(self.message)
        layout.addLayout(bottom)

    # -- nodes ---------------------------------------------------------------------------

    def reload_nodes(self) -> None:
        try:
            self.state.reload_nodes()
        except LesionLensError as exc:
            self.show_message(str(exc), error=True)

    def _show_nodes(self) -> None:
        self.node_combo.blockSignals(True)
        self.node_combo.clear()
        self.node_combo.addItems(list(self.state.nodes))
        self.node_combo.setCurrentText(self.state.node_name)
        self.node_combo.blockSignals(False)
        node = self.state.node
        self.node_address.setText(f"{node.kind}: {node.address}" if node else "")
        if not self.state.nodes:
            self.show_message("No PACS node yet: add one with Nodes…")
        self._sync_buttons()

    def _choose_node(self, name: str) -> None:
        self.state.choose_node(name)
        node = self.state.node
        self.node_address.setText(f"{node.kind}: {node.address}" if node else "")
        self._sync_buttons()

    def open_node_dialog(self) -> PacsNodeDialog:
        dialog = PacsNodeDialog(self.state.book, self.state.node_name, self)
        dialog.finished.connect(lambda _result: self.reload_nodes())
        self.node_dialog = dialog
        dialog.open()
        return dialog

    # -- search and retrieve -------------------------------------------------------------

    def query(self) -> StudyQuery:
        dates = ("", "")
        if self.date_box.isChecked():
            dates = (
                self.date_from.date().toString("yyyyMMdd"),
                self.date_to.date().toString("yyyyMMdd"),
            )
        return StudyQuery(
            patient_id=self.patient_id_edit.text(),
            patient_name=self.patient_name_edit.text(),
            date_from=dates[0],
            date_to=dates[1],
            modality=self.modality_combo.currentText()
            if self.modality_combo.currentIndex()
            else "",
            accession=self.accession_edit.text(),
        )

    def search(self) -> bool:
        if self.state.can_search():
            self.show_message(self.state.can_search(), error=True)
            return False
        node, query = self.state.node, self.query()
        assert node is not None
        try:
            query = query.checked()
        except LesionLensError as exc:
            self.show_message(str(exc), error=True)
            return False
        self.state.set_results([])  # never show one node's studies under another's name
        self.progress.hide()
        self._start(lambda: search_steps(node, query), SEARCH_TAG, self._on_found)
        return True

    def selected_study_uids(self) -> list[str]:
        uids: list[str] = []
        for item in self.results.selectedItems():
            study_item = item.parent() or item  # a selected series row retrieves its study
            uid = study_item.text(UID_COLUMN)
            if uid not in uids:
                uids.append(uid)
        return uids

    def retrieve(self) -> bool:
        uids = self.selected_study_uids()
        reason = self.state.can_retrieve(uids)
        if reason:
            self.show_message(reason, error=True)
            return False
        self.state.progress = (0, 0)
        self.progress.setRange(0, 0)  # busy until the instance count is known
        self.progress.show()
        self._start(lambda: self.state.retrieve_steps(uids), RETRIEVE_TAG, self._on_retrieved)
        return True

    def cancel(self) -> None:
        """Stops after the instance being written; what arrived stays for a resume."""
        if self.job is not None:
            self._cancel_requested = True
            self.job.cancel()
            self.show_message("Cancelling…")

    def _start(
        self,
        steps: Callable[[], Generator[str, None, Any]],
        tag: str,
        on_success: Callable[[Any, Any], None],
    ) -> None:
        job = GeneratorJob(steps, tag)
        job.signals.progress.connect(self._on_progress)
        job.signals.succeeded.connect(on_success)
        job.signals.failed.connect(self._on_failed)
        job.signals.finished.connect(self._on_finished)
        self.job = job
        self._cancel_requested = False
        self.state.set_busy(True)
        self.pool.start(job)

    @Slot(str)
    def _on_progress(self, text: str) -> None:
        self.show_message(text)
        done, total = self.state.progress
        if self.job is not None and self.job.tag == RETRIEVE_TAG and total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    @Slot(object, object)
    def _on_found(self, _tag: str, found: list[FoundStudy]) -> None:
        self.state.set_results(found)
        node = self.state.node_name
        n = len(found)
        self.show_message(f"{n} stud{'y' if n == 1 else 'ies'} on {node}")

    @Slot(object, object)
    def _on_retrieved(self, _tag: str, studies: list) -> None:
        count = sum(len(s.files) for s in studies)
        reused = sum(s.reused for s in studies)
        resumed = f" ({reused} were already here)" if reused else ""
        self.show_message(f"Retrieved {len(studies)} study(ies), {count} instances{resumed}")
        self.progress.setRange(0, max(count, 1))
        self.progress.setValue(count)
        self.studies_retrieved.emit(studies)

    @Slot(object, object)
    def _on_failed(self, _tag: str, error: BaseException) -> None:
        self.show_message(describe_failure(error), error=True)

    @Slot()
    def _on_finished(self) -> None:
        job, self.job = self.job, None
        if job is not None and self._cancel_requested and job.tag == RETRIEVE_TAG:
            self.show_message("Retrieve cancelled; retrieve again to fetch the rest")
        if job is not None and job.tag == RETRIEVE_TAG and self.progress.maximum() == 0:
            self.progress.hide()
        self.state.set_busy(False)

    # -- rendering -----------------------------------------------------------------------

    def _show_results(self) -> None:
        self.results.clear()
        for found in self.state.results:
            s = found.study
            row = QTreeWidgetItem(
                [
                    s.patient_id,
                    s.patient_name.replace("^", " ").strip(),
                    _date(s.study_date),
                    "/".join(s.modalities),
                    s.description,
                    s.accession,
                    "" if s.instance_count is None else str(s.instance_count),
                    s.study_uid,
                ]
            )
            for series in found.series:
                number = "" if series.number is None else f" {series.number}"
                child = QTreeWidgetItem(
                    [
                        f"Series{number}",
                        "",
                        "",
                        series.modality,
                        series.description,
                        "",
                        "" if series.instance_count is None else str(series.instance_count),
                        series.series_uid,
                    ]
                )
                row.addChild(child)
            self.results.addTopLevelItem(row)
            row.setExpanded(True)
        self._sync_buttons()

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("error", error)
        self.message.setStyleSheet("color: #e06c60;" if error else "")

    def _sync_buttons(self) -> None:
        s = self.state
        search_reason = s.can_search()
        self.search_button.setEnabled(not search_reason)
        self.search_button.setToolTip(search_reason)
        retrieve_reason = s.can_retrieve(self.selected_study_uids())
        self.retrieve_button.setEnabled(not retrieve_reason)
        self.retrieve_button.setToolTip(retrieve_reason)
        self.cancel_button.setEnabled(s.busy)
        self.nodes_button.setEnabled(not s.busy)
        self.node_combo.setEnabled(not s.busy)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        self.cancel()  # a running retrieve stops after its current instance
        super().closeEvent(event)


def _date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value) == 8 else value
