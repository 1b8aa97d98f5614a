"""Kidney and tumour in a CT volume: a 3D sliding window on onnxruntime, then radiomics.

Everything the preprocessing needs is in the bundle's model.json (as nnU-Net rebuilds it
from plans.json), under "volume":

    {"patch": [D, H, W], "overlap": 0.5, "spacing_mm": [z, y, x], "hu_window": [lo, hi],
     "label_names": ["background", "kidney", "tumour"], "max_components": 2,
     "min_component_fraction": 0.1, "min_tumour_fraction": 0.1}

and the radiomics classifier under "radiomics" (engine.radiomics.classifier_probabilities).
The volume is resampled to the training spacing when its own differs, windowed and
normalised to [-1, 1], predicted window by window with Gaussian blending (the 2D tiler's
weights, engine.tiling), and the label probabilities are resampled back to the volume's own
grid before the argmax, so the labels line up with the voxels the reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from engine.errors import BundleError
from engine.inference import LoadedModel
from engine.radiomics import classifier_probabilities, tumour_features
from engine.tiling import gaussian_window, window_starts
from engine.types import Volume, VolumePrediction

# Spacings closer than this (relative) to the training spacing are used as they are.
SPACING_TOLERANCE = 0.02
MIN_TUMOUR_VOXELS = 8  # fewer cannot carry texture or shape: no radiomics then
WINDOW_BATCH = 4


@dataclass(frozen=True)
class VolumePlan:
    """The "volume" block of model.json, checked."""

    patch: tuple[int, int, int]
    overlap: float
    spacing_mm: tuple[float, float, float]
    hu_window: tuple[float, float]
    label_names: tuple[str, ...]
    max_components: int
    min_component_fraction: float
    min_tumour_fraction: float = 0.0

    @classmethod
    def from_model(cls, model: LoadedModel) -> VolumePlan:
        spec = model.bundle.spec
        raw = spec.raw.get("volume")
        where = model.bundle.directory
        if spec.task != "volume" or not isinstance(raw, dict):
            raise BundleError(where, "not a volume model (model.json needs task 'volume')")
        try:
            patch = tuple(int(v) for v in raw["patch"])
            spacing = tuple(float(v) for v in raw["spacing_mm"])
            window = tuple(float(v) for v in raw["hu_window"])
            names = tuple(str(v) for v in raw["label_names"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(where, f"model.json 'volume' is incomplete ({exc})") from exc
        if len(patch) != 3 or len(spacing) != 3 or len(window) != 2 or window[1] <= window[0]:
            raise BundleError(where, "model.json 'volume' patch/spacing_mm/hu_window malformed")
        if len(names) < 2:
            raise BundleError(where, "model.json 'volume' needs at least two label_names")
        return cls(
            patch=patch,  # type: ignore[arg-type]
            overlap=float(raw.get("overlap", 0.5)),
            spacing_mm=spacing,  # type: ignore[arg-type]
            hu_window=window,  # type: ignore[arg-type]
            label_names=names,
            max_components=int(raw.get("max_components", 2)),
            min_component_fraction=float(raw.get("min_component_fraction", 0.1)),
            min_tumour_fraction=float(raw.get("min_tumour_fraction", 0.0)),
        )


def normalise_hu(hu: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """Clip to the HU window, then map it linearly onto [-1, 1]."""
    lo, hi = window
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    return ((np.clip(hu.astype(np.float32), lo, hi) - centre) / half).astype(np.float32)


def predict_volume(volume: Volume, model: LoadedModel) -> VolumePrediction:
    """Labels at the volume's grid, label volumes in mL, deep and radiomics class
    probabilities. Deep class: window outputs weighted by how much tumour each window saw."""
    plan = VolumePlan.from_model(model)
    spec = model.bundle.spec
    hu = np.asarray(volume.voxels, dtype=np.float32)
    factors = np.asarray(volume.spacing_mm, float) / np.asarray(plan.spacing_mm, float)
    resample = bool(np.any(np.abs(factors - 1.0) > SPACING_TOLERANCE))
    work = ndimage.zoom(hu, factors, order=1) if resample else hu
    label_probs, class_probs = sliding_window(
        normalise_hu(work, plan.hu_window),
        plan.patch,
        plan.overlap,
        lambda batch: _run(model, batch),
    )
    if resample:
        label_probs = np.stack([resize_to(p, hu.shape) for p in label_probs])
    labels = keep_main_components(
        np.argmax(label_probs, axis=0).astype(np.uint8),
        plan.max_components,
        plan.min_component_fraction,
    )
    labels = drop_small_lesions(labels, len(plan.label_names) - 1, plan.min_tumour_fraction)
    deep = class_probs / class_probs.sum()
    tumour = labels == len(plan.label_names) - 1
    features: dict[str, float] = {}
    radiomics: dict[str, float] = {}
    if int(tumour.sum()) >= MIN_TUMOUR_VOXELS:
        features = tumour_features(hu, tumour, volume.spacing_mm)
        classifier = spec.raw.get("radiomics")
        if isinstance(classifier, dict):
            radiomics = classifier_probabilities(features, classifier)
    return VolumePrediction(
        labels=labels,
        label_names=plan.label_names,
        probabilities={c: float(p) for c, p in zip(spec.classes, deep, strict=True)},
        volumes_ml=label_volumes_ml(labels, plan.label_names, volume.spacing_mm),
        model_id=spec.model_id,
        radiomics_probabilities=radiomics,
        features=features,
    )


def _run(model: LoadedModel, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(label probabilities N×K×D×H×W, class probabilities N×C) of a batch of windows."""
    spec = model.bundle.spec
    seg, cls = model.session.run(
        [spec.outputs["segmentation"], spec.outputs["classification"]],
        {spec.inputs[0].name: batch[:, None].astype(np.float32)},
    )
    seg = np.exp(seg - seg.max(axis=1, keepdims=True))
    cls = cls / spec.temperature
    cls = np.exp(cls - cls.max(axis=1, keepdims=True))
    return seg / seg.sum(axis=1, keepdims=True), cls / cls.sum(axis=1, keepdims=True)


