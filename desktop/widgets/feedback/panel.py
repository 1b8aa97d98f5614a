"""The Model & training dock: which model to fine-tune (the image model, the CT model, ...),
its active version, the registry's history, fine-tuning with live curves, and the gate's verdict.

A thin view of TrainingState (desktop.models.feedback.state): it renders the state's events and
forwards clicks; every button is enabled by one check on the state ("can fine-tune?",
"can roll back?"), and errors go to the window's error bar, never to a dialog.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.models.feedback.families import family_label
from desktop.models.feedback.state import (
    CANCELLED,
    DONE,
    FAILED,
    GATING,
    RUNNING,
    STARTING,
    TRAINING,
    TrainingState,
)
from desktop.models.feedback.summary import (
    PREVIOUS,
    active_model_fields,
    model_rows,
    verdict_explanation,
    verdict_headline,
    verdict_rows,
)
from desktop.widgets.feedback.runner import TrainingRunner
from desktop.widgets.image.findings_panel import WARNING_STYLE, section_title, value_label
from desktop.widgets.theme import BASE, MUTED
from engine.registry import ACTIVE, REJECTED

LOSS_COLOUR, DICE_COLOUR = "#ffb347", "#3ad6ff"
STATUS_COLOURS = {
    ACTIVE: "#63d297",
    PREVIOUS: "#3ad6ff",
    REJECTED: "#ff6b6b",
}
VERDICT_COLOURS = {True: "#63d297", False: "#ff6b6b"}
TOO_FEW_COLOUR = "#f0b429"  # not promoted for want of held-out cases: neither pass nor fail
HISTORY_COLUMNS = ["Model", "Status", "Dice", "Acc."]  # the rest is in the tooltip
VERDICT_HEADER = ["Held-out", "Before", "After", "Change (allowed drop)"]
FORM_FIELDS = ("Model", "Parent", "Held-out", "Training data", "Intended use")  # rest: tooltip
MAX_EPOCHS = 500
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class PanelBody(QWidget):
    """The dock's content inside its scroll area: it takes the height the dock has (down to
    its minimum) instead of the taller height its wrapped labels would prefer."""

    def heightForWidth(self, _width: int) -> int:  # noqa: N802 - Qt override
        return -1  # QScrollArea asks the layout, which answers with the preferred height


class TrainingPanel(QDockWidget):
    def __init__(
        self, state: TrainingState, runner: TrainingRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__("Model && training", parent)
        self.setObjectName("trainingDock")
        self.state, self.runner = state, runner
        body = PanelBody()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(16)
        layout.addLayout(self._build_model_column(), stretch=5)
        layout.addLayout(self._build_job_column(), stretch=3)
        layout.addLayout(self._build_verdict_column(), stretch=3)
        layout.addWidget(self._build_plot(), stretch=5)
        scroll = QScrollArea()  # a short screen scrolls the panel instead of squeezing the image
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(scroll)
        self.setAllowedAreas(
            Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.TopDockWidgetArea
        )

        state.subscribe("models_changed", self.show_models)
        state.subscribe("families_changed", self.show_families)
        state.subscribe("readiness_changed", lambda _reason: self.show_readiness())
        state.subscribe("job_changed", lambda _phase: self.show_job())
        state.subscribe("progress", lambda _event: self.show_progress())
        self.history.itemSelectionChanged.connect(self._sync_buttons)
        self.family_box.currentIndexChanged.connect(self._family_chosen)
        self.activate_button.clicked.connect(self._activate_selected)
        self.rollback_button.clicked.connect(state.rollback)
        self.finetune_button.clicked.connect(lambda: runner.start(self.epochs_box.value()))
        self.cancel_button.clicked.connect(runner.cancel)
        self.replay_button.clicked.connect(self.choose_replay_folder)
        self.replay_clear_button.clicked.connect(lambda: state.set_replay_folder(None))
        self.visibilityChanged.connect(lambda visible: visible and state.refresh())
        self.show_families()
        self.show_models()
        self.show_job()

    # -- construction -------------------------------------------------------------------------

    def _build_model_column(self) -> QVBoxLayout:
        self.family_box = QComboBox()
        self.family_box.setToolTip(
            "Which model the corrections fine-tune: 2D corrections train the image model, "
            "CT corrections the CT volume model, confirmed studies the study model of their "
            "views; each has its own history and rollback"
        )
        family_row = QHBoxLayout()
        family_row.addWidget(QLabel("Model to fine-tune"))
        family_row.addWidget(self.family_box, stretch=1)
        self.model_form = QFormLayout()
        self.model_form.setVerticalSpacing(2)
        self.model_values: dict[str, QLabel] = {}
        self.history = QTreeWidget()
        self.history.setColumnCount(len(HISTORY_COLUMNS))
        self.history.setHeaderLabels(HISTORY_COLUMNS)
        self.history.setRootIsDecorated(False)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.history.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(HISTORY_COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.activate_button = QPushButton("Activate")
        self.activate_button.setToolTip(
            "Make the selected model the one that analyses its kind of case"
        )
        self.rollback_button = QPushButton("Roll back")
        self.rollback_button.setToolTip("Back to the model that was active before this one")
        buttons = QHBoxLayout()
        buttons.addWidget(self.activate_button)
        buttons.addWidget(self.rollback_button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addLayout(family_row)
        column.addWidget(section_title("Active model"))
        column.addLayout(self.model_form)
        column.addWidget(section_title("Registry history"))
        column.addWidget(self.history, stretch=1)
        column.addLayout(buttons)
        return column

    def _build_job_column(self) -> QVBoxLayout:
        self.readiness_label = QLabel()
        self.readiness_label.setWordWrap(True)
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(1, MAX_EPOCHS)
        self.epochs_box.setValue(self.state.epochs)
        self.epochs_box.setSuffix(" epochs")
        self.finetune_button = QPushButton("Fine-tune on corrected cases")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the training process; nothing is registered")
        self.replay_label = QLabel()
        self.replay_label.setObjectName("note")
        self.replay_label.setWordWrap(True)
        self.replay_button = QPushButton("Replay data…")
        self.replay_button.setToolTip(
            "A folder of the data the active model was trained on (any data-set layout), "
            "mixed into every batch so that fine-tuning does not make it forget it"
        )
        self.replay_clear_button = QPushButton("Clear")
        self.replay_clear_button.setToolTip("Fine-tune without replaying that folder")
        replay = QHBoxLayout()
        replay.addWidget(self.replay_button)
        replay.addWidget(self.replay_clear_button)
        replay.addStretch(1)
        epochs = QHBoxLayout()
        epochs.addWidget(QLabel("Train for"))
        epochs.addWidget(self.epochs_box)
        epochs.addStretch(1)
        controls = QHBoxLayout()
        controls.addWidget(self.finetune_button, stretch=1)
        controls.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress_line = QLabel()
        self.progress_line.setObjectName("note")
        self.progress_line.setWordWrap(True)
        column = QVBoxLayout()
        column.addWidget(section_title("Fine-tune on corrected cases"))
        column.addWidget(self.readiness_label)
        column.addWidget(self.replay_label)
        column.addLayout(replay)
        column.addLayout(epochs)
        column.addLayout(controls)
        column.addWidget(self.progress)
        column.addWidget(self.progress_line)
        column.addStretch(1)
        return column

    def _build_verdict_column(self) -> QVBoxLayout:
        self.verdict_label = QLabel()
        self.verdict_label.setWordWrap(True)
        self.verdict_grid = QGridLayout()
        self.verdict_grid.setHorizontalSpacing(14)
        self.verdict_grid.setVerticalSpacing(2)
        self._verdict_labels: list[list[QLabel]] = []
        for r, texts in enumerate([VERDICT_HEADER, [""] * 4, [""] * 4]):
            labels = []
            for c, text in enumerate(texts):
                label = QLabel(text)
                label.setObjectName("note" if r == 0 else "")
                if c:
                    label.setAlignment(RIGHT)
                self.verdict_grid.addWidget(label, r, c)
                labels.append(label)
            if r:
                self._verdict_labels.append(labels)
        self.verdict_box = QWidget()
        self.verdict_box.setLayout(self.verdict_grid)
        self.verdict_grid.setContentsMargins(0, 0, 0, 0)
        self.verdict_reasons = QLabel()
        self.verdict_reasons.setObjectName("note")
        self.verdict_reasons.setWordWrap(True)
        column = QVBoxLayout()
        column.addWidget(section_title("Gate verdict"))
        column.addWidget(self.verdict_label)
        column.addWidget(self.verdict_box)
        column.addWidget(self.verdict_reasons)
        column.addStretch(1)
        return column

    def _build_plot(self) -> pg.PlotWidget:
        self.plot = pg.PlotWidget(background=BASE)
        self.plot.setMinimumWidth(260)
        item = self.plot.getPlotItem()
        item.setTitle(  # the title is the legend: a legend box would cover the curves
            f"<span style='color:{LOSS_COLOUR}'>● training loss</span>&nbsp;&nbsp;&nbsp;"
            f"<span style='color:{DICE_COLOUR}'>▲ held-out Dice</span>"
            f"<span style='color:{MUTED}'>&nbsp;&nbsp;per epoch</span>",
            size="10pt",
        )
        item.showGrid(x=True, y=True, alpha=0.15)
        for name, text in (("bottom", "epoch"), ("left", "loss · Dice")):
            axis = item.getAxis(name)
            axis.setLabel(text, color=MUTED)
            axis.setTextPen(MUTED)
            axis.setPen(MUTED)
        self.loss_curve = item.plot(
            [],
            [],
            pen=pg.mkPen(LOSS_COLOUR, width=2),
            symbol="o",
            symbolSize=7,
            symbolBrush=LOSS_COLOUR,
            symbolPen=None,
        )
        self.dice_curve = item.plot(
            [],
            [],
            pen=pg.mkPen(DICE_COLOUR, width=2),
            symbol="t1",
            symbolSize=8,
            symbolBrush=DICE_COLOUR,
            symbolPen=None,
        )
        item.setYRange(0.0, 1.0, padding=0.05)
        item.setXRange(0.5, self.state.epochs + 0.5, padding=0)
        item.setMouseEnabled(x=False, y=False)
        return self.plot

    # -- state -> widgets ---------------------------------------------------------------------

    def show_families(self) -> None:
        """The families on offer in the box, the state's choice selected."""
        state = self.state
        with QSignalBlocker(self.family_box):
            self.family_box.clear()
            for family in state.families:
                self.family_box.addItem(family_label(family), family)
            self.family_box.setCurrentIndex(max(0, self.family_box.findData(state.family)))
        self._sync_buttons()

    def _family_chosen(self, index: int) -> None:
        family = self.family_box.itemData(index)
        if family is not None and not self.state.set_family(family):
            self.show_families()  # refused (a job is running): show the family in use

    def show_models(self) -> None:
        state = self.state
        for _ in range(self.model_form.rowCount()):
            self.model_form.removeRow(0)
        self.model_values = {}
        if state.active_bundle is not None:
            fields = dict(active_model_fields(state.active_bundle, state.active_entry))
            details = "\n".join(f"{name}: {text}" for name, text in fields.items())
            for name in FORM_FIELDS:
                value = value_label()
                value.setText(fields[name])
                value.setToolTip(details)
                self.model_form.addRow(name, value)
                self.model_values[name] = value
        selected = self.selected_model()
        rows = model_rows(state.entries, state.previous_id, state.metrics_of)
        with QSignalBlocker(self.history):
            self.history.clear()
            for row in rows:
                item = QTreeWidgetItem([row.model_id, row.status, row.dice, row.accuracy])
                item.setData(0, Qt.ItemDataRole.UserRole, row)
                item.setForeground(1, QColor(STATUS_COLOURS.get(row.status, MUTED)))
                for column in (2, 3):
                    item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
                for column in range(len(HISTORY_COLUMNS)):
                    item.setToolTip(
                        column, f"{row.model_id}\nregistered: {row.registered}\n{row.detail}"
                    )
                self.history.addTopLevelItem(item)
                if row.model_id == selected:
                    self.history.setCurrentItem(item)
        self._sync_buttons()

    def show_readiness(self) -> None:
        state = self.state
        self.replay_label.setText(state.replay_text())
        needed = state.replay_choice_needed()
        self.replay_button.setVisible(needed)
        self.replay_clear_button.setVisible(needed and state.replay_folder() is not None)
        self.readiness_label.setText(state.readiness_text())
        self.readiness_label.setStyleSheet(WARNING_STYLE if state.readiness else "")
        self.finetune_button.setToolTip(state.readiness_text())
        self._sync_buttons()

    def show_job(self) -> None:
        state = self.state
        if state.phase == STARTING:
            self.loss_curve.setData([], [])
            self.dice_curve.setData([], [])
        self._show_verdict()
        self.show_progress()
        self.show_readiness()

    def show_progress(self) -> None:
        state = self.state
        if state.phase in (STARTING, GATING):
            self.progress.setRange(0, 0)  # busy: no fraction to show
        else:
            self.progress.setRange(0, max(1, state.epochs_total))
            self.progress.setValue(state.epoch)
        self.progress.setFormat(state.progress_text())
        self.progress.setToolTip(state.progress_text())
        self.progress_line.setText(state.last_text)
        if state.curve_epochs:
            self.loss_curve.setData(state.curve_epochs, state.losses)
            self.dice_curve.setData(state.curve_epochs, state.dices)
            top = max(1.0, max(state.losses), max(state.dices))
            self.plot.getPlotItem().setYRange(0.0, top, padding=0.05)
        if state.epochs_total:
            self.plot.getPlotItem().setXRange(0.5, state.epochs_total + 0.5, padding=0)
        self._sync_buttons()

    def _show_verdict(self) -> None:
        verdict = self.state.verdict if self.state.phase == DONE else None
        self.verdict_box.setVisible(verdict is not None)
        self.verdict_reasons.setText("")
        if verdict is None:
            waiting = {
                STARTING: "Waiting for the training to end.",
                TRAINING: "Waiting for the training to end.",
                GATING: "Scoring the candidate and the active model on the held-out cases…",
                CANCELLED: "Cancelled: no candidate was registered.",
                FAILED: "Failed: no candidate was registered (see the error bar).",
            }
            self.verdict_label.setText(
                waiting.get(
                    self.state.phase,
                    "After fine-tuning, the candidate becomes active only if, on enough "
                    "held-out cases, its per-case score (Dice; the probability of the "
                    "reader's class for a model that outlines nothing) is confidently not "
                    "worse than the active model's (paired bootstrap) and its accuracy not "
                    "worse.",
                )
            )
            self.verdict_label.setStyleSheet("")
            return
        self.verdict_label.setText(verdict_headline(verdict))
        colour = TOO_FEW_COLOUR if verdict.too_few_cases else VERDICT_COLOURS[verdict.promoted]
        self.verdict_label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        for labels, row in zip(self._verdict_labels, verdict_rows(verdict), strict=True):
            for label, text in zip(labels, row, strict=True):
                label.setText(text)
        self.verdict_reasons.setText(verdict_explanation(verdict))

    def _sync_buttons(self) -> None:
        state = self.state
        running = state.phase in RUNNING
        self.finetune_button.setEnabled(state.readiness is None)
        self.epochs_box.setEnabled(not running)
        self.family_box.setEnabled(not running and len(state.families) > 1)
        self.cancel_button.setEnabled(
            state.phase in (STARTING, TRAINING) and not state.cancel_requested
        )
        row = self._selected_row()
        self.activate_button.setEnabled(row is not None and row.can_activate and not running)
        self.rollback_button.setEnabled(state.can_roll_back)
        self.rollback_button.setText(
            f"Roll back to {state.previous_id}" if state.previous_id else "Roll back"
        )

    # -- queries and actions (tests, scripts) -------------------------------------------------

    def choose_replay_folder(self) -> bool:
        """Ask for the folder of the active model's training data; True when one was set."""
        start = self.state.replay_folder()
        folder = QFileDialog.getExistingDirectory(
            self, "Replay data: the active model's training data", str(start or "")
        )
        return bool(folder) and self.state.set_replay_folder(folder)

    def _selected_row(self):  # noqa: ANN202 - ModelRow | None
        item = self.history.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def selected_model(self) -> str | None:
        row = self._selected_row()
        return row.model_id if row is not None else None

    def select_model(self, model_id: str) -> bool:
        for index in range(self.history.topLevelItemCount()):
            item = self.history.topLevelItem(index)
            if item.text(0) == model_id:
                self.history.setCurrentItem(item)
                return True
        return False

    def history_rows(self) -> list[tuple[str, str, str, str]]:
        """(model id, status, Dice, accuracy) as shown, newest first."""
        rows = []
        for index in range(self.history.topLevelItemCount()):
            item = self.history.topLevelItem(index)
            rows.append((item.text(0), item.text(1), item.text(2), item.text(3)))
        return rows

    def model_value(self, name: str) -> str:
        label = self.model_values.get(name)
        return label.text() if label is not None else ""

    def verdict_cells(self) -> list[list[str]]:
        """The verdict's Dice and accuracy rows as shown (metric, before, after, change)."""
        return [[label.text() for label in labels] for labels in self._verdict_labels]

    def _activate_selected(self) -> None:
        model_id = self.selected_model()
        if model_id is not None:
            self.state.activate(model_id)
