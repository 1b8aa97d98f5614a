"""One skin lesion seen twice: a clinical photograph and a high-frequency ultrasound section.

The fusion model (SCIENCE.md §5) needs the surface (photo: colour, outline) and the depth
(ultrasound: how deep the lesion reaches). Both views render the same SkinLesion:
- photo: a macroscopic photograph, the lesion small in a wider field of skin, side light,
  skin shine, no dermatoscope (the pigment network is not resolved);
- ultrasound: a 15-24 MHz B-mode section along the horizontal line through the lesion
  centre of the photo (the probe lies along the photo's x axis): coupling gel (anechoic),
  the bright entry echo of the epidermis, echogenic dermis, hypoechoic fat with septa, and the
  lesion as a hypoechoic band under the entry echo whose width is the lesion's chord in the
  photo and whose depth follows the lesion's thickness (Breslow-like).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.synth.acoustics import (
    ScannerProfile,
    attenuation_with_tgc,
    degrade_resolution,
    lateral_apodisation,
    log_compress,
    smooth_noise,
    speckle_envelope,
)
from engine.synth.skin import lesion_grid
from engine.synth.skin_lesion import SkinLesion, make_skin_lesion
from engine.synth.skin_surface import (
    CameraProfile,
    apply_lesion,
    camera,
    draw_hair,
    draw_ruler,
    hair_coverage,
    illuminate,
    skin_reflectance,
)

PHOTO_CAMERA = CameraProfile(
    exposure=(0.85, 1.15),
    blur_px=(0.7, 1.3),
    vignette=(0.0, 0.15),
    black_frame_probability=0.0,
    noise=0.012,
)
SHIFTED_PHOTO_CAMERA = CameraProfile(
    colour_cast=(1.1, 1.0, 0.82),  # warm indoor light, a phone camera's white balance
    white_balance_jitter=0.06,
    exposure=(0.75, 1.3),
    gamma=(0.85, 1.0),
    saturation=(1.1, 1.4),
    blur_px=(1.0, 1.8),
    downsample=(1.4, 2.0),
    noise=0.03,
    jpeg_quality=(40, 70),
    vignette=(0.05, 0.3),
    black_frame_probability=0.0,
)
SKIN_US = ScannerProfile(
    freq_mhz=(18.0, 24.0),
    depth_mm=(8.0, 11.0),
    dynamic_range_db=(50.0, 64.0),
    gain_db=(-14.0, -8.0),  # fat (most of the field) below mid-grey, dermis bright
    tgc_error=(-0.2, 0.2),
    smoothing_px=(0.6, 1.1),
    noise_db=-45.0,
)
SHIFTED_SKIN_US = ScannerProfile(
    freq_mhz=(13.0, 16.0),
    depth_mm=(8.0, 12.0),
    dynamic_range_db=(42.0, 52.0),
    gain_db=(-8.0, -2.0),
    tgc_error=(-0.5, 0.1),
    smoothing_px=(1.2, 2.0),
    noise_db=-34.0,
    downsample=(1.3, 1.7),
    gamma=(0.75, 1.25),
)


@dataclass(frozen=True)
class SkinPairSample:
    photo: np.ndarray  # H×W×3 uint8
    photo_mask: np.ndarray  # H×W uint8 0/255
    us: np.ndarray  # H×W uint8
    us_mask: np.ndarray  # H×W uint8 0/255
    label: str
    photo_spacing_mm: float
    us_spacing_mm: float
    lesion: SkinLesion
    photo_centre_rc: tuple[float, float]  # lesion centre in the photo (row, col), pixels
    us_centre_col: float  # column of the ultrasound section under the lesion centre


def generate_skin_pair(
    rng: np.random.Generator,
    label: str | None = None,
    camera_profile: CameraProfile = PHOTO_CAMERA,
    us_profile: ScannerProfile = SKIN_US,
    height: int = 256,
    width: int = 320,
) -> SkinPairSample:
    lesion = make_skin_lesion(rng, label)
    photo, photo_mask, photo_px, centre = _clinical_photo(
        rng, lesion, camera_profile, height, width
    )
    us, us_mask, us_px, us_col = _skin_ultrasound(rng, lesion, us_profile, height, width)
    return SkinPairSample(
        photo=photo,
        photo_mask=(photo_mask * 255).astype(np.uint8),
        us=us,
        us_mask=(us_mask * 255).astype(np.uint8),
        label=lesion.label,
        photo_spacing_mm=photo_px,
        us_spacing_mm=us_px,
        lesion=lesion,
        photo_centre_rc=centre,
        us_centre_col=us_col,
    )


def _clinical_photo(rng, lesion, profile, h, w):  # noqa: ANN001, ANN202
    """The lesion at 15-35 % of the image height, in a wider field of skin."""
    px = lesion.diameter_mm / (rng.uniform(0.15, 0.35) * h)
    centre = (h / 2 + rng.normal(0, 0.08) * h, w / 2 + rng.normal(0, 0.08) * w)
    x_mm, y_mm = lesion_grid(h, w, px, centre)
    refl = skin_reflectance(rng, x_mm, y_mm, px)
    refl = _freckles(rng, refl, x_mm, y_mm, lesion)
    refl = apply_lesion(rng, refl, lesion, x_mm, y_mm, px, detail=0.25)
    refl = refl * (1 + 0.25 * _shine(rng, h, w))[..., None]
    n_hair = int(rng.choice([0, int(rng.integers(1, 6))], p=[0.7, 0.3]))
    refl = draw_hair(rng, refl, hair_coverage(rng, h, w, n_hair))
    if rng.random() < 0.15:
        refl = draw_ruler(rng, refl, px)
    refl = illuminate(rng, refl, profile, dermatoscope=False)
    return camera(rng, refl, profile), lesion.inside(x_mm, y_mm), float(px), centre


def _freckles(rng, refl, x_mm, y_mm, lesion):  # noqa: ANN001, ANN202
    """A few small light-brown macules elsewhere on the skin (not the lesion, not in the mask)."""
    melanin = np.zeros(x_mm.shape)
    for _ in range(int(rng.integers(0, 6))):
        fx = rng.uniform(x_mm.min(), x_mm.max())
        fy = rng.uniform(y_mm.min(), y_mm.max())
        if np.hypot(fx, fy) < lesion.diameter_mm:
            continue
        r = rng.uniform(0.3, 1.0)
        melanin += rng.uniform(0.3, 0.7) * np.exp(-((x_mm - fx) ** 2 + (y_mm - fy) ** 2) / r**2)
    return refl * np.exp(-melanin[..., None] * np.array([0.55, 1.0, 1.45]))


def _shine(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Soft specular highlights of oily skin under a flash."""
    out = np.zeros((h, w))
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(int(rng.integers(0, 3))):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(10, 40)
        out += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r**2))
    return out


