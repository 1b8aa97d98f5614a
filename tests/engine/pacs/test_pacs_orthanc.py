"""engine.pacs against a real Orthanc (tests/conftest.py starts it on loopback): the CLI
round trip, C-GET, and the faults a reader meets (server down, wrong AE title, timeout,
partial study, malformed DICOMweb answer), each one PacsError naming node and reason."""

from __future__ import annotations

import http.server
import json
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid

from engine.cli import main
from engine.pacs import (
    HttpAuth,
    NodeBook,
    PacsError,
    PacsNode,
    PartialRetrieveError,
    Secret,
    StudyQuery,
    check_connection,
    connect,
    retrieve_study,
    send_files,
)
from engine.pacs.retrieve import MANIFEST, is_complete

US_STUDY = "1.3.6.1.4.1.5962.1.2.13.20040826185059.5457"


def web(orthanc, name: str = "web", **kw) -> PacsNode:  # noqa: ANN001, ANN003
    auth = HttpAuth("basic", orthanc.username, Secret(orthanc.password))
    return PacsNode(name, dicomweb_url=orthanc.dicomweb_url, auth=auth, **kw)


def dimse(orthanc, name: str = "dimse", **kw) -> PacsNode:  # noqa: ANN001, ANN003
    return PacsNode(name, ae_title=orthanc.aet, host="127.0.0.1", port=orthanc.dicom_port, **kw)


def run(steps):  # noqa: ANN001, ANN201
    """Drive an engine generator to its return value."""
    try:
        while True:
            next(steps)
    except StopIteration as done:
        return done.value


def copy_in_series(source: Path, out: Path, number: int) -> Path:
    """Another instance of the same series (new SOP Instance UID)."""
    ds = pydicom.dcmread(source)
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.InstanceNumber = number
    ds.save_as(out, enforce_file_format=True)
    return out


def test_cli_round_trip_send_find_get_analyze_send_seg_sr(
    orthanc, pacs_home: Path, vendor_us: Path, tmp_path: Path, monkeypatch, capsys
) -> None:  # noqa: ANN001
    monkeypatch.setenv("PACS_PASSWORD", orthanc.password)
    assert main(["pacs", "add", "web", "--dicomweb", orthanc.dicomweb_url,
                 "--user", orthanc.username, "--password-env", "PACS_PASSWORD"]) == 0  # fmt: skip
    assert main(["pacs", "add", "dimse", "--aet", orthanc.aet, "--host", "127.0.0.1",
                 "--port", str(orthanc.dicom_port)]) == 0  # fmt: skip
    assert main(["pacs", "echo", "dimse"]) == 0
    assert main(["pacs", "send", "web", str(vendor_us)]) == 0

    found = tmp_path / "found.json"
    assert main(["pacs", "find", "web", "--patient-id", "13US1", "--modality", "US",
                 "--since", "20040101", "--json", str(found)]) == 0  # fmt: skip
    assert json.loads(found.read_text())["StudyInstanceUIDs"] == [US_STUDY]
    assert main(["pacs", "find", "web", "--since", "20050101", "--json", str(found)]) == 0
    assert json.loads(found.read_text())["StudyInstanceUIDs"] == []

    capsys.readouterr()
    assert main(["pacs", "get", "web", US_STUDY, "--out", str(tmp_path / "got")]) == 0
    study_dir = Path(capsys.readouterr().out.strip())
    assert is_complete(study_dir)
    (retrieved,) = study_dir.glob("*/*.dcm")
    original, got = pydicom.dcmread(vendor_us), pydicom.dcmread(retrieved)
    assert got.SOPInstanceUID == original.SOPInstanceUID and got.PixelData == original.PixelData

    out = tmp_path / "export"
    assert main(["export", str(retrieved), "--out", str(out), "--seg", "seg.dcm", "--sr", "sr.dcm",
                 "--keep-identifiers"]) == 0  # fmt: skip
    assert main(["pacs", "send", "web", str(out / "seg.dcm"), str(out / "sr.dcm")]) == 0

    for node in ("web", "dimse"):  # the same find over QIDO-RS and C-FIND
        assert main(["pacs", "find", node, "--patient-id", "13US1", "--series",
                     "--json", str(found)]) == 0  # fmt: skip
        result = json.loads(found.read_text())
        assert result["StudyInstanceUIDs"] == [US_STUDY], node
        modalities = sorted(s["Modality"] for s in result["studies"][0]["series"])
        assert modalities == ["SEG", "SR", "US"], node

    # C-GET brings the whole study back: the image, the SEG and the SR
    capsys.readouterr()
    assert main(["pacs", "get", "dimse", US_STUDY, "--out", str(tmp_path / "cget")]) == 0
    cget_dir = Path(capsys.readouterr().out.strip())
    classes = sorted(pydicom.dcmread(p).Modality for p in cget_dir.glob("*/*.dcm"))
    assert classes == ["SEG", "SR", "US"]


