"""Scanner screens with known truth: where each B-mode panel is and which pixels are drawn on.

Real screens put far more than tissue in the pixels: banners of patient codes, depth scales,
calipers with dotted lines and "1.23 cm" labels, measurement boxes, body markers, a probe
logo, grey and colour bars, colour Doppler, and often two or three images side by side.
`render_layout` draws a speckle tissue picture into such a screen and returns, beside the
pixels, the truth a tissue finder should recover: each panel's mask, the annotation pixels
inside panels, and every burned-in text pixel (for the de-identification tests).
`draw_annotations` burns calipers, dotted lines and labels onto an existing tissue image
(training may use it as augmentation, so that a model cannot learn that calipers mark
lesions).

numpy and Pillow only (Pillow's built-in font, drawn without antialiasing like a scanner's
bitmap font). Every random choice comes from one generator seeded by the caller, so a seed
gives the same screen bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

LAYOUT_KINDS = (
    "rectangle",  # linear probe: one rectangle
    "sector",  # phased array: a fan from an apex at the top
    "curvilinear",  # convex probe: an annular sector, apex above the screen
    "split",  # two rectangles touching, a thin line between
    "dual",  # two fans or rectangles with a black gap between
    "triple",  # three rectangles side by side
    "cropped",  # the whole picture is tissue (an already cropped frame, as in BUSI)
    "doppler",  # RGB: colour Doppler box, colour bar
)
SCREEN = (600, 800)
WORDS = ("RIGHT BREAST", "LEFT BREAST", "LYMPH NODE", "RT 9", "LT 3-4", "THYROID", "NECK")
SETTINGS = ("Gn 52", "DR 60", "FR 24Hz", "MI 1.1", "TIs 0.2", "C5-1", "L12-5", "2D", "HGen")


@dataclass(frozen=True, eq=False)
class ScreenLayout:
    """One synthetic screen and its truth.

    pixels: H×W uint8 (H×W×3 for "doppler"). panels: per B-mode panel, left to right, an
    H×W bool mask. overlay: annotation pixels inside the panels (text, calipers, dotted
    lines, boxes, markers, logo, Doppler colour). annotations: every annotation pixel on the
    screen, inside or outside the panels. text: the burned-in text pixels (banners, labels),
    wherever they are: what de-identification must blank. seams: columns between panels.
    """

    kind: str
    pixels: np.ndarray
    panels: tuple[np.ndarray, ...]
    overlay: np.ndarray
    annotations: np.ndarray
    text: np.ndarray
    seams: tuple[int, ...]

    @property
    def tissue(self) -> np.ndarray:
        """Union of the panels minus the overlay: the pixels a finder should call tissue."""
        union = np.zeros(self.overlay.shape, dtype=bool)
        for panel in self.panels:
            union |= panel
        return union & ~self.overlay


# --- tissue ---------------------------------------------------------------------------------


def _blur(values: np.ndarray, radius_rows: int, radius_cols: int, passes: int = 2) -> np.ndarray:
    """Separable moving average (repeated: close to a Gaussian), edges extended."""
    out = values.astype(np.float64)
    for axis, radius in ((0, radius_rows), (1, radius_cols)):
        if radius <= 0:
            continue
        for _ in range(passes):
            pad = [(0, 0), (0, 0)]
            pad[axis] = (radius + 1, radius)
            cum = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis)
            size = 2 * radius + 1
            hi = np.take(cum, np.arange(size, cum.shape[axis]), axis=axis)
            lo = np.take(cum, np.arange(0, cum.shape[axis] - size), axis=axis)
            out = (hi - lo) / size
    return out


def tissue_picture(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """H×W float in [0, 1]: speckle over layered tissue with a few dark and bright blobs."""
    h, w = shape
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    wobble = _blur(rng.standard_normal((1, w)), 0, max(2, w // 12), 3) * w * 0.02
    period = rng.uniform(0.12, 0.3) * h
    layers = 0.75 + 0.25 * np.sin(2 * np.pi * (rows + wobble) / period + rng.uniform(0, 6))
    echo = layers * np.exp(0.35 * _blur(rng.standard_normal((h, w)), 12, 20, 2) * 6)
    for _ in range(int(rng.integers(1, 4))):  # hypoechoic blobs (lesion-like) and bright ones
        cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.15, 0.85) * w
        ry, rx = rng.uniform(0.04, 0.12) * h, rng.uniform(0.04, 0.12) * w
        inside = (((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2 < 1).astype(np.float64)
        soft = _blur(inside, 3, 3, 2)  # a margin a few pixels wide, as a real one
        echo = echo * (1 + soft * (rng.choice([0.15, 0.3, 1.8]) - 1))
    scatter = np.hypot(rng.standard_normal((h, w)), rng.standard_normal((h, w)))
    speckle = _blur(scatter, 1, 2, 1)  # speckle is wider than tall, as a beam is
    envelope = echo * speckle * np.exp(-rows / h * rng.uniform(0.3, 1.0))
    # Log compression to a scanner's dynamic range: speckle keeps its ~5.6 dB spread.
    dynamic_range = rng.uniform(30.0, 40.0)
    db = 20 * np.log10(np.maximum(envelope, 1e-9) / np.percentile(envelope, 99.5))
    picture = (db + dynamic_range) / dynamic_range
    return np.clip(picture * rng.uniform(0.62, 0.72), 0.0, 1.0)


# --- panel shapes ---------------------------------------------------------------------------


def _fan_mask(shape, apex, radii, half_angle) -> np.ndarray:  # noqa: ANN001
    """Pixels at distance radii[0]..radii[1] from apex (row, col) within ±half_angle of
    straight down."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    dy, dx = rows - apex[0], cols - apex[1]
    r = np.hypot(dy, dx)
    angle = np.arctan2(dx, dy)
    return (r >= radii[0]) & (r <= radii[1]) & (np.abs(angle) <= half_angle) & (dy > 0)


