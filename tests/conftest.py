"""Shared fixtures: tiny real files made on the fly, and the shipped model loaded once."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from engine.synth.dicom_out import write_ultrasound_dicom  # noqa: E402
from engine.synth.nodes import NodeSample, generate_node_image  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def datastore_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Every test (and the GUI or CLI subprocesses it starts) reads and writes its own data
    root: analyze, export and the registry look there for stored cases and models, and a
    test must never see, or change, the user's data folder."""
    from engine.datastore import HOME_ENV

    home = tmp_path_factory.mktemp("lesionlens-home")
    monkeypatch.setenv(HOME_ENV, str(home))
    return home


@pytest.fixture(scope="session")
def node_sample() -> NodeSample:
    return generate_node_image(np.random.default_rng(11), label="benign", frame=False)


@pytest.fixture
def node_png(tmp_path: Path, node_sample: NodeSample) -> Path:
    path = tmp_path / "node.png"
    PILImage.fromarray(node_sample.image).save(path)
    return path


@pytest.fixture
def node_dicom(tmp_path: Path, node_sample: NodeSample) -> Path:
    path = tmp_path / "node.dcm"
    write_ultrasound_dicom(path, node_sample.image, node_sample.spacing_mm, node_sample.region)
    return path


@pytest.fixture(scope="session")
def default_model():  # noqa: ANN201
    from engine.inference import load_model

    return load_model(device="cpu")


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained 64-px, width-8 bundle with weights.pt: fast to fine-tune and to score.
    Tests that change it work on a copy."""
    import torch

    from training.bundle_writer import model_json, write_bundle
    from training.networks import build_network

    kwargs = {"in_channels": 1, "num_classes": 2, "width": 8, "attention_blocks": 1}
    torch.manual_seed(0)
    net = build_network("hybrid-dual-task", **kwargs)
    spec = model_json(
        model_id="tiny-base",
        architecture="hybrid-dual-task",
        size=64,
        classes=("benign", "malignant"),
        temperature=1.0,
        network_kwargs=kwargs,
        card={"intended_use": "tests only", "training_data": "none (random weights)"},
    )
    return write_bundle(net, tmp_path_factory.mktemp("tiny") / "bundle", spec, {})


def presence_bundle(
    out: Path, presence_bias: float, body_parts: tuple[str, ...] = ("BREAST",)
) -> Path:
    """An untrained 64-px bundle with presence and features outputs and a scope model fitted
    to its own features on a few synthetic node images; presence_bias sets the lesion-present
    logit (large: always a lesion, very negative: never)."""
    import torch

    from engine.synth.nodes import generate_node_image
    from training.bundle_writer import model_json, write_bundle
    from training.networks import build_network
    from training.recipes.calibration import features_of
    from training.scope_fit import fit_scope

    kwargs = {
        "in_channels": 1,
        "num_classes": 2,
        "width": 8,
        "attention_blocks": 1,
        "presence": True,
    }
    torch.manual_seed(0)
    net = build_network("hybrid-dual-task", **kwargs)
    with torch.no_grad():
        net.presence_head[-1].weight.zero_()
        net.presence_head[-1].bias.fill_(presence_bias)
        net.seg_head.bias.fill_(4.0)  # the untrained mask covers most of the image
    from engine.preprocess import letterbox, normalise_intensity

    rng = np.random.default_rng(5)
    images = np.stack(
        [
            letterbox(
                normalise_intensity(generate_node_image(rng).image.astype(float), 0.5, 99.5), 64
            )[0][None]
            for _ in range(24)
        ]
    ).astype(np.float32)
    features = features_of(net, images)
    scope, threshold = fit_scope(features[:16], features[16:])
    spec = model_json(
        model_id="tiny-presence",
        architecture="hybrid-dual-task",
        size=64,
        classes=("benign", "malignant"),
        temperature=1.0,
        network_kwargs=kwargs,
        card={"intended_use": "tests only", "training_data": "none (random weights)"},
        outputs=tuple(net.output_names),
    )
    spec["presence_threshold"] = 0.5
    spec["scope"] = {
        "file": "scope.json",
        "threshold": threshold,
        "body_parts": list(body_parts),
        "probe": "linear",
        "description": "synthetic node ultrasound",
    }
    return write_bundle(net, out, spec, {}, {"scope.json": scope})


@pytest.fixture(scope="session")
def lesion_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """presence_bundle that always finds a lesion."""
    return presence_bundle(tmp_path_factory.mktemp("presence") / "lesion", 8.0)


@pytest.fixture(scope="session")
def no_lesion_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """presence_bundle that never finds a lesion."""
    return presence_bundle(tmp_path_factory.mktemp("presence") / "none", -8.0)


@pytest.fixture(scope="session")
def orthanc_server(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """One private Orthanc (DICOMweb + DIMSE, basic auth) for the session, on free loopback
    ports; stopped at the end. Missing Orthanc is a failure, never a skip."""
    import sys

    sys.path.insert(0, str(REPO))
    from tools.orthanc_server import OrthancMissing, OrthancServer

    server = OrthancServer(tmp_path_factory.mktemp("orthanc"))
    missing = ""
    try:
        server.start()
    except OrthancMissing as exc:
        missing = str(exc)
    if missing:
        pytest.fail(f"these tests need a real Orthanc PACS: {missing}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def orthanc(orthanc_server):  # noqa: ANN001, ANN201
    """The session's Orthanc, emptied before each test."""
    orthanc_server.clear()
    return orthanc_server


@pytest.fixture
def pacs_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LESIONLENS_HOME for the test: the data root and the PACS node config."""
    home = tmp_path / "home"
    monkeypatch.setenv("LESIONLENS_HOME", str(home))
    return home


@pytest.fixture
def vendor_us() -> Path:
    """A real vendor ultrasound image (pydicom-data): 480x640 RGB, uncompressed."""
    from pydicom.data import get_testdata_file

    return Path(get_testdata_file("US1_UNCR.dcm"))


@pytest.fixture
def vendor_cine() -> Path:
    """A real vendor multi-frame ultrasound (pydicom-data, OBXXXX1A)."""
    from pydicom.data import get_testdata_file

    return Path(get_testdata_file("OBXXXX1A.dcm"))


@pytest.fixture
def silent_pacs_port():  # noqa: ANN201
    """A loopback port that accepts connections and never answers (a hung PACS)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
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
