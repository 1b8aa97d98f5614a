"""One pigmented skin lesion, described in millimetres so every view renders the same lesion.

A lesion is a shape field and pigment maps on a canonical grid centred on the lesion (mm), plus
point-like structures (dots, globules) and a depth (Breslow-like thickness) profile. The
dermoscopy, clinical-photo and skin-ultrasound renderers sample this one description, so the
photo, the dermoscopy and the ultrasound of a case agree on size, outline and thickness.

Class semantics (the ABCD rule dermatologists use):
- benign nevus: roughly symmetric, regular smooth border, one shade of brown, a regular
  pigment network or regular globules that fade evenly towards the edge, thin (< ~1 mm);
- malignant melanoma: asymmetric, irregular border (notches, lobes, pseudopods), several
  colours (light and dark brown, black blotch, blue-grey veil, red, white regression with
  grey peppering), atypical network and irregular dots, larger and often thicker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from engine.synth.acoustics import smooth_noise

CLASSES = ("benign", "malignant")
GRID = 256  # samples per side of the canonical lesion grid


@dataclass(frozen=True)
class Dot:
    """A globule or dot: centre (x, y) in mm from the lesion centre, radius mm, pigment kind."""

    x_mm: float
    y_mm: float
    radius_mm: float
    kind: str  # "brown", "black" or "grey"


@dataclass(frozen=True)
class SkinLesion:
    """Lesion maps on a GRID×GRID grid spanning [-extent_mm, extent_mm] in x (cols) and y (rows).

    shape: level field, the lesion is shape < 1 (continuous, so renderers can anti-alias).
    melanin: epidermal melanin density (brown), 0..~3. dermal: blue-grey (deep melanin), 0..1.
    red: vascular (erythema), 0..1. regression: white scar-like areas, 0..1.
    network: how much pigment network is visible, 0..1; network_cell_mm and
    network_irregularity describe it. thickness_mm: maximum depth of the lesion below the
    skin surface; depth_profile gives the depth of the lesion's lower border along the
    central horizontal chord (x in mm -> depth mm), used by the ultrasound view.
    """

    label: str
    extent_mm: float
    shape: np.ndarray
    melanin: np.ndarray
    dermal: np.ndarray
    red: np.ndarray
    regression: np.ndarray
    network: np.ndarray
    network_cell_mm: float
    network_irregularity: float
    dots: tuple[Dot, ...]
    diameter_mm: float
    thickness_mm: float
    depth_seed: int

    @property
    def mm_per_cell(self) -> float:
        return 2 * self.extent_mm / GRID

    def sample(self, name: str, x_mm: np.ndarray, y_mm: np.ndarray, fill: float) -> np.ndarray:
        """Bilinear lookup of map `name` at lesion coordinates (mm); `fill` outside the grid."""
        field = getattr(self, name)
        cols = (x_mm + self.extent_mm) / self.mm_per_cell - 0.5
        rows = (y_mm + self.extent_mm) / self.mm_per_cell - 0.5
        return ndimage.map_coordinates(field, [rows, cols], order=1, mode="constant", cval=fill)

    def inside(self, x_mm: np.ndarray, y_mm: np.ndarray) -> np.ndarray:
        return self.sample("shape", x_mm, y_mm, fill=10.0) < 1.0

    def chord_mm(self) -> tuple[float, float]:
        """Left and right end (mm) of the lesion along the horizontal line through its centre."""
        x = np.linspace(-self.extent_mm, self.extent_mm, 4 * GRID)
        inside = self.inside(x, np.zeros_like(x))
        if not inside.any():
            return 0.0, 0.0
        idx = np.flatnonzero(inside)
        return float(x[idx[0]]), float(x[idx[-1]])

    def depth_mm(self, x_mm: np.ndarray) -> np.ndarray:
        """Depth of the lesion's lower border below the epidermis along the central chord.

        A lens-shaped profile scaled to the thickness; melanomas get an uneven, sometimes
        deeper-reaching lower border (invasion fronts), nevi a smooth one.
        """
        left, right = self.chord_mm()
        half = max((right - left) / 2, 1e-6)
        centre = (left + right) / 2
        u = np.clip((x_mm - centre) / half, -1.0, 1.0)
        lens = np.sqrt(np.clip(1 - u**2, 0, None)) ** 0.8
        rng = np.random.default_rng(self.depth_seed)
        if self.label == "malignant":
            bumps = sum(
                rng.uniform(0.05, 0.2) * np.cos(k * np.pi * u + rng.uniform(0, 2 * np.pi))
                for k in (2, 3, 4)
            )
            lens = lens * (1 + bumps)
        else:
            lens = lens * (1 + 0.04 * np.cos(2 * np.pi * u + rng.uniform(0, 2 * np.pi)))
        inside = np.abs(x_mm - centre) <= half
        return np.where(inside, np.clip(lens, 0.0, None) * self.thickness_mm, 0.0)


def make_skin_lesion(rng: np.random.Generator, label: str | None = None) -> SkinLesion:
    """Draw one lesion of the given class (random class when None)."""
    if label is None:
        label = CLASSES[int(rng.integers(0, 2))]
    if label not in CLASSES:
        raise ValueError(f"label must be one of {CLASSES}, not {label!r}")
    malignant = label == "malignant"
    diameter = rng.uniform(6.0, 14.0) if malignant else rng.uniform(3.5, 9.0)
    radius = diameter / 2
    extent = radius * 1.9
    coords = (np.arange(GRID) + 0.5) * (2 * extent / GRID) - extent
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    shape = _shape_field(rng, xx, yy, radius, malignant)
    inside = _clean_mask(shape < 1.0)
    shape = np.where(inside, np.minimum(shape, 0.999), np.maximum(shape, 1.001))
    centre_dist = np.clip(shape, 0, 1)  # 0 at the centre, 1 at the border
    pigment = _pigment_maps(rng, xx, yy, centre_dist, inside, radius, malignant)
    dots = _dots(rng, xx, yy, inside, centre_dist, radius, malignant)
    if malignant:
        thickness = float(rng.choice([rng.uniform(0.3, 1.0), rng.uniform(1.0, 4.0)]))
        cell, irregular = rng.uniform(0.2, 0.45), rng.uniform(0.5, 1.0)
    else:
        thickness = rng.uniform(0.3, 1.2)
        cell, irregular = rng.uniform(0.15, 0.28), rng.uniform(0.0, 0.2)
    return SkinLesion(
        label=label,
        extent_mm=float(extent),
        shape=shape.astype(np.float32),
        **pigment,
        network_cell_mm=float(cell),
        network_irregularity=float(irregular),
        dots=tuple(dots),
        diameter_mm=float(2 * np.sqrt(inside.sum() / np.pi) * (2 * extent / GRID)),
        thickness_mm=float(thickness),
        depth_seed=int(rng.integers(0, 2**31)),
    )


def _shape_field(rng, xx, yy, radius, malignant) -> np.ndarray:  # noqa: ANN001
    """Elliptic radius modulated by angular harmonics and (for melanoma) multi-scale noise."""
    angle = rng.uniform(0, np.pi)
    elong = rng.uniform(0.55, 0.95) if malignant else rng.uniform(0.78, 1.0)
    a, b = radius / np.sqrt(elong), radius * np.sqrt(elong)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    theta = np.arctan2(v / b, u / a)
    r = np.hypot(u / a, v / b)
    if not malignant:
        harmonics = [(k, rng.uniform(0.0, 0.03)) for k in (2, 3)]
        noise_amp, noise_scales = rng.uniform(0.0, 0.025), (GRID / 8,)
    else:
        harmonics = [(k, rng.uniform(0.02, 0.13)) for k in (2, 3, 4, 5, 7, 9, 12)]
        noise_amp, noise_scales = rng.uniform(0.08, 0.16), (GRID / 10, GRID / 24, GRID / 60)
    modulation = 1 + sum(
        amp * np.cos(k * theta + rng.uniform(0, 2 * np.pi)) for k, amp in harmonics
    )
    field = r / modulation
    if malignant:
        # Asymmetry: a second, off-centre lobe merged into the first.
        offset = rng.uniform(0.35, 0.7) * radius
        phi = rng.uniform(0, 2 * np.pi)
        lobe_r = rng.uniform(0.45, 0.75) * radius
        lobe = np.hypot(xx - offset * np.cos(phi), yy - offset * np.sin(phi)) / lobe_r
        field = np.minimum(field, lobe)
        # Pseudopods/streaks: narrow radial tongues reaching past the border.
        for _ in range(int(rng.integers(0, 4))):
            psi = rng.uniform(-np.pi, np.pi)
            width = rng.uniform(0.08, 0.2)
            tongue = np.exp(-(np.angle(np.exp(1j * (np.arctan2(yy, xx) - psi))) ** 2) / width**2)
            field = field - rng.uniform(0.1, 0.25) * tongue * np.clip(field, 0, 1.3)
    shape = (GRID, GRID)
    for scale in noise_scales:
        field = field + noise_amp * smooth_noise(rng, shape, scale) / len(noise_scales) ** 0.5
    return field


def _clean_mask(mask: np.ndarray) -> np.ndarray:
    """One connected lesion without holes (what a dermatologist would outline)."""
    labels, n = ndimage.label(mask)
    if n > 1:
        sizes = ndimage.sum(mask, labels, range(1, n + 1))
        mask = labels == (1 + int(np.argmax(sizes)))
    return ndimage.binary_fill_holes(mask)


def _pigment_maps(rng, xx, yy, centre_dist, inside, radius, malignant) -> dict:  # noqa: ANN001
    shape = (GRID, GRID)
    zeros = np.zeros(shape, dtype=np.float32)
    # Pigment fades towards the border (soft in nevi; abrupt cut-off in parts of melanomas).
    fade = np.clip((1 - centre_dist) / 0.35, 0, 1) ** 0.7
    if not malignant:
        level = rng.uniform(1.0, 2.2)
        melanin = level * (0.85 + 0.1 * smooth_noise(rng, shape, GRID / 10)) * fade
        if rng.random() < 0.35:  # central hyperpigmentation, still symmetric
            melanin *= 1 + 0.5 * np.exp(-(centre_dist**2) / 0.1)
        network = (fade * rng.uniform(0.4, 0.9)) if rng.random() < 0.7 else zeros
        maps = {"melanin": melanin, "dermal": zeros, "red": zeros, "regression": zeros}
        maps["network"] = network
    else:
        fade = np.maximum(fade, (centre_dist < 0.97) * rng.uniform(0.2, 0.7))
        patches = smooth_noise(rng, shape, GRID / 14)
        melanin = rng.uniform(1.0, 2.0) * np.exp(0.45 * patches) * fade
        blotch_centre = rng.uniform(-0.5, 0.5, size=2) * radius
        blotch = np.exp(
            -((xx - blotch_centre[0]) ** 2 + (yy - blotch_centre[1]) ** 2)
            / (2 * (rng.uniform(0.15, 0.35) * radius) ** 2)
        )
        melanin = melanin + rng.uniform(1.0, 2.2) * blotch * (rng.random() < 0.75)
        dermal = _patch(rng, shape, 0.25 if rng.random() < 0.7 else 0.0, GRID / 12)
        red = _patch(rng, shape, 0.3 if rng.random() < 0.6 else 0.0, GRID / 10)
        regression = _patch(rng, shape, 0.2 if rng.random() < 0.5 else 0.0, GRID / 12)
        # Regression replaces pigment: where it is white there is little brown.
        melanin = melanin * (1 - 0.8 * regression)
        network = np.clip(smooth_noise(rng, shape, GRID / 16) + 0.3, 0, 1) * fade * 0.8
        maps = {"melanin": melanin, "dermal": dermal, "red": red, "regression": regression}
        maps["network"] = network
    return {k: (np.clip(v, 0, None) * inside).astype(np.float32) for k, v in maps.items()}


def _patch(rng: np.random.Generator, shape: tuple[int, int], area: float, sigma: float):
    """A soft-edged random region covering about `area` of the grid (0 gives nothing)."""
    if area <= 0:
        return np.zeros(shape, dtype=np.float32)
    field = smooth_noise(rng, shape, sigma)
    threshold = np.quantile(field, 1 - area)
    return np.clip((field - threshold) / 0.5, 0, 1).astype(np.float32)


def _dots(rng, xx, yy, inside, centre_dist, radius, malignant) -> list[Dot]:  # noqa: ANN001
    """Globules: regular ring or none in nevi; scattered, uneven dots in melanoma."""
    dots: list[Dot] = []
    if not malignant:
        pattern = rng.random()
        size = rng.uniform(0.08, 0.16)
        if pattern < 0.15:  # growing nevus: a rim of peripheral globules
            n = int(rng.integers(14, 30))
            phis = np.linspace(0, 2 * np.pi, n, endpoint=False) + rng.normal(0, 0.08, n)
            rims = rng.uniform(0.72, 0.88) + rng.normal(0, 0.03, n)
            for phi, rim in zip(phis, rims, strict=True):
                x, y = rim * radius * np.cos(phi), rim * radius * np.sin(phi)
                dots.append(Dot(x, y, size * rng.uniform(0.85, 1.15), "brown"))
        elif pattern < 0.35:  # globular nevus: evenly spread globules of one size
            spacing = size * rng.uniform(3.0, 4.5)
            for gx in np.arange(-radius, radius, spacing):
                for gy in np.arange(-radius, radius, spacing):
                    x, y = gx + rng.normal(0, spacing * 0.15), gy + rng.normal(0, spacing * 0.15)
                    if np.hypot(x, y) < 0.8 * radius:
                        dots.append(Dot(x, y, size * rng.uniform(0.85, 1.15), "brown"))
        return dots
    candidates = np.flatnonzero(inside & (centre_dist > 0.3))
    if candidates.size == 0:
        return dots
    n = int(rng.integers(5, 30))
    for i in rng.choice(candidates, size=min(n, candidates.size), replace=False):
        kind = str(rng.choice(["brown", "black", "grey"], p=[0.45, 0.35, 0.2]))
        dots.append(Dot(float(xx.flat[i]), float(yy.flat[i]), rng.uniform(0.04, 0.22), kind))
    return dots
