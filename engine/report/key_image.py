"""Key image: the analysed image with each lesion's outline and its long/short axis calipers.

Drawn with numpy + Pillow (no Qt), so headless exports and the PDF get the same picture the
viewer shows. Small images are enlarged first so the overlay lines stay thin and legible.
Geometry: a point at pixel centre (r, c) lands at ((c + 0.5) * s, (r + 0.5) * s) on an
image enlarged s times, so outline and calipers sit exactly where the measurements were made.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from engine.atomic import write_bytes_atomic
from engine.reader_measurements import ReaderMeasurement
from engine.report.fonts import font_path
from engine.types import Finding, Image, LineMeasurement

OUTLINE = (255, 214, 0)  # yellow: the lesion outline
LONG_AXIS = (0, 220, 255)  # cyan
SHORT_AXIS = (255, 90, 200)  # magenta
CALIPER = (80, 230, 80)  # green: the reader's own calipers, labelled C1, C2, ...
LABEL_BG = (0, 0, 0)
MIN_WIDTH = 900
MAX_ZOOMS = 2  # enlarged views of small lesions in the PDF
SMALL_LESION = 0.2  # "small": extent under this fraction of the image's shorter side


def display_rgb(pixels: np.ndarray, window: tuple[float, float] | None = None) -> np.ndarray:
    """H×W×3 uint8 for display: 8-bit as is, anything else through `window` (center, width)
    or, without one, the 0.5-99.5 percentile range."""
    if pixels.ndim == 3 and pixels.dtype == np.uint8:
        return np.ascontiguousarray(pixels[..., :3])
    values = pixels.astype(np.float64)
    if pixels.dtype == np.uint8 and window is None:
        gray = pixels
    else:
        if window is not None:
            low, high = window[0] - window[1] / 2, window[0] + window[1] / 2
        else:
            low, high = np.percentile(values, [0.5, 99.5])
        span = max(float(high - low), 1e-9)
        gray = np.clip((values - low) / span * 255.0, 0, 255).astype(np.uint8)
    if gray.ndim == 3:
        return np.ascontiguousarray(gray[..., :3])
    return np.repeat(gray[..., None], 3, axis=2)


def render_key_image(
    image: Image,
    findings: Sequence[Finding],
    pixels: np.ndarray | None = None,
    min_width: int = MIN_WIDTH,
    numbers: Sequence[int] | None = None,
    calipers: Sequence[LineMeasurement] = (),
    shapes: Sequence[ReaderMeasurement] = (),
) -> np.ndarray:
    """RGB array of the image with overlays; `pixels` replaces image.pixels (e.g. blanked);
    `numbers` labels the findings (default 1, 2, ...); `calipers`: the reader's, drawn as
    solid green lines labelled C1, C2, ... (the PDF lists them under those names); `shapes`:
    the reader's ellipses, traces and angles, in the same green, labelled E1, T1, A1..."""
    source = image.pixels if pixels is None else pixels
    window = (
        (image.window_presets[0].center, image.window_presets[0].width)
        if (image.window_presets and source.dtype != np.uint8)
        else None
    )
    base = PILImage.fromarray(display_rgb(source, window))
    scale = max(1.0, min_width / base.width)
    if scale > 1.0:
        size = (round(base.width * scale), round(base.height * scale))
        base = base.resize(size, PILImage.Resampling.BICUBIC)
        scale = base.width / image.width
    draw = ImageDraw.Draw(base)
    line = max(2, round(base.width / 450))
    font = ImageFont.truetype(str(font_path(bold=True)), size=max(12, round(base.width / 45)))
    labels = numbers if numbers is not None else range(1, len(findings) + 1)
    for number, finding in zip(labels, findings, strict=True):
        _draw_finding(draw, finding, number, scale, line, font)
    for number, caliper in enumerate(calipers, start=1):
        a, b = _xy(caliper.start, scale), _xy(caliper.end, scale)
        draw.line([a, b], fill=CALIPER, width=max(1, line - 1))
        for end in (a, b):
            _cross(draw, end, CALIPER, line, size=3 * line + 3)
        _label(draw, (b[0] + 4 * line, b[1] + 2 * line), f"C{number}", CALIPER, font)
    for shape in shapes:
        points = [_xy(p, scale) for p in shape_outline(shape)]
        draw.line(points, fill=CALIPER, width=max(1, line - 1))
        corner = max(points, key=lambda q: q[0] + q[1])
        _label(draw, (corner[0] + 2 * line, corner[1] + line), shape.label, CALIPER, font)
    if image.spacing_mm is not None:
        _draw_scale_bar(draw, base.size, image.spacing_mm[1], scale, line, font)
    return np.asarray(base)


def shape_outline(shape: ReaderMeasurement, count: int = 72) -> list[tuple[float, float]]:
    """(row, col) points to draw: an ellipse from its four axis ends (closed), a trace
    closed, an angle's two arms."""
    points = np.asarray(shape.points, dtype=np.float64)
    if shape.kind == "ellipse":
        u, v = (points[1] - points[0]) / 2.0, (points[3] - points[2]) / 2.0
        t = np.linspace(0.0, 2.0 * np.pi, count + 1)
        points = (points[0] + points[1]) / 2.0 + np.outer(np.cos(t), u) + np.outer(np.sin(t), v)
    elif shape.kind == "trace":
        points = np.vstack([points, points[:1]])
    return [(float(r), float(c)) for r, c in points]


