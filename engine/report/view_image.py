"""One view of a study as the report shows it: the image, the model's attention map over it,
the lesion outline on a segmented view, and R/L markers on projection views.

The posterior view can be drawn mirrored like the viewer shows it by default (the patient's
right on the left, as on the anterior): pixels, map and outline are flipped before drawing,
so labels and the scale bar stay readable.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from engine.report.fonts import font_path
from engine.report.heatmap import blend_heat
from engine.report.key_image import display_rgb, render_key_image
from engine.types import Finding, Image

LONG_SIDE = 800  # px of the drawn view's longer side (small images are enlarged so lines
# stay thin; a tall whole-body scan is not blown up to megabytes)
MAP_OPACITY = 0.6
SIDE_COLOUR = (255, 212, 59)


def mirror_finding(finding: Finding, width: int) -> Finding:
    """The finding of a left-right flipped image (column c -> width - 1 - c)."""

    def flip(points):  # noqa: ANN001, ANN202
        return tuple((p[0], width - 1 - p[1]) for p in points)

    contour = np.asarray(finding.contour, dtype=np.float64).copy()
    contour[:, 1] = width - 1 - contour[:, 1]
    m = finding.measurements
    measurements = dataclasses.replace(
        m,
        long_axis_endpoints=flip(m.long_axis_endpoints),
        short_axis_endpoints=flip(m.short_axis_endpoints),
    )
    return dataclasses.replace(finding, contour=contour, measurements=measurements)


def render_view(
    image: Image,
    view_map: np.ndarray | None,
    findings: Sequence[Finding] = (),
    mirrored: bool = False,
    sides: tuple[str, str] | None = None,
    opacity: float = MAP_OPACITY,
    long_side: int = LONG_SIDE,
) -> np.ndarray:
    """RGB array; `sides`: patient side letters for the (left, right) edges as drawn."""
    rgb = display_rgb(image.pixels)
    if view_map is not None:
        rgb = blend_heat(rgb, view_map, opacity)
    findings = list(findings)
    if mirrored:
        rgb = np.ascontiguousarray(rgb[:, ::-1])
        findings = [mirror_finding(f, image.width) for f in findings]
    shown = dataclasses.replace(image, pixels=rgb, regions=(), window_presets=())
    width = round(long_side * image.width / max(image.height, image.width))
    drawn = render_key_image(shown, findings, min_width=width)
    if sides is not None:
        drawn = _draw_sides(drawn, sides)
    return drawn


def view_png(*args, **kwargs) -> bytes:  # noqa: ANN002, ANN003 - render_view's arguments
    buffer = io.BytesIO()
    PILImage.fromarray(render_view(*args, **kwargs)).save(buffer, format="PNG")
    return buffer.getvalue()


def _draw_sides(rgb: np.ndarray, sides: tuple[str, str]) -> np.ndarray:
    picture = PILImage.fromarray(rgb)
    draw = ImageDraw.Draw(picture)
    size = max(14, picture.width // 14)
    font = ImageFont.truetype(str(font_path(bold=True)), size=size)
    margin = size // 2
    for text, left in ((sides[0], True), (sides[1], False)):
        box = draw.textbbox((0, 0), text, font=font)
        x = margin if left else picture.width - margin - (box[2] - box[0])
        draw.rectangle((x - 4, margin - 2, x + box[2] - box[0] + 4, margin + box[3] + 4), fill=0)
        draw.text((x, margin), text, fill=SIDE_COLOUR, font=font)
    return np.asarray(picture)
