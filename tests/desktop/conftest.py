"""Desktop fixtures: the model for GUI tests, a known analysis, a shown main window and
cases opened in it.

The tests run against the default bundle (`default_model` in tests/conftest.py). Set
LESIONLENS_TEST_MODEL=/path/to/bundle to point them at another bundle, e.g. while the default
one is being trained.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

from engine.analysis import findings_from
from engine.inference import LoadedModel, load_model
from engine.synth.nodes import NodeSample
from engine.types import Analysis, Image, Prediction


@pytest.fixture(scope="session", autouse=True)
def qt_configured() -> None:
    """What app.main does before any widget exists (binding fix, pyqtgraph row-major)."""
    from desktop.app import configure_qt

    configure_qt()


@pytest.fixture(scope="session")
def model(request: pytest.FixtureRequest) -> LoadedModel:
    override = os.environ.get("LESIONLENS_TEST_MODEL")
    if override:
        return load_model(override, device="cpu")
    return request.getfixturevalue("default_model")


@pytest.fixture
def known_analysis(node_sample: NodeSample) -> Analysis:
    """The synthetic ground truth dressed as a prediction: drawing tests then do not depend on
    what a model happens to find."""
    image = Image(pixels=node_sample.image, spacing_mm=(node_sample.spacing_mm,) * 2)
    mask = (node_sample.mask > 0).astype(np.uint8)
    prediction = Prediction(
        mask=mask,
        probabilities={"benign": 0.8, "malignant": 0.2},
        uncertainty=np.zeros(mask.shape, dtype=np.float32),
        model_id="ground-truth",
    )
    return Analysis(image=image, prediction=prediction, findings=findings_from(image, prediction))


@pytest.fixture
def window(qtbot, model: LoadedModel) -> Iterator[object]:  # noqa: ANN001 - pytest-qt's qtbot
    from desktop.main_window import DISCARD, MainWindow
    from desktop.models.image.state import CaseState

    main_window = MainWindow(CaseState(model))
    main_window.ask_unsaved_changes = lambda _what: DISCARD  # never a modal box in a test
    main_window.ask_discard_drafts = lambda _names: True
    qtbot.addWidget(main_window)
    main_window.resize(1280, 800)
    main_window.show()
    yield main_window
    main_window.close()  # waits for a running analysis before the widgets go


ANALYSIS_TIMEOUT_MS = 20_000


@pytest.fixture
def shown(window, qtbot):  # noqa: ANN001, ANN201
    """The main window active and on screen: keys and mouse events reach it."""
    window.activateWindow()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def open_case(shown, qtbot):  # noqa: ANN001, ANN201
    """open_case(path): open a file in the shown window and wait until its analysis is in
    and no job runs (what a reader waits for before measuring)."""

    def open_and_wait(path) -> None:  # noqa: ANN001
        assert shown.open_path(path)
        qtbot.waitUntil(
            lambda: shown.state.analysis is not None and not shown.has_running_jobs(),
            timeout=ANALYSIS_TIMEOUT_MS,
        )

    return open_and_wait


@pytest.fixture
def other_png(tmp_path, node_sample: NodeSample):  # noqa: ANN001, ANN201
    """The node image mirrored, as a second case: open it to leave the first one, then go
    back and see what was stored with it."""
    from PIL import Image as PILImage

    path = tmp_path / "other.png"
    PILImage.fromarray(np.ascontiguousarray(node_sample.image[:, ::-1])).save(path)
    return path


class Mouse:
    """Real mouse events on a canvas viewport, at positions mapped from image (row, col).

    pyqtgraph drops mouse moves closer than 10 ms apart (mouseRateLimit), as it does for a
    real hand; waiting between moves makes every corner of a test stroke arrive."""

    MOVE_GAP_MS = 15

    def __init__(self, qtbot) -> None:  # noqa: ANN001
        self.qtbot = qtbot

    def drag(self, canvas, points, button=None) -> None:  # noqa: ANN001
        from PySide6.QtCore import Qt

        button = button or Qt.MouseButton.LeftButton
        viewport = canvas.viewport()
        first = canvas.viewport_point(*points[0])
        self.qtbot.mousePress(viewport, button, pos=first)
        for point in points[1:]:
            self.qtbot.wait(self.MOVE_GAP_MS)
            self.qtbot.mouseMove(viewport, pos=canvas.viewport_point(*point))
        self.qtbot.wait(self.MOVE_GAP_MS)
        self.qtbot.mouseRelease(viewport, button, pos=canvas.viewport_point(*points[-1]))

    def click(self, canvas, point, double: bool = False) -> None:  # noqa: ANN001
        from PySide6.QtCore import Qt

        pos = canvas.viewport_point(*point)
        self.qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        if double:  # as a hand does it: the second press arrives as a double-click event
            self.qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)
            self.qtbot.mouseRelease(canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)


@pytest.fixture
def mouse(qtbot) -> Mouse:  # noqa: ANN001
    return Mouse(qtbot)


def write_cine_dicom(path, frames: np.ndarray, frame_time_ms: float, spacing_mm: float = 0.1):  # noqa: ANN001, ANN201
    """A native multi-frame ultrasound DICOM (frames×H×W uint8) with FrameTime and one
    calibrated tissue region, as a scanner stores a short cine loop."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, UltrasoundMultiFrameImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundMultiFrameImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "US"
    ds.PatientName, ds.PatientID = "CINE^TEST", "C1"
    ds.NumberOfFrames = len(frames)
    ds.FrameTime = frame_time_ms
    ds.FrameIncrementPointer = 0x00181063
    ds.Rows, ds.Columns = frames.shape[1:]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = np.ascontiguousarray(frames).tobytes()
    region = Dataset()
    region.RegionSpatialFormat, region.RegionDataType, region.RegionFlags = 1, 1, 0
    region.RegionLocationMinX0, region.RegionLocationMinY0 = 0, 0
    region.RegionLocationMaxX1, region.RegionLocationMaxY1 = (
        frames.shape[2] - 1,
        frames.shape[1] - 1,
    )
    region.PhysicalUnitsXDirection = region.PhysicalUnitsYDirection = 3
    region.PhysicalDeltaX = region.PhysicalDeltaY = spacing_mm / 10.0
    ds.SequenceOfUltrasoundRegions = Sequence([region])
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def cine_dicom(tmp_path, node_sample: NodeSample):  # noqa: ANN001, ANN201
    """Five frames of the node image, each shifted 4 px right: frame k is np.roll(image, 4k)."""
    frames = np.stack([np.roll(node_sample.image, 4 * k, axis=1) for k in range(5)])
    return write_cine_dicom(tmp_path / "cine.dcm", frames, frame_time_ms=50.0)


