"""Which views of a study may share zoom and pan, and which way the patient faces in each.

Qt-free. Two views are linked only when a pixel of one is the same place (up to the
anterior/posterior mirror) as the same pixel of the other: same modality, same size, same
pixel spacing. A photo and an ultrasound of one lesion have unrelated geometry, so they zoom
and pan independently, and the window says why.

Orientation (engine.view_orientation): the posterior view is shown mirrored by default so
both views have the patient's right on the left; the view says so and marks R/L at its edges.
Mirroring is a display transform only: pixel coordinates, maps and contours stay as acquired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.types import Image, Volume
from engine.view_orientation import orientation_note, shown_mirrored, side_labels, view_title

__all__ = [
    "LinkDecision",
    "ViewRange",
    "link_decision",
    "linked_range",
    "opposed",
    "orientation_note",
    "shown_mirrored",
    "side_labels",
    "view_title",
]

# The modality family of the view names engine.io.load_study knows; views of different
# families never share geometry.
VIEW_FAMILIES = {
    "us": "ultrasound",
    "clinical": "photo",
    "photo": "photo",
    "dermoscopy": "photo",
    "anterior": "planar scintigraphy",
    "posterior": "planar scintigraphy",
}
OPPOSED = frozenset({"anterior", "posterior"})
SPACING_TOLERANCE = 0.01  # relative: 1 % differences are rounding, not another geometry

ViewRange = tuple[float, float, float, float]  # x0, x1, y0, y1 in image (column, row) units


@dataclass(frozen=True)
class LinkDecision:
    """Whether zoom and pan may be linked, and the reason the window shows."""

    linkable: bool
    reason: str


def link_decision(views: Mapping[str, Image | Volume]) -> LinkDecision:
    """Linkable when every view has the first one's modality, size and pixel spacing."""
    items = list(views.items())
    if len(items) < 2:
        return LinkDecision(False, "one view: nothing to link")
    for name, view in items:
        if not isinstance(view, Image):
            return LinkDecision(False, f"{name} is a volume")
    first_name, first = items[0]
    for name, view in items[1:]:
        reason = _difference(first_name, first, name, view)  # type: ignore[arg-type]
        if reason:
            return LinkDecision(False, reason)
    spacing = first.spacing_mm  # type: ignore[union-attr]
    how = "same size, both uncalibrated" if spacing is None else "same size and pixel spacing"
    return LinkDecision(True, how)


def _difference(name_a: str, a: Image, name_b: str, b: Image) -> str:
    family_a, family_b = VIEW_FAMILIES.get(name_a), VIEW_FAMILIES.get(name_b)
    if family_a and family_b and family_a != family_b:
        return f"different modalities ({family_a} and {family_b})"
    modality_a, modality_b = a.metadata.get("Modality"), b.metadata.get("Modality")
    if modality_a and modality_b and modality_a != modality_b:
        return f"different modalities ({modality_a} and {modality_b})"
    if a.is_color != b.is_color:
        return "a colour picture and a grayscale image"
    if (a.height, a.width) != (b.height, b.width):
        return f"different sizes ({a.width}×{a.height} and {b.width}×{b.height} px)"
    if (a.spacing_mm is None) != (b.spacing_mm is None):
        return "one view is calibrated, the other is not"
    if a.spacing_mm is not None and b.spacing_mm is not None:
        for sa, sb in zip(a.spacing_mm, b.spacing_mm, strict=True):
            if abs(sa - sb) > SPACING_TOLERANCE * max(sa, sb):
                return "different pixel spacing"
    return ""


def opposed(name_a: str, name_b: str) -> bool:
    """Anterior and posterior: the same anatomy, seen from opposite sides (columns mirrored)."""
    return {name_a, name_b} == OPPOSED


def linked_range(view_range: ViewRange, width: float, mirror_columns: bool) -> ViewRange:
    """The range the other view shows for the same anatomy. Opposed views map column x to
    width - x (pixel c of one is pixel width - 1 - c of the other); rows stay."""
    x0, x1, y0, y1 = view_range
    if mirror_columns:
        x0, x1 = width - x1, width - x0
    return (x0, x1, y0, y1)
