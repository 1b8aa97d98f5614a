"""The interactive bundle on onnxruntime: encode an image once, segment per click.

A bundle (`task: interactive` in model.json) holds encoder.onnx (image -> features, detail)
and decoder.onnx (features, detail, prompts -> logits). The image is preprocessed exactly as
the other models' (engine.preprocess: grey, percentile window, letterbox); clicks and boxes
are mapped from image coordinates into that letterboxed frame, and the mask back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from engine.errors import BundleError, ImageError
from engine.interactive.clicks import Box, Click, prompt_maps
from engine.preprocess import (
    Letterbox,
    letterbox,
    letterbox_mask,
    normalise_intensity,
    to_gray_float,
    unletterbox,
)
from engine.types import Image

TASK = "interactive"
THREADS = 2


def interactive_bundle_dir() -> Path:
    """The interactive model shipped in the repository (trained by `make model-interactive`)."""
    return Path(__file__).resolve().parents[2] / "resources" / "models" / "interactive"


@dataclass(frozen=True)
class InteractiveSpec:
    directory: Path
    model_id: str
    size: int
    low_percentile: float
    high_percentile: float
    threshold: float
    click_radius: float
    encoder: Path
    decoder: Path
    min_lesion_area_px: int = 20
    card: dict[str, Any] = field(default_factory=dict)


def read_interactive_bundle(directory: str | Path | None = None) -> InteractiveSpec:
    """Parse model.json of an interactive bundle; any problem is a BundleError naming it."""
    directory = Path(directory) if directory is not None else interactive_bundle_dir()
    spec_path = directory / "model.json"
    if not spec_path.is_file():
        raise BundleError(directory, "model.json is missing (train it: make model-interactive)")
    try:
        raw = json.loads(spec_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(directory, f"model.json is not valid JSON ({exc})") from exc
    if raw.get("task") != TASK:
        raise BundleError(directory, f"model.json task is {raw.get('task')!r}, not '{TASK}'")
    try:
        norm = raw["input"]["normalisation"]
        spec = InteractiveSpec(
            directory=directory,
            model_id=str(raw["model_id"]),
            size=int(raw["input"]["size"]),
            low_percentile=float(norm["low_percentile"]),
            high_percentile=float(norm["high_percentile"]),
            threshold=float(raw.get("threshold", 0.5)),
            click_radius=float(raw["prompts"]["click_radius"]),
            encoder=directory / str(raw["files"]["encoder"]),
            decoder=directory / str(raw["files"]["decoder"]),
            min_lesion_area_px=int(raw.get("min_lesion_area_px", 20)),
            card=dict(raw.get("card", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(directory, f"model.json lacks or mangles {exc}") from exc
    for path in (spec.encoder, spec.decoder):
        if not path.is_file():
            raise BundleError(directory, f"{path.name} is missing")
    return spec


@dataclass(frozen=True)
class Segmentation:
    """The mask the prompts give: H×W uint8 (0/1) at the image's size, the probability map
    at that size, and the mask in the model's frame (S×S) and how long the click took."""

    mask: np.ndarray
    probability: np.ndarray
    model_mask: np.ndarray
    click_ms: float


def _session(path: Path, threads: int):  # noqa: ANN202 - ort.InferenceSession
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
        raise BundleError(path.parent, f"{path.name} cannot be loaded ({exc})") from exc


def model_input(pixels: np.ndarray, spec: InteractiveSpec) -> tuple[np.ndarray, Letterbox]:
    """Grey, percentile window, letterbox: the frame the model reads (S×S float32)."""
    pixels = np.asarray(pixels)
    cine = pixels.ndim == 4 or (pixels.ndim == 3 and pixels.shape[-1] not in (3, 4))
    if cine:  # its first frame
        pixels = pixels[0]
    if pixels.ndim not in (2, 3) or min(pixels.shape[:2]) == 0:
        raise ImageError(f"cannot segment an image of shape {tuple(pixels.shape)}")
    gray = normalise_intensity(to_gray_float(pixels), spec.low_percentile, spec.high_percentile)
    return letterbox(gray, spec.size)


def to_model_frame(row: float, col: float, box: Letterbox) -> tuple[float, float]:
    """Image (row, col) -> letterboxed model input (row, col); pixel centres map to centres
    as PIL's resize maps them."""
    h, w = box.source_shape
    return (
        (row + 0.5) * box.height / h - 0.5 + box.top,
        (col + 0.5) * box.width / w - 0.5 + box.left,
    )


