"""Small contrast-enhanced abdominal CT volumes in Hounsfield units with kidney and tumour labels.

A KiTS-like case at low resolution: an axial stack through the kidneys with air, skin and
subcutaneous fat, abdominal wall muscle, visceral fat, bowel (soft tissue, fluid, gas),
liver and spleen at the top, the lumbar spine (cortical shell, cancellous bone, discs,
canal), psoas and paraspinal muscles, aorta and inferior vena cava, and two kidneys with
enhancing cortex, medulla and renal-sinus fat. One kidney holds a tumour.

Phases: corticomedullary (cortex bright, medulla darker, aorta very bright) or nephrographic
(homogeneous parenchyma). Then the scanner: an in-plane point-spread function, the slice
profile, and correlated quantum noise shaped by the reconstruction kernel.

Labels (uint8): 0 background, 1 kidney (parenchyma and sinus inside the renal outline),
2 tumour. Class:
- malignant (renal cell carcinoma): 30-70 mm, irregular or lobulated, heterogeneous
  enhancement, often a necrotic (low, 10-30 HU) core, sometimes calcification;
- benign: 12-35 mm, well defined and round, either a fat-containing angiomyolipoma
  (negative HU, the one imaging sign of benignity radiologists trust), an oncocytoma
  (homogeneous, sometimes a central scar) or a homogeneous low-enhancing lesion.

Axes: arrays are (z, y, x) = (slice, row, column), slices from inferior to superior, rows
from anterior to posterior, columns from the patient's right to left (radiological display).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

CLASSES = ("benign", "malignant")
SHAPE = (48, 96, 128)
SPACING_MM = (3.0, 2.8, 2.8)  # z, y, x


@dataclass(frozen=True)
class CTScannerProfile:
    """Reconstruction and protocol; `shifted` is another scanner with a sharper kernel."""

    noise_hu: tuple[float, float] = (8.0, 14.0)
    noise_grain_px: float = 0.9  # correlation of the noise (soft kernel: smooth grain)
    psf_px: tuple[float, float] = (0.5, 0.7)  # in-plane blur
    slice_blur_px: tuple[float, float] = (0.3, 0.5)  # slice profile along z
    hu_offset: tuple[float, float] = (-3.0, 3.0)  # calibration
    corticomedullary_probability: float = 0.5
    spacing_mm: tuple[float, float, float] = SPACING_MM


DEFAULT_CT = CTScannerProfile()
SHIFTED_CT = CTScannerProfile(
    noise_hu=(18.0, 30.0),  # low dose
    noise_grain_px=0.45,  # sharp kernel: fine, high-frequency grain
    psf_px=(0.2, 0.35),
    slice_blur_px=(0.9, 1.3),  # thick slices
    hu_offset=(4.0, 14.0),
    corticomedullary_probability=0.15,
)


@dataclass(frozen=True)
class KidneyCTSample:
    volume: np.ndarray  # D×H×W int16 HU
    labels: np.ndarray  # D×H×W uint8: 0 background, 1 kidney, 2 tumour
    label: str
    spacing_mm: tuple[float, float, float]  # z, y, x
    tumour: dict  # side, kind, diameter mm, centre mm


def generate_kidney_ct(
    rng: np.random.Generator,
    label: str | None = None,
    profile: CTScannerProfile = DEFAULT_CT,
    shape: tuple[int, int, int] = SHAPE,
) -> KidneyCTSample:
    if label is None:
        label = CLASSES[int(rng.integers(0, 2))]
    if label not in CLASSES:
        raise ValueError(f"label must be one of {CLASSES}, not {label!r}")
    sz, sy, sx = profile.spacing_mm
    d, h, w = shape
    z = ((np.arange(d) + 0.5 - d / 2) * sz)[:, None, None]
    y = ((np.arange(h) + 0.5 - h / 2) * sy)[None, :, None]
    x = ((np.arange(w) + 0.5 - w / 2) * sx)[None, None, :]
    grid = (z, y, x)
    cortico = rng.random() < profile.corticomedullary_probability
    hu = np.full(shape, -1000.0)
    body = _body(rng, hu, grid, cortico)
    labels = np.zeros(shape, dtype=np.uint8)
    kidneys = [_kidney(rng, hu, labels, grid, side, body, cortico) for side in (-1, 1)]
    host = kidneys[int(rng.integers(0, 2))]
    tumour = _tumour(rng, hu, labels, grid, host, label, sy)
    hu = _scanner(rng, hu, profile)
    return KidneyCTSample(
        volume=np.clip(np.round(hu), -1024, 3071).astype(np.int16),
        labels=labels,
        label=label,
        spacing_mm=(sz, sy, sx),
        tumour=tumour,
    )


# --- anatomy ---------------------------------------------------------------------------------


def _noise3(rng: np.random.Generator, shape: tuple[int, int, int], sigma: float) -> np.ndarray:
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return field / (field.std() + 1e-9)


def _body(rng, hu, grid, cortico) -> dict:  # noqa: ANN001
    """Everything but the kidneys; returns the geometry the kidneys are placed against."""
    z, y, x = grid
    shape = hu.shape
    a, b = rng.uniform(135, 170), rng.uniform(100, 125)  # body semi-axes (x, y), mm
    y0 = rng.uniform(-6, 6)
    taper = 1 + 0.0008 * z  # slightly wider at the top (lower ribs)
    rho = np.sqrt((x / (a * taper)) ** 2 + ((y - y0) / (b * taper)) ** 2)
    body = rho < 1
    fat_mm = rng.uniform(10, 35)
    wall = rho < 1 - fat_mm / b
    cavity = rho < 1 - (fat_mm + rng.uniform(8, 13)) / b
    hu[body] = -100 + 8 * _noise3(rng, shape, 2)[body]  # subcutaneous fat
    hu[wall] = 45.0  # abdominal wall muscle
    hu[cavity] = -90.0  # visceral fat
    spine_y = y0 + b - rng.uniform(55, 70)  # vertebral body centre, mm
    post = (y - y0) > (spine_y - y0) + 10  # posterior to the vertebral body
    paraspinal = (((x / 42) ** 2 + ((y - spine_y - 42) / 25) ** 2) < 1) & ~cavity | (
        ((np.abs(x) - 30) / 22) ** 2 + ((y - spine_y - 40) / 24) ** 2 < 1
    )
    hu[paraspinal & body] = 50.0
    # Bowel: loops of soft tissue and fluid with gas, in the anterior two thirds of the cavity.
    loops = _noise3(rng, shape, 2.2)
    gut = cavity & ~post & (y < spine_y - 18)
    hu[gut & (loops > 0.3)] = 35.0
    hu[gut & (loops > 1.0)] = 15.0
    gas = _noise3(rng, shape, 1.4) > 2.0
    hu[gut & (loops > 0.3) & gas] = -950.0
    # Liver (right, top) and spleen (left, top, posterior).
    liver_hu = rng.uniform(95, 120) if not cortico else rng.uniform(70, 90)
    liver = (((x + 70) / 95) ** 2 + ((y - y0 + 5) / 85) ** 2 + ((z - 95) / 70) ** 2) < 1
    hu[liver & cavity] = liver_hu
    spleen = (((x - 95) / 40) ** 2 + ((y - spine_y + 15) / 40) ** 2 + ((z - 85) / 55) ** 2) < 1
    hu[spleen & cavity] = liver_hu + rng.uniform(5, 20)
    # Psoas (growing towards the pelvis) and the great vessels.
    psoas_r = 14 + 0.12 * np.clip(60 - z, 0, None)
    for side in (-1, 1):
        psoas = ((x - side * 38) / psoas_r) ** 2 + ((y - spine_y) / (psoas_r * 0.9)) ** 2 < 1
        hu[psoas & cavity] = 48.0
    aorta_hu = rng.uniform(220, 320) if cortico else rng.uniform(130, 170)
    aorta = ((x - 12) ** 2 + (y - spine_y + 32) ** 2) < rng.uniform(9, 12) ** 2
    hu[np.broadcast_to(aorta, shape) & cavity] = aorta_hu
    ivc = ((x + 22) / 13) ** 2 + ((y - spine_y + 30) / 9) ** 2 < 1
    hu[np.broadcast_to(ivc, shape) & cavity] = rng.uniform(70, 100) if cortico else aorta_hu - 10
    # Lumbar spine: vertebral bodies with cortical shell, discs, canal and posterior elements.
    period = rng.uniform(31, 35)
    disc = ((z + rng.uniform(0, period)) % period) < 8
    r_vert = rng.uniform(18, 22)
    vert = (x**2 + (y - spine_y) ** 2) < r_vert**2
    shell = vert & ((x**2 + (y - spine_y) ** 2) > (r_vert - 2.5) ** 2)
    vert, shell = np.broadcast_to(vert, shape), np.broadcast_to(shell, shape)
    hu[vert] = rng.uniform(160, 240)
    hu[shell] = rng.uniform(450, 700)
    hu[vert & np.broadcast_to(disc, shape)] = 85.0
    canal = np.broadcast_to((x**2 + (y - spine_y - r_vert - 9) ** 2) < 8**2, shape)
    arch = np.broadcast_to(
        ((x**2 + (y - spine_y - r_vert - 9) ** 2) < 14**2)
        | ((np.abs(x) < 4) & (y > spine_y + r_vert) & (y < spine_y + r_vert + 40)),
        shape,
    )
    hu[arch & ~np.broadcast_to(disc, shape)] = rng.uniform(350, 600)
    hu[canal] = 15.0
    return {"spine_y": spine_y, "cavity": cavity, "body": body}


def _kidney(rng, hu, labels, grid, side, body, cortico) -> dict:  # noqa: ANN001
    """One kidney: tilted ellipsoid, cortex, medulla, sinus fat opening medially (the hilum)."""
    z, y, x = grid
    cz = rng.uniform(-12, 12) + (-8 if side < 0 else 6)  # the right kidney sits lower
    cx = side * rng.uniform(62, 78)
    cy = body["spine_y"] + rng.uniform(-8, 6)
    half = np.array([rng.uniform(27, 32), rng.uniform(20, 25), rng.uniform(50, 60)])  # x, y, z
    tilt_cor = side * np.deg2rad(rng.uniform(8, 20))  # upper pole medial
    tilt_sag = np.deg2rad(rng.uniform(5, 20))  # upper pole posterior
    turn = side * np.deg2rad(rng.uniform(20, 40))  # hilum faces antero-medially
    dx, dy, dz = x - cx, y - cy, z - cz
    # rotate about y (coronal tilt), then about x (sagittal tilt), then about z (hilum)
    u = dx * np.cos(tilt_cor) + dz * np.sin(tilt_cor)
    wz = -dx * np.sin(tilt_cor) + dz * np.cos(tilt_cor)
    v = dy * np.cos(tilt_sag) - wz * np.sin(tilt_sag)
    wz = dy * np.sin(tilt_sag) + wz * np.cos(tilt_sag)
    u, v = u * np.cos(turn) + v * np.sin(turn), -u * np.sin(turn) + v * np.cos(turn)
    rho = np.sqrt((u / half[0]) ** 2 + (v / half[1]) ** 2 + (wz / half[2]) ** 2)
    kidney = rho < 1
    cortex_hu = rng.uniform(160, 220) if cortico else rng.uniform(140, 185)
    medulla_hu = rng.uniform(60, 95) if cortico else cortex_hu - rng.uniform(0, 15)
    cortex_frac = 1 - rng.uniform(5, 8) / half[1]
    medial = -side  # toward the midline in kidney-local u
    sinus = (
        ((u - medial * 0.45 * half[0]) / (0.6 * half[0])) ** 2
        + (v / (0.45 * half[1])) ** 2
        + (wz / (0.6 * half[2])) ** 2
    ) < 1
    lobes = _noise3(rng, hu.shape, 1.5)
    medulla = kidney & (rho < cortex_frac) & (lobes > -0.6)
    hu[kidney] = cortex_hu
    hu[medulla] = medulla_hu
    hu[kidney & sinus] = -80.0
    pelvis = kidney & sinus & ((((u - medial * 0.5 * half[0]) / 9) ** 2 + (v / 7) ** 2) < 1)
    hu[pelvis] = 10.0
    labels[kidney] = 1
    return {
        "centre": (cz, cy, cx),
        "half": half,
        "side": "left" if side > 0 else "right",
        "local": (u, v, wz),
        "mask": kidney,
    }


def _tumour(rng, hu, labels, grid, kidney, label, voxel_mm) -> dict:  # noqa: ANN001
    """A tumour rooted in the kidney: partly exophytic, class-specific size and texture."""
    z, y, x = grid
    shape = hu.shape
    malignant = label == "malignant"
    diameter = rng.uniform(30, 70) if malignant else rng.uniform(12, 35)
    r = diameter / 2
    # Pick a seed voxel inside the kidney near its surface, away from the hilum.
    u, v, wz = kidney["local"]
    half = kidney["half"]
    rho = np.sqrt((u / half[0]) ** 2 + (v / half[1]) ** 2 + (wz / half[2]) ** 2)
    lateral = np.sign(u) == np.sign(kidney["centre"][2]) if half is not None else True
    band = kidney["mask"] & (rho > 0.55) & (rho < 0.95) & lateral
    candidates = np.flatnonzero(band) if band.any() else np.flatnonzero(kidney["mask"])
    iz, iy, ix = np.unravel_index(int(rng.choice(candidates)), shape)
    c = (float(z[iz, 0, 0]), float(y[0, iy, 0]), float(x[0, 0, ix]))
    dz, dy, dx = z - c[0], y - c[1], x - c[2]
    dist = np.sqrt(dz**2 + dy**2 + dx**2) + 1e-6
    radius = np.full(dist.shape, r)
    n_lobes, amp = (3, rng.uniform(0.05, 0.12)) if malignant else (2, rng.uniform(0.0, 0.04))
    for _ in range(n_lobes):
        k = rng.normal(size=3)
        k /= np.linalg.norm(k)
        cos = (dz * k[0] + dy * k[1] + dx * k[2]) / dist
        radius = radius * (
            1 + amp * np.cos(rng.integers(2, 4) * np.arccos(cos) + rng.uniform(0, 6))
        )
    if malignant:  # infiltrating, irregular margin
        radius = radius * (1 + 0.08 * _noise3(rng, shape, 1.2))
    tumour = (dist < radius) & (hu > -500)  # stays inside the body
    tumour = _largest_component(tumour)
    core = dist < radius * 0.55
    texture = _noise3(rng, shape, 1.0)
    if malignant:
        kind = "rcc"
        base = rng.uniform(90, 150)
        hu[tumour] = base + 28 * texture[tumour]
        if rng.random() < 0.6:
            necrosis = tumour & core & (_noise3(rng, shape, 1.5) > -0.5)
            hu[necrosis] = rng.uniform(10, 30) + 6 * texture[necrosis]
        if rng.random() < 0.1:
            calc = tumour & (rng.random(shape) < 0.004)
            hu[calc] = rng.uniform(300, 600)
    else:
        kind = str(rng.choice(["angiomyolipoma", "oncocytoma", "homogeneous"], p=[0.5, 0.3, 0.2]))
        if kind == "angiomyolipoma":
            fat = _noise3(rng, shape, 1.2) > rng.uniform(-0.8, -0.1)
            hu[tumour] = rng.uniform(30, 60) + 8 * texture[tumour]
            hu[tumour & fat] = rng.uniform(-120, -70) + 8 * texture[tumour & fat]
        elif kind == "oncocytoma":
            hu[tumour] = rng.uniform(100, 140) + 6 * texture[tumour]
            if rng.random() < 0.4:  # central stellate scar
                scar = tumour & (dist < radius * 0.3)
                hu[scar] = rng.uniform(40, 60)
        else:
            hu[tumour] = rng.uniform(35, 60) + 5 * texture[tumour]
    labels[tumour] = 2
    return {
        "side": kidney["side"],
        "kind": kind,
        "diameter_mm": float(diameter),
        "centre_mm": c,
        "voxels": int(tumour.sum()),
    }


def _largest_component(mask: np.ndarray) -> np.ndarray:
    lab, n = ndimage.label(mask)
    if n <= 1:
        return mask
    sizes = ndimage.sum(mask, lab, range(1, n + 1))
    return lab == 1 + int(np.argmax(sizes))


# --- scanner ---------------------------------------------------------------------------------


def _scanner(rng: np.random.Generator, hu: np.ndarray, profile: CTScannerProfile) -> np.ndarray:
    """PSF and slice profile, then correlated noise with the kernel's grain, calibrated HU."""
    psf = rng.uniform(*profile.psf_px)
    slab = rng.uniform(*profile.slice_blur_px)
    out = ndimage.gaussian_filter(hu, (slab, psf, psf))
    grain = ndimage.gaussian_filter(
        rng.standard_normal(hu.shape), (0.3, profile.noise_grain_px, profile.noise_grain_px)
    )
    grain /= grain.std() + 1e-9
    inside = hu > -900
    noise = rng.uniform(*profile.noise_hu) * grain
    out = out + np.where(inside, noise, noise * 0.3)  # little noise in the air outside
    return out + rng.uniform(*profile.hu_offset)