def sliding_window(
    x: np.ndarray,
    patch: tuple[int, int, int],
    overlap: float,
    run: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Blend per-window label probabilities with a Gaussian weight (trust window centres);
    class probabilities are averaged with each window's tumour mass (last label) as weight.

    run(batch N×D×H×W) -> (N×K×D×H×W probabilities, N×C probabilities). A volume smaller
    than the patch is padded with the lowest normalised value (air) and cropped back."""
    shape = x.shape
    pad = [(0, max(0, p - s)) for s, p in zip(shape, patch, strict=True)]
    padded = np.pad(x, pad, constant_values=float(x.min()) if x.size else -1.0)
    weight = gaussian_window(patch)
    starts = [
        window_starts(n, p, max(1, int(round(p * (1.0 - overlap)))))
        for n, p in zip(padded.shape, patch, strict=True)
    ]
    corners = [(z, y, xx) for z in starts[0] for y in starts[1] for xx in starts[2]]
    total = weights = None
    class_sum, mass_sum = 0.0, 0.0
    for i in range(0, len(corners), WINDOW_BATCH):
        chunk = corners[i : i + WINDOW_BATCH]
        batch = np.stack([padded[_box(c, patch)] for c in chunk])
        label_probs, class_probs = run(batch)
        if total is None:
            total = np.zeros((label_probs.shape[1], *padded.shape), np.float32)
            weights = np.zeros(padded.shape, np.float32)
        for corner, probs, cls in zip(chunk, label_probs, class_probs, strict=True):
            box = _box(corner, patch)
            total[(slice(None), *box)] += probs * weight
            weights[box] += weight
            mass = float(probs[-1].sum()) + 1e-3
            class_sum = class_sum + cls * mass
            mass_sum += mass
    assert total is not None and weights is not None
    crop = tuple(slice(0, n) for n in shape)
    return (total / weights)[(slice(None), *crop)], np.asarray(class_sum) / mass_sum


def _box(corner: tuple[int, int, int], patch: tuple[int, int, int]) -> tuple[slice, ...]:
    return tuple(slice(c, c + p) for c, p in zip(corner, patch, strict=True))


def resize_to(array: np.ndarray, shape: tuple[int, ...], order: int = 1) -> np.ndarray:
    """Zoom to exactly `shape` (zoom can be a voxel off; pad by edge or crop the rest)."""
    factors = [t / s for t, s in zip(shape, array.shape, strict=True)]
    out = ndimage.zoom(array, factors, order=order)
    pad = [(0, max(0, t - s)) for t, s in zip(shape, out.shape, strict=True)]
    out = np.pad(out, pad, mode="edge")
    return out[tuple(slice(0, t) for t in shape)]


def keep_main_components(
    labels: np.ndarray, max_components: int = 2, min_fraction: float = 0.1
) -> np.ndarray:
    """Keep the `max_components` largest connected foreground parts (two kidneys, each with
    its tumour) and drop the rest, and any part smaller than min_fraction of the largest:
    scattered false positives in bowel or spleen would otherwise count as kidney volume."""
    foreground = labels > 0
    parts, n = ndimage.label(foreground, structure=np.ones((3, 3, 3), bool))
    if n <= 1:
        return labels
    sizes = np.bincount(parts.ravel())[1:]
    order = np.argsort(sizes)[::-1][:max_components]
    keep = [i + 1 for i in order if sizes[i] >= min_fraction * sizes.max()]
    return np.where(np.isin(parts, keep), labels, 0).astype(labels.dtype)


def drop_small_lesions(labels: np.ndarray, lesion: int, min_fraction: float) -> np.ndarray:
    """Lesion islands smaller than min_fraction of the largest become the organ (label
    lesion - 1): specks of "tumour" in noisy parenchyma would otherwise dilute the radiomics
    of the real tumour. min_fraction 0 keeps everything."""
    if min_fraction <= 0:
        return labels
    parts, n = ndimage.label(labels == lesion, structure=np.ones((3, 3, 3), bool))
    if n <= 1:
        return labels
    sizes = np.bincount(parts.ravel())[1:]
    small = np.flatnonzero(sizes < min_fraction * sizes.max()) + 1
    out = labels.copy()
    out[np.isin(parts, small)] = lesion - 1
    return out


def label_volumes_ml(
    labels: np.ndarray, names: tuple[str, ...], spacing_mm: tuple[float, float, float]
) -> dict[str, float]:
    """Per label name (background left out): voxel count × voxel volume, in millilitres."""
    voxel_ml = float(np.prod(spacing_mm)) / 1000.0
    counts = np.bincount(labels.ravel(), minlength=len(names))
    return {name: float(counts[i]) * voxel_ml for i, name in enumerate(names) if i > 0}