def prompted_region(mask: np.ndarray, positive: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The parts of a model-frame mask the reader asked for: the connected components under
    a positive click (else, with a box only, those inside the box), grown by one pixel so
    the upsampled outline keeps its edge; all of it when no component is under a prompt."""
    labels, n = ndimage.label(mask)
    if n <= 1:
        return np.ones(mask.shape, dtype=np.float32)
    prompt = positive > 0 if (positive > 0).any() else box > 0
    wanted = np.unique(labels[prompt & mask])
    wanted = wanted[wanted > 0]
    if wanted.size == 0:
        return np.ones(mask.shape, dtype=np.float32)
    keep = ndimage.binary_dilation(np.isin(labels, wanted), iterations=1)
    return keep.astype(np.float32)


class EncodedImage:
    """One image after the encoder: prompt it as often as you like."""

    def __init__(
        self,
        model: InteractiveModel,
        image_shape: tuple[int, int],
        frame: Letterbox,
        features: np.ndarray,
        detail: np.ndarray,
        encode_ms: float,
    ) -> None:
        self.model = model
        self.image_shape = image_shape
        self.frame = frame
        self.features = features
        self.detail = detail
        self.encode_ms = encode_ms

    def prompts(
        self, clicks: Sequence[Click], box: Box | None = None, previous: np.ndarray | None = None
    ) -> np.ndarray:
        """The decoder's prompt maps (4×S×S) for clicks and box in image coordinates and a
        previous mask at the image's size."""
        size = self.model.spec.size
        mapped = [Click(*to_model_frame(c.row, c.col, self.frame), c.positive) for c in clicks]
        model_box = None
        if box is not None:
            r0, c0 = to_model_frame(box.r0, box.c0, self.frame)
            r1, c1 = to_model_frame(box.r1, box.c1, self.frame)
            model_box = Box(r0, c0, r1, c1)
        prev = None
        if previous is not None:
            previous = np.asarray(previous)
            if previous.shape[:2] != self.image_shape:
                raise ImageError(
                    f"previous mask is {previous.shape[:2]}, the image {self.image_shape}"
                )
            prev = letterbox_mask((previous > 0).astype(np.uint8), size) > 0
        return prompt_maps((size, size), mapped, model_box, prev, self.model.spec.click_radius)

    def segment(
        self, clicks: Sequence[Click], box: Box | None = None, previous: np.ndarray | None = None
    ) -> Segmentation:
        """The mask these clicks (and box) ask for, at the image's size. previous: the mask
        shown before this click (the model's last answer or the reader's edit), or None."""
        started = time.perf_counter()
        maps = self.prompts(clicks, box, previous)[None]
        (logits,) = self.model.decoder.run(
            ["logits"], {"features": self.features, "detail": self.detail, "prompts": maps}
        )
        model_prob = 1.0 / (1.0 + np.exp(-logits[0, 0].astype(np.float32)))
        if self.model.keep_prompted:
            model_prob = model_prob * prompted_region(
                model_prob > self.model.spec.threshold, maps[0, 0], maps[0, 2]
            )
        probability = unletterbox(model_prob, self.frame)
        mask = (probability > self.model.spec.threshold).astype(np.uint8)
        elapsed = (time.perf_counter() - started) * 1000
        return Segmentation(mask, probability, model_prob > self.model.spec.threshold, elapsed)


class InteractiveModel:
    """An interactive bundle loaded on onnxruntime (CPU, `threads` threads)."""

    def __init__(
        self,
        directory: str | Path | None = None,
        threads: int = THREADS,
        keep_prompted: bool = True,
    ) -> None:
        """keep_prompted: drop mask components no positive click (or box) asked for."""
        self.keep_prompted = keep_prompted
        self.spec = read_interactive_bundle(directory)
        self.encoder = _session(self.spec.encoder, threads)
        self.decoder = _session(self.spec.decoder, threads)

    @property
    def model_id(self) -> str:
        return self.spec.model_id

    def encode(self, image: Image | np.ndarray) -> EncodedImage:
        pixels = image.pixels if isinstance(image, Image) else np.asarray(image)
        started = time.perf_counter()
        x, frame = model_input(pixels, self.spec)
        features, detail = self.encoder.run(["features", "detail"], {"image": x[None, None]})
        elapsed = (time.perf_counter() - started) * 1000
        return EncodedImage(self, frame.source_shape, frame, features, detail, elapsed)
