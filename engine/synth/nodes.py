"""Lymph-node B-mode ultrasound, simulated from tissue echogenicity rather than painted.

Pipeline per image (what a linear-array scanner does, simplified):
1. an echogenicity and an attenuation map of the tissue (skin, fat with septa, muscle with
   fascia, the node(s) with cortex and hilum);
2. fully developed speckle: complex Gaussian scatterers weighted by sqrt(echogenicity),
   convolved with a point-spread function whose lateral width grows away from the focus;
3. round-trip depth attenuation with an imperfect time-gain compensation, which gives
   posterior enhancement behind the low-attenuation node and shadowing behind calcifications;
4. envelope detection, near-field clutter and reverberation, log compression to a dynamic
   range, gain, optional speckle smoothing, 8-bit quantisation;
5. optionally a scanner-like frame: black margins, depth ticks and burned-in text.

Class semantics follow shared/SCIENCE.md: benign (reactive) nodes are oval (L/S >= ~2), smooth,
parallel to the skin, with an echogenic central hilum; malignant nodes are round (L/S < 1.5),
without hilum, hypoechoic, often lobulated or irregular, sometimes with necrosis or
microcalcifications. The mask covers the whole node, hilum included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from engine.synth.acoustics import (
    ScannerProfile,
    attenuation_with_tgc,
    degrade_resolution,
    lateral_apodisation,
    log_compress,
    near_field_clutter,
    smooth_noise,
    speckle_envelope,
)

CLASSES = ("benign", "malignant")


DEFAULT_PROFILE = ScannerProfile()
SHIFTED_PROFILE = ScannerProfile(
    freq_mhz=(5.0, 8.0),
    depth_mm=(35.0, 60.0),
    dynamic_range_db=(40.0, 52.0),
    gain_db=(2.0, 9.0),
    tgc_error=(-0.6, 0.1),
    smoothing_px=(0.8, 1.6),
    noise_db=-32.0,
    downsample=(1.3, 1.8),
    gamma=(0.7, 1.3),
)


@dataclass(frozen=True)
class NodeSample:
    image: np.ndarray  # H×W uint8
    mask: np.ndarray  # H×W uint8, 0/255
    label: str
    spacing_mm: float  # isotropic pixel size
    region: tuple[int, int, int, int]  # B-mode region (row0, col0, row1, col1), exclusive end
    nodes: tuple[dict, ...]  # per-node ground truth (centre, axes mm, angle)


def generate_node_image(
    rng: np.random.Generator,
    label: str | None = None,
    profile: ScannerProfile = DEFAULT_PROFILE,
    height: int = 256,
    frame: bool | None = None,
) -> NodeSample:
    if label is None:
        label = CLASSES[int(rng.integers(0, 2))]
    if label not in CLASSES:
        raise ValueError(f"label must be one of {CLASSES}, not {label!r}")
    depth = rng.uniform(*profile.depth_mm)
    width = int(rng.integers(int(height * 0.95), int(height * 1.35)))
    px = depth / height  # mm per pixel, isotropic
    freq = rng.uniform(*profile.freq_mhz)

    echo, atten = _background(rng, height, width, px)
    mask = np.zeros((height, width), dtype=bool)
    nodes = []
    n_nodes = 1 if rng.random() < 0.8 else 2
    for _ in range(n_nodes):
        placed = _place_node(rng, label, echo, atten, mask, px)
        if placed is not None:
            nodes.append(placed)
    if not nodes:  # everything overlapped: force one node in the middle
        nodes.append(_place_node(rng, label, echo, atten, mask, px, force_centre=True))

    envelope = speckle_envelope(rng, echo, px, freq)
    envelope *= attenuation_with_tgc(rng, atten, px, freq, profile)
    envelope += near_field_clutter(rng, height, width, px, float(np.median(envelope)))
    envelope *= lateral_apodisation(width)[None, :]
    noise_amp = np.median(envelope) * 10 ** (profile.noise_db / 20) * 10
    envelope = np.abs(envelope + noise_amp * rng.standard_normal(envelope.shape))
    image = log_compress(rng, envelope, profile)
    image = degrade_resolution(rng, image, profile)
    bmode = np.clip(image, 0, 255).astype(np.uint8)
    out, out_mask, region = scanner_frame(rng, bmode, mask, px, frame, NODE_WORDS)
    return NodeSample(
        image=out,
        mask=(out_mask * 255).astype(np.uint8),
        label=label,
        spacing_mm=px,
        region=region,
        nodes=tuple(nodes),
    )


# --- tissue ---------------------------------------------------------------------------------


def _background(rng: np.random.Generator, h: int, w: int, px: float):
    """Skin, subcutaneous fat with oblique septa, muscle with fascia lines, deeper tissue."""
    rows = np.arange(h)[:, None] * px  # depth in mm
    cols = np.arange(w)[None, :] * px
    undulation = 1.5 * smooth_noise(rng, (1, w), w / 6)[0][None, :]
    skin = rng.uniform(1.5, 3.0)
    fat_end = skin + rng.uniform(4.0, 12.0) + undulation
    echo = np.full((h, w), rng.uniform(0.7, 1.0))
    echo = np.where(rows < skin, rng.uniform(2.0, 3.5), echo)
    fat = (rows >= skin) & (rows < fat_end)
    echo = np.where(fat, rng.uniform(0.35, 0.7), echo)
    # Septa: thin bright oblique lines in the fat.
    for _ in range(int(rng.integers(3, 9))):
        angle = rng.uniform(-0.5, 0.5)
        offset = rng.uniform(0, w * px)
        dist = np.abs(
            (cols - offset) * np.sin(angle) + (rows - skin) * np.cos(angle) - rng.uniform(0, 8)
        )
        echo = np.where(fat & (dist < rng.uniform(0.15, 0.35)), rng.uniform(1.5, 2.5), echo)
    # Muscle: hypoechoic with bright, roughly horizontal fascia/fibre lines.
    muscle = rows >= fat_end
    tilt = rng.uniform(-0.15, 0.15)
    fibres = np.sin(2 * np.pi * (rows + tilt * cols) / rng.uniform(1.2, 2.5))
    echo = np.where(muscle, echo * (0.75 + 0.35 * (fibres > 0.85)), echo)
    fascia = np.abs(rows - fat_end) < rng.uniform(0.2, 0.45)
    echo = np.where(fascia, rng.uniform(2.0, 3.5), echo)
    echo *= np.exp(0.25 * smooth_noise(rng, (h, w), 12))
    atten = np.full((h, w), rng.uniform(0.5, 0.8))  # dB/cm/MHz
    atten = np.where(fat, atten * 0.8, atten)
    return echo, atten


def _node_shape(rng: np.random.Generator, label: str, px: float):
    """Axes in pixels, in-plane angle and the margin's radial modulation."""
    if label == "benign":
        long_mm = rng.uniform(9.0, 22.0)
        ratio = rng.uniform(1.9, 3.4)
        angle = rng.normal(0.0, 0.12)  # parallel to skin
        harmonics = [(k, rng.uniform(0.0, 0.02), rng.uniform(0, 2 * np.pi)) for k in (2, 3)]
    else:
        long_mm = rng.uniform(7.0, 18.0)
        ratio = rng.uniform(1.0, 1.45)
        angle = rng.uniform(-np.pi / 2, np.pi / 2)
        lobulation = rng.uniform(0.02, 0.14)
        harmonics = [
            (k, lobulation * rng.uniform(0.3, 1.0), rng.uniform(0, 2 * np.pi))
            for k in rng.choice([3, 4, 5, 6, 7, 9], size=3, replace=False)
        ]
    a = long_mm / 2 / px
    b = a / ratio
    return a, b, angle, harmonics, long_mm, long_mm / ratio


