"""onnxruntime inference for a bundle; preprocessing rebuilt from model.json."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.bundle import Bundle, read_bundle
from engine.errors import BundleError, DeviceError, ImageError
from engine.io.doppler import bmode_gray
from engine.lesion_support import supported_lesions
from engine.preprocess import letterbox, normalise_intensity, to_gray_float, unletterbox
from engine.scope import ScopeModel, assess_scope, read_scope_model
from engine.tiling import predict_tiled
from engine.tissue import fill_overlay, tissue_area_of
from engine.types import Image, Prediction, Scope

PROVIDER_PREFERENCE = (
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "CPUExecutionProvider",
)


def choose_providers(device: str = "auto") -> list[str]:
    """GPU providers first when present (and allowed), CPU always last as the fallback."""
    import onnxruntime as ort

    available = set(ort.get_available_providers())
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "gpu" and not available & set(PROVIDER_PREFERENCE[:3]):
        raise DeviceError(
            "--device gpu: this onnxruntime has no GPU provider (install the 'gpu' extra)"
        )
    preferred = [p for p in PROVIDER_PREFERENCE if p in available]
    return preferred or ["CPUExecutionProvider"]


@dataclass
class LoadedModel:
    """A bundle with its onnxruntime session: load once, predict many times."""

    bundle: Bundle
    session: object
    scope_model: ScopeModel | None = None
    # Whether the graph takes a batch of any size: the TTA passes of a crop then go through
    # one onnxruntime call; a graph fixed at batch 1 gets one call per pass.
    batch_tta: bool = True
    precision: str = "fp32"  # "int8": the bundle's gated model.int8.onnx is running

    def assess_scope(self, image: Image, prediction: Prediction) -> Scope:
        """Whether the image is one this model was made for (engine.scope): its features,
        its tags, and the shape of its tissue panels (a fan for a linear-probe model)."""
        shapes = tuple(panel.shape for panel in tissue_area_of(image).panels)
        return assess_scope(self.scope_model, prediction.features, image.metadata, shapes)

    @property
    def spec(self):  # noqa: ANN201 - ModelSpec; property for brevity at call sites
        return self.bundle.spec

    def at_operating_point(self, name: str | None) -> LoadedModel:
        """The same model (same session) with the named presence operating point in effect;
        the cached model itself is never changed. BundleError for an unknown name."""
        if (name or "") == self.bundle.spec.operating_point:
            return self
        spec = self.bundle.spec.at_operating_point(name)
        return replace(self, bundle=replace(self.bundle, spec=spec))

    def predict(self, image: Image, tta: bool = True) -> Prediction:
        """Segment and classify one image.

        Only B-mode tissue is analysed: each panel of the screen's tissue area (engine.tissue:
        the DICOM ultrasound tissue regions when there are any, else the panels found in the
        pixels) is run on its own, and its lesion probability is kept only inside the panel,
        so burned-in text, bars and a second side-by-side image stay out and no lesion
        crosses a seam. Annotations inside a panel (calipers, labels, Doppler colour) are
        filled from the tissue around them first, so they cannot drive the model; colour
        Doppler becomes the grayscale B-mode the model was trained on. When no panel is
        found the whole image is analysed. The class comes from the largest panel.

        With tta, each input also goes through a lateral flip and two grey-map changes (what
        differs between operators and scanners) in the same batch; the prediction is the
        mean, and the spread of the class probability over the passes is kept as the
        finding's uncertainty. The pixel uncertainty map is the binary entropy of the mean
        lesion probability.
        """
        spec = self.bundle.spec
        # The bundle's own task (model.json), not engine.tasks: every Task imports this
        # module (LoadedModel), so asking engine.tasks here would be an import cycle.
        if spec.task != "image":
            raise BundleError(
                self.bundle.directory,
                f"this model takes a {'study' if spec.task == 'views' else 'volume'}, "
                "not one image",
            )
        if image.pixels.ndim < 2 or min(image.pixels.shape[:2]) == 0:
            raise ImageError(f"image has no pixels (shape {tuple(image.pixels.shape)})")
        gray = (
            bmode_gray(image).astype(np.float32) if image.is_color else to_gray_float(image.pixels)
        )
        area = tissue_area_of(image)
        gray = fill_overlay(gray, area)
        prob = np.zeros(gray.shape, dtype=np.float32)
        # A panel box outside the pixels (region tags that lie about the image) crops nothing.
        windows = [(panel.box, panel.crop()) for panel in area.panels if _covers(panel.box, gray)]
        windows = windows or [((0, 0, gray.shape[0], gray.shape[1]), None)]
        results: list[CropOutputs] = []
        for (r0, c0, r1, c1), inside in windows:
            crop = gray[r0:r1, c0:c1]
            tiling = spec.tiling
            if tiling and max(crop.shape) > int(tiling["window_px"]):
                crop_prob, probs = predict_tiled(
                    crop,
                    int(tiling["window_px"]),
                    float(tiling.get("overlap", 0.5)),
                    lambda window: self._predict_crop(window, tta).pair,
                )
                outputs = CropOutputs(crop_prob, probs)
            else:
                outputs = self._predict_crop(crop, tta)
            lesion = outputs.lesion if inside is None else outputs.lesion * inside
            prob[r0:r1, c0:c1] = np.maximum(prob[r0:r1, c0:c1], lesion)
            results.append(outputs)
        largest = results[0]
        class_probs = largest.class_probs
        mean, spread = class_probs.mean(axis=0), class_probs.std(axis=0)
        # A lesion in any tissue panel is a lesion in the image (tiled windows give none).
        presences = [float(r.presence.mean()) for r in results if r.presence is not None]
        lesion_probability = max(presences) if presences else None
        found = lesion_probability is None or lesion_probability >= spec.presence_threshold
        # "No lesion" is an answer: the mask is empty then (the probability map stays in the
        # uncertainty), so mask.png, findings and the editor all say the same. Weak regions
        # that never reach the peak level are not lesions (engine.lesion_support).
        mask = (prob >= spec.threshold) & found
        mask = supported_lesions(mask, prob, spec.lesion_peak_threshold)
        return Prediction(
            mask=mask.astype(np.uint8),
            probabilities={c: float(p) for c, p in zip(spec.classes, mean, strict=True)},
            uncertainty=_binary_entropy(prob),
            model_id=spec.model_id,
            probability_spread={c: float(p) for c, p in zip(spec.classes, spread, strict=True)},
            tta_passes=len(class_probs),
            input_size=spec.inputs[0].size,
            lesion_probability=lesion_probability,
            lesion_found=found,
            presence_threshold=spec.presence_threshold if spec.has_presence else None,
            operating_point=spec.operating_point,
            features=None if largest.features is None else largest.features.mean(axis=0),
        )

    def _run(self, names: list[str], tensor: np.ndarray) -> list[np.ndarray]:
        """The network's outputs for a batch: one call, or one call per item for a graph
        whose batch is fixed at 1 (the outputs are stacked back along the batch axis)."""
        name = self.bundle.spec.inputs[0].name
        if self.batch_tta or len(tensor) == 1:
            return self.session.run(names, {name: tensor})
        per_item = [self.session.run(names, {name: tensor[i : i + 1]}) for i in range(len(tensor))]
        return [np.concatenate(outputs) for outputs in zip(*per_item, strict=True)]

    def _predict_crop(self, gray: np.ndarray, tta: bool) -> CropOutputs:
        """The model's outputs for one crop: lesion probability at the crop's size, and per
        TTA pass the class probabilities (and lesion presence and features, if the model
        has them)."""
        spec = self.bundle.spec
        inp = spec.inputs[0]
        norm = normalise_intensity(
            gray,
            float(inp.normalisation.get("low_percentile", 0.5)),
            float(inp.normalisation.get("high_percentile", 99.5)),
        )
        boxed, box = letterbox(norm, inp.size)
        variants = _tta_variants(boxed) if tta else [(boxed, False)]
        batch = np.stack([v for v, _ in variants])[:, None]
        tensor = np.repeat(batch, inp.channels, axis=1).astype(np.float32)
        roles = ["segmentation", "classification"] + [
            r for r in ("presence", "features") if r in spec.outputs
        ]
        got = dict(zip(roles, self._run([spec.outputs[r] for r in roles], tensor), strict=True))
        seg_probs = _sigmoid(got["segmentation"][:, 0])
        for i, (_, flipped) in enumerate(variants):
            if flipped:
                seg_probs[i] = seg_probs[i][:, ::-1]
        class_probs = np.stack([_softmax(row / spec.temperature) for row in got["classification"]])
        presence = (
            _sigmoid(got["presence"][:, 0] / spec.presence_temperature)
            if "presence" in got
            else None
        )
        return CropOutputs(
            unletterbox(seg_probs.mean(axis=0), box), class_probs, presence, got.get("features")
        )


@dataclass(frozen=True)
class CropOutputs:
    """What one pass of the network over a crop gave, TTA passes stacked on the first axis."""

    lesion: np.ndarray  # lesion probability at the crop's size (TTA mean)
    class_probs: np.ndarray  # passes × classes
    presence: np.ndarray | None = None  # passes: lesion-present probability
    features: np.ndarray | None = None  # passes × F

    @property
    def pair(self) -> tuple[np.ndarray, np.ndarray]:
        """(lesion probability, class probabilities): what tiled prediction blends."""
        return self.lesion, self.class_probs


def _tta_variants(boxed: np.ndarray) -> list[tuple[np.ndarray, bool]]:
    """(input, was it flipped left-right). No vertical flips: depth carries physics."""
    return [
        (boxed, False),
        (np.ascontiguousarray(boxed[:, ::-1]), True),
        (boxed**0.75, False),
        (boxed**1.33, False),
    ]


_SESSIONS: dict[tuple[str, str, str, float], LoadedModel] = {}

PRECISIONS = ("auto", "fp32", "int8")


def cached_model(
    bundle_dir: str | Path | None = None, device: str = "auto", precision: str = "auto"
) -> LoadedModel:
    """One session per (bundle, device, precision) per process; reloaded when model.onnx
    changes."""
    bundle = read_bundle(bundle_dir)
    key = (str(bundle.directory.resolve()), device, precision, bundle.onnx_path.stat().st_mtime)
    if key not in _SESSIONS:
        _SESSIONS[key] = load_model(bundle_dir, device, precision)
    return _SESSIONS[key]


def load_model(
    bundle_dir: str | Path | None = None, device: str = "auto", precision: str = "auto"
) -> LoadedModel:
    """Open a bundle; every failure becomes a BundleError naming the bundle and the problem.

    precision "auto" runs the bundle's model.int8.onnx when model.json records that it
    passed the accuracy gate for this very model.onnx (engine.quantize) and the session runs
    on the CPU; everywhere else (no int8 model, a GPU provider first) model.onnx. "fp32"
    always takes model.onnx; "int8" insists on the gated int8 model."""
    import onnxruntime as ort

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    bundle = read_bundle(bundle_dir)
    providers = choose_providers(device)
    int8 = int8_model_path(bundle)
    if precision == "int8" and int8 is None:
        raise BundleError(bundle.directory, "has no gated model.int8.onnx for this model.onnx")
    use_int8 = int8 is not None and (
        precision == "int8" or (precision == "auto" and providers[0] == "CPUExecutionProvider")
    )
    path = int8 if use_int8 else bundle.onnx_path
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
        raise BundleError(bundle.directory, f"{path.name} cannot be loaded ({exc})") from exc
    _check_signature(bundle, session)
    scope_model = read_scope_model(bundle.directory, bundle.spec.scope)
    return LoadedModel(
        bundle=bundle,
        session=session,
        scope_model=scope_model,
        batch_tta=takes_any_batch(session),
        precision="int8" if use_int8 else "fp32",
    )


def int8_model_path(bundle: Bundle) -> Path | None:
    """The bundle's model.int8.onnx, if model.json's "int8" record says it passed the
    accuracy gate and was quantised from the model.onnx that is there now (its sha256), so a
    retrained model.onnx never runs with a stale int8 copy."""
    record = bundle.spec.raw.get("int8")
    if not isinstance(record, dict) or record.get("gate") != "passed":
        return None
    path = bundle.directory / str(record.get("file", "model.int8.onnx"))
    if not path.is_file() or record.get("fp32_sha256") != file_sha256(bundle.onnx_path):
        return None
    return path


def file_sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def takes_any_batch(session) -> bool:  # noqa: ANN001 - ort.InferenceSession
    """Whether every input's first axis is symbolic (a dynamic batch), not a fixed number."""
    return all(not isinstance(i.shape[0], int) for i in session.get_inputs())


