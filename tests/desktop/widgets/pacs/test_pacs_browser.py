"""File ▸ PACS… and Send to PACS with real clicks against the real Orthanc (tests/conftest.py):
node editor with Test connection, search with study and series rows, retrieve into the data
root and the case list, a failure shown as one line, and SEG + SR + key image stored back."""

from __future__ import annotations

from pathlib import Path

import pydicom
from PySide6.QtCore import Qt, QTimer

from desktop.main_window import MainWindow
from desktop.widgets.pacs.browser import UID_COLUMN, PacsBrowser
from desktop.widgets.pacs.node_dialog import PacsNodeDialog
from engine.pacs import HttpAuth, NodeBook, PacsNode, Secret

US_STUDY = "1.3.6.1.4.1.5962.1.2.13.20040826185059.5457"
NET_TIMEOUT_MS = 20_000
ANALYSIS_TIMEOUT_MS = 15_000


def click(qtbot, widget) -> None:  # noqa: ANN001
    assert widget.isEnabled(), widget.toolTip()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def save_nodes(orthanc) -> NodeBook:  # noqa: ANN001
    book = NodeBook()  # in the test's LESIONLENS_HOME (desktop conftest)
    auth = HttpAuth("basic", orthanc.username, Secret(orthanc.password))
    book.save(PacsNode("orthanc-web", dicomweb_url=orthanc.dicomweb_url, auth=auth))
    book.save(PacsNode("orthanc-dicom", ae_title=orthanc.aet, host="127.0.0.1",
                       port=orthanc.dicom_port))  # fmt: skip
    return book


def test_node_dialog_tests_and_saves_a_node(qtbot, orthanc) -> None:  # noqa: ANN001
    book = NodeBook()
    dialog = PacsNodeDialog(book)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name_edit, "ward-pacs")
    click(qtbot, dialog.dimse_radio)
    assert dialog.aet_edit.isVisible() and not dialog.url_edit.isVisible()
    qtbot.keyClicks(dialog.aet_edit, "WRONG")
    qtbot.keyClicks(dialog.host_edit, "127.0.0.1")
    qtbot.keyClicks(dialog.port_edit, str(orthanc.dicom_port))
    click(qtbot, dialog.test_button)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("✗"), timeout=NET_TIMEOUT_MS)
    assert "PACS ward-pacs: association rejected" in dialog.message.text()

    dialog.aet_edit.clear()
    qtbot.keyClicks(dialog.aet_edit, orthanc.aet)
    qtbot.waitUntil(dialog.test_button.isEnabled)
    click(qtbot, dialog.test_button)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("✓"), timeout=NET_TIMEOUT_MS)
    assert "C-ECHO" in dialog.message.text()
    click(qtbot, dialog.save_button)
    assert book.get("ward-pacs").port == orthanc.dicom_port

    click(qtbot, dialog.new_button)
    qtbot.keyClicks(dialog.name_edit, "web")
    qtbot.keyClicks(dialog.url_edit, orthanc.dicomweb_url)
    dialog.auth_combo.setCurrentIndex(dialog.auth_combo.findData("basic"))
    qtbot.keyClicks(dialog.user_edit, orthanc.username)
    qtbot.keyClicks(dialog.secret_edit, orthanc.password)
    assert dialog.secret_edit.echoMode() == dialog.secret_edit.EchoMode.Password
    click(qtbot, dialog.test_button)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("✓"), timeout=NET_TIMEOUT_MS)
    click(qtbot, dialog.save_button)
    assert set(book.load()) == {"ward-pacs", "web"}
    assert orthanc.password not in dialog.message.text()