def _place_node(rng, label, echo, atten, mask, px, force_centre=False):  # noqa: ANN001, ANN202
    h, w = echo.shape
    a, b, angle, harmonics, long_mm, short_mm = _node_shape(rng, label, px)
    margin = a + 4
    for _ in range(30):
        if force_centre:
            cy, cx = h * 0.5, w * 0.5
        else:
            cy = rng.uniform(max(margin * 0.6, h * 0.22), h - margin * 0.7)
            cx = rng.uniform(margin, max(margin + 1, w - margin))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        theta = np.arctan2(v / b, u / a)
        radius = np.hypot(u / a, v / b)
        modulation = 1.0 + sum(amp * np.cos(k * theta + ph) for k, amp, ph in harmonics)
        node = radius <= modulation
        if force_centre or not (node & ndimage.binary_dilation(mask, iterations=6)).any():
            break
    else:
        return None
    if not node.any():
        return None
    if label == "benign":
        cortex = rng.uniform(0.03, 0.12)
        echo[node] = cortex * np.exp(0.15 * rng.standard_normal(node.sum()))
        hilum_scale = rng.uniform(0.35, 0.65)
        shift = rng.uniform(-0.35, 0.35)
        hilum = (
            ((u / a - shift * (1 - hilum_scale)) / hilum_scale) ** 2
            + (v / (b * hilum_scale * 0.8)) ** 2
        ) <= 1
        # The hilum opens to the margin on one side, where the vessels enter.
        side = 1 if rng.random() < 0.5 else -1
        channel = (
            (np.abs(u / a - shift * 0.3) < hilum_scale * 0.25) & (side * v > 0) & (radius < 1.0)
        )
        hilum = (hilum | (channel & (rng.random() < 0.6))) & node
        echo[hilum] = rng.uniform(1.0, 3.0) * np.exp(0.2 * rng.standard_normal(hilum.sum()))
        atten[node] *= 0.55
    else:
        echo[node] = rng.uniform(0.015, 0.08) * np.exp(0.3 * smooth_noise(rng, echo.shape, 3)[node])
        if rng.random() < 0.35:  # cystic necrosis: anechoic patches
            necrosis = node & (smooth_noise(rng, echo.shape, 4) > rng.uniform(1.0, 1.6))
            echo[necrosis] = 0.02
        if rng.random() < 0.3:  # microcalcifications: bright foci with faint shadows
            idx = np.flatnonzero(node)
            for i in rng.choice(idx, size=min(len(idx), int(rng.integers(2, 7))), replace=False):
                r, c = divmod(int(i), w)
                echo[max(r - 1, 0) : r + 1, max(c - 1, 0) : c + 1] = rng.uniform(4, 8)
                atten[max(r - 1, 0) : r + 1, max(c - 1, 0) : c + 1] = 8.0
        atten[node] *= 0.45
    mask |= node
    return {
        "centre_rc": (float(cy), float(cx)),
        "long_axis_mm": float(long_mm),
        "short_axis_mm": float(short_mm),
        "angle_rad": float(angle),
    }


