"""Ultrasound-appropriate augmentation on batches (torch, CPU-cheap).

What varies between scanners and operators: gain, dynamic range (gamma), speckle size and
smoothing, noise, zoom and probe position. Lateral flips are allowed (left/right has no
meaning in a transverse neck scan); vertical flips are not, because depth carries physics
(attenuation, posterior enhancement, near-field clutter). Rotations stay small: nodes are
oriented relative to the skin, and orientation is part of the class semantics.
"""

from __future__ import annotations

import math

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
