"""The open CT/MR volume as plain Python: crosshair, window, labels under correction, the
volume model's result, and the events the three views and the panel subscribe to.

Qt-free (napari's model layer): tests drive it without a display. The crosshair is one voxel
(z, y, x); each plane shows the slice through it, so clicking in one view moves the other two.
Labels are a VolumeLabels editor from the first moment (empty, loaded from the file beside the
CT, or the model's output), so a reader can segment by hand before any model has run.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.models.editing.mask_ops import Point
from desktop.models.events import Events
from desktop.models.image.window_level import WindowLevel
from desktop.models.volume.label_files import labels_path_for, read_labels, write_labels
from desktop.models.volume.labels import VolumeLabels
from desktop.models.volume.planes import AXIAL, PLANES, PlaneLayout, Voxel
from engine.errors import LesionLensError
from engine.inference import cached_model
from engine.types import Volume, VolumePrediction, WindowPreset

DEFAULT_LABEL_NAMES = ("background", "kidney", "tumour")
# Hounsfield windows readers use on abdominal CT (width / level as on the console).
HU_PRESETS = (
    WindowPreset("Abdomen", 40.0, 400.0),
    WindowPreset("Liver", 60.0, 160.0),
    WindowPreset("Bone", 400.0, 1800.0),
    WindowPreset("Lung", -600.0, 1500.0),
    WindowPreset("Brain", 40.0, 80.0),
)
DEFAULT_OPACITY = 0.45
VOLUME_EVENTS = (
    "volume_changed",  # another volume is open (or none)
    "position_changed",  # the crosshair moved (Voxel)
    "window_changed",  # window/level (WindowLevel)
    "labels_edited",  # voxels changed inside a (z, y, x) region, live during a stroke
    "labels_changed",  # an edit is complete: readouts, undo availability, unsaved mark
    "display_changed",  # overlay opacity, active label or active plane
    "prediction_changed",  # the volume model's result arrived (or was cleared)
    "busy_changed",  # the volume model started or ended
    "status",  # a short message (str)
    "error",  # a failure to show (str)
)


def volume_presets(volume: Volume) -> tuple[WindowPreset, ...]:
    """The abdomen, bone and lung windows, then the file's own presets not already among them."""
    known = {(p.center, p.width) for p in HU_PRESETS}
    own = tuple(p for p in volume.window_presets if (p.center, p.width) not in known)
    return HU_PRESETS + own


def default_volume_window(volume: Volume) -> WindowLevel:
    """The file's own first preset, else the abdomen (soft tissue) window."""
    return WindowLevel.from_preset(
        volume.window_presets[0] if volume.window_presets else HU_PRESETS[0]
    )


@dataclass(frozen=True)
class VolumeRequest:
    """One volume analysis; the generation drops a result for a volume no longer open."""

    generation: int
    volume: Volume
    bundle_dir: Path


def volume_analysis_steps(request: VolumeRequest) -> Generator[str, None, VolumePrediction]:
    """Load the volume model (once per process) and run it: a generator for the worker thread
    (desktop.widgets.worker), so the GUI reports progress and never blocks."""
    from engine.volume.inference import predict_volume

    yield "Loading the volume model…"
    model = cached_model(request.bundle_dir)
    yield f"Segmenting kidneys and tumour with {model.spec.model_id}…"
    return predict_volume(request.volume, model)


