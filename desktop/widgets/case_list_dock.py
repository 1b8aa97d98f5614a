"""The case list as a dock on the left: one row per case, its name and its review status,
sorted by name or, for active learning, by how useful correcting it would be. Cases of the
datastore's fixed held-out split are marked (◆ after the status, italic, a tooltip): they
judge fine-tuned models and are never trained on."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.models.reading.case_list import NAME_ORDER, USEFUL_ORDER, CaseEntry, CaseList
from desktop.models.reading.review import AI_DONE, CORRECTED, NEW, REVIEWED

STATUS_COLOURS = {NEW: "#9aa3ad", AI_DONE: "#3ad6ff", CORRECTED: "#ffb347", REVIEWED: "#63d297"}
DOCK_WIDTH = 250
SORT_CHOICES = ((NAME_ORDER, "Name"), (USEFUL_ORDER, "Most useful to correct next"))
USEFUL_COLUMN = 2
STATUS_WIDTH = 96
ERROR_COLOUR = "#ff6b6b"
HELDOUT_MARK = "◆"
DRAFT_MARK = "✎"
DRAFT_TIP = "unsaved draft: kept in memory, not in the datastore, never trained on until saved"
HELDOUT_TIP = "held out: never trained on, it judges fine-tuned models (the gate)"


class CaseListDock(QDockWidget):
    """case_chosen(CaseEntry): the user picked a row (click, arrow keys).
    sort_requested(str): the user picked an order (NAME_ORDER or USEFUL_ORDER); the window
    scores the cases and sorts the CaseList, and the box follows the list's order.
    analyze_all_requested() / cancel_requested(): the batch buttons; the window runs the batch
    and reports back with show_batch_progress and set_batch_running."""

    case_chosen = Signal(object)
    sort_requested = Signal(str)
    analyze_all_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, cases: CaseList, parent: QWidget | None = None) -> None:
        super().__init__("Cases", parent)
        self.setObjectName("caseListDock")
        self.cases = cases
        self.source_label = QLabel()
        self.source_label.setObjectName("note")
        self.source_label.setWordWrap(True)
        self.sort_box = QComboBox()
        for order, text in SORT_CHOICES:
            self.sort_box.addItem(text, order)
        self.sort_box.setToolTip(
            "Most useful to correct next: the cases the model is least sure about first "
            "(class probability spread under test-time augmentation, and segmentation "
            "uncertainty around the lesion). Correcting those teaches fine-tuning most."
        )
        self.table = QTreeWidget()
        self.table.setColumnCount(3)
        self.table.setHeaderLabels(["Case", "Status", "Useful"])
        self.table.headerItem().setToolTip(
            USEFUL_COLUMN, "Active-learning score: higher = more useful to correct next"
        )
        self.table.headerItem().setToolTip(
            1, f"Review status; {DRAFT_MARK} = {DRAFT_TIP}; {HELDOUT_MARK} = {HELDOUT_TIP}"
        )
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)  # errors are long
        header.resizeSection(1, STATUS_WIDTH)
        header.setSectionResizeMode(USEFUL_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Next / previous case: Ctrl+Right / Ctrl+Left or Page Down / Up")
        self.analyze_button = QPushButton("Analyze all")
        self.analyze_button.setToolTip("Run the model on every case of the list without AI yet")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the batch after the case being analysed")
        self.batch_bar = QProgressBar()
        self.batch_bar.setFormat("%v / %m")
        self.batch_bar.setTextVisible(True)
        self._batch_shown = False  # a batch ran: its last count stays in view...
        self._batch_source = ""  # ...while the list still shows what it ran on
        self.batch_running = False
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.source_label)
        sort_row = QHBoxLayout()
        sort_row.addWidget(QLabel("Sort"))
        sort_row.addWidget(self.sort_box, stretch=1)
        layout.addLayout(sort_row)
        layout.addWidget(self.table, stretch=1)
        batch_row = QHBoxLayout()
        batch_row.addWidget(self.analyze_button)
        batch_row.addWidget(self.batch_bar, stretch=1)
        batch_row.addWidget(self.cancel_button)
        layout.addLayout(batch_row)
        self.setWidget(body)
        self.setMinimumWidth(180)
        self.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.table.currentItemChanged.connect(self._on_current_item_changed)
        self.sort_box.activated.connect(
            lambda index: self.sort_requested.emit(self.sort_box.itemData(index))
        )
        self.analyze_button.clicked.connect(self.analyze_all_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.set_batch_running(False)
        cases.subscribe("cases_changed", self.refresh)
        cases.subscribe("order_changed", lambda _order: self.show_order())
        cases.subscribe("current_changed", lambda _index: self._select_current())
        self.refresh()

    # -- queries (tests, scripts) -------------------------------------------------------------

    def row_count(self) -> int:
        return self.table.topLevelItemCount()

    def current_row(self) -> int:
        item = self.table.currentItem()
        return self.table.indexOfTopLevelItem(item) if item is not None else -1

    def row_text(self, row: int) -> str:
        item = self.table.topLevelItem(row)
        return f"{item.text(0)} · {item.text(1)}"

    def row_heldout(self, row: int) -> bool:
        """Whether the row is marked as a held-out case."""
        entry = self.table.topLevelItem(row).data(0, Qt.ItemDataRole.UserRole)
        return bool(entry is not None and entry.heldout)

    def choose_row(self, row: int) -> None:
        """As a click on the row does."""
        self.table.setCurrentItem(self.table.topLevelItem(row))

    def row_names(self) -> list[str]:
        return [self.table.topLevelItem(r).text(0) for r in range(self.row_count())]

    def choose_order(self, order: str) -> None:
        """As picking it in the Sort box does."""
        index = self.sort_box.findData(order)
        self.sort_box.setCurrentIndex(index)
        self.sort_box.activated.emit(index)

    def batch_text(self) -> str:
        """The progress bar's text, e.g. "12 / 40" ("" before the first batch)."""
        return self.batch_bar.text() if self._batch_shown else ""

    # -- batch --------------------------------------------------------------------------------

    def set_batch_running(self, running: bool) -> None:
        """The bar stays visible after a batch with its last count; Cancel only while running."""
        self.batch_running = running
        self.analyze_button.setEnabled(not running and bool(self.cases.entries))
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.batch_bar.setVisible(running or self._batch_shown)

    def show_batch_progress(self, done: int, total: int) -> None:
        self.batch_bar.setRange(0, max(total, 1))
        self.batch_bar.setValue(done)
        self._batch_shown, self._batch_source = True, self.cases.source
        self.batch_bar.setVisible(True)

    # -- rendering ----------------------------------------------------------------------------

    def refresh(self) -> None:
        with QSignalBlocker(self.table):
            self.table.clear()
            for entry in self.cases.entries:
                self.table.addTopLevelItem(self._item(entry))
        count = len(self.cases.entries)
        source = self.cases.source
        if source:
            self.source_label.setText(f"{count} case{'s' if count != 1 else ''} · {source}")
            self.source_label.setToolTip(source)
        else:
            self.source_label.setText("File ▸ Open Folder… or File ▸ Datastore Cases")
        self.sort_box.setEnabled(count > 1)
        if not self.batch_running:
            self.analyze_button.setEnabled(count > 0)
            if self._batch_shown and source != self._batch_source:  # "3 / 3" of another folder
                self._batch_shown = False
                self.batch_bar.setVisible(False)
        self.show_order()
        self._select_current()

    def show_order(self) -> None:
        with QSignalBlocker(self.sort_box):
            self.sort_box.setCurrentIndex(self.sort_box.findData(self.cases.order))
        self.table.setColumnHidden(USEFUL_COLUMN, self.cases.order != USEFUL_ORDER)

    @staticmethod
    def _item(entry: CaseEntry) -> QTreeWidgetItem:
        score = "—" if entry.usefulness is None else f"{entry.usefulness:.2f}"
        item = QTreeWidgetItem([entry.name, entry.status, score])
        error = entry.status.startswith("error")
        colour = ERROR_COLOUR if error else STATUS_COLOURS.get(entry.status, "#dfe3e8")
        item.setForeground(1, QColor(colour))
        item.setToolTip(1, entry.status)
        item.setTextAlignment(USEFUL_COLUMN, Qt.AlignmentFlag.AlignRight)
        item.setToolTip(0, str(entry.path))
        item.setData(0, Qt.ItemDataRole.UserRole, entry)
        if entry.draft:
            item.setText(1, f"{entry.status} {DRAFT_MARK}")
            item.setToolTip(1, f"{entry.status}; {DRAFT_TIP}")
        if entry.heldout:
            item.setText(1, f"{item.text(1)} {HELDOUT_MARK}")
            for column in (0, 1):
                font = item.font(column)
                font.setItalic(True)
                item.setFont(column, font)
            item.setToolTip(0, f"{entry.path}\n{HELDOUT_TIP}")
            item.setToolTip(1, f"{item.toolTip(1)}; {HELDOUT_TIP}")
        if entry.usefulness is None and entry.status not in (NEW, AI_DONE):
            item.setToolTip(USEFUL_COLUMN, "already corrected")
        return item

    def _select_current(self) -> None:
        with QSignalBlocker(self.table):
            index = self.cases.current
            self.table.setCurrentItem(self.table.topLevelItem(index) if index >= 0 else None)

    def _on_current_item_changed(self, item: QTreeWidgetItem | None, _previous) -> None:  # noqa: ANN001
        row = self.table.indexOfTopLevelItem(item) if item is not None else -1
        if 0 <= row < len(self.cases.entries) and row != self.cases.current:
            self.case_chosen.emit(self.cases.entries[row])
            self._select_current()  # the selection follows the case actually open