@pytest.fixture
def ct_nifti(tmp_path):  # noqa: ANN001, ANN201
    """A small CT-like volume in Hounsfield units: air around a soft-tissue block whose value
    is 10 × the slice index, so each slice can be recognised."""
    from engine.synth.nifti_out import write_nifti

    volume = np.full((7, 48, 64), -1000, dtype=np.int16)
    for k in range(7):
        volume[k, 8:40, 10:54] = 10 * k
    return write_nifti(tmp_path / "ct.nii.gz", volume, (2.5, 0.8, 0.8))


# -- multi-view studies (issue 11) ---------------------------------------------------------


def write_study(folder, views: dict[str, np.ndarray]):  # noqa: ANN001, ANN201
    """A folder of view-named PNGs (<view>.png), as desktop.models.study.cases opens it."""
    from PIL import Image as PILImage

    folder.mkdir(parents=True, exist_ok=True)
    for name, pixels in views.items():
        PILImage.fromarray(pixels).save(folder / f"{name}.png")
    return folder


@pytest.fixture
def scinti_study_dir(tmp_path):  # noqa: ANN001, ANN201
    """Anterior + posterior, 64×32 gray: same geometry, so zoom and pan may be linked."""
    rng = np.random.default_rng(5)
    views = {v: rng.integers(150, 255, (64, 32), dtype=np.uint8) for v in ("anterior", "posterior")}
    return write_study(tmp_path / "scinti_case", views)