def test_search_retrieve_and_open_in_the_case_list(
    qtbot, orthanc, window: MainWindow, vendor_us: Path, vendor_cine: Path
) -> None:  # noqa: ANN001
    orthanc.upload(vendor_us)
    orthanc.upload(vendor_cine)
    save_nodes(orthanc)
    window.pacs_action.trigger()
    browser = window.pacs_browser
    assert isinstance(browser, PacsBrowser) and browser.isVisible()
    for node in ("orthanc-dicom", "orthanc-web"):  # the same search over C-FIND and QIDO-RS
        browser.node_combo.setCurrentText(node)
        browser.patient_id_edit.clear()
        qtbot.keyClicks(browser.patient_id_edit, "13US1")
        browser.modality_combo.setCurrentText("US")
        click(qtbot, browser.search_button)
        qtbot.waitUntil(lambda: not browser.state.busy, timeout=NET_TIMEOUT_MS)
        assert browser.results.topLevelItemCount() == 1, browser.message.text()
        study = browser.results.topLevelItem(0)
        assert study.text(0) == "13US1" and study.text(2) == "2004-08-26"
        assert study.childCount() == 1 and study.child(0).text(3) == "US"
        assert study.text(UID_COLUMN) == US_STUDY

    assert not browser.retrieve_button.isEnabled()  # nothing selected yet
    rect = browser.results.visualItemRect(study)
    qtbot.mouseClick(browser.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(browser.studies_retrieved, timeout=NET_TIMEOUT_MS):
        click(qtbot, browser.retrieve_button)
    assert browser.progress.value() == browser.progress.maximum() == 1
    home = Path(NodeBook().path).parent.parent
    (entry,) = window.cases.entries
    assert entry.path.is_relative_to(home / "pacs" / US_STUDY)
    qtbot.waitUntil(lambda: window.state.path == entry.path, timeout=NET_TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    assert window.cases.source == "PACS"


def test_a_pacs_failure_is_one_line_and_the_window_keeps_running(
    qtbot, silent_pacs_port: int
) -> None:  # noqa: ANN001
    book = NodeBook()
    book.save(PacsNode("hung", ae_title="PACS", host="127.0.0.1", port=silent_pacs_port,
                       timeout_s=1.0))  # fmt: skip
    browser = PacsBrowser()
    qtbot.addWidget(browser)
    browser.show()
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    click(qtbot, browser.search_button)
    assert browser.state.busy and browser.cancel_button.isEnabled()
    assert not browser.search_button.isEnabled()
    qtbot.waitUntil(lambda: not browser.state.busy, timeout=NET_TIMEOUT_MS)
    timer.stop()
    assert len(ticks) >= 20  # the event loop ran all through the 1 s the PACS kept silent
    assert browser.message.text().startswith("PACS hung: no answer from ")
    assert "(timeout)" in browser.message.text()
    assert browser.search_button.isEnabled() and browser.results.topLevelItemCount() == 0


def test_send_to_pacs_from_the_export_dialog(
    qtbot, orthanc, window: MainWindow, vendor_us: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    save_nodes(orthanc)
    window.open_path(vendor_us)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    dialog = window.open_export_dialog()
    for box in dialog.output_boxes.values():
        box.setChecked(False)
    dialog.folder_edit.setText(str(tmp_path / "out"))
    assert not dialog.node_combo.isEnabled()
    click(qtbot, dialog.send_box)
    dialog.node_combo.setCurrentText("orthanc-dicom")
    assert "De-identified" in dialog.pacs_note.text()
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=NET_TIMEOUT_MS)
    assert any(note.startswith("Sent 3 to orthanc-dicom") for note in window.last_export.notes)

    stored = [orthanc.rest("GET", f"/instances/{i}/simplified-tags")
              for i in orthanc.rest("GET", "/instances")]  # fmt: skip
    assert sorted(tags["Modality"] for tags in stored) == ["OT", "SEG", "SR"]  # OT: key image SC
    assert all(tags["PatientID"] != "13US1" for tags in stored)  # de-identified by default
    assert len({tags["StudyInstanceUID"] for tags in stored}) == 1
    assert all(tags["StudyInstanceUID"] != US_STUDY for tags in stored)
    key = next(p for p in window.last_export.written if p.name == f"{dialog.pseudonym}_key_sc.dcm")
    assert pydicom.dcmread(key).SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"


def test_cancel_keeps_what_arrived_and_retrieve_again_resumes(
    qtbot, orthanc, vendor_us: Path, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    import engine.pacs.retrieve as retrieve_module

    orthanc.upload(vendor_us)
    for k in range(2, 7):
        copy = pydicom.dcmread(vendor_us)
        copy.SOPInstanceUID = copy.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
        copy.InstanceNumber = k
        copy.save_as(tmp_path / f"{k}.dcm", enforce_file_format=True)
        orthanc.upload(tmp_path / f"{k}.dcm")
    save_nodes(orthanc)
    write = retrieve_module.write_bytes_atomic

    def slow_write(path, data):  # noqa: ANN001, ANN202 - a slow disk, so Cancel lands mid-way
        import time

        time.sleep(0.3)
        return write(path, data)

    monkeypatch.setattr(retrieve_module, "write_bytes_atomic", slow_write)
    browser = PacsBrowser()
    qtbot.addWidget(browser)
    browser.show()
    browser.node_combo.setCurrentText("orthanc-dicom")
    click(qtbot, browser.search_button)
    qtbot.waitUntil(lambda: browser.results.topLevelItemCount() == 1, timeout=NET_TIMEOUT_MS)
    browser.results.topLevelItem(0).setSelected(True)
    # The rows arrive before the search job ends; Retrieve is enabled once it has ended.
    qtbot.waitUntil(browser.retrieve_button.isEnabled, timeout=NET_TIMEOUT_MS)
    retrieved = []
    browser.studies_retrieved.connect(retrieved.append)
    click(qtbot, browser.retrieve_button)
    qtbot.waitUntil(lambda: browser.progress.value() >= 1, timeout=NET_TIMEOUT_MS)
    assert browser.progress.maximum() == 6
    click(qtbot, browser.cancel_button)
    qtbot.waitUntil(lambda: not browser.state.busy, timeout=NET_TIMEOUT_MS)
    assert browser.message.text().startswith("Retrieve cancelled")
    assert retrieved == []
    folder = Path(NodeBook().path).parent.parent / "pacs" / US_STUDY
    have = len(list(folder.glob("*/*.dcm")))
    assert 1 <= have < 6 and not (folder / "study.json").exists()

    monkeypatch.setattr(retrieve_module, "write_bytes_atomic", write)
    with qtbot.waitSignal(browser.studies_retrieved, timeout=NET_TIMEOUT_MS):
        click(qtbot, browser.retrieve_button)
    assert f"({have} were already here)" in browser.message.text()
    ((study,),) = retrieved  # one retrieve, one study
    assert len(study.files) == 6 and study.reused == have


def test_retrieved_entries_are_images_named_from_their_header(vendor_us: Path, tmp_path) -> None:  # noqa: ANN001
    from desktop.models.pacs.browser import retrieved_entries
    from engine.pacs import RetrievedStudy

    series = tmp_path / "study" / "1.2.3"
    series.mkdir(parents=True)
    for number, modality in ((1, "US"), (2, "US"), (3, "SEG")):
        ds = pydicom.dcmread(vendor_us)
        ds.InstanceNumber, ds.Modality = number, modality
        ds.save_as(series / f"{number}.dcm", enforce_file_format=True)
    study = RetrievedStudy("1.2", tmp_path / "study", (), 3, 0, 0)
    names = [entry.name for entry in retrieved_entries([study])]
    assert names == ["13US1 · US 1.1", "13US1 · US 1.2"]


def test_a_failed_send_keeps_the_export_and_says_why(
    qtbot, window: MainWindow, vendor_us: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    NodeBook().save(PacsNode("gone", ae_title="PACS", host="127.0.0.1", port=port))
    window.open_path(vendor_us)
    qtbot.waitUntil(lambda: window.state.analysis is not None, timeout=ANALYSIS_TIMEOUT_MS)
    dialog = window.open_export_dialog()
    dialog.folder_edit.setText(str(tmp_path / "out"))
    click(qtbot, dialog.send_box)
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=NET_TIMEOUT_MS)
    assert (tmp_path / "out" / f"{dialog.pseudonym}_seg.dcm").is_file()
    assert window.error_bar.message().startswith("Not sent: PACS gone: nothing listens on")


def test_send_a_volume_seg_to_pacs(
    qtbot, orthanc, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    """CT: the SEG and the CT series it references (converted from the NIfTI) go to the PACS
    (the labels come from a stand-in model here; the shipped one is tested elsewhere)."""
    from types import SimpleNamespace

    import numpy as np

    import desktop.pages.volume as volume_mode
    from engine.synth.nifti_out import write_nifti
    from engine.types import VolumePrediction

    shape = (6, 32, 32)
    path = write_nifti(tmp_path / "kidney.nii.gz", np.full(shape, 40, np.int16), (3.0, 1.0, 1.0))
    labels = np.zeros(shape, np.uint8)
    labels[2:4, 8:20, 8:20] = 1
    prediction = VolumePrediction(
        labels=labels,
        label_names=("background", "kidney", "tumour"),
        probabilities={"benign": 0.7, "malignant": 0.3},
        volumes_ml={"kidney": 0.864, "tumour": 0.0},
        model_id="kidney-ct-test",
    )

    def fake_steps(_request):  # noqa: ANN001, ANN202
        yield "Segmenting…"
        return prediction

    spec = SimpleNamespace(
        model_id="kidney-ct-test",
        version="1",
        classes=("benign", "malignant"),
        intended_use="research use",
        card={"training_data": "SYNTHETIC"},
    )
    bundle = SimpleNamespace(directory=tmp_path, spec=spec)
    monkeypatch.setattr(volume_mode, "default_bundle", lambda *_a, **_k: bundle)
    monkeypatch.setattr(volume_mode, "volume_analysis_steps", fake_steps)
    save_nodes(orthanc)
    assert window.open_path(path) and window.volume_mode.analyze()
    session = window.volume_mode.session
    qtbot.waitUntil(lambda: session.prediction is not None, timeout=NET_TIMEOUT_MS)
    dialog = window.open_export_dialog()
    assert dialog.send_box.text() == "Send to PACS (SEG)"
    for box in dialog.output_boxes.values():
        box.setChecked(False)
    dialog.folder_edit.setText(str(tmp_path / "out"))
    click(qtbot, dialog.send_box)
    dialog.node_combo.setCurrentText("orthanc-web")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    qtbot.waitUntil(lambda: window.volume_mode.last_export is not None, timeout=NET_TIMEOUT_MS)
    assert any(n.startswith("Sent 7 to orthanc-web") for n in window.volume_mode.last_export.notes)
    stored = [orthanc.rest("GET", f"/instances/{i}/simplified-tags")["Modality"]
              for i in orthanc.rest("GET", "/instances")]  # fmt: skip
    assert sorted(stored) == ["CT"] * 6 + ["SEG"]
