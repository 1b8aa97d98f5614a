"""Breast B-mode ultrasound, simulated from tissue echogenicity (a pretraining domain).

Why: transfer from our synthetic lymph-node domain is what lifts the breast model on real
scans (docs/breast_model.md: Dice 0.70 pretrained vs 0.53 from scratch), and the node domain
lacks what makes real breast scans hard: a layered, heterogeneous background (fat lobules,
Cooper's ligaments, fibroglandular tissue with fat islands, pectoral muscle, ribs with their
shadows) in which a lesion can be subtle, small, isoechoic or shadowed.

Same image formation as engine.synth.nodes (engine.synth.acoustics). Lesion semantics follow
the BI-RADS ultrasound lexicon (shared/SCIENCE.md): benign masses are oval, parallel,
circumscribed, anechoic (cysts, with posterior enhancement) or hypo/isoechoic; malignant
ones irregular, angular or spiculated, often not parallel (taller than wide), hypoechoic
and heterogeneous, with an echogenic halo or posterior shadowing. The mask covers the mass
(not the halo or the spicules beyond it).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from engine.synth.acoustics import (
    attenuation_with_tgc,
    degrade_resolution,
    lateral_apodisation,
    log_compress,
    near_field_clutter,
    smooth_noise,
    speckle_envelope,
)
from engine.synth.nodes import DEFAULT_PROFILE, NodeSample, ScannerProfile, scanner_frame

CLASSES = ("benign", "malignant")
BREAST_WORDS = ("L12-5", "BREAST", "RT", "LT", "Gn 48", "DR 63", "FR 21Hz", "MI 1.1", "10 o'clock")


def generate_breast_image(
    rng: np.random.Generator,
    label: str | None = None,
    profile: ScannerProfile = DEFAULT_PROFILE,
    height: int = 256,
    frame: bool | None = None,
) -> NodeSample:
    """One breast scan with one lesion (sometimes two) of `label`; the NodeSample fields."""
    if label is None:
        label = CLASSES[int(rng.integers(0, 2))]
    if label not in CLASSES:
        raise ValueError(f"label must be one of {CLASSES}, not {label!r}")
    depth = rng.uniform(28.0, 50.0)
    width = int(rng.integers(int(height * 1.1), int(height * 1.6)))
    px = depth / height
    freq = rng.uniform(*profile.freq_mhz)
    echo, atten, gland = _breast_tissue(rng, height, width, px)
    mask = np.zeros((height, width), dtype=bool)
    lesions = []
    for _ in range(1 if rng.random() < 0.85 else 2):
        placed = _place_lesion(rng, label, echo, atten, gland, mask, px)
        if placed is not None:
            lesions.append(placed)
    if not lesions:
        lesions.append(_place_lesion(rng, label, echo, atten, gland, mask, px, force=True))

    envelope = speckle_envelope(rng, echo, px, freq)
    envelope *= attenuation_with_tgc(rng, atten, px, freq, profile)
    envelope += near_field_clutter(rng, height, width, px, float(np.median(envelope)))
    envelope *= lateral_apodisation(width)[None, :]
    noise_amp = np.median(envelope) * 10 ** (profile.noise_db / 20) * 10
    envelope = np.abs(envelope + noise_amp * rng.standard_normal(envelope.shape))
    image = degrade_resolution(rng, log_compress(rng, envelope, profile), profile)
    bmode = np.clip(image, 0, 255).astype(np.uint8)
    out, out_mask, region = scanner_frame(rng, bmode, mask, px, frame, BREAST_WORDS)
    return NodeSample(
        image=out,
        mask=(out_mask * 255).astype(np.uint8),
        label=label,
        spacing_mm=px,
        region=region,
        nodes=tuple(lesions),
    )


# --- tissue ---------------------------------------------------------------------------------


def _layer(rng: np.random.Generator, w: int, mean: float, wiggle: float, scale: float):
    """A depth (mm) per column that undulates smoothly around `mean`."""
    return mean + wiggle * smooth_noise(rng, (1, w), w / scale)[0][None, :]


def _breast_tissue(rng: np.random.Generator, h: int, w: int, px: float):
    """Skin, subcutaneous fat lobules with Cooper's ligaments, fibroglandular tissue with fat
    islands, retromammary fat, pectoral muscle and sometimes a rib; returns the echogenicity,
    the attenuation (dB/cm/MHz) and where the glandular layer is (lesions grow there)."""
    rows = np.arange(h)[:, None] * px
    cols = np.arange(w)[None, :] * px
    skin = rng.uniform(1.2, 2.5)
    fat_end = skin + _layer(rng, w, rng.uniform(2.0, 12.0), rng.uniform(0.5, 2.5), 5)
    gland_end = fat_end + _layer(rng, w, rng.uniform(6.0, 24.0), rng.uniform(1.0, 4.0), 4)
    retro_end = gland_end + rng.uniform(0.5, 4.0)
    gland_echo = rng.uniform(1.0, 2.2)
    fat_echo = rng.uniform(0.25, 0.6)

    echo = np.full((h, w), fat_echo)
    echo = np.where(rows < skin, rng.uniform(2.0, 3.5), echo)
    fat = (rows >= skin) & (rows < fat_end)
    gland = (rows >= fat_end) & (rows < gland_end)
    # Fat lobules: brighter rims (Cooper's ligaments) round darker ovals.
    lobules = smooth_noise(rng, (h, w), rng.uniform(5, 10) / px * 0.4)
    ligament = fat & (np.abs(lobules) < rng.uniform(0.04, 0.1))
    echo = np.where(ligament, rng.uniform(1.4, 2.6), echo)
    # Fibroglandular tissue: heterogeneous, bright, with fat islands of varying share.
    texture = smooth_noise(rng, (h, w), rng.uniform(1.5, 4.0))
    islands = smooth_noise(rng, (h, w), rng.uniform(2.0, 5.0) / px * 0.3) > rng.uniform(0.4, 1.4)
    gland_map = gland_echo * np.exp(0.35 * texture)
    gland_map = np.where(islands, fat_echo * rng.uniform(0.8, 1.3), gland_map)
    echo = np.where(gland, gland_map, echo)
    # Ducts: thin anechoic tubes running roughly parallel to the skin, sometimes.
    if rng.random() < 0.25:
        for _ in range(int(rng.integers(1, 3))):
            centre = rng.uniform(0.2, 0.9) * (gland_end - fat_end) + fat_end
            tilt = rng.uniform(-0.2, 0.2)
            start = rng.uniform(0, 0.6) * w * px
            along = (cols > start) & (cols < start + rng.uniform(5.0, 20.0))
            duct = np.abs(rows - centre - tilt * (cols - start)) < rng.uniform(0.3, 0.9)
            echo = np.where(gland & duct & along, 0.03, echo)
    # Retromammary fat, then pectoral muscle with fascia and fibres.
    echo = np.where((rows >= gland_end) & (rows < retro_end), fat_echo, echo)
    muscle = rows >= retro_end
    fibres = np.sin(2 * np.pi * (rows + rng.uniform(-0.2, 0.2) * cols) / rng.uniform(1.2, 2.5))
    echo = np.where(muscle, rng.uniform(0.4, 0.8) * (0.75 + 0.4 * (fibres > 0.8)), echo)
    echo = np.where(np.abs(rows - retro_end) < rng.uniform(0.2, 0.45), rng.uniform(2.0, 3.5), echo)
    atten = np.full((h, w), rng.uniform(0.5, 0.8))
    atten = np.where(fat, atten * 0.75, atten)
    atten = np.where(gland, atten * rng.uniform(1.0, 1.3), atten)
    if rng.random() < 0.3:  # a rib: bright front face, acoustic shadow behind
        rc = retro_end.mean() + rng.uniform(3.0, 8.0)
        cc = rng.uniform(0.1, 0.9) * w * px
        rib = ((rows - rc) / rng.uniform(2.0, 4.0)) ** 2 + (
            (cols - cc) / rng.uniform(5.0, 9.0)
        ) ** 2
        echo = np.where((rib < 1) & (rib > 0.6) & (rows < rc), rng.uniform(3.0, 5.0), echo)
        atten = np.where(rib < 1, 6.0, atten)
    echo *= np.exp(0.2 * smooth_noise(rng, (h, w), 12))
    return echo, atten, gland


# --- lesions --------------------------------------------------------------------------------


def _lesion_shape(rng: np.random.Generator, label: str, px: float):
    """Axes (px), angle, margin harmonics and spicule count."""
    long_mm = float(np.clip(rng.lognormal(np.log(11.0), 0.45), 4.0, 35.0))
    if label == "benign":
        ratio = rng.uniform(1.2, 2.4)
        angle = rng.normal(0.0, 0.15)
        harmonics = [(k, rng.uniform(0.0, 0.05), rng.uniform(0, 2 * np.pi)) for k in (2, 3, 4)]
        if rng.random() < 0.25:  # macrolobulated fibroadenoma
            harmonics.append(
                (int(rng.integers(3, 5)), rng.uniform(0.05, 0.12), rng.uniform(0, 6.3))
            )
        spicules = 0
    else:
        ratio = rng.uniform(0.75, 1.5)
        upright = rng.random() < 0.45  # taller than wide
        angle = (np.pi / 2 if upright else 0.0) + rng.normal(0.0, 0.35)
        irregular = rng.uniform(0.06, 0.2)
        harmonics = [
            (int(k), irregular * rng.uniform(0.3, 1.0), rng.uniform(0, 2 * np.pi))
            for k in rng.choice([3, 4, 5, 6, 7, 9, 11, 13], size=4, replace=False)
        ]
        spicules = int(rng.integers(0, 9)) if rng.random() < 0.5 else 0
    a = long_mm / 2 / px
    return a, a / ratio, angle, harmonics, spicules, long_mm, long_mm / ratio


def _place_lesion(rng, label, echo, atten, gland, mask, px, force=False):  # noqa: ANN001, ANN202, PLR0913
    h, w = echo.shape
    a, b, angle, harmonics, spicules, long_mm, short_mm = _lesion_shape(rng, label, px)
    rows_gland = np.flatnonzero(gland.any(axis=1))
    lo = rows_gland.min() if rows_gland.size else int(h * 0.2)
    hi = rows_gland.max() if rows_gland.size else int(h * 0.7)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    top = max(lo, b * 0.6 + 4)
    bottom = max(min(hi, h - b * 0.8), top + 1)
    for _ in range(30):
        cy = rng.uniform(top, bottom)
        cx = rng.uniform(a * 0.6, w - a * 0.6) if not force else w * 0.5
        u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        theta = np.arctan2(v / b, u / a)
        radius = np.hypot(u / a, v / b)
        modulation = 1.0 + sum(amp * np.cos(k * theta + ph) for k, amp, ph in harmonics)
        lesion = radius <= modulation
        if force or not (lesion & ndimage.binary_dilation(mask, iterations=6)).any():
            break
    else:
        return None
    if not lesion.any():
        return None
    around = float(np.median(echo[ndimage.binary_dilation(lesion, iterations=4) & ~lesion]))
    kind = _echo_pattern(rng, label)
    inside = lesion.sum()
    if kind == "cyst":
        echo[lesion] = rng.uniform(0.003, 0.02)
        atten[lesion] = 0.05  # posterior enhancement
    else:
        contrast = {"hypo": rng.uniform(0.04, 0.3), "iso": rng.uniform(0.35, 0.7)}[kind]
        heterogeneity = 0.25 if label == "benign" else 0.55
        texture = np.exp(heterogeneity * smooth_noise(rng, echo.shape, 2.5)[lesion])
        echo[lesion] = around * contrast * texture
        atten[lesion] *= rng.uniform(0.5, 0.9) if label == "benign" else rng.uniform(0.8, 1.2)
    if label == "malignant":
        if rng.random() < 0.5:  # posterior shadowing
            atten[lesion] *= rng.uniform(1.5, 2.8)
        if rng.random() < 0.35:  # echogenic halo
            halo = ndimage.binary_dilation(lesion, iterations=int(rng.integers(2, 5))) & ~lesion
            echo[halo] *= rng.uniform(1.5, 2.5)
        for _ in range(spicules):  # thin dark lines radiating out of the margin
            phi = rng.uniform(0, 2 * np.pi)
            length = rng.uniform(0.3, 0.9) * a
            t = np.linspace(b / a, 1.0 + length / a, 40) * a
            r = np.clip((cy + t * np.sin(phi)).astype(int), 0, h - 1)
            c = np.clip((cx + t * np.cos(phi)).astype(int), 0, w - 1)
            echo[r, c] = echo[r, c] * 0.3
        if rng.random() < 0.3:  # microcalcifications
            idx = np.flatnonzero(lesion)
            for i in rng.choice(idx, size=min(inside, int(rng.integers(2, 8))), replace=False):
                r, c = divmod(int(i), w)
                echo[max(r - 1, 0) : r + 1, max(c - 1, 0) : c + 1] = rng.uniform(4, 8)
    mask |= lesion
    return {
        "centre_rc": (float(cy), float(cx)),
        "long_axis_mm": float(long_mm),
        "short_axis_mm": float(short_mm),
        "angle_rad": float(angle),
        "echo_pattern": kind,
    }


def _echo_pattern(rng: np.random.Generator, label: str) -> str:
    """cyst (anechoic), hypo(echoic) or iso(echoic: the subtle ones)."""
    draw = rng.random()
    if label == "benign":
        return "cyst" if draw < 0.3 else ("iso" if draw < 0.5 else "hypo")
    return "iso" if draw < 0.15 else "hypo"
