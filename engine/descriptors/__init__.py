"""Lexicon descriptors of one lesion from its mask and image (BI-RADS ultrasound, ACR TI-RADS,
lymph node), each with the measurement behind it, and a proposed category that stays a
proposal until the reader confirms it. Qt-free and torch-free like the rest of engine.

Which models get descriptors: `template_for(spec)`, so the template follows the model. A
model.json may say so itself ("descriptors": "bi-rads", "ti-rads", "lymph-node" or "none"; the
shipped default lymph-node model says "lymph-node", written by training.make_default, so
every analysis and export it makes carries node descriptors); otherwise a single-image model
made for the breast (scope body_parts BREAST, or "breast" in its model id) gets BI-RADS, one
made for the thyroid (THYROID, or "thyroid" in its id) gets TI-RADS, one made for lymph nodes
(LYMPH or NODE, or "lymph-node" in its id: a fine-tuned child of an older default bundle
without the key) gets the node template, and every other model gets none (NECK alone says
neither thyroid nor node).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.descriptors import birads, node, tirads_points
from engine.descriptors.birads import describe_birads
from engine.descriptors.node import describe_node
from engine.descriptors.tirads import describe_tirads
from engine.descriptors.types import TEMPLATES, Descriptor, DescriptorSet, confirm, override

__all__ = [
    "CATEGORY_OPTIONS",
    "Descriptor",
    "DescriptorSet",
    "confirm",
    "describe",
    "describe_birads",
    "describe_node",
    "describe_tirads",
    "gray_frame",
    "override",
    "template_for",
]

# The categories a reader may choose per template (the GUI lists them; a reader's free text
# is kept as it is).
CATEGORY_OPTIONS: dict[str, tuple[str, ...]] = {
    "bi-rads": birads.CATEGORIES,
    "ti-rads": tirads_points.LEVELS,
    "lymph-node": node.CATEGORIES,
}


def template_for(spec: Any) -> str | None:
    """The descriptor template of a model (engine.bundle.ModelSpec), or None for none."""
    raw = getattr(spec, "raw", {}) or {}
    explicit = raw.get("descriptors")
    if explicit is not None:
        name = str(explicit).lower()
        if name in ("none", ""):
            return None
        if name not in TEMPLATES:
            raise ValueError(f"model.json descriptors {explicit!r} is not one of {TEMPLATES}")
        return name
    if getattr(spec, "task", "image") != "image":
        return None
    scope = getattr(spec, "scope", None) or {}
    parts = {str(p).upper() for p in scope.get("body_parts", ())}
    model_id = str(getattr(spec, "model_id", "")).lower()
    if "BREAST" in parts or "breast" in model_id:
        return "bi-rads"
    if "THYROID" in parts or "thyroid" in model_id:
        return "ti-rads"
    if parts & {"LYMPH", "NODE"} or "lymph-node" in model_id:
        return "lymph-node"
    return None


def gray_frame(pixels: np.ndarray) -> np.ndarray:
    """The grayscale H×W frame descriptors are measured on (RGB averaged; echo pattern and
    posterior features are ratios, so the mean of the channels is enough)."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[-1] in (3, 4):
        return pixels[..., :3].astype(np.float64).mean(axis=-1)
    if pixels.ndim != 2:
        raise ValueError(f"descriptors need one H×W frame, not an array of shape {pixels.shape}")
    return pixels.astype(np.float64)


def describe(
    template: str, mask: np.ndarray, pixels: np.ndarray, spacing: tuple[float, float] | None
) -> DescriptorSet:
    """The descriptor set of one lesion (mask: that lesion only) under a template. pixels: the
    frame as stored (the node template reads colour Doppler from an RGB frame)."""
    if template == "bi-rads":
        return describe_birads(mask, gray_frame(pixels), spacing)
    if template == "ti-rads":
        return describe_tirads(mask, gray_frame(pixels), spacing)
    if template == "lymph-node":
        return describe_node(mask, pixels, gray_frame(pixels), spacing)
    raise ValueError(f"no descriptor template {template!r} (implemented: {', '.join(TEMPLATES)})")
