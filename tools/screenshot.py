"""Screenshots of the workstation for the docs, scripted on synthetic cases.

    xvfb-run -a -s "-screen 0 1400x1200x24" python tools/screenshot.py [--model DIR] [--out DIR]

Needs a real X server (Xvfb) so fonts and styles render as users see them. One process runs
the real MainWindow on a folder of synthetic cases (the bundled samples, a cine made from the
sample, a kidney CT volume) with a throw-away datastore, drives it the way a user would
(tools, strokes, calipers, frame slider, export dialog) and grabs:

    docs/screenshots/main_window.png   case list, analysis, findings (also docs/screenshot.png)
    docs/screenshots/editing.png       a brush stroke in progress, one stroke already undoable
    docs/screenshots/caliper.png       a caliper in mm, and one refused outside the region
    docs/screenshots/cine.png          cine with play/pause and the frame slider
    docs/screenshots/ct_three_views.png  kidney CT: axial, coronal and sagittal views with the
                                       linked crosshair, kidney and tumour labels, mL per label,
                                       the finding when a volume model is shipped
    docs/screenshots/export_dialog.png File ▸ Export… over the window
    docs/screenshots/study_scinti.png  anterior + posterior bone scan side by side: posterior
                                       mirrored, linked zoom, attention maps, one finding
    docs/screenshots/study_skin_pair.png clinical photo + ultrasound: independent views, the
                                       lesion outlined on the ultrasound
    docs/screenshots/study_bone_scan_window.png the shipped bone scan sample as it opens:
                                       both views fitted, each with its window/level (Default)
    docs/screenshots/training_panel.png Model & training after a real fine-tuning run: curves,
                                       the gate's verdict, the registry; cases sorted by
                                       "most useful to correct next"
Exit code 1 when a step never got on screen (no analysis, a load error, a failed job).

The fine-tuning shot needs a base bundle with weights.pt: --finetune-base DIR, else the shipped
model if it has one, else a small base made first with training.make_default (a few minutes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian, UltrasoundMultiFrameImageStorage, generate_uid
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

from desktop.app import configure_qt
from desktop.main_window import DISCARD, MainWindow
from desktop.models.editing.tool_state import BRUSH, CALIPER
from desktop.models.feedback.state import DONE, FAILED
from desktop.models.image.state import CaseState
from desktop.models.paths import REPO_ROOT, SAMPLE_PATH
from desktop.models.reading.case_list import USEFUL_ORDER
from desktop.models.reading.review_store import ReviewStore
from desktop.models.volume.label_files import labels_path_for, write_labels
from desktop.widgets.theme import apply_dark_theme
from engine.atomic import write_json_atomic
from engine.bundle import default_bundle_dir, read_bundle
from engine.datastore import HELDOUT, TRAIN, Datastore, split_for
from engine.io import read_dicom
from engine.io import read_nifti as read_volume
from engine.model_catalog import bundle_for_volume
from engine.registry import Gate, Registry
from engine.synth.dataset import write_dataset
from engine.synth.kidney_ct import generate_kidney_ct
from engine.synth.nifti_out import write_nifti

WINDOW_SIZE = (1400, 880)
SHOTS = REPO_ROOT / "docs" / "screenshots"
README_SHOT = REPO_ROOT / "docs" / "screenshot.png"
TIMEOUT_S = 60.0
TRAINING_TIMEOUT_S = 1800.0
CINE_FRAMES = 30
FINETUNE_EPOCHS = 6
N_TRAIN, N_HELDOUT, N_UNCORRECTED = 8, 4, 4
TRAINING_WINDOW_SIZE = (1400, 1160)  # the panel docked below the image needs the height
TRAINING_DOCK_HEIGHT = 330


class ScreenshotError(RuntimeError):
    """A step of the script never reached the screen."""


def wait_until(
    app: QApplication, done: Callable[[], bool], what: str, timeout_s: float = TIMEOUT_S
) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        app.processEvents()
        if time.monotonic() > deadline:
            raise ScreenshotError(f"timed out waiting for {what}")
        time.sleep(0.01)


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def write_cine(path: Path, source: Path, frames: int = CINE_FRAMES) -> Path:
    """A short native cine made from the sample: the probe sways left and right."""
    image = read_dicom(source)
    region = image.regions[0]
    shifts = np.round(6 * np.sin(np.linspace(0, 2 * np.pi, frames, endpoint=False))).astype(int)
    stack = np.stack([np.roll(image.pixels, int(s), axis=1) for s in shifts])
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundMultiFrameImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = (
        meta.MediaStorageSOPClassUID,
        meta.MediaStorageSOPInstanceUID,
    )
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.Manufacturer = "US", "LesionLens synthetic"
    ds.PatientName, ds.PatientID = "SYNTHETIC^CINE", "SYN-0303"
    ds.StudyDescription = "Synthetic cine loop (research use; not for diagnosis)"
    ds.NumberOfFrames, ds.FrameTime, ds.FrameIncrementPointer = frames, 40.0, 0x00181063
    ds.Rows, ds.Columns = stack.shape[1:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = np.ascontiguousarray(stack).tobytes()
    item = Dataset()
    item.RegionSpatialFormat, item.RegionDataType, item.RegionFlags = 1, 1, 0
    item.RegionLocationMinX0, item.RegionLocationMinY0 = region.col0, region.row0
    item.RegionLocationMaxX1, item.RegionLocationMaxY1 = region.col1, region.row1
    item.PhysicalUnitsXDirection = item.PhysicalUnitsYDirection = 3
    item.PhysicalDeltaX, item.PhysicalDeltaY = region.delta_x, region.delta_y
    ds.SequenceOfUltrasoundRegions = DicomSequence([item])
    ds.save_as(path, enforce_file_format=True)
    return path


def make_cases(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cases = {
        "dicom": folder / "01_node_benign.dcm",
        "png": folder / "02_node_malignant.png",
        "cine": folder / "03_node_cine.dcm",
        "ct": folder / "04_kidney_ct.nii.gz",
    }
    shutil.copy(SAMPLE_PATH, cases["dicom"])
    shutil.copy(SAMPLE_PATH.parent / "sample_node_malignant.png", cases["png"])
    write_cine(cases["cine"], SAMPLE_PATH)
    ct = generate_kidney_ct(np.random.default_rng(3), "malignant")
    write_nifti(cases["ct"], ct.volume, ct.spacing_mm)
    # The synthetic truth as the reader's saved labels: they open with the CT.
    names = ("background", "kidney", "tumour")
    write_labels(labels_path_for(cases["ct"]), ct.labels, read_volume(cases["ct"]), names)
    return cases


class Shooter:
    def __init__(self, app: QApplication, window: MainWindow, out: Path) -> None:
        self.app, self.window, self.out = app, window, out
        self.written: list[Path] = []

    def save(self, name: str, pixmap: QPixmap | None = None) -> Path:
        settle(self.app)
        pixmap = pixmap or self.window.grab()
        path = self.out / name
        if not pixmap.save(str(path)):
            raise ScreenshotError(f"could not write {path}")
        self.written.append(path)
        print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})")
        return path

    def open_case(self, path: Path) -> None:
        window = self.window
        entry = window.cases.entries[window.cases.index_of(path)]
        if not window.go_to_case(entry):
            raise ScreenshotError(f"could not open {path.name}: {window.state.last_error}")
        self.wait_for_analysis()

    def wait_for_analysis(self) -> None:
        state = self.window.state
        wait_until(
            self.app,
            lambda: (
                (state.analysis is not None and not state.busy)
                or state.last_error is not None
                or (state.withheld is not None and not self.window.has_running_jobs())
            ),
            "the analysis",
        )
        if state.analysis is None and state.withheld is None:
            raise ScreenshotError(state.last_error or "no analysis")
        settle(self.app)


def lesion_box(window: MainWindow) -> tuple[float, float, float, float]:
    """Row/col extent of the first finding's contour."""
    contour = window.state.analysis.findings[0].contour
    return contour[:, 0].min(), contour[:, 0].max(), contour[:, 1].min(), contour[:, 1].max()


