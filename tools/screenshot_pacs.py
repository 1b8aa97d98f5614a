"""Screenshots of the PACS browser, the node editor and Send to PACS, against a private
Orthanc on loopback (tools/orthanc_server.py) holding real vendor ultrasound images
(pydicom-data) and a small synthetic CT series.

    xvfb-run -a -s "-screen 0 1400x1000x24" python tools/screenshot_pacs.py [--out DIR]

    docs/screenshots/pacs_browser.png      search results: studies with their series rows
    docs/screenshots/pacs_retrieved.png    the retrieved study open in the case list
    docs/screenshots/pacs_nodes.png        the node editor after "Test connection"
    docs/screenshots/pacs_send.png         File ▸ Export… with "Send to PACS" ticked
    docs/screenshots/pacs_error.png        a PACS that is down: one line naming node and reason
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from tools.orthanc_server import OrthancServer  # noqa: E402

SHOTS = ROOT / "docs" / "screenshots"


def write_ct(folder: Path, slices: int = 12, size: int = 128) -> None:
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    yy, xx = np.mgrid[:size, :size]
    body = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size * 0.42) ** 2) * 1060
    for k in range(slices):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.PatientName, ds.PatientID = "DEMO^KIDNEY", "DEMO-CT-7"
        ds.StudyDate, ds.StudyTime, ds.AccessionNumber = "20260314", "093000", "ACC20260314"
        ds.StudyDescription, ds.SeriesDescription = "CT abdomen", "Axial 5 mm"
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", 2, k + 1
        ds.ImagePositionPatient = [0.0, 0.0, 5.0 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [2.5, 2.5], 5.0
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.PixelData = body.astype(np.int16).tobytes()
        ds.save_as(folder / f"ct{k:02d}.dcm", enforce_file_format=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHOTS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lesionlens-pacs-shots-") as tmp:
        os.environ["LESIONLENS_HOME"] = str(Path(tmp) / "home")
        with OrthancServer(Path(tmp) / "orthanc") as pacs:
            return shoot(pacs, Path(tmp), args.out)


def shoot(pacs: OrthancServer, tmp: Path, out: Path) -> int:
    from pydicom.data import get_testdata_file

    from desktop.app import configure_qt
    from desktop.main_window import DISCARD, MainWindow
    from desktop.models.image.state import CaseState
    from desktop.models.reading.review_store import ReviewStore
    from desktop.widgets.theme import apply_dark_theme
    from engine.pacs import HttpAuth, NodeBook, PacsNode, Secret
    from tools.screenshot import ScreenshotError, Shooter, settle, wait_until, with_dialog

    for name in ("US1_UNCR.dcm", "OBXXXX1A.dcm"):
        pacs.upload(get_testdata_file(name))
    write_ct(tmp / "ct")
    for path in sorted((tmp / "ct").glob("*.dcm")):
        pacs.upload(path)
    book = NodeBook()
    auth = HttpAuth("basic", pacs.username, Secret(pacs.password))
    book.save(PacsNode("Radiology (DICOMweb)", dicomweb_url=pacs.dicomweb_url, auth=auth))
    book.save(PacsNode("Radiology (DICOM)", ae_title=pacs.aet, host="127.0.0.1",
                       port=pacs.dicom_port, calling_ae_title="LL-WS-03"))  # fmt: skip
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        down_port = sock.getsockname()[1]
    book.save(PacsNode("Old archive", ae_title="ARCHIVE", host="127.0.0.1", port=down_port))

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("LesionLens")
    apply_dark_theme(app)
    configure_qt()
    window = MainWindow(CaseState(), ReviewStore(tmp / "home"))
    window.ask_unsaved_changes = lambda _what: DISCARD
    window.resize(1360, 860)
    window.show()
    window.load_model(None)
    shooter = Shooter(app, window, out)
    try:
        window.pacs_action.trigger()
        browser = window.pacs_browser
        browser.node_combo.setCurrentText("Radiology (DICOMweb)")
        browser.search()
        wait_until(app, lambda: not browser.state.busy, "the search")
        if browser.results.topLevelItemCount() != 3:
            raise ScreenshotError(f"search: {browser.message.text()}")
        us = next(
            browser.results.topLevelItem(i)
            for i in range(3)
            if browser.results.topLevelItem(i).text(0) == "13US1"
        )
        us.setSelected(True)
        shooter.save("pacs_browser.png", browser.grab())

        browser.retrieve()
        wait_until(app, lambda: not browser.state.busy, "the retrieve")
        shooter.wait_for_analysis()
        browser.hide()
        shooter.save("pacs_retrieved.png")

        browser.show()
        dialog = browser.open_node_dialog()
        dialog.node_list.setCurrentRow(1)  # Radiology (DICOMweb)
        dialog.test_connection()
        wait_until(app, lambda: dialog.job is None, "the connection test")
        settle(app)
        shooter.save("pacs_nodes.png", dialog.grab())
        dialog.accept()

        browser.node_combo.setCurrentText("Old archive")
        browser.patient_id_edit.setText("13US1")
        browser.search()
        wait_until(app, lambda: not browser.state.busy, "the failing search")
        shooter.save("pacs_error.png", browser.grab())
        browser.hide()

        export = window.open_export_dialog()
        if export is None:
            raise ScreenshotError("no export dialog")
        export.send_box.setChecked(True)
        export.node_combo.setCurrentText("Radiology (DICOM)")
        settle(app)
        shooter.save("pacs_send.png", with_dialog(window, export))
        export.reject()
    except ScreenshotError as exc:
        print(f"screenshot: {exc}", file=sys.stderr)
        return 1
    finally:
        window.close()
        window.pool.waitForDone(10_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
