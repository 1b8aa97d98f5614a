"""Skin as a camera sees it: tone and texture, lesion pigment optics, hair, and the camera.

Colours are computed as linear reflectance per RGB channel and only turned into sRGB by the
camera at the end, so pigment absorbs (Beer-Lambert) instead of being painted on: melanin
absorbs blue more than red (brown), deep dermal melanin looks blue-grey (Tyndall effect),
haemoglobin takes out green (red), regression is a pale scar.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image as PILImage
from scipy import ndimage
from scipy.spatial import cKDTree

from engine.synth.acoustics import smooth_noise
from engine.synth.skin_lesion import SkinLesion

# Skin tones (sRGB) from fair to olive/brown, as dermoscopy images show them (pinkish-beige).
SKIN_TONES = np.array(
    [(236, 196, 180), (226, 178, 160), (214, 160, 138), (196, 140, 112), (168, 112, 84)],
    dtype=np.float64,
)
MELANIN_ABSORPTION = np.array([0.55, 1.0, 1.45])  # per unit density, R G B
HAEMOGLOBIN_ABSORPTION = np.array([0.02, 0.95, 0.7])
DERMAL_BLUE_GREY = np.array([0.11, 0.13, 0.2])  # linear reflectance of a blue-grey veil
REGRESSION_WHITE = np.array([0.72, 0.62, 0.62])


@dataclass(frozen=True)
class CameraProfile:
    """How a dermatoscope/camera turns reflectance into pixels; `shifted` is another device."""

    colour_cast: tuple[float, float, float] = (1.0, 1.0, 1.0)
    white_balance_jitter: float = 0.04
    exposure: tuple[float, float] = (0.9, 1.12)
    gamma: tuple[float, float] = (0.95, 1.05)
    saturation: tuple[float, float] = (0.9, 1.15)
    blur_px: tuple[float, float] = (0.3, 0.7)
    downsample: tuple[float, float] = (1.0, 1.0)
    noise: float = 0.008
    jpeg_quality: tuple[int, int] | None = None
    vignette: tuple[float, float] = (0.05, 0.3)
    black_frame_probability: float = 0.3


DEFAULT_CAMERA = CameraProfile()
SHIFTED_CAMERA = CameraProfile(
    colour_cast=(0.86, 1.0, 1.2),  # cooler LEDs, another white balance
    white_balance_jitter=0.06,
    exposure=(0.8, 1.25),
    gamma=(0.8, 0.95),
    saturation=(1.05, 1.3),
    blur_px=(0.8, 1.4),
    downsample=(1.5, 2.2),
    noise=0.025,
    jpeg_quality=(35, 65),
    vignette=(0.3, 0.55),
    black_frame_probability=0.75,
)


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    return (np.asarray(srgb, dtype=np.float64) / 255.0) ** 2.2


def cell_lines(
    rng: np.random.Generator,
    x_mm: np.ndarray,
    y_mm: np.ndarray,
    cell_mm: float,
    jitter: float,
    width_mm: float,
) -> np.ndarray:
    """A honeycomb of lines (0..1): Voronoi cell borders of seeds on a jittered grid.

    Used for skin furrows and for the pigment network (rete ridges seen from above).
    """
    x0, x1 = float(x_mm.min()) - cell_mm, float(x_mm.max()) + cell_mm
    y0, y1 = float(y_mm.min()) - cell_mm, float(y_mm.max()) + cell_mm
    gx, gy = np.meshgrid(np.arange(x0, x1, cell_mm), np.arange(y0, y1, cell_mm))
    seeds = np.column_stack([gx.ravel(), gy.ravel()])
    seeds = seeds + rng.uniform(-0.5, 0.5, seeds.shape) * cell_mm * (0.6 + jitter)
    # Warp the plane a little so the borders curve like skin lines, not polygons.
    px = max(float(abs(x_mm[0, 1] - x_mm[0, 0])) if x_mm.shape[1] > 1 else 1.0, 1e-6)
    warp_sigma = max(1.0, cell_mm / px)
    wx = x_mm + 0.25 * cell_mm * smooth_noise(rng, x_mm.shape, warp_sigma)
    wy = y_mm + 0.25 * cell_mm * smooth_noise(rng, x_mm.shape, warp_sigma)
    tree = cKDTree(seeds)
    dist, _ = tree.query(np.column_stack([wx.ravel(), wy.ravel()]), k=2)
    gap = (dist[:, 1] - dist[:, 0]).reshape(x_mm.shape)
    return np.exp(-(gap**2) / (2 * (width_mm / 2) ** 2))


def skin_reflectance(
    rng: np.random.Generator, x_mm: np.ndarray, y_mm: np.ndarray, px_mm: float
) -> np.ndarray:
    """H×W×3 linear reflectance of lesion-free skin with tone, erythema, furrows and pores."""
    h, w = x_mm.shape
    tone = SKIN_TONES[int(rng.integers(0, len(SKIN_TONES)))] + rng.normal(0, 6, 3)
    refl = np.broadcast_to(srgb_to_linear(np.clip(tone, 0, 255)), (h, w, 3)).copy()
    sigma = min(max(2.0, 3.0 / px_mm), max(h, w) / 4)  # erythema blotches of a few mm
    erythema = rng.uniform(0.03, 0.15) * smooth_noise(rng, (h, w), sigma)
    refl *= np.exp(-np.clip(erythema, -0.3, None)[..., None] * HAEMOGLOBIN_ABSORPTION * 0.6)
    refl *= np.exp(0.05 * smooth_noise(rng, (h, w), sigma * 0.5))[..., None]
    furrows = cell_lines(rng, x_mm, y_mm, rng.uniform(0.8, 1.8), 0.6, max(0.08, 2.0 * px_mm))
    furrows = ndimage.gaussian_filter(furrows, 0.8)
    refl *= (1 - rng.uniform(0.03, 0.08) * furrows)[..., None]
    n_pores = int(x_mm.size * px_mm**2 * rng.uniform(0.05, 0.3))  # follicles per mm²
    pores = np.zeros((h, w))
    idx = rng.integers(0, x_mm.size, size=n_pores)
    pores.flat[idx] = 1.0
    pores = ndimage.gaussian_filter(pores, max(0.7, 0.04 / px_mm)) * 3
    refl *= (1 + np.clip(pores, 0, 0.12) * rng.choice([-1.0, 1.0]))[..., None]
    refl *= np.exp(0.03 * rng.standard_normal((h, w)))[..., None]
    return refl


def apply_lesion(
    rng: np.random.Generator,
    refl: np.ndarray,
    lesion: SkinLesion,
    x_mm: np.ndarray,
    y_mm: np.ndarray,
    px_mm: float,
    detail: float = 1.0,
) -> np.ndarray:
    """Absorb and scatter light through the lesion's pigment. `detail` < 1 hides fine structure
    (a clinical photo does not resolve the pigment network)."""
    melanin = lesion.sample("melanin", x_mm, y_mm, 0.0)
    muted = 0.4 + 0.6 * detail  # colours blur together in a photo taken from further away
    dermal = lesion.sample("dermal", x_mm, y_mm, 0.0) * muted
    red = lesion.sample("red", x_mm, y_mm, 0.0)
    regression = lesion.sample("regression", x_mm, y_mm, 0.0) * muted
    network = lesion.sample("network", x_mm, y_mm, 0.0) * detail
    if network.max() > 0:
        lines = cell_lines(
            rng,
            x_mm,
            y_mm,
            lesion.network_cell_mm,
            lesion.network_irregularity,
            max(1.5 * px_mm, lesion.network_cell_mm * (0.3 + 0.2 * lesion.network_irregularity)),
        )
        lines = ndimage.gaussian_filter(lines, 0.7)
        if lesion.network_irregularity > 0.3:  # atypical network: broken, uneven lines
            broken = smooth_noise(rng, x_mm.shape, max(1.0, 0.4 / px_mm)) > -0.3
            lines = lines * broken * (1 + 0.8 * np.clip(smooth_noise(rng, x_mm.shape, 3), 0, 2))
        melanin = melanin * ((1 - network) + network * (0.6 + 0.9 * lines))
    # Fine mottling: pigment is never perfectly even, even in a benign nevus.
    melanin = melanin * np.exp(0.18 * smooth_noise(rng, x_mm.shape, max(1.0, 0.12 / px_mm)))
    dark = np.zeros_like(melanin)
    grey = np.zeros_like(melanin)
    for dot in lesion.dots:
        r2 = (x_mm - dot.x_mm) ** 2 + (y_mm - dot.y_mm) ** 2
        blob = np.exp(-r2 / (2 * max(dot.radius_mm, 0.7 * px_mm) ** 2))
        if dot.kind == "grey":
            grey += 0.9 * blob
        else:
            dark += (1.4 if dot.kind == "brown" else 3.0) * blob
    melanin = melanin + dark * (0.3 + 0.7 * detail)
    if regression.max() > 0:  # peppering: fine grey granules inside regression
        pepper = (rng.random(x_mm.shape) < 0.03 * detail).astype(float)
        grey += regression * ndimage.gaussian_filter(pepper, max(0.5, 0.04 / px_mm)) * 3
    out = refl * np.exp(-melanin[..., None] * MELANIN_ABSORPTION)
    out *= np.exp(-red[..., None] * HAEMOGLOBIN_ABSORPTION * 0.7)
    reg = np.clip(regression, 0, 1)[..., None] * 0.8
    out = out * (1 - reg) + reg * REGRESSION_WHITE
    veil = np.clip(dermal + grey, 0, 1)[..., None] * 0.85
    return out * (1 - veil) + veil * DERMAL_BLUE_GREY


def hair_coverage(rng: np.random.Generator, h: int, w: int, n_strands: int) -> np.ndarray:
    """H×W opacity (0..1) of curved hair strands that cross the field."""
    if n_strands == 0:
        return np.zeros((h, w))
    trace = np.zeros((h + 40, w + 40))
    sigma = rng.uniform(0.6, 1.3)
    step = 0.7
    for _ in range(n_strands):
        length = rng.uniform(0.3, 1.3) * max(h, w)
        n = int(length / step)
        heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.012, n))
        heading += np.linspace(0, rng.normal(0, 0.6), n)  # gentle overall bend
        r0, c0 = rng.uniform(-20, h + 20), rng.uniform(-20, w + 20)
        rows = np.round(r0 + step * np.cumsum(np.sin(heading))).astype(int) + 20
        cols = np.round(c0 + step * np.cumsum(np.cos(heading))).astype(int) + 20
        ok = (rows >= 0) & (rows < h + 40) & (cols >= 0) & (cols < w + 40)
        np.add.at(trace, (rows[ok], cols[ok]), rng.uniform(0.5, 1.0))
    blurred = ndimage.gaussian_filter(trace, sigma)[20:-20, 20:-20]
    return np.clip(blurred * step * np.sqrt(2 * np.pi) * sigma * 1.3, 0, 1)


def draw_hair(rng: np.random.Generator, refl: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    colour = srgb_to_linear(rng.choice([(40, 28, 22), (25, 20, 18), (70, 50, 35), (12, 10, 10)]))
    return refl * (1 - coverage[..., None]) + coverage[..., None] * colour


def draw_ruler(rng: np.random.Generator, refl: np.ndarray, px_mm: float) -> np.ndarray:
    """A dermatoscope scale along one edge: a pale strip with 1-mm ticks, longer every 5 mm."""
    h, w, _ = refl.shape
    out = refl.copy()
    edge = int(rng.integers(0, 4))
    view = out if edge < 2 else out.transpose(1, 0, 2)
    if edge % 2 == 1:
        view = view[::-1]
    length = view.shape[1]
    band = int(rng.integers(10, 22))
    view[:band] = view[:band] * 0.4 + 0.6 * srgb_to_linear((235, 235, 228))
    ink = srgb_to_linear((30, 30, 35))
    start = rng.uniform(0, 1 / px_mm)
    k = 0
    while start + k / px_mm < length - 1:
        c = int(start + k / px_mm)
        tick = band - 2 if k % 5 == 0 else band // 2
        view[1 : 1 + tick, c : c + max(1, int(round(0.08 / px_mm)))] = ink
        k += 1
    return out


def draw_bubbles(rng: np.random.Generator, refl: np.ndarray) -> np.ndarray:
    """Air bubbles in the immersion fluid: thin bright rims with a dark outline."""
    h, w, _ = refl.shape
    yy, xx = np.mgrid[0:h, 0:w]
    out = refl.copy()
    for _ in range(int(rng.integers(1, 7))):
        radius = rng.uniform(3, 22)
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = np.hypot(yy - cy, xx - cx)
        rim = np.exp(-((r - radius) ** 2) / (2 * 0.8**2))
        outline = np.exp(-((r - radius - 1.6) ** 2) / (2 * 0.6**2))
        inner = (r < radius)[..., None] * 0.12
        out = out * (1 - inner) + inner * 0.8
        out = out * (1 - 0.75 * rim[..., None]) + 0.75 * rim[..., None] * 0.95
        out = out * (1 - 0.4 * outline[..., None])
    return out


def illuminate(
    rng: np.random.Generator, refl: np.ndarray, profile: CameraProfile, dermatoscope: bool
) -> np.ndarray:
    """Vignetting, and for some dermatoscopes the black circle outside the lens field."""
    h, w, _ = refl.shape
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx = h / 2 + rng.normal(0, h * 0.03), w / 2 + rng.normal(0, w * 0.03)
    r = np.hypot(yy - cy, xx - cx) / np.hypot(h / 2, w / 2)
    light = 1 - rng.uniform(*profile.vignette) * r**2.2
    if not dermatoscope:  # a clinical photo: light from one side, soft
        phi = rng.uniform(0, 2 * np.pi)
        ramp = ((xx - cx) * np.cos(phi) + (yy - cy) * np.sin(phi)) / max(h, w)
        light = light * (1 + rng.uniform(0.1, 0.35) * ramp)
    out = refl * light[..., None]
    if dermatoscope and rng.random() < profile.black_frame_probability:
        radius = rng.uniform(0.78, 0.98)
        edge = np.clip((radius - r) / 0.015, 0, 1)
        out = out * edge[..., None] + (1 - edge[..., None]) * 0.0004
    return out


def camera(rng: np.random.Generator, refl: np.ndarray, profile: CameraProfile) -> np.ndarray:
    """Linear reflectance -> 8-bit sRGB: white balance, exposure, gamma, saturation, optics,
    sensor noise and (for some devices) JPEG compression."""
    h, w, _ = refl.shape
    gains = np.asarray(profile.colour_cast) * (1 + rng.normal(0, profile.white_balance_jitter, 3))
    img = refl * gains * rng.uniform(*profile.exposure)
    img = np.clip(img, 0, 1) ** (1 / (2.2 * rng.uniform(*profile.gamma)))
    luma = img @ np.array([0.299, 0.587, 0.114])
    img = luma[..., None] + rng.uniform(*profile.saturation) * (img - luma[..., None])
    sigma = rng.uniform(*profile.blur_px)
    img = ndimage.gaussian_filter(img, (sigma, sigma, 0))
    factor = rng.uniform(*profile.downsample)
    if factor > 1.01:
        small = ndimage.zoom(img, (1 / factor, 1 / factor, 1), order=1)
        img = ndimage.zoom(small, (h / small.shape[0], w / small.shape[1], 1), order=1)
    img = img + profile.noise * rng.standard_normal(img.shape) * np.sqrt(np.clip(img, 0.02, 1))
    out = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    if profile.jpeg_quality is not None:
        quality = int(rng.integers(profile.jpeg_quality[0], profile.jpeg_quality[1] + 1))
        buf = io.BytesIO()
        PILImage.fromarray(out).save(buf, format="JPEG", quality=quality)
        buf.seek(0)
        with PILImage.open(buf) as pil:
            out = np.asarray(pil.convert("RGB")).copy()
    return out
