"""Dermoscopy-like colour images of pigmented skin lesions (the transfer-learning source domain).

Like ISIC images: a lesion filling a good part of a 4:3 field of skin seen through a
dermatoscope (×10 magnification, immersion or polarised light), with the nuisances real
images carry: hair, vignetting or the black lens circle, ruler marks, air bubbles, and the
colour rendering of the device. The lesion itself comes from engine.synth.skin_lesion, so
benign and malignant follow the ABCD semantics described there. The mask is the lesion
outline a dermatologist would draw (hair and bubbles do not change it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.synth.skin_lesion import CLASSES, SkinLesion, make_skin_lesion
from engine.synth.skin_surface import (
    DEFAULT_CAMERA,
    CameraProfile,
    apply_lesion,
    camera,
    draw_bubbles,
    draw_hair,
    draw_ruler,
    hair_coverage,
    illuminate,
    skin_reflectance,
)

__all__ = ["CLASSES", "SkinSample", "generate_skin_image", "lesion_grid"]


@dataclass(frozen=True)
class SkinSample:
    image: np.ndarray  # H×W×3 uint8 sRGB
    mask: np.ndarray  # H×W uint8, 0/255
    label: str
    spacing_mm: float  # isotropic pixel size on the skin surface
    lesion: SkinLesion


def lesion_grid(
    h: int, w: int, px_mm: float, centre_rc: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Lesion coordinates (mm, x to the right, y down) of every pixel of an H×W image."""
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    return (cols + 0.5 - centre_rc[1]) * px_mm, (rows + 0.5 - centre_rc[0]) * px_mm


def generate_skin_image(
    rng: np.random.Generator,
    label: str | None = None,
    profile: CameraProfile = DEFAULT_CAMERA,
    height: int = 256,
    width: int = 320,
    lesion: SkinLesion | None = None,
) -> SkinSample:
    """One dermoscopy image. Pass `lesion` to render a given lesion (then `label` is ignored)."""
    if lesion is None:
        lesion = make_skin_lesion(rng, label)
    # Field of view: the lesion spans 35-80 % of the image height, as in ISIC.
    fill = rng.uniform(0.35, 0.8)
    px = lesion.diameter_mm / (fill * height)
    centre = (height / 2 + rng.normal(0, 0.06) * height, width / 2 + rng.normal(0, 0.06) * width)
    x_mm, y_mm = lesion_grid(height, width, px, centre)
    refl = skin_reflectance(rng, x_mm, y_mm, px)
    refl = apply_lesion(rng, refl, lesion, x_mm, y_mm, px)
    mask = lesion.inside(x_mm, y_mm)
    n_hair = int(
        rng.choice([0, int(rng.integers(1, 8)), int(rng.integers(8, 40))], p=[0.45, 0.35, 0.2])
    )
    refl = draw_hair(rng, refl, hair_coverage(rng, height, width, n_hair))
    if rng.random() < 0.25:
        refl = draw_bubbles(rng, refl)
    if rng.random() < 0.2:
        refl = draw_ruler(rng, refl, px)
    refl = illuminate(rng, refl, profile, dermatoscope=True)
    image = camera(rng, refl, profile)
    return SkinSample(
        image=image,
        mask=(mask * 255).astype(np.uint8),
        label=lesion.label,
        spacing_mm=float(px),
        lesion=lesion,
    )