def shoot_all(shooter: Shooter, cases: dict[str, Path]) -> None:
    window, app = shooter.window, shooter.app
    state, controller = window.state, window.canvas.controller

    shooter.open_case(cases["dicom"])
    shooter.save("main_window.png")
    if shooter.out.resolve() == SHOTS.resolve():
        shutil.copy(shooter.out / "main_window.png", README_SHOT)

    # Editing: one finished stroke (undoable), a second one in progress under the cursor.
    top, bottom, left, right = lesion_box(window)
    middle = (top + bottom) / 2
    window.tools.set_tool(BRUSH)
    window.tools.set_brush_radius(6.0)
    width = right - left
    controller.press((bottom - 10, left + 0.55 * width))  # the lower edge, let out a little
    controller.move((bottom - 4, left + 0.7 * width))
    controller.release((middle + 6, right - 6))
    path = [(bottom - 6, left + 0.15 * width), (bottom + 2, left + 0.3 * width)]
    path.append((bottom + 4, left + 0.42 * width))
    controller.press(path[0])
    for point in path[1:]:
        controller.move(point)
    canvas = window.canvas
    canvas.scene().sigMouseMoved.emit(canvas.mapToScene(canvas.viewport_point(*path[-1])))
    shooter.save("editing.png")
    controller.release(path[-1])
    state.editor.undo()
    state.editor.undo()
    window.tools.set_tool(CALIPER)

    # Calipers: the lesion's long axis in mm, and one refused outside the tissue region.
    (r0, c0), (r1, c1) = state.analysis.findings[0].measurements.long_axis_endpoints
    state.add_caliper((r0, c0), (r1, c1))
    region = state.image.regions[0]
    row = min(region.row1 - 30.0, bottom + 40.0)
    outside = min(state.image.width - 4.0, region.col1 + 30.0)  # in the black margin
    state.add_caliper((row, region.col1 - 120.0), (row, outside))
    shooter.save("caliper.png")
    state.clear_calipers()

    shooter.open_case(cases["cine"])
    window.frame_controls.slider.setValue(CINE_FRAMES // 3)
    shooter.wait_for_analysis()
    window.frame_controls.set_playing(False)
    shooter.save("cine.png")

    shoot_ct(shooter, cases)

    shooter.open_case(cases["dicom"])
    dialog = window.open_export_dialog()
    if dialog is None:
        raise ScreenshotError("the export dialog did not open")
    dialog.folder_edit.setText(str(Path.home() / "LesionLens exports"))
    dialog.reviewer_edit.setText("Dr A. Reader")
    settle(app)
    shooter.save("export_dialog.png", with_dialog(window, dialog))
    dialog.reject()


def shoot_ct(shooter: Shooter, cases: dict[str, Path]) -> None:
    """The kidney CT in three views, crosshair on the tumour, with its saved labels; the
    volume model's finding beside them when a volume model is shipped."""
    window, app = shooter.window, shooter.app
    shooter.open_case(cases["ct"])
    mode = window.volume_mode
    session = mode.session
    if session.labels is None or not (session.labels.labels == 2).any():
        raise ScreenshotError("the CT's saved labels did not load")
    if bundle_for_volume() is not None:
        if not mode.analyze():
            raise ScreenshotError(window.state.last_error or "the volume model did not start")
        wait_until(app, lambda: not session.busy, "the volume model", 600)
        if session.prediction is None:
            raise ScreenshotError(window.state.last_error or "no volume prediction")
    tumour = np.argwhere(session.labels.labels == 2).mean(axis=0)
    session.set_position(tuple(int(round(v)) for v in tumour))
    session.set_active_label("tumour")
    session.apply_preset("Abdomen")
    window.tools.set_tool(BRUSH)
    shooter.save("ct_three_views.png")


def _first_case(root: Path, label: str) -> str:
    rows = (line.split(",") for line in (root / "labels.csv").read_text().splitlines()[1:])
    return next(case for case, value in rows if value == label)


def open_study_case(shooter: Shooter, root: Path, label: str) -> None:
    """List a multi-view data set, open its first case of `label`, wait for the analysis
    (or for the page to say that no shipped model takes these views)."""
    window, app = shooter.window, shooter.app
    window.open_folder(root)
    case = root / _first_case(root, label)
    if not window.go_to_case(window.cases.entries[window.cases.index_of(case)]):
        raise ScreenshotError(f"could not open study {case.name}")
    page = window.study_page.state
    wait_until(
        app,
        lambda: page.analysis is not None or page.last_error is not None or page.bundle is None,
        "the study analysis",
        TIMEOUT_S * 3,
    )
    if page.last_error:
        raise ScreenshotError(page.last_error)
    settle(app, 0.5)


def shoot_studies(shooter: Shooter, work: Path) -> None:
    """Issue 11: two-view scintigraphy (linked zoom on the trunk, posterior mirrored) and a
    clinical photo + ultrasound pair (independent views, lesion outlined on the ultrasound)."""
    window = shooter.window
    scinti = write_dataset("scinti", 6, work / "scinti", seed=1)
    open_study_case(shooter, scinti, "metastatic")
    anterior = window.study_page.view.pane("anterior")
    height, width = anterior.image.height, anterior.image.width
    anterior.set_view_range((0.0, float(width), 0.05 * height, 0.62 * height))
    shooter.save("study_scinti.png")
    skin = write_dataset("skin-pair", 6, work / "skin", seed=1)
    open_study_case(shooter, skin, "malignant")
    shooter.save("study_skin_pair.png")
    shoot_bone_scan_sample(shooter)


def shoot_bone_scan_sample(shooter: Shooter) -> None:
    """Issue 20: the shipped bone scan opens fitted to its panes (it opened as a thumbnail),
    each grey view with its own window/level, right-drag to change it."""
    window, app = shooter.window, shooter.app
    if not window.open_path(SAMPLE_PATH.parent / "sample_bone_scan"):
        raise ScreenshotError("could not open the bone scan sample")
    page = window.study_page.state
    wait_until(
        app,
        lambda: page.analysis is not None or page.last_error is not None or page.bundle is None,
        "the bone scan analysis",
        TIMEOUT_S * 3,
    )
    settle(app, 0.5)
    shooter.save("study_bone_scan_window.png")


def small_base(work: Path) -> Path:
    """A quickly trained base model with weights.pt (fewer cases and epochs than `make model`)."""
    out = work / "small"
    command = [sys.executable, "-m", "training.make_default", "--n-train", "200"]
    command += ["--n-test", "40", "--epochs", "4", "--out", str(out), "--work", str(work / "d")]
    print("making a small base model to fine-tune (the shipped one has no weights.pt)…")
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return out


def own_model(base: Path, work: Path) -> Path:
    """The base under an id of its own, so the registry can hold it beside the shipped model
    (a bundle made by training.make_default carries the shipped model's id)."""
    shipped = read_bundle(default_bundle_dir()).spec.model_id
    spec = json.loads((base / "model.json").read_text(encoding="utf-8"))
    if spec["model_id"] != shipped:
        return base
    copy = work / "base"
    shutil.copytree(base, copy)
    spec["model_id"] = f"{shipped}-small"
    data = read_bundle(base).metrics.get("dataset_id", "synthetic nodes")
    spec["card"]["training_data"] = f"SYNTHETIC ONLY: a small base for the screenshot ({data})."
    write_json_atomic(copy / "model.json", spec)
    return copy


def new_scanner_datastore(home: Path, work: Path) -> None:
    """Cases from a "new scanner" (the shifted synthetic domain): most of them corrected by a
    clinician (the true masks), a few only imported, waiting to be ranked for correction."""
    data = write_dataset(
        "nodes",
        N_TRAIN + N_HELDOUT + N_UNCORRECTED,
        work / "new",
        seed=21,
        shift=True,
        val_fraction=0,
    )
    labels = dict(line.split(",") for line in (data / "labels.csv").read_text().splitlines()[1:])
    names = (f"scanner2-{k:03d}" for k in range(1000))
    wanted = {TRAIN: N_TRAIN + N_UNCORRECTED, HELDOUT: N_HELDOUT}
    ids: list[tuple[str, str]] = []
    for name in names:
        split = split_for(name)
        if wanted[split] > 0:
            wanted[split] -= 1
            ids.append((name, split))
        if not any(wanted.values()):
            break
    ids.sort(key=lambda item: item[1] != HELDOUT)  # the held-out cases first, then training
    store = Datastore(home)
    for k, (source, (case_id, _split)) in enumerate(
        zip(sorted(p.stem for p in (data / "images").iterdir()), ids, strict=True)
    ):
        store.add_case(data / "images" / f"{source}.png", case_id=case_id)
        if k < N_TRAIN + N_HELDOUT:
            mask = np.asarray(PILImage.open(data / "masks" / f"{source}.png")) > 0
            store.save_correction(case_id, mask, labels[source], "Dr A. Reader")


def shoot_training(shooter: Shooter, home: Path, work: Path, base: Path | None) -> None:
    """A real fine-tuning run from the panel, on the new scanner's corrected cases."""
    window, app = shooter.window, shooter.app
    if base is None and (default_bundle_dir() / "weights.pt").is_file():
        base = default_bundle_dir()
    base = base or small_base(work)
    if base.resolve() != default_bundle_dir().resolve():
        base = own_model(base, work)
        gate_data = write_dataset("nodes", 8, work / "gate", seed=22, val_fraction=0)
        lenient = Gate(gate_data, dice_margin=1.0, accuracy_margin=1.0, min_cases=1)
        Registry(home).promote(base, lenient)
    new_scanner_datastore(home, work)
    window.load_active_model()
    window.open_datastore_cases()
    shooter.wait_for_analysis()
    window.case_dock.choose_order(USEFUL_ORDER)
    wait_until(app, lambda: window.cases.order == USEFUL_ORDER, "the usefulness sort", 300)
    window.training.refresh()
    panel = window.training_panel
    window.resize(*TRAINING_WINDOW_SIZE)
    panel.show()
    settle(app)
    window.resizeDocks([panel], [TRAINING_DOCK_HEIGHT], Qt.Orientation.Vertical)
    panel.epochs_box.setValue(FINETUNE_EPOCHS)
    if not panel.finetune_button.isEnabled():
        raise ScreenshotError(f"cannot fine-tune: {window.training.readiness_text()}")
    panel.finetune_button.click()
    training = window.training
    wait_until(app, lambda: training.phase in (DONE, FAILED), "fine-tuning", TRAINING_TIMEOUT_S)
    if training.phase == FAILED:
        raise ScreenshotError(window.state.last_error or "fine-tuning failed")
    wait_until(app, lambda: not window.has_running_jobs(), "the new model", TIMEOUT_S)
    shooter.save("training_panel.png")


def with_dialog(window: MainWindow, dialog) -> QPixmap:  # noqa: ANN001 - a QDialog
    """The window, dimmed, with the dialog drawn where it opens (centred)."""
    picture = window.grab()
    painter = QPainter(picture)
    painter.fillRect(picture.rect(), QColor(0, 0, 0, 90))
    shot = dialog.grab()
    painter.drawPixmap(
        QPoint((picture.width() - shot.width()) // 2, (picture.height() - shot.height()) // 2),
        shot,
    )
    painter.end()
    return picture


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model bundle folder")
    parser.add_argument("--out", type=Path, default=SHOTS, help="folder for the PNGs")
    parser.add_argument(
        "--finetune-base", type=Path, default=None, help="bundle with weights.pt to fine-tune"
    )
    parser.add_argument(
        "--only-training", action="store_true", help="only the Model & training screenshot"
    )
    parser.add_argument("--only-ct", action="store_true", help="only the CT screenshot")
    parser.add_argument(
        "--only-studies", action="store_true", help="only the multi-view study screenshots"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lesionlens-shots-") as tmp:
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("LesionLens")
        apply_dark_theme(app)
        configure_qt()
        home = Path(tmp) / "home"
        window = MainWindow(CaseState(), ReviewStore(home))
        window.ask_unsaved_changes = lambda _what: DISCARD
        window.review_panel.reviewer_edit.setText("Dr A. Reader")
        window.resize(*WINDOW_SIZE)
        window.show()
        window.load_model(args.model)
        cases = make_cases(Path(tmp) / "cases")
        window.open_folder(cases["dicom"].parent)
        shooter = Shooter(app, window, args.out)
        try:
            if args.only_ct:
                shoot_ct(shooter, cases)
                return 0
            if args.only_studies:
                shoot_studies(shooter, Path(tmp) / "studies")
                return 0
            if not args.only_training:
                shoot_all(shooter, cases)
                shoot_studies(shooter, Path(tmp) / "studies")
            shoot_training(shooter, home, Path(tmp) / "training", args.finetune_base)
        except (ScreenshotError, subprocess.CalledProcessError) as exc:
            print(f"screenshot: {exc}", file=sys.stderr)
            return 1
        finally:
            window.close()
            window.pool.waitForDone(10_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