def _skin_ultrasound(rng, lesion, profile, h, w):  # noqa: ANN001, ANN202
    left, right = lesion.chord_mm()
    chord = right - left
    px = max(rng.uniform(*profile.depth_mm) / h, chord * rng.uniform(1.4, 2.2) / w)
    freq = rng.uniform(*profile.freq_mhz)
    # Lateral position: lesion x (mm) of every column, lesion centred with a little offset.
    col_x = (np.arange(w) + 0.5 - w / 2) * px + (left + right) / 2 + rng.normal(0, 0.08) * chord
    depth = lesion.depth_mm(col_x)  # lesion depth below the epidermis per column, mm
    rows = (np.arange(h)[:, None] + 0.5) * px  # mm below the probe face
    gel = rng.uniform(0.4, 1.2) + 0.15 * smooth_noise(rng, (1, w), w / 5)[0]
    surface = gel - rng.uniform(0.1, 0.35) * depth  # raised (dome-shaped) lesions
    epidermis = rng.uniform(0.08, 0.15)
    dermis_end = surface + epidermis + rng.uniform(1.2, 2.4)
    dermis_end = dermis_end + 0.2 * smooth_noise(rng, (1, w), w / 8)[0]
    dermis_end = np.maximum(dermis_end, surface + epidermis + depth + 0.25)
    s, e, d = surface[None, :], (surface + epidermis)[None, :], dermis_end[None, :]
    echo = np.full((h, w), rng.uniform(0.25, 0.45))  # subcutaneous fat
    atten = np.full((h, w), 0.8)
    echo = np.where(rows < s, 0.003, echo)  # coupling gel
    atten = np.where(rows < s, 0.05, atten)
    dermis = (rows >= e) & (rows < d)
    collagen = np.exp(0.35 * smooth_noise(rng, (h, w), 2.5))
    echo = np.where(dermis, rng.uniform(4.0, 8.0) * collagen, echo)
    echo = np.where((rows >= s) & (rows < e), rng.uniform(60, 120), echo)  # entry echo
    fat = rows >= d
    for _ in range(int(rng.integers(2, 6))):  # septa in the fat
        tilt, offset = rng.uniform(-0.6, 0.6), rng.uniform(0, w * px)
        cols_mm = np.arange(w)[None, :] * px
        dist = np.abs(
            (cols_mm - offset) * np.sin(tilt) + (rows - d) * np.cos(tilt) - rng.uniform(0.5, 3)
        )
        echo = np.where(fat & (dist < rng.uniform(0.04, 0.09)), rng.uniform(2.0, 4.0), echo)
    lesion_mask = (rows >= e) & (rows < e + depth[None, :]) & (depth[None, :] > 0)
    if lesion.label == "malignant":
        inner = np.exp(0.5 * smooth_noise(rng, (h, w), 3))
        echo = np.where(lesion_mask, rng.uniform(0.05, 0.15) * inner, echo)
    else:
        homogeneous = np.exp(0.1 * smooth_noise(rng, (h, w), 3))
        echo = np.where(lesion_mask, rng.uniform(0.1, 0.25) * homogeneous, echo)
    atten = np.where(lesion_mask, 0.45, atten)  # weaker attenuation: posterior enhancement
    echo = np.where((rows < s) & (rng.random((h, w)) < 0.002), 0.5, echo)  # specks in the gel
    envelope = speckle_envelope(rng, echo, px, freq)
    envelope *= attenuation_with_tgc(rng, atten, px, freq, profile)
    envelope *= lateral_apodisation(w)[None, :]
    noise_amp = np.median(envelope) * 10 ** (profile.noise_db / 20) * 10
    envelope = np.abs(envelope + noise_amp * rng.standard_normal(envelope.shape))
    image = degrade_resolution(rng, log_compress(rng, envelope, profile), profile)
    centre_col = float(np.interp(0.0, col_x, np.arange(w) + 0.5))
    return np.clip(image, 0, 255).astype(np.uint8), lesion_mask, float(px), centre_col
