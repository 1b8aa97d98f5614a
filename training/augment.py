"""Augmentation on batches (torch, CPU-cheap): ultrasound scanners, and gamma cameras.

What varies between scanners and operators: gain, dynamic range (gamma), speckle size and
smoothing, noise, zoom and probe position. Lateral flips are allowed (left/right has no
meaning in a transverse neck scan); vertical flips are not, because depth carries physics
(attenuation, posterior enhancement, near-field clutter). Rotations stay small: nodes are
oriented relative to the skin, and orientation is part of the class semantics.

`gamma_camera_batch` is the bone-scan counterpart: what differs between gamma cameras and
their displays (count level, collimator resolution and matrix size, display window and grey
map), modelled on the inverted, percentile-normalised display the network reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def augment_batch(
    images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    n = images.shape[0]

    def uniform(lo: float, hi: float, size: int = n) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(size, generator=generator)

    # Geometry: zoom, small rotation, shift, lateral flip (one affine grid for image and mask).
    scale = uniform(0.75, 1.25)
    angle = uniform(-0.15, 0.15)
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    tx, ty = uniform(-0.15, 0.15), uniform(-0.15, 0.15)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    images = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    masks = F.grid_sample(masks, grid, mode="nearest", padding_mode="zeros", align_corners=False)

    # Smoothing (speckle reduction / lower frequency probes).
    blur = torch.rand(n, generator=generator) < 0.4
    if blur.any():
        sigma = float(uniform(0.5, 1.6, 1))
        images[blur] = _gaussian_blur(images[blur], sigma)
    # Multiplicative speckle-like and additive noise.
    speckle = 1 + uniform(0.0, 0.25)[:, None, None, None] * torch.randn(
        images.shape, generator=generator
    )
    images = images * speckle
    images = images + uniform(0.0, 0.05)[:, None, None, None] * torch.randn(
        images.shape, generator=generator
    )
    # Gain, contrast and gamma (dynamic range / grey map).
    images = images.clamp(0, 1) ** uniform(0.6, 1.6)[:, None, None, None]
    images = (
        images * uniform(0.75, 1.25)[:, None, None, None] + uniform(-0.1, 0.1)[:, None, None, None]
    )
    return images.clamp(0, 1), masks


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(math.ceil(2.5 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), k.view(1, 1, -1, 1))


# --- gamma camera (bone scans) ---------------------------------------------------------------

DISPLAY_GAMMA = 0.85  # mid grey-map exponent of the default synthetic camera (0.75-0.95)


@dataclass(frozen=True)
class CameraDraw:
    """One simulated acquisition per case, shared by all its views (same camera, same dose).

    counts: expected counts per input pixel at the display's upper level (the default
    synthetic camera gives ~700-3000 at the 256x96 input, a low-dose scan ~100-300);
    inf = no re-sampling. blur_px: extra collimator blur (Gaussian sigma, input pixels).
    matrix: coarser acquisition matrix, as a down-sampling factor (1 = none).
    """

    counts: torch.Tensor  # (N,)
    blur_px: torch.Tensor  # (N,)
    matrix: torch.Tensor  # (N,)


def draw_camera(
    n: int,
    generator: torch.Generator,
    counts: tuple[float, float] = (60.0, 3000.0),
    blur_px: tuple[float, float] = (0.0, 1.2),
    matrix: tuple[float, float] = (1.0, 1.6),
    p: float = 0.8,
) -> CameraDraw:
    """Random camera per case; with probability 1 - p a case keeps its own camera."""

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=generator)

    active = torch.rand(n, generator=generator) < p
    level = torch.exp(uniform(math.log(counts[0]), math.log(counts[1])))
    return CameraDraw(
        counts=torch.where(active, level, torch.full((n,), math.inf)),
        blur_px=torch.where(active, uniform(*blur_px), torch.zeros(n)),
        matrix=torch.where(active, uniform(*matrix), torch.ones(n)),
    )


def gamma_camera_batch(
    images: torch.Tensor,
    camera: CameraDraw,
    generator: torch.Generator,
    window: tuple[float, float] = (0.35, 1.1),
    gamma: tuple[float, float] = (0.5, 1.05),
    percentiles: tuple[float, float] | None = (0.5, 99.5),
) -> torch.Tensor:
    """Re-acquire and re-display N×1×H×W inverted bone-scan views (uptake dark, in [0, 1]).

    Back to a linear count scale (level = 1 - x, undo the display gamma), then as a camera
    does it: blur (collimator), coarser matrix (block average, shown as blocks), Poisson
    counts at `camera.counts`, and a new display: upper level at `window` × the old one
    (below 1: more of the skeleton saturates), new grey-map exponent `gamma`; last the
    percentile window of the model input again (as engine.view_preprocess.prepare_view does
    to every real view; None skips it). Shape, dtype and the [0, 1] range are kept; the
    background (no counts) stays white. Masks do not move, so they are not touched.
    """
    n = images.shape[0]
    linear = (1 - images.clamp(0, 1)) ** (1 / DISPLAY_GAMMA)
    out = torch.empty_like(linear)
    for i in range(n):
        x = linear[i : i + 1]
        sigma = float(camera.blur_px[i])
        if sigma > 0.05:
            x = _gaussian_blur(x, sigma)
        factor = float(camera.matrix[i])
        if factor > 1.01:
            x = _coarser_matrix(x, factor)
        level = float(camera.counts[i])
        if math.isfinite(level):
            x = torch.poisson(x * level, generator=generator) / level
        out[i] = x[0]
    upper = window[0] + (window[1] - window[0]) * torch.rand(n, 1, 1, 1, generator=generator)
    exponent = gamma[0] + (gamma[1] - gamma[0]) * torch.rand(n, 1, 1, 1, generator=generator)
    shown = 1 - (out / upper).clamp(0, 1) ** exponent
    if percentiles is not None:
        shown = _percentile_window(shown, percentiles)
    return shown.to(images.dtype)


def _percentile_window(x: torch.Tensor, percentiles: tuple[float, float]) -> torch.Tensor:
    """Per image: the low/high percentiles to 0/1 (engine.preprocess.normalise_intensity)."""
    flat = x.reshape(x.shape[0], -1)
    q = torch.tensor([percentiles[0] / 100, percentiles[1] / 100], dtype=flat.dtype)
    lo, hi = torch.quantile(flat, q, dim=1)[:, :, None, None, None].unbind(0)
    spread = hi - lo
    scaled = ((x - lo) / spread.clamp_min(1e-6)).clamp(0, 1)
    return torch.where(spread > 1e-6, scaled, torch.zeros_like(x))


def _coarser_matrix(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Average into a matrix `factor` times coarser, then back to the grid as blocks."""
    h, w = x.shape[-2:]
    small = F.interpolate(
        x, size=(max(1, round(h / factor)), max(1, round(w / factor))), mode="area"
    )
    return F.interpolate(small, size=(h, w), mode="nearest")
