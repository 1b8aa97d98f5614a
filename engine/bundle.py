"""A model bundle is a self-describing folder: model.onnx + model.json + metrics.json.

model.json carries everything inference needs to rebuild preprocessing and to read the
outputs, plus a model card (intended use, training data) the GUI and reports show.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.errors import BundleError
from engine.lesion_support import DEFAULT_PEAK_THRESHOLD

SCHEMA_VERSION = 1
REQUIRED_FILES = ("model.onnx", "model.json")
TASKS = ("image", "views", "volume")
# Roles each task's outputs must name (ONNX output names in model.json "outputs"). An image
# model may also name "presence" (lesion-present logit, N×1) and "features" (image
# features, N×F, for the scope score).
REQUIRED_OUTPUTS = {
    "image": ("segmentation", "classification"),
    "views": ("classification",),
    "volume": ("segmentation", "classification"),
}


def default_bundle_dir() -> Path:
    """The model shipped in the repository (trained by `make model`)."""
    return Path(__file__).resolve().parent.parent / "resources" / "models" / "default"


@dataclass(frozen=True)
class InputSpec:
    name: str
    size: int
    channels: int
    resize: str  # "letterbox": keep aspect ratio, pad to a square
    normalisation: dict[str, Any]
    view: str | None = None  # task "views": the view name of the study this input takes


@dataclass(frozen=True)
class OperatingPoint:
    """A named lesion-present threshold with what it did on held-out images: the share of
    images with a lesion it kept (found) and of normal images it cleared (zero findings)."""

    name: str
    threshold: float
    lesions_found: float | None = None
    normals_cleared: float | None = None
    note: str = ""

    def describe(self) -> str:
        numbers = []
        if self.lesions_found is not None:
            numbers.append(f"finds {self.lesions_found:.0%} of lesions")
        if self.normals_cleared is not None:
            numbers.append(f"clears {self.normals_cleared:.0%} of normal scans")
        return f"{self.name} ({', '.join(numbers)})" if numbers else self.name


@dataclass(frozen=True)
class ModelSpec:
    """The parsed model.json."""

    model_id: str
    version: str
    architecture: str
    inputs: tuple[InputSpec, ...]
    outputs: dict[str, str]  # role -> ONNX output name: "segmentation", "classification"
    classes: tuple[str, ...]
    threshold: float
    temperature: float
    min_lesion_area_px: int
    confidence_threshold: float = 0.7
    # Hysteresis: a region outlined at `threshold` is reported only if its probability
    # reaches this somewhere (the strongest region always is; engine.lesion_support).
    lesion_peak_threshold: float = DEFAULT_PEAK_THRESHOLD
    # "image": one 2D image in (engine.inference); "views": one input per view of a Study
    # (two projections, photo + ultrasound); "volume": a CT/MR volume through a 3D window.
    task: str = "image"
    tiling: dict[str, Any] | None = None  # {"window_px": W, "overlap": 0.5}: sliding window
    # With a "presence" output: a lesion-present probability below this means "no lesion"
    # (calibrated on held-out data; zero findings then). Its logit is divided by
    # presence_temperature first.
    presence_threshold: float = 0.5
    presence_temperature: float = 1.0
    # model.json "presence_operating_points": other thresholds the reader may choose (more
    # sensitive, more specific), each with its held-out numbers; operating_point names the one
    # in effect ("" = presence_threshold as shipped).
    operating_points: tuple[OperatingPoint, ...] = ()
    operating_point: str = ""
    # model.json "scope": {"threshold", "file", "body_parts", "probe", "description"} (see
    # engine.scope); None: the bundle has no scope model.
    scope: dict[str, Any] | None = None
    card: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def has_presence(self) -> bool:
        return "presence" in self.outputs

    def at_operating_point(self, name: str | None) -> ModelSpec:
        """This spec with the named operating point's presence threshold (None or "": as
        shipped). BundleError names the points there are."""
        if not name:
            return replace(
                self, presence_threshold=self.shipped_presence_threshold, operating_point=""
            )
        for point in self.operating_points:
            if point.name == name:
                return replace(self, presence_threshold=point.threshold, operating_point=name)
        names = ", ".join(p.name for p in self.operating_points) or "none"
        raise BundleError(
            Path(self.model_id), f"no operating point {name!r} (this model has: {names})"
        )

    @property
    def shipped_presence_threshold(self) -> float:
        return float(self.raw.get("presence_threshold", 0.5))

    @property
    def intended_use(self) -> str:
        return str(self.card.get("intended_use", "research use; not for diagnosis"))


@dataclass(frozen=True)
class Bundle:
    directory: Path
    spec: ModelSpec
    metrics: dict[str, Any]

    @property
    def onnx_path(self) -> Path:
        return self.directory / "model.onnx"


def read_bundle(directory: str | Path | None = None) -> Bundle:
    directory = Path(directory) if directory is not None else default_bundle_dir()
    if not directory.is_dir():
        raise BundleError(directory, "folder not found")
    for name in REQUIRED_FILES:
        if not (directory / name).is_file():
            raise BundleError(directory, f"{name} is missing")
    try:
        raw = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise BundleError(directory, f"model.json is not valid JSON ({exc})") from exc
    spec = parse_spec(raw, directory)
    metrics_path = directory / "metrics.json"
    metrics: dict[str, Any] = {}
    if metrics_path.is_file():
        try:
            metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise BundleError(directory, f"metrics.json is not valid JSON ({exc})") from exc
    return Bundle(directory=directory, spec=spec, metrics=metrics)


def parse_spec(raw: dict[str, Any], directory: Path) -> ModelSpec:
    """The spec of model.json; a value of the wrong type (a list where a number belongs, a
    number that is not finite) is a BundleError naming the bundle, never a TypeError."""
    try:
        spec = _parse_spec(raw, directory)
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BundleError(directory, f"model.json has a value of the wrong type ({text})") from exc
    numbers = {
        "threshold": spec.threshold,
        "temperature": spec.temperature,
        "confidence_threshold": spec.confidence_threshold,
        "presence_threshold": spec.presence_threshold,
        "presence_temperature": spec.presence_temperature,
        "lesion_peak_threshold": spec.lesion_peak_threshold,
    }
    for name, value in numbers.items():
        if not math.isfinite(value):
            raise BundleError(directory, f"model.json {name} must be a finite number, not {value}")
    if not 0.0 <= spec.lesion_peak_threshold <= 1.0:  # at or below threshold: no effect
        raise BundleError(
            directory,
            f"model.json lesion_peak_threshold must be a probability in [0, 1], "
            f"not {spec.lesion_peak_threshold}",
        )
    return spec


def _parse_spec(raw: dict[str, Any], directory: Path) -> ModelSpec:
    def need(mapping: dict[str, Any], key: str, where: str = "model.json") -> Any:
        if key not in mapping:
            raise BundleError(directory, f"{where} has no '{key}'")
        return mapping[key]

    if not isinstance(raw, dict):
        raise BundleError(directory, "model.json must hold an object")
    inputs_raw = need(raw, "inputs")
    if not isinstance(inputs_raw, list) or not inputs_raw:
        raise BundleError(directory, "model.json 'inputs' must be a non-empty list")
    inputs = []
    for i, item in enumerate(inputs_raw):
        where = f"model.json inputs[{i}]"
        channels = int(need(item, "channels", where))
        if channels not in (1, 3):
            raise BundleError(directory, f"{where} channels must be 1 or 3, not {channels}")
        resize = str(item.get("resize", "letterbox"))
        if resize != "letterbox":
            raise BundleError(directory, f"{where} resize '{resize}' is not supported")
        inputs.append(
            InputSpec(
                name=str(need(item, "name", where)),
                size=int(need(item, "size", where)),
                channels=channels,
                resize=resize,
                normalisation=dict(need(item, "normalisation", where)),
                view=str(item["view"]) if item.get("view") is not None else None,
            )
        )
    task = str(raw.get("task", "image"))
    if task not in TASKS:
        raise BundleError(directory, f"model.json task '{task}' is not one of {', '.join(TASKS)}")
    if task == "views" and any(i.view is None for i in inputs):
        raise BundleError(directory, "model.json task 'views' needs a 'view' on every input")
    if any(i.view is not None and "+" in i.view for i in inputs):
        # The registry files a study model under "views:<a>+<b>" (engine.registry families).
        raise BundleError(directory, "model.json view names may not contain '+'")
    outputs = dict(need(raw, "outputs"))
    for role in REQUIRED_OUTPUTS[task]:
        if role not in outputs:
            raise BundleError(directory, f"model.json outputs has no '{role}'")
    classes = tuple(str(c) for c in need(raw, "classes"))
    if len(classes) < 2:
        raise BundleError(directory, "model.json needs at least two classes")
    temperature = float(raw.get("temperature", 1.0))
    if temperature <= 0:
        raise BundleError(directory, f"temperature must be positive, not {temperature}")
    presence_temperature = float(raw.get("presence_temperature", 1.0))
    presence_threshold = float(raw.get("presence_threshold", 0.5))
    if presence_temperature <= 0 or not 0.0 < presence_threshold < 1.0:
        raise BundleError(
            directory, "presence_temperature must be positive and presence_threshold in (0, 1)"
        )
    operating_points = _operating_points(raw.get("presence_operating_points"), directory)
    scope = raw.get("scope")
    if scope is not None and (not isinstance(scope, dict) or "threshold" not in scope):
        raise BundleError(directory, "model.json scope must be an object with a 'threshold'")
    if scope is not None and "features" not in outputs:
        raise BundleError(directory, "model.json scope needs a 'features' output")
    return ModelSpec(
        model_id=str(need(raw, "model_id")),
        version=str(raw.get("version", "0")),
        architecture=str(raw.get("architecture", "unknown")),
        inputs=tuple(inputs),
        outputs=outputs,
        classes=classes,
        threshold=float(raw.get("threshold", 0.5)),
        temperature=temperature,
        min_lesion_area_px=int(raw.get("min_lesion_area_px", 20)),
        confidence_threshold=float(raw.get("confidence_threshold", 0.7)),
        lesion_peak_threshold=float(raw.get("lesion_peak_threshold", DEFAULT_PEAK_THRESHOLD)),
        task=task,
        tiling=_tiling(raw.get("tiling"), directory),
        presence_threshold=presence_threshold,
        presence_temperature=presence_temperature,
        operating_points=operating_points,
        scope=scope,
        card=dict(raw.get("card", {})),
        raw=raw,
    )


def _operating_points(raw: Any, directory: Path) -> tuple[OperatingPoint, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise BundleError(directory, "model.json presence_operating_points must be a list")
    points = []
    for item in raw:
        try:
            point = OperatingPoint(
                name=str(item["name"]),
                threshold=float(item["threshold"]),
                lesions_found=_optional_float(item.get("lesions_found")),
                normals_cleared=_optional_float(item.get("normals_cleared")),
                note=str(item.get("note", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(
                directory,
                f"model.json presence_operating_points: {item!r} needs a name and a threshold",
            ) from exc
        if not point.name or not 0.0 < point.threshold < 1.0:
            raise BundleError(
                directory, f"operating point {point.name!r}: the threshold must be in (0, 1)"
            )
        points.append(point)
    if len({p.name for p in points}) != len(points):
        raise BundleError(directory, "model.json presence_operating_points: names repeat")
    return tuple(points)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _tiling(raw: Any, directory: Path) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or int(raw.get("window_px", 0)) < 16:
        raise BundleError(directory, "model.json tiling needs a window_px of at least 16")
    overlap = float(raw.get("overlap", 0.5))
    if not 0.0 <= overlap < 0.95:
        raise BundleError(directory, f"model.json tiling overlap {overlap} is not in [0, 0.95)")
    return {"window_px": int(raw["window_px"]), "overlap": overlap}