# --- scanner frame --------------------------------------------------------------------------


NODE_WORDS = ("L12-5", "NECK", "LN", "Gn 52", "DR 60", "FR 24Hz", "MI 0.9", "TIs 0.2")


def scanner_frame(rng, bmode, mask, px, frame, words):  # noqa: ANN001, ANN201
    """Embed the B-mode in a screen capture with margins, depth ticks and three of `words`
    burned in, sometimes (frame None: a third of the time)."""
    h, w = bmode.shape
    if frame is None:
        frame = rng.random() < 0.35
    if not frame:
        return bmode, mask, (0, 0, h, w)
    top, left = int(rng.integers(12, 40)), int(rng.integers(8, 48))
    bottom, right = int(rng.integers(4, 24)), int(rng.integers(24, 60))
    canvas = np.zeros((h + top + bottom, w + left + right), dtype=np.uint8)
    canvas[top : top + h, left : left + w] = bmode
    big_mask = np.zeros(canvas.shape, dtype=bool)
    big_mask[top : top + h, left : left + w] = mask
    tick_col = left + w + 4
    for depth_cm in range(0, int(h * px / 10) + 1):
        r = top + int(depth_cm * 10 / px)
        if r < canvas.shape[0]:
            canvas[r : r + 2, tick_col : tick_col + 8] = 200
    _burn_text(rng, canvas, left, top, words)
    return canvas, big_mask, (top, left, top + h, left + w)


def _burn_text(rng, canvas, left, top, words) -> None:  # noqa: ANN001
    from PIL import Image as PILImage
    from PIL import ImageDraw

    pil = PILImage.fromarray(canvas)
    draw = ImageDraw.Draw(pil)
    text = " ".join(rng.choice(words, size=3, replace=False))
    draw.text((left + 2, max(0, top - 11)), text, fill=int(rng.integers(170, 255)))
    canvas[:] = np.asarray(pil)
