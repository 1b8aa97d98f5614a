"""PACS ▸ Nodes…: the user's PACS nodes: a list on the left, the chosen node's settings on
the right (DICOMweb URL with optional basic/bearer auth, or AE title/host/port; our own AE
title; timeout), "Test connection" (C-ECHO or a QIDO search, on a worker thread), Save and
Delete. The password or token field never shows its text; the file is the user's only.
Field logic lives in desktop.models.pacs.node_form.
"""

from __future__ import annotations

from PySide6.QtCore import QThreadPool, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models.pacs.node_form import DICOMWEB, DIMSE, NodeForm
from desktop.widgets.worker import GeneratorJob
from engine.errors import LesionLensError
from engine.pacs import NodeBook, check_connection

AUTH_TITLES = {"none": "None", "basic": "HTTP basic (user + password)", "bearer": "Bearer token"}
NEW_NODE = "(new node)"


def connection_steps(node):  # noqa: ANN001, ANN201
    yield f"Testing {node.name}…"
    return check_connection(node)


class PacsNodeDialog(QDialog):
    def __init__(self, book: NodeBook, current: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("PACS nodes")
        self.resize(720, 430)
        self.book = book
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.job: GeneratorJob | None = None
        self.editing: str | None = None  # the saved name of the node on the form

        self.node_list = QListWidget()
        self.node_list.setMaximumWidth(200)
        self.node_list.currentTextChanged.connect(self._show_node)
        self.new_button = QPushButton("New")
        self.new_button.clicked.connect(self.new_node)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_node)

        self.name_edit = QLineEdit()
        self.web_radio = QRadioButton("DICOMweb")
        self.dimse_radio = QRadioButton("DICOM (C-FIND / C-GET / C-STORE)")
        self.kind_group = QButtonGroup(self)
        self.kind_group.addButton(self.web_radio)
        self.kind_group.addButton(self.dimse_radio)
        self.web_radio.setChecked(True)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://pacs.example.org/dicom-web")
        self.auth_combo = QComboBox()
        for kind, title in AUTH_TITLES.items():
            self.auth_combo.addItem(title, kind)
        self.auth_combo.currentIndexChanged.connect(self._sync_auth)
        self.user_edit = QLineEdit()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.aet_edit = QLineEdit()
        self.aet_edit.setPlaceholderText("the PACS AE title, e.g. ORTHANC")
        self.host_edit = QLineEdit()
        self.port_edit = QLineEdit()
        self.port_edit.setPlaceholderText("104")
        self.our_aet_edit = QLineEdit()
        self.timeout_edit = QLineEdit()

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.accept)
        self.message = QLabel()
        self.message.setWordWrap(True)

        kinds = QHBoxLayout()
        kinds.addWidget(self.web_radio)
        kinds.addWidget(self.dimse_radio)
        kinds.addStretch(1)
        self.form_layout = form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Protocol", kinds)
        form.addRow("DICOMweb URL", self.url_edit)
        form.addRow("Authentication", self.auth_combo)
        form.addRow("User", self.user_edit)
        form.addRow("Password / token", self.secret_edit)
        form.addRow("PACS AE title", self.aet_edit)
        form.addRow("Host", self.host_edit)
        form.addRow("Port", self.port_edit)
        form.addRow("Our AE title", self.our_aet_edit)
        form.addRow("Timeout (s)", self.timeout_edit)
        self.web_rows = (self.url_edit, self.auth_combo, self.user_edit, self.secret_edit)
        self.dimse_rows = (self.aet_edit, self.host_edit, self.port_edit)
        settings = QVBoxLayout()
        settings.addLayout(form)
        settings.addStretch(1)
        settings.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        settings.addLayout(buttons)

        left = QVBoxLayout()
        left.addWidget(self.node_list, stretch=1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        left.addLayout(row)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(settings, stretch=1)

        self.web_radio.toggled.connect(self._sync_kind)
        self._fill_list(current)
        if self.node_list.count() == 0:
            self.new_node()

    # -- the form ------------------------------------------------------------------------

    def form(self) -> NodeForm:
        return NodeForm(
            name=self.name_edit.text(),
            kind=DICOMWEB if self.web_radio.isChecked() else DIMSE,
            url=self.url_edit.text(),
            auth_kind=self.auth_combo.currentData(),
            username=self.user_edit.text(),
            secret=self.secret_edit.text(),
            ae_title=self.aet_edit.text(),
            host=self.host_edit.text(),
            port=self.port_edit.text(),
            calling_ae_title=self.our_aet_edit.text(),
            timeout_s=self.timeout_edit.text(),
        )

    def set_form(self, form: NodeForm) -> None:
        self.name_edit.setText(form.name)
        (self.web_radio if form.kind == DICOMWEB else self.dimse_radio).setChecked(True)
        self.url_edit.setText(form.url)
        self.auth_combo.setCurrentIndex(max(0, self.auth_combo.findData(form.auth_kind)))
        self.user_edit.setText(form.username)
        self.secret_edit.setText(form.secret)
        self.aet_edit.setText(form.ae_title)
        self.host_edit.setText(form.host)
        self.port_edit.setText(form.port)
        self.our_aet_edit.setText(form.calling_ae_title)
        self.timeout_edit.setText(form.timeout_s)
        self._sync_kind()
        self._sync_auth()

    def _sync_kind(self) -> None:
        web = self.web_radio.isChecked()
        for widget in self.web_rows:
            self.form_layout.setRowVisible(widget, web)
        for widget in self.dimse_rows:
            self.form_layout.setRowVisible(widget, not web)

    def _sync_auth(self) -> None:
        kind = self.auth_combo.currentData()
        self.user_edit.setEnabled(kind == "basic")
        self.secret_edit.setEnabled(kind != "none")

    def _fill_list(self, current: str = "") -> None:
        try:
            names = list(self.book.load())
        except LesionLensError as exc:
            names = []
            self.show_message(str(exc), error=True)
        self.node_list.blockSignals(True)
        self.node_list.clear()
        self.node_list.addItems(names)
        self.node_list.blockSignals(False)
        if names:
            self.node_list.setCurrentRow(names.index(current) if current in names else 0)

    def _show_node(self, name: str) -> None:
        try:
            node = self.book.load().get(name)
        except LesionLensError as exc:
            self.show_message(str(exc), error=True)
            return
        if node is not None:
            self.editing = name
            self.set_form(NodeForm.of(node))
            self.show_message("")

    # -- actions -------------------------------------------------------------------------

    def new_node(self) -> None:
        self.node_list.clearSelection()
        self.editing = None
        self.set_form(NodeForm())
        self.name_edit.setFocus()
        self.show_message("A new node: fill in the settings, test, then Save")

    def save(self) -> bool:
        try:
            node = self.book.save(self.form().node(), replace_name=self.editing)
        except LesionLensError as exc:
            self.show_message(str(exc), error=True)
            return False
        self.editing = node.name
        self._fill_list(node.name)
        self.show_message(f"Saved {node.name} ({node.kind}: {node.address})")
        return True

    def delete_node(self) -> bool:
        if self.editing is None:
            return False
        try:
            self.book.remove(self.editing)
        except LesionLensError as exc:
            self.show_message(str(exc), error=True)
            return False
        self.show_message(f"Deleted {self.editing}")
        self.editing = None
        self._fill_list()
        if self.node_list.count() == 0:
            self.new_node()
        return True

    def test_connection(self) -> bool:
        """Tests the settings on the form (saved or not) on a worker thread."""
        try:
            node = self.form().node()
        except LesionLensError as exc:
            self.show_message(str(exc), error=True)
            return False
        job = GeneratorJob(lambda: connection_steps(node), "test")
        job.signals.progress.connect(self.show_message)
        job.signals.succeeded.connect(self._on_tested)
        job.signals.failed.connect(self._on_test_failed)
        job.signals.finished.connect(self._on_test_finished)
        self.job = job
        self.test_button.setEnabled(False)
        self.pool.start(job)
        return True

    @Slot(object, object)
    def _on_tested(self, _tag: str, text: str) -> None:
        self.show_message(f"✓ {text}")

    @Slot(object, object)
    def _on_test_failed(self, _tag: str, error: BaseException) -> None:
        text = str(error) if isinstance(error, LesionLensError) else repr(error)
        self.show_message(f"✗ {text}", error=True)

    @Slot()
    def _on_test_finished(self) -> None:
        self.job = None
        self.test_button.setEnabled(True)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #e06c60;" if error else "")