def _check_signature(bundle: Bundle, session) -> None:  # noqa: ANN001 - ort.InferenceSession
    spec = bundle.spec
    declared = {i.name: i for i in spec.inputs}
    actual = {i.name: i for i in session.get_inputs()}
    for name, inp in declared.items():
        if name not in actual:
            raise BundleError(bundle.directory, f"model.onnx has no input named '{name}'")
        shape = actual[name].shape
        rank, layout = (5, "NCDHW") if spec.task == "volume" else (4, "NCHW")
        if len(shape) != rank:
            raise BundleError(bundle.directory, f"input '{name}' must be {layout}, is {shape}")
        if isinstance(shape[1], int) and shape[1] != inp.channels:
            raise BundleError(
                bundle.directory,
                f"input '{name}' has {shape[1]} channels but model.json says {inp.channels}",
            )
    outputs = {o.name for o in session.get_outputs()}
    for role, name in spec.outputs.items():
        if name not in outputs:
            raise BundleError(bundle.directory, f"model.onnx has no output '{name}' ({role})")


def _covers(box: tuple[int, int, int, int], gray: np.ndarray) -> bool:
    """Whether the box crops at least one pixel of gray."""
    r0, c0, r1, c1 = box
    rows, cols = gray.shape[:2]
    return 0 <= r0 < min(r1, rows) and 0 <= c0 < min(c1, cols)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))).astype(np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return (-(q * np.log2(q) + (1 - q) * np.log2(1 - q))).astype(np.float32)