def test_retrieve_lands_in_the_data_root_and_resumes_a_partial_study(
    orthanc, pacs_home: Path, vendor_us: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    second = copy_in_series(vendor_us, tmp_path / "second.dcm", 2)
    orthanc.upload(vendor_us)
    gone = orthanc.upload(second)["ID"]
    for node in (web(orthanc), dimse(orthanc)):
        listed = connect(node).list_instances(US_STUDY)
        assert len(listed) == 2
        orthanc.rest("DELETE", f"/instances/{gone}")  # listed, then not delivered
        with connect(node) as pacs:
            pacs.list_instances = lambda _uid, listed=listed: listed
            with pytest.raises(PartialRetrieveError) as info:
                run(retrieve_study(node, US_STUDY, connection=pacs))
        assert f"PACS {node.name}: study {US_STUDY} retrieved partly (1 of 2" in str(info.value)
        folder = pacs_home / "pacs" / US_STUDY
        assert len(list(folder.glob("*/*.dcm"))) == 1 and not is_complete(folder)
        assert not list(folder.rglob("*.tmp"))

        gone = orthanc.upload(second)["ID"]
        study = run(retrieve_study(node, US_STUDY))
        assert (study.reused, study.fetched, len(study.files)) == (1, 1, 2)
        assert (folder / MANIFEST).is_file()
        for path in study.files:
            path.unlink()
        (folder / MANIFEST).unlink()


def test_cancelled_retrieve_keeps_only_whole_instances(
    orthanc, vendor_us: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    orthanc.upload(vendor_us)
    orthanc.upload(copy_in_series(vendor_us, tmp_path / "b.dcm", 2))
    steps = retrieve_study(dimse(orthanc), US_STUDY, tmp_path / "out")
    assert next(steps).done == 0
    assert next(steps).done == 1
    steps.close()  # the reader pressed Cancel
    folder = tmp_path / "out" / US_STUDY
    files = list(folder.glob("*/*.dcm"))
    assert len(files) == 1 and pydicom.dcmread(files[0]).SOPInstanceUID
    assert not is_complete(folder) and not list(folder.rglob("*.tmp"))
    assert run(retrieve_study(dimse(orthanc), US_STUDY, tmp_path / "out")).reused == 1


def test_wrong_ae_title_is_an_association_rejected_error_every_time(orthanc) -> None:  # noqa: ANN001
    """Orthanc closes the socket right after its reject; pynetdicom then reports an abort about
    1 time in 20. Forty tries catch that race (if it came back) 7 runs in 8."""
    node = PacsNode("ward", ae_title="NOT-ORTHANC", host="127.0.0.1", port=orthanc.dicom_port)
    for _ in range(40):
        with pytest.raises(PacsError, match=r"^PACS ward: association rejected by NOT-ORTHANC@"):
            check_connection(node)


def test_wrong_password_is_refused_and_never_printed(orthanc, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.DEBUG)
    node = PacsNode(
        "web",
        dicomweb_url=orthanc.dicomweb_url,
        auth=HttpAuth("basic", orthanc.username, Secret("wrong-secret-42")),
    )
    with pytest.raises(PacsError, match=r"PACS web: .*authentication refused \(HTTP 401\)"):
        connect(node).find_studies(StudyQuery())
    assert check_connection(web(orthanc)).startswith("web: QIDO-RS search")
    assert "wrong-secret-42" not in caplog.text and orthanc.password not in caplog.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pacs_down_names_node_and_reason() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(PacsError, match=r"^PACS gone: nothing listens on 127\.0\.0\.1:\d+"):
        check_connection(PacsNode("gone", ae_title="PACS", host="127.0.0.1", port=port))
    node = PacsNode("gone-web", dicomweb_url=f"http://127.0.0.1:{port}/dicom-web")
    with pytest.raises(PacsError, match=r"^PACS gone-web: .*cannot connect .*server down"):
        connect(node).find_studies(StudyQuery())


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers (a hung PACS)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_timeouts_name_node_and_reason(silent_server: int) -> None:
    node = PacsNode("slow", ae_title="PACS", host="127.0.0.1", port=silent_server, timeout_s=0.5)
    with pytest.raises(PacsError, match=r"^PACS slow: no answer .* within 0\.5 s \(timeout\)"):
        check_connection(node)
    node = PacsNode("slow-web", dicomweb_url=f"http://127.0.0.1:{silent_server}", timeout_s=0.5)
    with pytest.raises(PacsError, match=r"^PACS slow-web: .*within 0\.5 s \(timeout\)"):
        connect(node).find_studies(StudyQuery())


class BadDicomWeb(http.server.BaseHTTPRequestHandler):
    """Answers every QIDO-RS request with something that is not DICOM JSON."""

    answers = {
        "/bad-json/studies": b"<html>proxy login</html>",
        "/not-a-list/studies": b'{"error": "nope"}',
        "/bad-uid/studies": json.dumps([{"0020000D": {"vr": "UI", "Value": ["../../etc"]}}]),
    }

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        body = self.answers.get(self.path.split("?")[0], b"")
        body = body.encode() if isinstance(body, str) else body
        self.send_response(200)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")
def test_malformed_dicomweb_answers_are_one_clear_error() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BadDicomWeb)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for path in BadDicomWeb.answers:
            node = PacsNode("odd", dicomweb_url=base + path.removesuffix("/studies"))
            with pytest.raises(PacsError, match=r"^PACS odd: study search: malformed DICOMweb"):
                connect(node).find_studies(StudyQuery())
    finally:
        server.shutdown()
        server.server_close()


def test_send_refuses_a_file_that_is_not_dicom_before_sending_anything(
    orthanc, vendor_us: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    from engine.errors import LoadError

    junk = tmp_path / "notes.dcm"
    junk.write_text("not dicom")
    with pytest.raises(LoadError, match="notes.dcm"):
        run(send_files(dimse(orthanc), [vendor_us, junk]))
    assert orthanc.rest("GET", "/instances") == []


def test_both_protocols_retrieve_instances_as_stored_not_transcoded(
    orthanc, tmp_path: Path
) -> None:  # noqa: ANN001
    """A JPEG 2000 ultrasound stays JPEG 2000 (a transcoding PACS would triple a cine)."""
    from pydicom.data import get_testdata_file

    source = Path(get_testdata_file("US1_J2KR.dcm"))
    original = pydicom.dcmread(source)
    orthanc.upload(source)
    for node in (web(orthanc), dimse(orthanc)):
        study = run(retrieve_study(node, original.StudyInstanceUID, tmp_path / node.name))
        (path,) = study.files
        got = pydicom.dcmread(path)
        assert got.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID, node
        assert got.PixelData == original.PixelData, node


def test_cli_errors_are_one_line_naming_node_and_reason(pacs_home: Path, capsys) -> None:  # noqa: ANN001
    port = free_port()
    assert main(["pacs", "add", "gone", "--aet", "PACS", "--host", "127.0.0.1",
                 "--port", str(port)]) == 0  # fmt: skip
    assert main(["pacs", "add", "cloud", "--dicomweb", "https://pacs.example.org/dw",
                 "--token-env", "PACS_TOKEN"]) == 2  # fmt: skip
    assert "$PACS_TOKEN is empty or not set" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["pacs", "find", "gone", "--patient-id", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"lesionlens: error: PACS gone: nothing listens on 127.0.0.1:{port} "
                   "(PACS down or wrong port)"]  # fmt: skip
    assert main(["pacs", "get", "nowhere", "1.2.3"]) == 2
    assert "no PACS node named 'nowhere' (known: gone)" in capsys.readouterr().err
    assert main(["pacs", "find", "gone", "--since", "2024"]) == 2
    assert "use YYYYMMDD" in capsys.readouterr().err
    assert main(["pacs", "list"]) == 0
    assert "gone\tdimse\tPACS@127.0.0.1" in capsys.readouterr().out
    assert main(["pacs", "remove", "gone"]) == 0 and NodeBook().load() == {}


def test_resume_fetches_only_the_missing_series(orthanc, vendor_us: Path, tmp_path: Path) -> None:  # noqa: ANN001
    other = pydicom.dcmread(vendor_us)
    other.SeriesInstanceUID, other.SeriesNumber = generate_uid(), 2
    other.SOPInstanceUID = other.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    other.save_as(tmp_path / "series2.dcm", enforce_file_format=True)
    orthanc.upload(vendor_us)
    orthanc.upload(tmp_path / "series2.dcm")
    for node in (web(orthanc), dimse(orthanc)):
        dest = tmp_path / node.name
        first = run(retrieve_study(node, US_STUDY, dest))
        assert first.fetched == 2
        lost = next(p for p in first.files if p.parent.name == other.SeriesInstanceUID)
        lost.unlink()
        (first.folder / MANIFEST).unlink()
        again = run(retrieve_study(node, US_STUDY, dest))
        assert (again.reused, again.fetched) == (1, 1), node
        assert again.bytes_received == lost.stat().st_size, node  # nothing fetched twice
