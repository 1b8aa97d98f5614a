"""A private Orthanc PACS on loopback for tests, benchmarks and screenshots.

Not the Debian service: its own process with a temporary configuration (DICOMweb plugin
on, HTTP basic auth on, called AE title checked, C-FIND/C-GET allowed from any AE), its own
storage folder and free ports. Needs the Debian packages `orthanc` and `orthanc-dicomweb`
(.ci/run installs them); without them `start()` raises OrthancMissing saying so.

    with OrthancServer(tmp_dir) as pacs:
        pacs.dicomweb_url, pacs.dicom_port, pacs.aet, pacs.username, pacs.password
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

ORTHANC_BINARIES = ("/usr/sbin/Orthanc", "/usr/bin/Orthanc")
DICOMWEB_PLUGINS = (
    "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
    "/usr/lib/orthanc/libOrthancDicomWeb.so",
)
INSTALL_HINT = "apt-get install -y orthanc orthanc-dicomweb (.ci/run does this)"
AET = "ORTHANC"
USERNAME, PASSWORD = "reader", "pacs-test-secret-7d1f"
READY_TIMEOUT_S = 30.0


class OrthancMissing(RuntimeError):
    """Orthanc or its DICOMweb plugin is not installed."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_orthanc() -> tuple[str, str]:
    """(Orthanc binary, DICOMweb plugin .so); OrthancMissing names what is missing."""
    binary = next((b for b in ORTHANC_BINARIES if Path(b).is_file()), shutil.which("Orthanc"))
    if binary is None:
        raise OrthancMissing(f"Orthanc is not installed: {INSTALL_HINT}")
    plugin = next((p for p in DICOMWEB_PLUGINS if Path(p).is_file()), None)
    if plugin is None:
        raise OrthancMissing(f"the Orthanc DICOMweb plugin is not installed: {INSTALL_HINT}")
    return binary, plugin


class OrthancServer:
    def __init__(self, folder: str | Path, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        self.folder = Path(folder)
        self.ready_timeout_s = ready_timeout_s
        self.http_port = 0
        self.dicom_port = 0
        self.aet, self.username, self.password = AET, USERNAME, PASSWORD
        self._process: subprocess.Popen | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.http_url}/dicom-web"

    def start(self) -> OrthancServer:
        binary, plugin = find_orthanc()
        self.folder.mkdir(parents=True, exist_ok=True)
        storage = self.folder / "storage"
        storage.mkdir(exist_ok=True)
        self.http_port, self.dicom_port = free_port(), free_port()
        while self.dicom_port == self.http_port:
            self.dicom_port = free_port()
        config = {
            "Name": "LesionLensTest",
            "StorageDirectory": str(storage),
            "IndexDirectory": str(storage),
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": self.aet,
            "DicomCheckCalledAet": True,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {self.username: self.password},
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "DicomAlwaysAllowFind": True,
            "DicomAlwaysAllowGet": True,
            "DicomAlwaysAllowMove": True,
            "DicomModalities": {},
            "Plugins": [plugin],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True},
            "StableAge": 1,
            "ConcurrentJobs": 1,
            "HttpThreadsCount": 8,
            "DicomThreadsCount": 2,
            "DicomScpTimeout": 10,
            "HttpCompressionEnabled": False,
            "StorageCompression": False,
            "SaveJobs": False,
            "LimitFindResults": 0,
            "LimitFindInstances": 0,
        }
        config_path = self.folder / "orthanc.json"
        config_path.write_text(json.dumps(config, indent=2))
        log = (self.folder / "orthanc.log").open("wb")
        self._process = subprocess.Popen(
            [binary, str(config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends it and only it
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start-up; see {self.folder}/orthanc.log")
            try:
                self.rest("GET", "/system")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Orthanc did not answer in {self.ready_timeout_s:.0f} s")

    def rest(self, method: str, path: str, body: bytes | None = None) -> object:
        """Orthanc's own REST API (for tests: upload, delete, list), JSON answer decoded."""
        token = b64encode(f"{self.username}:{self.password}".encode()).decode()
        request = urllib.request.Request(
            self.http_url + path,
            data=body,
            method=method,
            headers={"Authorization": f"Basic {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            data = answer.read()
        return json.loads(data) if data else None

    def upload(self, path: str | Path) -> dict:
        return self.rest("POST", "/instances", Path(path).read_bytes())

    def clear(self) -> None:
        for patient in self.rest("GET", "/patients"):
            self.rest("DELETE", f"/patients/{patient}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def __enter__(self) -> OrthancServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
