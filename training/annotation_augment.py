"""Burned-in annotations as augmentation: calipers, dotted lines and text on training images.

Real scanner images carry the sonographer's marks: "+" and "x" calipers on the lesion border,
dotted lines between them, measurement labels ("1.23 cm") and text ("RIGHT BREAST"). In
BUSI-like data the calipers sit on the lesions, so a network can learn "calipers = lesion".
Drawing the same marks at random on every kind of training image (normal ones included, on
and off the lesion) takes that shortcut away. The masks are not changed: a mark on a lesion
is still lesion, a mark on tissue is still tissue.

Works on model-size batches (N×1×S×S in [0, 1], torch), cheap enough for every step.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

WORDS = (
    "RIGHT BREAST",
    "LEFT BREAST",
    "RT 10:00",
    "LT 2 CM FN",
    "1.23 cm",
    "D 0.84cm",
    "L 2.1 cm",
    "TRANS",
    "SAG",
    "AXILLA",
    "12L",
    "Gn 54",
    "DR 66",
    "FR 27",
    "ANTI-RAD",
    "1",
    "2",
    "+",
)


@functools.lru_cache(maxsize=1)
def _text_bank() -> tuple[np.ndarray, ...]:
    """Each word rendered once with PIL's built-in bitmap font (no font files needed)."""
    font = ImageFont.load_default()
    bank = []
    for word in WORDS:
        left, top, right, bottom = font.getbbox(word)
        canvas = PILImage.new("L", (right - left + 2, bottom - top + 2), 0)
        ImageDraw.Draw(canvas).text((1 - left, 1 - top), word, fill=255, font=font)
        bank.append(np.asarray(canvas, dtype=np.float32) / 255.0)
    return tuple(bank)


def _uniform(generator: torch.Generator, lo: float, hi: float) -> float:
    return float(lo + (hi - lo) * torch.rand(1, generator=generator))


def _randint(generator: torch.Generator, lo: int, hi: int) -> int:
    """An integer in [lo, hi)."""
    return int(torch.randint(lo, max(lo + 1, hi), (1,), generator=generator))


def _stamp(image: torch.Tensor, patch: torch.Tensor, row: int, col: int, level: float) -> None:
    """Burn patch (values in [0, 1] = coverage) into image (H×W) at (row, col), clipped."""
    h, w = image.shape
    ph, pw = patch.shape
    r0, c0 = max(row, 0), max(col, 0)
    r1, c1 = min(row + ph, h), min(col + pw, w)
    if r1 <= r0 or c1 <= c0:
        return
    cover = patch[r0 - row : r1 - row, c0 - col : c1 - col]
    region = image[r0:r1, c0:c1]
    image[r0:r1, c0:c1] = region * (1 - cover) + level * cover


def _marker(kind: str, arm: int) -> torch.Tensor:
    size = 2 * arm + 1
    patch = torch.zeros(size, size)
    idx = torch.arange(size)
    if kind == "+":
        patch[arm, :] = 1.0
        patch[:, arm] = 1.0
    else:
        patch[idx, idx] = 1.0
        patch[idx, size - 1 - idx] = 1.0
    return patch


def _dotted_line(
    image: torch.Tensor, p0: tuple[float, float], p1: tuple[float, float], level: float, step: float
) -> None:
    length = float(np.hypot(p1[0] - p0[0], p1[1] - p0[1]))
    n = max(2, int(length / step))
    h, w = image.shape
    for t in np.linspace(0.0, 1.0, n):
        r = int(round(p0[0] + t * (p1[0] - p0[0])))
        c = int(round(p0[1] + t * (p1[1] - p0[1])))
        if 0 <= r < h and 0 <= c < w:
            image[r, c] = level


def _point_near_lesion(mask: torch.Tensor, generator: torch.Generator) -> tuple[int, int] | None:
    """A random point on the lesion border (where sonographers put calipers), or None."""
    m = mask > 0.5
    if not bool(m.any()):
        return None
    inner = torch.nn.functional.max_pool2d((~m).float()[None, None], 3, 1, 1)[0, 0] > 0
    border = torch.nonzero(m & inner)
    if len(border) == 0:
        return None
    r, c = border[_randint(generator, 0, len(border))].tolist()
    return int(r), int(c)


def draw_annotations_batch(
    images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator, p: float = 0.5
) -> torch.Tensor:
    """Images (N×1×S×S) with marks burned into about a fraction p of them (a copy)."""
    out = images.clone()
    n, _, size, _ = out.shape
    bank = _text_bank()
    scale = size / 128.0
    for i in range(n):
        if float(torch.rand(1, generator=generator)) >= p:
            continue
        image = out[i, 0]
        level = _uniform(generator, 0.75, 1.0)
        # One or two caliper pairs with a dotted line, on the lesion border half the time.
        for _ in range(_randint(generator, 1, 3)):
            anchor = _point_near_lesion(masks[i, 0], generator)
            if anchor is None or float(torch.rand(1, generator=generator)) < 0.5:
                anchor = (_randint(generator, 0, size), _randint(generator, 0, size))
            angle = _uniform(generator, 0.0, np.pi)
            length = _uniform(generator, 0.1, 0.5) * size
            end = (anchor[0] + length * np.sin(angle), anchor[1] + length * np.cos(angle))
            kind = "+" if float(torch.rand(1, generator=generator)) < 0.6 else "x"
            arm = max(1, int(round(_uniform(generator, 1.0, 2.6) * scale)))
            marker = _marker(kind, arm)
            for r, c in (anchor, end):
                _stamp(image, marker, int(round(r)) - arm, int(round(c)) - arm, level)
            if float(torch.rand(1, generator=generator)) < 0.6:
                _dotted_line(image, anchor, end, level, step=max(2.0, 3.0 * scale))
        # Text: a label near the top or bottom edge, sometimes in the tissue.
        for _ in range(_randint(generator, 0, 3)):
            word = torch.from_numpy(bank[_randint(generator, 0, len(bank))])
            zoom = _uniform(generator, 0.35, 0.7) * scale
            th, tw = max(2, int(word.shape[0] * zoom)), max(2, int(word.shape[1] * zoom))
            patch = torch.nn.functional.interpolate(
                word[None, None], size=(th, tw), mode="bilinear", align_corners=False
            )[0, 0].clamp(0, 1)
            row = (
                _randint(generator, 0, max(1, size // 8))
                if float(torch.rand(1, generator=generator)) < 0.5
                else _randint(generator, 0, size - th)
            )
            _stamp(image, patch, row, _randint(generator, 0, size - tw), level)
    return out
