"""Synthetic lesions with known answers for the descriptor tests (no model, no data set)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

H, W = 300, 400


def grid() -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[:H, :W]


def ellipse(cy: float, cx: float, half_width: float, half_height: float) -> np.ndarray:
    yy, xx = grid()
    return ((xx - cx) / half_width) ** 2 + ((yy - cy) / half_height) ** 2 <= 1.0


def star(cy: float, cx: float, radius: float, spikes: int = 10, reach: float = 0.6) -> np.ndarray:
    """A disk with `spikes` thin rays reaching `reach` x radius beyond it."""
    yy, xx = grid()
    theta = np.arctan2(yy - cy, xx - cx)
    r = np.hypot(yy - cy, xx - cx)
    return r <= radius * (1.0 + reach * np.maximum(0.0, np.cos(spikes * theta)) ** 8)


def tissue(
    mask: np.ndarray, lesion: float = 40.0, background: float = 120.0, noise: float = 15.0, seed=0
) -> np.ndarray:
    """Speckle-like noisy tissue with the lesion at its own mean grey level."""
    rng = np.random.default_rng(seed)
    image = background + noise * rng.standard_normal(mask.shape)
    image[mask] = lesion + 0.5 * noise * rng.standard_normal(int(mask.sum()))
    return np.clip(image, 0, 255)


def column_below(mask: np.ndarray, image: np.ndarray, factor: float) -> np.ndarray:
    """The image with the column straight below the lesion (its columns, deeper rows)
    multiplied by factor: < 1 a shadow, > 1 enhancement."""
    rows, cols = np.nonzero(mask)
    out = image.copy()
    band = np.zeros_like(mask)
    band[rows.max() + 1 :, cols.min() : cols.max() + 1] = True
    out[band] = np.clip(out[band] * factor, 0, 255)
    return out


@pytest.fixture
def shapes():
    """This module: the shape and image makers above (conftest helpers are not importable
    under --import-mode=importlib)."""
    return sys.modules[__name__]
