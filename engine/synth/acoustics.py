"""B-mode image formation shared by the ultrasound domains (neck nodes, skin).

Echogenicity map in, 8-bit B-mode out, the way a linear-array scanner forms it: fully
developed speckle through a depth-dependent point-spread function, round-trip attenuation
against an imperfect time-gain compensation, near-field clutter, log compression and the
scanner's own smoothing and resolution. Every step draws from the caller's generator in a
fixed order, so a seed gives the same image bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, signal


@dataclass(frozen=True)
class ScannerProfile:
    """Acquisition settings that vary between scanners; `shifted` is 'another vendor'."""

    freq_mhz: tuple[float, float] = (8.0, 14.0)
    depth_mm: tuple[float, float] = (25.0, 45.0)
    dynamic_range_db: tuple[float, float] = (48.0, 66.0)
    gain_db: tuple[float, float] = (-4.0, 4.0)
    tgc_error: tuple[float, float] = (-0.3, 0.3)
    smoothing_px: tuple[float, float] = (0.0, 0.6)
    noise_db: float = -45.0
    downsample: tuple[float, float] = (1.0, 1.0)
    gamma: tuple[float, float] = (0.9, 1.1)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Unit-variance Gaussian random field with correlation length ~sigma pixels."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return field / (field.std() + 1e-9)


def speckle_envelope(
    rng: np.random.Generator, echo: np.ndarray, px: float, freq: float
) -> np.ndarray:
    """Complex Gaussian scattering convolved with a depth-dependent PSF; returns the envelope."""
    h, w = echo.shape
    scat = (rng.standard_normal((h, w)) + 1j * rng.standard_normal((h, w))) * np.sqrt(echo)
    wavelength = 1.54 / freq  # mm, c = 1540 m/s
    sigma_axial = max(0.6, 0.9 * wavelength / px)
    focus = rng.uniform(0.3, 0.6) * h
    depths = np.linspace(0, h - 1, 4)
    rows = np.arange(h)[:, None].astype(np.float64)
    out = np.zeros((h, w), dtype=np.complex128)
    weights_sum = np.zeros((h, 1))
    for d in depths:
        sigma_lat = max(0.8, 2.0 * wavelength / px * np.sqrt(1 + ((d - focus) / (0.45 * h)) ** 2))
        kz = int(3 * sigma_axial) + 1
        kx = int(3 * sigma_lat) + 1
        z = np.arange(-kz, kz + 1)[:, None]
        x = np.arange(-kx, kx + 1)[None, :]
        carrier = np.exp(1j * 2 * np.pi * z * px / wavelength * 0.5)
        kernel = np.exp(-(z**2) / (2 * sigma_axial**2) - x**2 / (2 * sigma_lat**2)) * carrier
        weight = np.clip(1 - np.abs(rows - d) / (depths[1] - depths[0]), 0, 1)
        out += signal.fftconvolve(scat, kernel, mode="same") * weight
        weights_sum += weight
    return np.abs(out / np.maximum(weights_sum, 1e-9))


def attenuation_with_tgc(
    rng: np.random.Generator,
    atten: np.ndarray,
    px: float,
    freq: float,
    profile: ScannerProfile,
) -> np.ndarray:
    """Round-trip attenuation integrated down each scan line, divided by the scanner's TGC."""
    db_per_px = atten * freq * px / 10.0  # dB/cm/MHz * MHz * cm
    cumulative = 2 * np.cumsum(db_per_px, axis=0)
    depth_px = np.arange(atten.shape[0])[:, None]
    nominal = 2 * np.median(atten) * freq * px / 10.0 * depth_px
    tgc = nominal * (1 + rng.uniform(*profile.tgc_error))
    return 10 ** (-(cumulative - tgc) / 20)


def near_field_clutter(
    rng: np.random.Generator, h: int, w: int, px: float, level: float
) -> np.ndarray:
    """Haze and reverberation bands just below the probe face."""
    rows = np.arange(h)[:, None] * px
    haze = level * rng.uniform(0.3, 1.0) * np.exp(-rows / rng.uniform(1.5, 4.0))
    reverb_depth = rng.uniform(2.0, 4.0)
    reverb = sum(
        level * 0.4 / k * np.exp(-((rows - k * reverb_depth) ** 2) / 0.05) for k in (1, 2, 3)
    )
    return np.broadcast_to(haze + reverb, (h, w)) * (1 + 0.3 * rng.standard_normal((h, w)))


def lateral_apodisation(w: int) -> np.ndarray:
    """The outermost scan lines are a little weaker (fewer active elements)."""
    x = np.linspace(-1, 1, w)
    return 1 - 0.25 * np.clip(np.abs(x) - 0.8, 0, None) / 0.2


def log_compress(
    rng: np.random.Generator, envelope: np.ndarray, profile: ScannerProfile
) -> np.ndarray:
    """Envelope -> grey levels 0..255 (float) through dynamic range, gain and a gamma."""
    db = 20 * np.log10(envelope + 1e-9)
    dr = rng.uniform(*profile.dynamic_range_db)
    # Scanners put soft-tissue speckle at mid-grey and let strong reflectors saturate.
    top = np.median(db) + dr * rng.uniform(0.45, 0.6) - rng.uniform(*profile.gain_db)
    scaled = np.clip((db - (top - dr)) / dr, 0, 1)
    return 255 * scaled ** rng.uniform(*profile.gamma)


def degrade_resolution(
    rng: np.random.Generator, image: np.ndarray, profile: ScannerProfile
) -> np.ndarray:
    """The scanner's speckle smoothing and a lower effective resolution, if the profile has one."""
    sigma = rng.uniform(*profile.smoothing_px)
    if sigma > 0.05:
        image = ndimage.gaussian_filter(image, sigma)
    factor = rng.uniform(*profile.downsample)
    if factor > 1.01:
        h, w = image.shape
        small = ndimage.zoom(image, 1 / factor, order=1)
        image = ndimage.zoom(small, (h / small.shape[0], w / small.shape[1]), order=1)
    return image