@pytest.fixture
def skin_study_dir(tmp_path):  # noqa: ANN001, ANN201
    """Clinical photo (RGB) + ultrasound (gray) of one lesion, both 48×64: same size, but
    different modalities, so the views stay independent."""
    rng = np.random.default_rng(6)
    views = {
        "photo": rng.integers(120, 220, (48, 64, 3), dtype=np.uint8),
        "us": rng.integers(0, 120, (48, 64), dtype=np.uint8),
    }
    return write_study(tmp_path / "skin_case", views)


def fake_study_analysis(study, spacing_mm: float | None = None):  # noqa: ANN001, ANN201
    """A StudyAnalysis with known pieces: each view's map a bump at (row 20, col 10); on "us"
    (the segmented view) a 10×20 px rectangular lesion at rows 10-19, cols 20-39."""
    import dataclasses

    from engine.analysis import findings_from
    from engine.types import Prediction, StudyAnalysis, StudyPrediction

    if spacing_mm is not None:
        views = {
            n: dataclasses.replace(v, spacing_mm=(spacing_mm, spacing_mm))
            for n, v in study.views.items()
        }
        study = dataclasses.replace(study, views=views)
    maps, masks, findings = {}, {}, {}
    for name, image in study.views.items():
        rows, cols = np.mgrid[: image.height, : image.width]
        maps[name] = np.exp(-((rows - 20) ** 2 + (cols - 10) ** 2) / 50.0).astype(np.float32)
    classes = ("normal", "metastatic") if "anterior" in study.views else ("benign", "malignant")
    probabilities = {classes[0]: 0.3, classes[1]: 0.7}
    if "us" in study.views:
        mask = np.zeros((study.views["us"].height, study.views["us"].width), dtype=np.uint8)
        mask[10:20, 20:40] = 1
        masks["us"] = mask
        view_prediction = Prediction(mask, probabilities, np.zeros(mask.shape, np.float32), "f")
        findings["us"] = findings_from(study.views["us"], view_prediction)
    prediction = StudyPrediction(
        probabilities, maps, masks, "fake-views", probability_spread={classes[1]: 0.05}
    )
    return StudyAnalysis(study, prediction, findings)


@pytest.fixture
def make_study_analysis():  # noqa: ANN201
    """fake_study_analysis, for tests (conftest functions are not importable here)."""
    return fake_study_analysis


@pytest.fixture(autouse=True)
def _collect_garbage_on_this_thread() -> Iterator[None]:
    """A window pins cyclic garbage collection to the GUI thread; after each test it is
    switched back on, so tests outside desktop/ keep Python's usual collector."""
    yield
    from desktop.widgets.gui_gc import unpin_garbage_collection

    unpin_garbage_collection()


@pytest.fixture
def store_ct_cases():  # noqa: ANN201 - the factory below
    """store(home, n_train, n_heldout): corrected synthetic CT volume cases in the datastore at
    home (engine.datastore.volumes), the case ids chosen so the fixed split puts n_train in
    training and n_heldout held out. Small (16x32x48) but real NIfTI and label maps."""
    from pathlib import Path

    from engine.datastore import Datastore
    from engine.datastore.heldout import split_for
    from engine.datastore.volumes import VolumeStore
    from engine.synth.kidney_ct import SHIFTED_CT, generate_kidney_ct
    from engine.synth.nifti_out import write_nifti

    def store(home: Path, n_train: int, n_heldout: int) -> list[str]:
        train, held, k = [], [], 0
        while len(train) < n_train or len(held) < n_heldout:
            name = f"ct{k}"
            (held if split_for(name) == "val" else train).append(name)
            k += 1
        volumes = VolumeStore(Datastore(home))
        ids = train[:n_train] + held[:n_heldout]
        for i, case_id in enumerate(ids):
            label = ("benign", "malignant")[i % 2]
            rng = np.random.default_rng(i)
            sample = generate_kidney_ct(rng, label, SHIFTED_CT, shape=(16, 32, 48))
            path = home.parent / "cts" / f"{case_id}.nii.gz"
            write_nifti(path, sample.volume, sample.spacing_mm)
            volumes.add_volume(path, case_id=case_id)
            volumes.save_correction(
                case_id, sample.labels, "dr.a", ("background", "kidney", "tumour"), label
            )
        return ids

    return store
