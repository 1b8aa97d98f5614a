"""onnxruntime inference for a bundle; preprocessing rebuilt from model.json."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.bundle import Bundle, read_bundle
from engine.errors import BundleError
from engine.preprocess import letterbox, normalise_intensity, to_gray_float, unletterbox
from engine.types import Image, Prediction

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
    preferred = [p for p in PROVIDER_PREFERENCE if p in available]
    return preferred or ["CPUExecutionProvider"]


@dataclass
class LoadedModel:
    """A bundle with its onnxruntime session: load once, predict many times."""

    bundle: Bundle
    session: object

    @property
    def spec(self):  # noqa: ANN201 - ModelSpec; property for brevity at call sites
        return self.bundle.spec

    def predict(self, image: Image) -> Prediction:
        spec = self.bundle.spec
        inp = spec.inputs[0]
        gray = to_gray_float(image.pixels)
        norm = normalise_intensity(
            gray,
            float(inp.normalisation.get("low_percentile", 0.5)),
            float(inp.normalisation.get("high_percentile", 99.5)),
        )
        boxed, box = letterbox(norm, inp.size)
        tensor = np.repeat(boxed[None, None], inp.channels, axis=1).astype(np.float32)
        seg_name = spec.outputs["segmentation"]
        cls_name = spec.outputs["classification"]
        seg_logits, cls_logits = self.session.run([seg_name, cls_name], {inp.name: tensor})
        prob_small = _sigmoid(seg_logits[0, 0])
        prob = unletterbox(prob_small, box)
        mask = (prob >= spec.threshold).astype(np.uint8)
        class_probs = _softmax(cls_logits[0] / spec.temperature)
        return Prediction(
            mask=mask,
            probabilities={c: float(p) for c, p in zip(spec.classes, class_probs, strict=True)},
            uncertainty=_binary_entropy(prob),
            model_id=spec.model_id,
        )


def load_model(bundle_dir: str | Path | None = None, device: str = "auto") -> LoadedModel:
    """Open a bundle; every failure becomes a BundleError naming the bundle and the problem."""
    import onnxruntime as ort

    bundle = read_bundle(bundle_dir)
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(
            str(bundle.onnx_path), sess_options=options, providers=choose_providers(device)
        )
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
        raise BundleError(bundle.directory, f"model.onnx cannot be loaded ({exc})") from exc
    _check_signature(bundle, session)
    return LoadedModel(bundle=bundle, session=session)


def _check_signature(bundle: Bundle, session) -> None:  # noqa: ANN001 - ort.InferenceSession
    spec = bundle.spec
    declared = {i.name: i for i in spec.inputs}
    actual = {i.name: i for i in session.get_inputs()}
    for name, inp in declared.items():
        if name not in actual:
            raise BundleError(bundle.directory, f"model.onnx has no input named '{name}'")
        shape = actual[name].shape
        if len(shape) != 4:
            raise BundleError(bundle.directory, f"input '{name}' must be NCHW, is {shape}")
        if isinstance(shape[1], int) and shape[1] != inp.channels:
            raise BundleError(
                bundle.directory,
                f"input '{name}' has {shape[1]} channels but model.json says {inp.channels}",
            )
    outputs = {o.name for o in session.get_outputs()}
    for role, name in spec.outputs.items():
        if name not in outputs:
            raise BundleError(bundle.directory, f"model.onnx has no output '{name}' ({role})")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))).astype(np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return (-(q * np.log2(q) + (1 - q) * np.log2(1 - q))).astype(np.float32)
