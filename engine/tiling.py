"""Sliding-window inference with Gaussian blending (as nnU-Net does), for models whose
pixel scale matters.

The default ultrasound model letterboxes the whole field of view instead: a lymph node fills
a large part of a neck scan, and a window would cut it into pieces. A bundle opts in with
`"tiling": {"window_px": W, "overlap": 0.5}` in model.json; images whose longer side exceeds
W are then analysed window by window at their own resolution, and the windows' lesion
probabilities are blended with a Gaussian weight that trusts each window's centre most.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CropPredictor = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Start offsets covering [0, length) with windows of `window`; the last one flush."""
    if length <= window:
        return [0]
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] != length - window:
        starts.append(length - window)
    return starts


def gaussian_weight(height: int, width: int, sigma_fraction: float = 0.125) -> np.ndarray:
    return gaussian_window((height, width), sigma_fraction)


def gaussian_window(shape: tuple[int, ...], sigma_fraction: float = 0.125) -> np.ndarray:
    """Separable Gaussian over a window of any dimension (2D tiles, 3D patches)."""
    weight = np.ones((), dtype=np.float64)
    for n in shape:
        axis = np.arange(n) - (n - 1) / 2
        weight = np.multiply.outer(weight, np.exp(-(axis**2) / (2 * (sigma_fraction * n) ** 2)))
    weight = weight.astype(np.float32)
    return np.maximum(weight, weight.max() * 1e-3)  # edges still count a little


def predict_tiled(
    gray: np.ndarray, window_px: int, overlap: float, predict_crop: CropPredictor
) -> tuple[np.ndarray, np.ndarray]:
    """Blend per-window lesion probabilities; class probabilities are averaged over windows
    weighted by how much lesion each window saw, so empty background windows do not dilute
    the lesion's class."""
    h, w = gray.shape
    win_h, win_w = min(window_px, h), min(window_px, w)
    stride = max(1, int(round(window_px * (1.0 - overlap))))
    total = np.zeros((h, w), dtype=np.float32)
    weights = np.zeros((h, w), dtype=np.float32)
    class_sum, mass_sum = None, 0.0
    weight = gaussian_weight(win_h, win_w)
    for r in window_starts(h, win_h, stride):
        for c in window_starts(w, win_w, stride):
            prob, class_probs = predict_crop(gray[r : r + win_h, c : c + win_w])
            total[r : r + win_h, c : c + win_w] += prob * weight
            weights[r : r + win_h, c : c + win_w] += weight
            mass = float(prob.sum()) + 1e-3
            class_sum = class_probs * mass if class_sum is None else class_sum + class_probs * mass
            mass_sum += mass
    return total / weights, class_sum / mass_sum
