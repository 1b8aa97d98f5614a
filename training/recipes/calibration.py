"""Calibrate a trained single-image network on held-out images: class temperature, presence
temperature and threshold, scope model.

Everything here reads held-out images only (never the training images, whose logits are
overconfident), except the scope model's mean and covariance, which describe the training
distribution by definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from training.data import ArrayDataset
from training.fit import fit_temperature, predict_outputs
from training.losses import NO_LESION
from training.operating_points import SENSITIVITY, operating_points, presence_threshold_for
from training.scope_fit import fit_scope

# A missed lesion costs more than a normal scan shown with a finding the reader dismisses:
# the presence threshold keeps this share of held-out lesion images (the "sensitive" point).
PRESENCE_SENSITIVITY = SENSITIVITY


@dataclass(frozen=True)
class Calibration:
    temperature: float
    presence_temperature: float
    presence_threshold: float
    scope: dict[str, Any]  # scope.json content
    scope_threshold: float
    heldout: dict[str, float]  # what the calibration saw: sensitivities, rates
    # training.operating_points on the held-out presence probabilities ([] without normals)
    operating_points: list[dict[str, Any]] = field(default_factory=list)


def features_of(net: torch.nn.Module, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """The network's image features (its last output) for preprocessed images."""
    net.eval()
    rows = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            rows.append(net(torch.from_numpy(images[start : start + batch_size]))[-1].numpy())
    return np.concatenate(rows)


def calibrate(net: torch.nn.Module, train: ArrayDataset, heldout: ArrayDataset) -> Calibration:
    _, logits, presence = predict_outputs(net, heldout.images)
    lesion = heldout.labels != NO_LESION
    temperature = fit_temperature(logits[lesion], heldout.labels[lesion])
    if presence is None:
        raise ValueError("calibrate needs a network with a presence head")
    present = (heldout.masks.reshape(len(heldout), -1).max(axis=1) > 0).astype(np.int64)
    two_class = np.stack([np.zeros_like(presence), presence], axis=1)
    presence_temperature = fit_temperature(two_class, present)
    probs = 1.0 / (1.0 + np.exp(-presence / presence_temperature))
    threshold = presence_threshold_for(probs[present == 1])
    points = []
    if (present == 0).any() and (present == 1).any():
        note = (
            f"held-out split of the training run: {int(present.sum())} images with a lesion, "
            f"{int((present == 0).sum())} normal"
        )
        points = operating_points(probs[present == 1], probs[present == 0], note=note)
    scope, scope_threshold = fit_scope(
        features_of(net, train.images), features_of(net, heldout.images)
    )
    return Calibration(
        temperature=temperature,
        presence_temperature=presence_temperature,
        presence_threshold=threshold,
        scope=scope,
        scope_threshold=scope_threshold,
        heldout={
            "n": int(len(heldout)),
            "lesion_images_kept": float((probs[present == 1] >= threshold).mean()),
            "normal_images_cleared": float((probs[present == 0] < threshold).mean())
            if (present == 0).any()
            else float("nan"),
        },
        operating_points=points,
    )