def lesion_zoom(
    image: Image,
    finding: Finding,
    number: int,
    pixels: np.ndarray | None = None,
    width: int = 320,
) -> np.ndarray:
    """The neighbourhood of one lesion (about 1.6 times its extent, at least 24 px), drawn
    anew at `width` pixels so the outline and calipers stay sharp however small it is."""
    source = image.pixels if pixels is None else pixels
    rows, cols = finding.contour[:, 0], finding.contour[:, 1]
    half = max(0.8 * max(float(np.ptp(rows)), float(np.ptp(cols))), 12.0)
    centre = ((rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2)
    r0 = int(np.clip(round(centre[0] - 0.75 * half), 0, image.height - 1))
    c0 = int(np.clip(round(centre[1] - half), 0, image.width - 1))
    r1 = int(np.clip(round(centre[0] + 0.75 * half) + 1, r0 + 1, image.height))
    c1 = int(np.clip(round(centre[1] + half) + 1, c0 + 1, image.width))
    crop = dataclasses.replace(image, pixels=source[r0:r1, c0:c1], regions=())
    shift = np.array([r0, c0], dtype=float)
    m = finding.measurements

    def moved(ends):  # noqa: ANN001, ANN202
        return tuple((p[0] - r0, p[1] - c0) for p in ends)

    local = dataclasses.replace(
        finding,
        contour=finding.contour - shift,
        measurements=dataclasses.replace(
            m,
            long_axis_endpoints=moved(m.long_axis_endpoints),
            short_axis_endpoints=moved(m.short_axis_endpoints),
        ),
    )
    return render_key_image(crop, [local], min_width=width, numbers=[number])


def lesion_zoom_pngs(
    image: Image, findings: Sequence[Finding], pixels: np.ndarray | None = None
) -> list[tuple[int, bytes]]:
    """(finding number, PNG) for the first small lesions, for the PDF's side column."""
    out = []
    for number, finding in enumerate(findings[:MAX_ZOOMS], start=1):
        extent = max(float(np.ptp(finding.contour[:, 0])), float(np.ptp(finding.contour[:, 1])))
        if extent <= SMALL_LESION * min(image.height, image.width):
            out.append((number, _png(lesion_zoom(image, finding, number, pixels))))
    return out


def key_image_png(
    image: Image,
    findings: Sequence[Finding],
    pixels: np.ndarray | None = None,
    calipers: Sequence[LineMeasurement] = (),
    shapes: Sequence[ReaderMeasurement] = (),
) -> bytes:
    return _png(render_key_image(image, findings, pixels, calipers=calipers, shapes=shapes))


def _png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def write_key_image(
    path: str | Path, image: Image, findings: Sequence[Finding], pixels: np.ndarray | None = None
) -> Path:
    return write_bytes_atomic(path, key_image_png(image, findings, pixels))


def _xy(point_rc: Sequence[float], scale: float) -> tuple[float, float]:
    return ((point_rc[1] + 0.5) * scale, (point_rc[0] + 0.5) * scale)


def _draw_finding(draw, finding, number, scale, line, font) -> None:  # noqa: ANN001
    outline = [_xy(p, scale) for p in finding.contour]
    draw.line(outline + outline[:1], fill=OUTLINE, width=line, joint="curve")
    m = finding.measurements
    for (p0, p1), colour, tag in (
        (m.long_axis_endpoints, LONG_AXIS, "L"),
        (m.short_axis_endpoints, SHORT_AXIS, "S"),
    ):
        a, b = _xy(p0, scale), _xy(p1, scale)
        _dashed(draw, a, b, colour, max(1, line - 1))
        for end in (a, b):
            _cross(draw, end, colour, line, size=3 * line + 3)
        _label(draw, (b[0] + 4 * line, b[1] - 4 * line), f"{tag}{number}", colour, font)
    left = min(p[0] for p in outline)
    top = min(p[1] for p in outline)
    _label(draw, (left - 2 * font.size, top - 1.5 * font.size), str(number), OUTLINE, font)


def _dashed(draw, a, b, colour, width) -> None:  # noqa: ANN001
    length = float(np.hypot(b[0] - a[0], b[1] - a[1]))
    dash = 7.0 * width
    steps = max(1, int(length // dash))
    for k in range(0, steps, 2):
        t0, t1 = k / steps, min(1.0, (k + 1) / steps)
        draw.line(
            [
                (a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1),
            ],
            fill=colour,
            width=width,
        )


def _cross(draw, centre, colour, width, size) -> None:  # noqa: ANN001
    x, y = centre
    draw.line([(x - size, y), (x + size, y)], fill=colour, width=width)
    draw.line([(x, y - size), (x, y + size)], fill=colour, width=width)


def _label(draw, xy, text, colour, font) -> None:  # noqa: ANN001
    x, y = xy
    box = draw.textbbox((x, y), text, font=font)
    draw.rectangle((box[0] - 3, box[1] - 2, box[2] + 3, box[3] + 2), fill=LABEL_BG)
    draw.text((x, y), text, fill=colour, font=font)


def _draw_scale_bar(draw, size, mm_per_px, scale, line, font) -> None:  # noqa: ANN001
    """A 10 mm (or 5/1 mm on tiny images) bar in the bottom-right corner."""
    width, height = size
    for mm in (10.0, 5.0, 1.0):
        length = mm / mm_per_px * scale
        if length <= width / 4:
            break
    x1, y = width - 12 * line, height - 10 * line
    x0 = x1 - length
    draw.line([(x0, y), (x1, y)], fill=(255, 255, 255), width=line)
    for x in (x0, x1):
        draw.line([(x, y - 3 * line), (x, y + 3 * line)], fill=(255, 255, 255), width=line)
    text = f"{mm:g} mm"
    box = draw.textbbox((0, 0), text, font=font)
    _label(
        draw,
        (x1 - (box[2] - box[0]), y - 5 * line - (box[3] - box[1])),
        text,
        (255, 255, 255),
        font,
    )