def _rect_mask(shape, box) -> np.ndarray:  # noqa: ANN001
    mask = np.zeros(shape, dtype=bool)
    mask[box[0] : box[2], box[1] : box[3]] = True
    return mask


# --- drawing --------------------------------------------------------------------------------


class _Canvas:
    """An 8-bit screen plus per-pixel records of what was drawn where."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.gray = np.zeros(shape, dtype=np.float64)
        self.annotations = np.zeros(shape, dtype=bool)
        self.text = np.zeros(shape, dtype=bool)

    def place_tissue(self, rng: np.random.Generator, mask: np.ndarray) -> None:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        picture = tissue_picture(rng, (r1 - r0, c1 - c0)) * 255.0
        window = self.gray[r0:r1, c0:c1]
        local = mask[r0:r1, c0:c1]
        window[local] = picture[local]

    def draw(self, paint, level: float, is_text: bool = False) -> np.ndarray:  # noqa: ANN001
        """Run paint(ImageDraw) on a blank layer; burn its pixels in at level (0..255)."""
        layer = PILImage.new("L", (self.gray.shape[1], self.gray.shape[0]), 0)
        draw = ImageDraw.Draw(layer)
        draw.fontmode = "1"  # no antialiasing, as scanner fonts
        paint(draw)
        drawn = np.asarray(layer) > 0
        self.gray[drawn] = level
        self.annotations |= drawn
        if is_text:
            self.text |= drawn
        return drawn


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _text(canvas: _Canvas, xy, words: str, level: float, size: int) -> np.ndarray:  # noqa: ANN001
    return canvas.draw(lambda d: d.text(xy, words, fill=255, font=_font(size)), level, True)


def _patient_code(rng: np.random.Generator) -> str:
    digits = "".join(str(d) for d in rng.integers(0, 10, 6))
    return f"{digits[:3]}P{digits[3:]}"


def _banner(canvas: _Canvas, rng: np.random.Generator, top: int, left: int, right: int) -> None:
    """Patient-code-like strings, an institution and a date in the top rows."""
    size = int(rng.integers(12, 16))
    lines = [
        "MERCY GENERAL HOSP",
        _patient_code(rng),
        f"ID {int(rng.integers(1000, 9999))}-{int(rng.integers(10, 99))}",
    ]
    for i, line in enumerate(lines):
        _text(canvas, (left, top + i * (size + 2)), line, rng.uniform(200, 255), size)
    settings = " ".join(rng.choice(SETTINGS, size=2, replace=False))
    _text(canvas, (right - 150, top), settings, rng.uniform(200, 255), size)
    _text(canvas, (right - 150, top + size + 2), "05/25/2011", rng.uniform(200, 255), size)


def _depth_scale(
    canvas: _Canvas, rng: np.random.Generator, top: int, bottom: int, col: int
) -> None:
    """Ticks every centimetre and their numbers, beside a panel."""
    step = (bottom - top) / 5
    level = rng.uniform(190, 255)
    for k in range(6):
        r = int(top + k * step)
        canvas.draw(lambda d, r=r: d.line([(col, r), (col + 7, r)], fill=255, width=2), level)
        _text(canvas, (col + 10, r - 6), str(k), level, 11)


def _caliper_mark(draw, centre, arm: int, cross: bool) -> None:  # noqa: ANN001
    x, y = centre
    if cross:
        draw.line([(x - arm, y - arm), (x + arm, y + arm)], fill=255, width=1)
        draw.line([(x - arm, y + arm), (x + arm, y - arm)], fill=255, width=1)
    else:
        draw.line([(x - arm, y), (x + arm, y)], fill=255, width=1)
        draw.line([(x, y - arm), (x, y + arm)], fill=255, width=1)


def _dotted(draw, a, b, spacing: int = 5) -> None:  # noqa: ANN001
    length = float(np.hypot(b[0] - a[0], b[1] - a[1]))
    for t in np.linspace(0, 1, max(2, int(length // spacing))):
        x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        draw.rectangle([round(x), round(y), round(x) + 1, round(y) + 1], fill=255)


def _calipers(canvas: _Canvas, rng: np.random.Generator, box, scale: float = 1.0) -> None:  # noqa: ANN001
    """One or two pairs of + or x marks joined by a dotted line, and a 'd 1.23 cm' label."""
    r0, c0, r1, c1 = box
    arm = max(3, round(5 * scale))
    level = rng.uniform(225, 255)
    for pair in range(int(rng.integers(1, 3))):
        cross = bool(pair % 2)
        a = (
            rng.uniform(c0 + 0.2 * (c1 - c0), c0 + 0.5 * (c1 - c0)),
            rng.uniform(r0 + 0.3 * (r1 - r0), r0 + 0.7 * (r1 - r0)),
        )
        length = rng.uniform(0.15, 0.35) * (c1 - c0)
        angle = rng.uniform(-0.8, 0.8)
        b = (a[0] + length * np.cos(angle), a[1] + length * np.sin(angle))
        a = (round(a[0]), round(a[1]))
        b = (round(b[0]), round(b[1]))

        def paint(d, a=a, b=b, cross=cross) -> None:  # noqa: ANN001
            _caliper_mark(d, a, arm, cross)
            _caliper_mark(d, b, arm, cross)
            _dotted(d, a, b, spacing=max(4, round(6 * scale)))

        canvas.draw(paint, level)
        label = f"{'+x'[pair]} {rng.uniform(0.3, 4.0):.2f} cm"
        at = (c0 + 8, r0 + 8 + pair * round(16 * scale))
        _text(canvas, at, label, level, max(9, round(13 * scale)))


def _measurement_box(canvas: _Canvas, rng: np.random.Generator, box) -> None:  # noqa: ANN001
    r0, c0, r1, c1 = box
    top, left = (
        int(rng.uniform(r0 + 0.25 * (r1 - r0), r0 + 0.4 * (r1 - r0))),
        int(rng.uniform(c0 + 0.45 * (c1 - c0), c0 + 0.6 * (c1 - c0))),
    )
    bottom, right = top + int(0.25 * (r1 - r0)), left + int(0.25 * (c1 - c0))

    def paint(d) -> None:  # noqa: ANN001
        for a, b in (
            ((left, top), (right, top)),
            ((right, top), (right, bottom)),
            ((right, bottom), (left, bottom)),
            ((left, bottom), (left, top)),
        ):
            _dotted(d, a, b, spacing=4)

    canvas.draw(paint, rng.uniform(210, 255))


def _body_marker(canvas: _Canvas, rng: np.random.Generator, corner) -> None:  # noqa: ANN001
    """A breast pictogram (circle, nipple dot) with the probe position as a bar."""
    x, y = corner
    size = int(rng.integers(28, 40))

    def paint(d) -> None:  # noqa: ANN001
        d.ellipse([x, y, x + size, y + size], outline=255, width=1)
        d.ellipse(
            [x + size // 2 - 2, y + size // 2 - 2, x + size // 2 + 2, y + size // 2 + 2], fill=255
        )
        d.line([(x + 4, y + size // 3), (x + size // 2, y + size // 5)], fill=255, width=3)

    canvas.draw(paint, rng.uniform(210, 255))


def _probe_logo(canvas: _Canvas, rng: np.random.Generator, corner) -> np.ndarray:  # noqa: ANN001
    """A filled disc with a letter cut out (the orientation mark beside the probe)."""
    x, y = corner
    size = 16

    def paint(d) -> None:  # noqa: ANN001
        d.ellipse([x, y, x + size, y + size], fill=255)

    disc = canvas.draw(paint, rng.uniform(200, 240))
    letter = PILImage.new("L", (canvas.gray.shape[1], canvas.gray.shape[0]), 0)
    draw = ImageDraw.Draw(letter)
    draw.fontmode = "1"
    draw.text((x + 4, y + 1), "P", fill=255, font=_font(12))
    cut = (np.asarray(letter) > 0) & disc
    canvas.gray[cut] = 30.0
    return disc


def _grey_bar(canvas: _Canvas, top: int, left: int, height: int = 160, width: int = 12) -> None:
    ramp = np.linspace(255, 20, height)[:, None] * np.ones((1, width))
    canvas.gray[top : top + height, left : left + width] = ramp
    canvas.annotations[top : top + height, left : left + width] = True


# --- layouts --------------------------------------------------------------------------------


def _panels_for(kind: str, rng: np.random.Generator, shape: tuple[int, int]):  # noqa: ANN202
    """Truth masks of the panels (left to right) and the seam columns between them."""
    h, w = shape
    top, bottom = int(rng.integers(80, 110)), h - int(rng.integers(50, 90))
    if kind in ("rectangle", "doppler"):
        width = int(rng.integers(int(0.5 * w), int(0.7 * w)))
        left = (w - width) // 2 + int(rng.integers(-30, 30))
        return [_rect_mask(shape, (top, left, bottom, left + width))], []
    if kind == "sector":
        radius = bottom - top
        mask = _fan_mask(shape, (top, w // 2), (0, radius), rng.uniform(0.55, 0.75))
        return [mask], []
    if kind == "curvilinear":
        apex = (top - int(rng.integers(120, 200)), w // 2)
        inner = top - apex[0]
        return [_fan_mask(shape, apex, (inner, bottom - apex[0]), rng.uniform(0.45, 0.6))], []
    if kind == "cropped":
        return [np.ones(shape, dtype=bool)], []
    if kind in ("split", "triple"):
        count = 2 if kind == "split" else 3
        left, right = int(rng.integers(20, 60)), w - int(rng.integers(20, 60))
        line = int(rng.integers(0, 3))  # 0: touching, else a thin dividing line
        edges = np.linspace(left, right, count + 1).astype(int)
        masks, seams = [], []
        for k in range(count):
            a = edges[k] + (line if k else 0)
            masks.append(_rect_mask(shape, (top, a, bottom, edges[k + 1])))
            if k:
                seams.append(int(edges[k]))
        return masks, seams
    if kind == "dual":
        gap = int(rng.integers(8, 24))
        half = (w - gap) // 2
        if rng.random() < 0.5:
            radius = bottom - top
            spread = float(np.arcsin(min(0.95, (half / 2 - 4) / radius)))  # fans stay apart
            masks = [
                _fan_mask(shape, (top, half // 2), (0, radius), spread),
                _fan_mask(shape, (top, half + gap + half // 2), (0, radius), spread),
            ]
            return masks, [half + gap // 2]
        masks = [
            _rect_mask(shape, (top, 20, bottom, half)),
            _rect_mask(shape, (top, half + gap, bottom, w - 20)),
        ]
        return masks, [half + gap // 2]
    raise ValueError(f"unknown layout kind {kind!r}; one of {LAYOUT_KINDS}")


def render_layout(kind: str, seed: int, shape: tuple[int, int] = SCREEN) -> ScreenLayout:
    """A synthetic scanner screen of the given kind (LAYOUT_KINDS) and its truth."""
    if kind not in LAYOUT_KINDS:
        raise ValueError(f"unknown layout kind {kind!r}; one of {LAYOUT_KINDS}")
    rng = np.random.default_rng(seed)
    h, w = shape
    masks, seams = _panels_for(kind, rng, shape)
    canvas = _Canvas(shape)
    for mask in masks:
        canvas.place_tissue(rng, mask)
    union = np.logical_or.reduce(masks)
    if kind in ("split", "triple"):  # a thin dividing line where the panels do not touch
        first, last = _box(masks[0]), _box(masks[-1])
        between = ~union[first[0], first[1] : last[3]]
        cols = first[1] + np.flatnonzero(between)
        canvas.gray[first[0] : first[2], cols] = rng.uniform(90, 200)
    boxes = [_box(m) for m in masks]
    if kind != "cropped":
        _banner(canvas, rng, 8, 12, w - 12)
        first, last = boxes[0], boxes[-1]
        _depth_scale(canvas, rng, first[0], first[2], min(w - 30, last[3] + 6))
        _grey_bar(canvas, first[0] + 10, max(2, first[1] - 22))
        _text(canvas, (w // 2 - 60, h - 40), str(rng.choice(WORDS)), rng.uniform(200, 255), 16)
        _text(canvas, (w - 260, h - 22), "TIS<0.4 MI=0.8 AO=100%", 230, 13)
    for box, mask in zip(boxes, masks, strict=True):
        inner = _inner_box(mask, box)
        _calipers(canvas, rng, inner)
        if rng.random() < 0.6:
            _measurement_box(canvas, rng, inner)
    inner = _inner_box(masks[0], boxes[0])
    _body_marker(canvas, rng, (inner[1] + 6, inner[2] - 46))
    _probe_logo(canvas, rng, (inner[3] - 24, inner[0] + 4))
    if kind == "cropped":
        _text(canvas, (12, int(0.6 * h)), str(rng.choice(WORDS)), 255, 15)
    pixels = np.clip(np.rint(canvas.gray), 0, 255).astype(np.uint8)
    colour = np.zeros(shape, dtype=bool)
    if kind == "doppler":
        pixels, colour = _doppler(rng, pixels, canvas, boxes[0])
    annotations = canvas.annotations | colour
    return ScreenLayout(
        kind=kind,
        pixels=pixels,
        panels=tuple(masks),
        overlay=annotations & union,
        annotations=annotations,
        text=canvas.text,
        seams=tuple(seams),
    )


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _inner_box(mask: np.ndarray, box) -> tuple[int, int, int, int]:  # noqa: ANN001
    """A box well inside the panel (for a fan: the middle band of rows under the apex)."""
    r0, c0, r1, c1 = box
    rows = np.flatnonzero(mask[:, (c0 + c1) // 2])
    mid = (rows[0] + rows[-1]) // 2
    inside_cols = np.flatnonzero(mask[mid])
    r_lo = int(rows[0] + 0.3 * (rows[-1] - rows[0]))
    return (r_lo, int(inside_cols[0]) + 10, int(rows[-1]) - 10, int(inside_cols[-1]) - 10)


def _doppler(rng, pixels, canvas: _Canvas, box):  # noqa: ANN001, ANN202
    """RGB screen: a colour box with flow (red towards, blue away) and a colour bar."""
    rgb = np.repeat(pixels[..., None], 3, axis=2)
    r0, c0, r1, c1 = box
    top, left = r0 + int(0.2 * (r1 - r0)), c0 + int(0.3 * (c1 - c0))
    bottom, right = top + int(0.35 * (r1 - r0)), left + int(0.35 * (c1 - c0))
    field = _blur(rng.standard_normal((bottom - top, right - left)), 6, 6, 2)
    field /= field.std() + 1e-9
    flow = np.zeros(pixels.shape, dtype=bool)
    towards = np.zeros(pixels.shape, dtype=bool)
    flow[top:bottom, left:right] = np.abs(field) > 1.0
    towards[top:bottom, left:right] = field > 1.0
    rgb[flow & towards] = (230, 40, 30)
    rgb[flow & ~towards] = (30, 60, 235)
    outline = np.zeros(pixels.shape, dtype=bool)
    outline[top, left:right] = outline[bottom - 1, left:right] = True
    outline[top:bottom, left] = outline[top:bottom, right - 1] = True
    rgb[outline] = 200
    bar_left = max(0, c0 - 44)
    ramp = np.linspace(0, 1, 140)[:, None]
    bar = np.concatenate([255 * ramp, 80 * (1 - ramp), 255 * (1 - ramp)], axis=1)
    rgb[r0 + 200 : r0 + 340, bar_left : bar_left + 10] = bar[:, None, :].astype(np.uint8)
    colour = flow | outline
    colour[r0 + 200 : r0 + 340, bar_left : bar_left + 10] = True
    return rgb, colour


# --- annotations on an existing picture -----------------------------------------------------


def draw_annotations(gray: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Calipers (+ or x) with dotted lines, a measurement label and sometimes a word, burned
    into a tissue image (H×W float in [0, 1]). Returns (annotated copy, H×W bool of the
    pixels drawn). Sizes follow the image, so it works on 128 px training crops too."""
    h, w = gray.shape
    canvas = _Canvas((h, w))
    canvas.gray = np.asarray(gray, dtype=np.float64) * 255.0
    scale = max(0.6, min(h, w) / 400)
    _calipers(canvas, rng, (0, 0, h, w), scale)
    if rng.random() < 0.5:
        size = max(9, round(14 * scale))
        at = (int(rng.integers(2, max(3, w // 3))), int(rng.integers(int(0.6 * h), h - size - 1)))
        _text(canvas, at, str(rng.choice(WORDS)), rng.uniform(200, 255), size)
    drawn = canvas.annotations
    annotated = np.array(gray, dtype=np.float64, copy=True)  # untouched pixels stay exact
    annotated[drawn] = np.clip(canvas.gray[drawn] / 255.0, 0.0, 1.0)
    return annotated, drawn
