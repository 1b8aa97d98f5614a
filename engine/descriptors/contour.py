"""The margin of one lesion read from its outline: spicules, sharp corners, small lobulations.

Three scale-free measurements, each tied to one BI-RADS margin term:

- spicules (spiculated: "sharp lines radiating from the mass"): what a morphological opening
  with a disk of radius r = SPICULE_OPENING x equivalent diameter cuts off, kept where the cut
  piece reaches far (>= SPICULE_REACH x r from the opened body) and is thin (mean thickness
  <= SPICULE_THICKNESS x r). A disk cannot enter a thin spike, so the spike is cut off whole;
  a rounded lobe survives the opening; a 90-degree corner loses a sliver 0.41 r deep only.
- sharp corners (angular): points of the outline, resampled every 1/120 of the equivalent
  diameter, where the chords to the points CORNER_CHORD x diameter before and after meet at
  less than CORNER_ANGLE_DEG. A smooth ellipse of aspect 0.5 turns through about 150 degrees
  there; a square corner, 90.
- small lobulations (microlobulated: "short-cycle undulations"): bumps of the lightly smoothed
  outline above its more strongly smoothed self, at least MICROLOBE_AMPLITUDE x diameter high
  and at most MICROLOBE_WIDTH x diameter wide (arc length).

Roughness is the RMS of that light-minus-strong deviation, in % of the diameter: a single
number of how ragged the outline is, for the benchmark and the reason text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from engine.descriptors.geometry import Spacing, label_counts, label_maxima, outline, scale_of

SPICULE_OPENING = 0.05
SPICULE_REACH = 2.5
SPICULE_THICKNESS = 1.6
CORNER_CHORD = 0.05
CORNER_ANGLE_DEG = 110.0
MICROLOBE_AMPLITUDE = 0.012
MICROLOBE_WIDTH = 0.25
SAMPLES_PER_DIAMETER = 120


@dataclass(frozen=True)
class MarginMeasures:
    """Counts and roughness of one outline (see the module docstring for each rule)."""

    spicules: int
    sharp_corners: int
    sharpest_angle_deg: float
    microlobulations: int
    roughness_pct: float


def measure_margin(mask: np.ndarray, spacing: Spacing = None) -> MarginMeasures:
    scale, _ = scale_of(spacing)
    mask = np.asarray(mask, dtype=bool)
    area = float(mask.sum() * scale[0] * scale[1])
    diameter = float(2.0 * np.sqrt(area / np.pi))
    points = resample(outline(mask) * scale, diameter / SAMPLES_PER_DIAMETER)
    # Where the image edge cuts the lesion, the outline follows the frame: its corners there
    # are the frame's, not the margin's, and are not counted.
    limit = (np.array(mask.shape) - 1) * scale
    on_frame = np.any((points <= 0.5 * scale) | (points >= limit - 0.5 * scale), axis=1)
    corners, sharpest = _sharp_corners(
        points, max(CORNER_CHORD * diameter, 3.0 * scale.max()), on_frame
    )
    lobes, roughness = _undulations(points, diameter, float(scale.max()))
    return MarginMeasures(
        spicules=_spicules(mask, scale, diameter),
        sharp_corners=corners,
        sharpest_angle_deg=sharpest,
        microlobulations=lobes,
        roughness_pct=roughness,
    )


def resample(points: np.ndarray, step: float) -> np.ndarray:
    """A closed outline resampled at equal arc length (about `step` apart, 16..6000 points)."""
    closed = np.vstack([points, points[:1]])
    seg = np.hypot(*np.diff(closed, axis=0).T)
    arc = np.r_[0.0, np.cumsum(seg)]
    count = int(np.clip(round(arc[-1] / max(step, 1e-9)), 16, 6000))
    at = np.linspace(0.0, arc[-1], count, endpoint=False)
    return np.stack([np.interp(at, arc, closed[:, 0]), np.interp(at, arc, closed[:, 1])], axis=1)


def _spicules(mask: np.ndarray, scale: np.ndarray, diameter: float) -> int:
    rows, cols = np.nonzero(mask)
    pad = 3
    r0, c0 = rows.min() - pad, cols.min() - pad
    crop = np.zeros((rows.max() - r0 + pad + 1, cols.max() - c0 + pad + 1), dtype=bool)
    crop[rows - r0, cols - c0] = True
    radius = SPICULE_OPENING * diameter
    ry, rx = (max(radius / s, 1.0) for s in scale)
    yy, xx = np.mgrid[-int(ry) : int(ry) + 1, -int(rx) : int(rx) + 1]
    disk = (yy / ry) ** 2 + (xx / rx) ** 2 <= 1.0
    body = ndimage.binary_opening(crop, structure=disk)
    if not body.any():
        return 0
    cut, count = ndimage.label(crop & ~body)
    if count == 0:
        return 0
    reach = ndimage.distance_transform_edt(~body, sampling=scale)
    far = label_maxima(reach, cut, count)
    area = label_counts(cut, count) * scale.prod()
    thickness = area / np.maximum(far, 1e-9)
    effective = max(radius, float(scale.max()))
    spikes = (far >= SPICULE_REACH * effective) & (thickness <= SPICULE_THICKNESS * effective)
    return int(np.sum(spikes))


def _sharp_corners(
    points: np.ndarray, chord: float, on_frame: np.ndarray | None = None
) -> tuple[int, float]:
    """Runs of outline points whose chord angle is below CORNER_ANGLE_DEG (one per corner),
    and the sharpest angle found. Chords are at least 3 pixels long, so the single-pixel
    steps of a small mask are not taken for corners. Points whose chords reach the image
    frame (on_frame) are left out."""
    n = len(points)
    step = float(np.mean(np.hypot(*np.diff(points, axis=0).T)))
    k = max(2, int(round(chord / max(step, 1e-9))))
    before = np.roll(points, k, axis=0) - points
    after = np.roll(points, -k, axis=0) - points
    cos = np.sum(before * after, axis=1) / (np.hypot(*before.T) * np.hypot(*after.T) + 1e-12)
    angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    if on_frame is not None and on_frame.any():
        near_frame = np.zeros(n, dtype=bool)
        for shift in range(-k, k + 1):
            near_frame |= np.roll(on_frame, shift)
        angle = np.where(near_frame, 180.0, angle)
    sharp = angle < CORNER_ANGLE_DEG
    return _circular_runs(sharp, min_gap=k) if n else 0, float(angle.min()) if n else 180.0


def _undulations(points: np.ndarray, diameter: float, pixel: float) -> tuple[int, float]:
    step = float(np.mean(np.hypot(*np.diff(points, axis=0).T)))
    light = _smooth(points, max(0.01 * diameter, 0.7 * pixel) / step)
    base = _smooth(points, 0.06 * diameter / step)
    tangent = np.gradient(base, axis=0)
    normal = np.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
    normal /= np.hypot(*normal.T)[:, None] + 1e-12
    if np.mean(np.sum((base - base.mean(axis=0)) * normal, axis=1)) < 0:
        normal = -normal  # outward
    deviation = np.sum((light - base) * normal, axis=1)
    roughness = float(100.0 * np.sqrt(np.mean(deviation**2)) / diameter)
    amplitude = max(MICROLOBE_AMPLITUDE * diameter, 0.5 * pixel)
    max_width = int(MICROLOBE_WIDTH * diameter / step)
    bumps = 0
    for start, length in _runs(deviation > 0):
        idx = (start + np.arange(length)) % len(deviation)
        if length <= max_width and deviation[idx].max() >= amplitude:
            bumps += 1
    return bumps, roughness


def _smooth(points: np.ndarray, sigma: float) -> np.ndarray:
    return ndimage.gaussian_filter1d(points, sigma=max(sigma, 0.5), axis=0, mode="wrap")


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of the True runs of a circular sequence."""
    flags = np.asarray(flags, dtype=bool)
    n = len(flags)
    if n == 0 or not flags.any():
        return []
    if flags.all():
        return [(0, n)]
    shift = int(np.argmin(flags))  # start just after a False so no run wraps around
    rolled = np.roll(flags, -shift)
    edges = np.diff(np.r_[0, rolled.astype(np.int8), 0])
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [((s + shift) % n, e - s) for s, e in zip(starts, ends, strict=True)]


def _circular_runs(flags: np.ndarray, min_gap: int) -> int:
    """Number of True runs, runs closer than min_gap merged (one corner, not two)."""
    runs = _runs(flags)
    if len(runs) <= 1:
        return len(runs)
    n = len(flags)
    count = len(runs)
    for (s0, l0), (s1, _) in zip(runs, runs[1:] + runs[:1], strict=True):
        gap = (s1 - (s0 + l0)) % n
        if gap < min_gap:
            count -= 1
    return max(count, 1)