class VolumeSession:
    def __init__(self) -> None:
        self.volume: Volume | None = None
        self.path: Path | None = None
        self.layouts: dict[str, PlaneLayout] = {}
        self.labels: VolumeLabels | None = None
        self.labels_file: Path | None = None  # where the labels were loaded from, if anywhere
        self.prediction: VolumePrediction | None = None
        self.position: Voxel = (0, 0, 0)
        self.window = WindowLevel.from_preset(HU_PRESETS[0])
        self.presets: tuple[WindowPreset, ...] = HU_PRESETS
        self.active_label = 1
        self.active_plane = AXIAL
        self.opacity = DEFAULT_OPACITY
        self.busy = False
        self._generation = 0
        self.events = Events(VOLUME_EVENTS)
        self._unsubscribe: list[Callable[[], None]] = []

    def subscribe(self, event: str, callback: Callable[..., None]) -> Callable[[], None]:
        return self.events.subscribe(event, callback)

    def _emit(self, event: str, *args: object) -> None:
        self.events.emit(event, *args)

    def notify(self, message: str) -> None:
        """A short message for the status bar."""
        self._emit("status", message)

    def report_error(self, message: str) -> None:
        """A failure to show (the window's error bar)."""
        self._emit("error", message)

    # -- opening ------------------------------------------------------------------------------

    def open(
        self,
        volume: Volume,
        path: str | Path | None = None,
        label_names: Sequence[str] = DEFAULT_LABEL_NAMES,
    ) -> None:
        """Show a volume at its centre; the labels saved beside it come back when present."""
        self._generation += 1
        self.volume, self.path = volume, Path(path) if path is not None else None
        self.layouts = {plane: PlaneLayout.of(volume, plane) for plane in PLANES}
        self.position = tuple(n // 2 for n in volume.voxels.shape)  # type: ignore[assignment]
        self.presets = volume_presets(volume)
        self.window = default_volume_window(volume)
        self.prediction, self.labels_file, self.busy = None, None, False
        empty = np.zeros(volume.voxels.shape, dtype=np.uint8)
        self._set_labels(VolumeLabels(empty, label_names, volume.spacing_mm))
        self.active_label = 1
        self._emit("volume_changed")
        self._emit("window_changed", self.window)
        self._emit("position_changed", self.position)
        self._emit("prediction_changed", None)
        self._emit("labels_changed")
        saved = labels_path_for(self.path) if self.path is not None else None
        if saved is not None and saved.is_file() and saved != self.path:
            self.load_labels(saved, undoable=False)

    def clear(self) -> None:
        """No volume on screen (an image was opened instead)."""
        self._generation += 1
        self.volume, self.path, self.layouts, self.prediction = None, None, {}, None
        self._set_labels(None)
        self.busy = False
        self._emit("volume_changed")

    def _set_labels(self, labels: VolumeLabels | None) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.labels = labels
        self._unsubscribe = []
        if labels is not None:
            self._unsubscribe = [
                labels.subscribe(
                    "labels_edited", lambda region: self._emit("labels_edited", region)
                ),
                labels.subscribe("changed", lambda _kind: self._emit("labels_changed")),
            ]

    @property
    def label_names(self) -> tuple[str, ...]:
        return self.labels.label_names if self.labels is not None else DEFAULT_LABEL_NAMES

    @property
    def modified(self) -> bool:
        return self.labels is not None and self.labels.modified

    # -- crosshair ----------------------------------------------------------------------------

    def slice_index(self, plane: str) -> int:
        return self.layouts[plane].plane_point(self.position)[0]

    def set_position(self, voxel: Voxel) -> bool:
        if self.volume is None:
            return False
        shape = self.volume.voxels.shape
        voxel = tuple(int(min(max(v, 0), n - 1)) for v, n in zip(voxel, shape, strict=True))
        if voxel == self.position:
            return False
        self.position = voxel  # type: ignore[assignment]
        self._emit("position_changed", self.position)
        return True

    def point_at(self, plane: str, point: Point) -> bool:
        """A click at display (row, col) of a plane: the crosshair goes there."""
        layout = self.layouts.get(plane)
        if layout is None:
            return False
        voxel = layout.voxel(self.slice_index(plane), *point)
        self.set_active_plane(plane)
        return voxel is not None and self.set_position(voxel)

    def set_slice(self, plane: str, index: int) -> bool:
        """Scroll one plane (wheel or slider): the crosshair moves along that plane's axis."""
        layout = self.layouts.get(plane)
        if layout is None:
            return False
        voxel = list(self.position)
        voxel[layout.axis] = index
        return self.set_position(tuple(voxel))  # type: ignore[arg-type]

    def step_slice(self, plane: str, delta: int) -> bool:
        return self.set_slice(plane, self.position[self.layouts[plane].axis] + delta)

    def hu_at_position(self) -> float | None:
        return float(self.volume.voxels[self.position]) if self.volume is not None else None

    # -- window -------------------------------------------------------------------------------

    def set_window(self, window: WindowLevel) -> None:
        if window != self.window:
            self.window = window
            self._emit("window_changed", window)

    def reset_window(self) -> None:
        """View ▸ Default Window/Level (W): the window the volume opened with."""
        if self.volume is not None:
            self.set_window(default_volume_window(self.volume))

    def apply_preset(self, name: str) -> bool:
        for preset in self.presets:
            if preset.name == name:
                self.set_window(WindowLevel.from_preset(preset))
                return True
        return False

    def drag_window(self, dx: float, dy: float) -> None:
        self.set_window(self.window.dragged(dx, dy))

    # -- display ------------------------------------------------------------------------------

    def set_active_label(self, label: int | str) -> None:
        value = self.label_names.index(label) if isinstance(label, str) else int(label)
        if not 0 < value < len(self.label_names):
            raise ValueError(f"label {label!r} is not one of {self.label_names[1:]}")
        if value != self.active_label:
            self.active_label = value
            self._emit("display_changed")

    def set_active_plane(self, plane: str) -> None:
        if plane != self.active_plane:
            self.active_plane = plane
            self._emit("display_changed")

    def set_opacity(self, opacity: float) -> None:
        opacity = min(1.0, max(0.0, float(opacity)))
        if opacity != self.opacity:
            self.opacity = opacity
            self._emit("display_changed")

    # -- editing ------------------------------------------------------------------------------

    def begin_stroke(self, plane: str, point: Point, radius: float, erase: bool) -> None:
        if self.labels is None or self.busy:
            return
        self.set_active_plane(plane)
        index = self.slice_index(plane)
        self.labels.begin_stroke(
            self.layouts[plane], index, point, radius, self.active_label, erase
        )

    def interpolate(self) -> int:
        """Fill between the edited slices of the active label in the active plane."""
        if self.labels is None:
            return 0
        layout = self.layouts[self.active_plane]
        name = self.label_names[self.active_label]
        edited = self.labels.edited_slices(layout.axis, self.active_label)
        filled = self.labels.interpolate(layout.axis, self.active_label)
        where = f"{layout.plane} slices"
        if filled:
            self._emit("status", f"Interpolated {name}: {filled} {where} between {len(edited)}")
        else:
            self._emit(
                "status",
                f"Nothing to interpolate: edit {name} on two {where} at least, with slices "
                "between them",
            )
        return filled

    def reset_to_ai(self) -> bool:
        """Back to the volume model's labels (an undoable edit); False before any analysis."""
        if self.labels is None or self.prediction is None:
            return False
        return self.labels.reset_to_ai()

    def undo(self) -> bool:
        return self.labels is not None and self.labels.undo()

    def redo(self) -> bool:
        return self.labels is not None and self.labels.redo()

    # -- the volume model ---------------------------------------------------------------------

    def start_analysis(self, bundle_dir: str | Path) -> VolumeRequest:
        if self.volume is None:
            raise RuntimeError("start_analysis needs an open volume")
        self._set_busy(True)
        return VolumeRequest(self._generation, self.volume, Path(bundle_dir))

    def finish_analysis(self, request: VolumeRequest, prediction: VolumePrediction) -> bool:
        """The model's labels become the AI original; labels the reader already corrected or
        loaded stay on screen (so nothing typed by hand is lost)."""
        if request.generation != self._generation or self.volume is None:
            return False
        self._set_busy(False)
        if prediction.labels.shape != self.volume.voxels.shape:
            self.fail_analysis(request, ValueError("the model's labels do not fit the volume"))
            return False
        names = tuple(prediction.label_names) or DEFAULT_LABEL_NAMES
        old = self.labels
        unsaved = old is not None and old.modified
        keep = (
            old is not None
            and (unsaved or self.labels_file is not None)
            and int(old.labels.max(initial=0)) < len(names)
        )
        self.prediction = prediction
        labels = VolumeLabels(prediction.labels, names, self.volume.spacing_mm)
        self._set_labels(labels)
        if keep and old is not None:
            # The reader's labels on top of the AI's, as one undoable step ("Undo" shows the
            # model's); still unsaved if they were, so leaving the case asks first.
            labels.replace(old.labels, "Keep your labels")
            if not unsaved:
                labels.mark_saved()
        self._emit("prediction_changed", prediction)
        self._emit("labels_edited", (slice(None),) * 3)
        self._emit("labels_changed")
        return True

    def fail_analysis(self, request: VolumeRequest, error: BaseException | None = None) -> None:
        """The labels stay as they were; `error` is reported unless the caller already did."""
        if request.generation != self._generation:
            return
        self._set_busy(False)
        if error is not None:
            self._emit("error", f"Volume analysis failed: {error}")

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self._emit("busy_changed", busy)

    # -- files --------------------------------------------------------------------------------

    @property
    def labels_path(self) -> Path | None:
        return labels_path_for(self.path) if self.path is not None else None

    def save_labels(self, path: str | Path | None = None) -> Path | None:
        """Write the labels beside the CT (or to `path`), atomically; None on failure."""
        if self.labels is None or self.volume is None:
            return None
        target = Path(path) if path is not None else self.labels_path
        if target is None:
            self._emit("error", "Labels not saved: the volume has no file to save beside")
            return None
        self.labels.end_stroke()
        try:
            write_labels(target, self.labels.labels, self.volume, self.label_names)
        except (OSError, ValueError) as exc:
            self._emit("error", f"Labels not saved: {exc}")
            return None
        self.labels_file = target
        self.labels.mark_saved()
        self._emit("status", f"Saved labels to {target}")
        return target

    def load_labels(self, path: str | Path, undoable: bool = True) -> bool:
        """Labels from a NIfTI on this CT's grid; an undoable change of the ones on screen."""
        if self.labels is None or self.volume is None:
            return False
        try:
            loaded = read_labels(path, self.volume, len(self.label_names))
        except LesionLensError as exc:
            self._emit("error", str(exc))
            return False
        if undoable:
            self.labels.replace(loaded, "Load labels")
        else:
            original = self.labels.original
            self._set_labels(
                VolumeLabels(original, self.label_names, self.volume.spacing_mm, loaded)
            )
            self._emit("labels_edited", (slice(None),) * 3)
            self._emit("labels_changed")
        self.labels_file = Path(path)
        self._emit("status", f"Labels loaded from {Path(path).name}")
        return True

    def volumes_ml(self) -> dict[str, float]:
        return self.labels.volumes_ml() if self.labels is not None else {}
