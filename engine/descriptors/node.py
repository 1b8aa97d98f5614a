"""Lymph-node descriptors of one node from its mask and the image (and the colour of the
frame, for the Doppler pattern), each with the measurement behind it, and a proposed
"suspicious" / "not suspicious" call with its reasons (not a standard lexicon category: no
node reporting system is as settled as BI-RADS or TI-RADS; the reader decides).

- size: short axis, long axis and their ratio (geometry.measure_shape: the longest chord and
  the longest chord perpendicular to it, the caliper rule of engine.measure). Shape is oval
  when long/short >= OVAL_LS (the classic L/S >= 2 of a benign node), round below.
- hilum: an echogenic centre: the largest connected region of the lightly smoothed node at
  least HILUM_BRIGHT x the median of the node's outer shell (the cortex) that does not reach
  the outline and covers at least HILUM_AREA of the node. Present or absent.
- cortex: with a hilum, the cortical thickness at every outline point is its distance to the
  hilum, beside the hilum (between its ends along the node's long axis: at the poles that
  distance runs along the axis and is no thickness); maximal = the largest, eccentric when the
  largest is at least ECCENTRIC x the thin side (the 25th percentile): one side or a focal
  bulge thick, not an evenly thick cortex. Thickened at CORTEX_MM or more (calibrated;
  uncalibrated: CORTEX_FRACTION x the short axis). Without a hilum the whole node is cortex
  and the thickness is not defined.
- margin: smooth or irregular from the outline (convexity, spicules, sharp corners; the
  contour measures of the BI-RADS margin).
- vascular pattern: engine.descriptors.doppler, only on a frame with colour Doppler;
  "not assessed" otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from engine.descriptors.contour import measure_margin
from engine.descriptors.doppler import PATTERNS, color_pixels, flow_pattern, measure_flow
from engine.descriptors.geometry import Spacing, largest_component, measure_shape, scale_of
from engine.descriptors.types import Descriptor, DescriptorSet, register_category_rule

OVAL_LS = 2.0
SHELL = 0.15  # outer shell (cortex reference): this x the short axis deep, at least 2 px
HILUM_BRIGHT = 1.5
HILUM_AREA = 0.05
ECCENTRIC = 2.0
CORTEX_MM = 3.0
CORTEX_FRACTION = 0.3
MIN_SOLIDITY = 0.85
SPICULES = 2
SHARP_CORNERS = 2
SHAPES = ("oval", "round")
HILUM = ("present", "absent")
CORTEX = ("thin", "concentric thickening", "eccentric thickening", "no hilum")
MARGINS = ("smooth", "irregular")
VASCULAR = (*PATTERNS, "not assessed")
CATEGORIES = ("not suspicious", "suspicious")
NOTE = "proposal: not final without the reader"


@dataclass(frozen=True)
class Cortex:
    hilum: np.ndarray | None
    hilum_fraction: float
    hilum_contrast: float  # hilum median / shell median (0 without a candidate)
    max_thickness: float | None
    thin_side: float | None  # 25th percentile of the thickness: the cortex where it is thin
    pixel: float = 1.0  # the pixel size in the same unit (floor of thin_side)


def describe_node(
    mask: np.ndarray, pixels: np.ndarray, gray: np.ndarray, spacing: Spacing = None
) -> DescriptorSet:
    """The node set of the largest node in `mask`; pixels: the frame as stored (RGB for the
    Doppler colour), gray: its H×W grayscale (engine.descriptors.gray_frame)."""
    gray = np.asarray(gray, dtype=np.float64)
    lesion = largest_component(mask)
    if lesion.shape != gray.shape:
        raise ValueError(f"mask {lesion.shape} and image {gray.shape} differ in size")
    shape = measure_shape(lesion, spacing)
    unit = shape.unit
    cortex = measure_cortex(gray, lesion, shape.short_axis, spacing)
    margin = measure_margin(lesion, spacing)
    ls = shape.long_short
    size = {f"short_axis_{unit}": shape.short_axis, f"long_axis_{unit}": shape.long_axis}
    shape_value = "oval" if ls >= OVAL_LS else "round"
    items = [
        Descriptor(
            "shape",
            shape_value,
            {**size, "long_short": ls},
            f"{shape_value}: L/S {ls:.2f} (short axis {shape.short_axis:.1f} {unit})",
            options=SHAPES,
        ),
        hilum_descriptor(cortex),
        cortex_descriptor(cortex, shape.short_axis, unit),
    ]
    found = []
    if shape.solidity < MIN_SOLIDITY:
        found.append(f"convexity {shape.solidity:.2f}")
    if margin.spicules >= SPICULES:
        found.append(f"{margin.spicules} spicules")
    if margin.sharp_corners >= SHARP_CORNERS:
        found.append(f"{margin.sharp_corners} sharp corners")
    items.append(
        Descriptor(
            "margin",
            "irregular" if found else "smooth",
            {
                "solidity": shape.solidity,
                "spicules": float(margin.spicules),
                "sharp_corners": float(margin.sharp_corners),
            },
            ("irregular: " + "; ".join(found)) if found else "smooth: convex, no spicules",
            options=MARGINS,
        )
    )
    colored = color_pixels(pixels)
    if colored is None:
        items.append(
            Descriptor(
                "vascular_pattern",
                "not assessed",
                {},
                "not assessed: no colour or power Doppler in the frame",
                options=VASCULAR,
            )
        )
    else:
        flow = measure_flow(colored, lesion, cortex.hilum)
        value, why = flow_pattern(flow)
        items.append(
            Descriptor(
                "vascular_pattern",
                value,
                {"flow_fraction": flow.flow_fraction, "central_share": flow.central_share},
                why,
                options=VASCULAR,
            )
        )
    extras = {
        f"short_axis_{unit}": shape.short_axis,
        f"long_axis_{unit}": shape.long_axis,
        "long_short": ls,
    }
    out = DescriptorSet("lymph-node", tuple(items), category=None, extras=extras)
    category, reasons, extras = node_category(out)
    return DescriptorSet(
        template="lymph-node",
        descriptors=tuple(items),
        category=category,
        category_reasons=reasons,
        extras=extras,
    )


def measure_cortex(
    gray: np.ndarray, lesion: np.ndarray, short_axis: float, spacing: Spacing
) -> Cortex:
    """The echogenic hilum (if any) and the cortex thickness around it (in the unit of the
    spacing: mm, or px)."""
    scale, _ = scale_of(spacing)
    depth_px = ndimage.distance_transform_edt(lesion)
    short_px = short_axis / float(scale.min())
    shell = lesion & (depth_px <= max(2.0, SHELL * short_px))
    smooth = ndimage.gaussian_filter(gray, 1.5)
    reference = max(float(np.median(smooth[shell])), 1e-9)
    candidate = lesion & ~shell & (smooth >= HILUM_BRIGHT * reference)
    labels, count = ndimage.label(candidate)
    if count == 0:
        return Cortex(None, 0.0, 0.0, None, None)
    sizes = np.asarray(ndimage.sum_labels(candidate, labels, index=np.arange(1, count + 1)))
    hilum = labels == int(np.argmax(sizes)) + 1
    fraction = float(hilum.sum() / lesion.sum())
    contrast = float(np.median(smooth[hilum]) / reference)
    if fraction < HILUM_AREA:
        return Cortex(None, fraction, contrast, None, None)
    to_hilum = ndimage.distance_transform_edt(~hilum, sampling=scale)
    edge = lesion & ~ndimage.binary_erosion(lesion)
    # The cortex is measured across the node, beside the hilum: at the poles the distance to
    # the hilum runs along the long axis and is not a cortical thickness.
    rows, cols = np.nonzero(lesion)
    points = np.stack([rows * scale[0], cols * scale[1]], axis=1)
    centre = points.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov((points - centre).T))
    axis = vectors[:, -1]
    hr, hc = np.nonzero(hilum)
    along_hilum = (np.stack([hr * scale[0], hc * scale[1]], axis=1) - centre) @ axis
    er, ec = np.nonzero(edge)
    along_edge = (np.stack([er * scale[0], ec * scale[1]], axis=1) - centre) @ axis
    beside = (along_edge >= along_hilum.min()) & (along_edge <= along_hilum.max())
    thickness = to_hilum[er, ec][beside] if beside.any() else to_hilum[er, ec]
    return Cortex(
        hilum,
        fraction,
        contrast,
        float(thickness.max()),
        float(np.percentile(thickness, 25)),
        float(scale.min()),
    )


def hilum_descriptor(c: Cortex) -> Descriptor:
    measurement = {"hilum_fraction": c.hilum_fraction, "hilum_to_cortex": c.hilum_contrast}
    if c.hilum is not None:
        why = (
            f"present: echogenic centre, {100 * c.hilum_fraction:.0f} % of the node, "
            f"{c.hilum_contrast:.2f} x the cortex"
        )
        return Descriptor("hilum", "present", measurement, why, options=HILUM)
    why = "absent: no echogenic centre (at least "
    why += f"{HILUM_BRIGHT} x the cortex over {100 * HILUM_AREA:.0f} % of the node)"
    return Descriptor("hilum", "absent", measurement, why, options=HILUM)


def cortex_descriptor(c: Cortex, short_axis: float, unit: str) -> Descriptor:
    if c.max_thickness is None or c.thin_side is None:
        why = "no hilum: the whole node is cortex, thickness not defined"
        return Descriptor(
            "cortex",
            "no hilum",
            {f"cortex_max_{unit}": None, "eccentricity": None},
            why,
            options=CORTEX,
        )
    eccentricity = c.max_thickness / max(c.thin_side, c.pixel)
    limit = CORTEX_MM if unit == "mm" else CORTEX_FRACTION * short_axis
    measurement = {
        f"cortex_max_{unit}": c.max_thickness,
        f"cortex_thin_side_{unit}": c.thin_side,
        "eccentricity": eccentricity,
        f"thick_from_{unit}": limit,
    }
    what = f"maximal cortex {c.max_thickness:.1f} {unit}, {eccentricity:.1f} x its thin side"
    if eccentricity >= ECCENTRIC and c.max_thickness >= limit:
        value = "eccentric thickening"
    elif c.max_thickness >= limit:
        value = "concentric thickening"
    else:
        value = "thin"
    return Descriptor("cortex", value, measurement, f"{value}: {what}", options=CORTEX)


def node_category(
    descriptors: DescriptorSet,
) -> tuple[str | None, tuple[str, ...], dict[str, Any]]:
    """Suspicious when any feature of a metastatic node is present: round (L/S < 2), no
    hilum, a thickened cortex (eccentric or not), an irregular margin, peripheral or mixed
    flow."""
    values = {d.name: d.value for d in descriptors.descriptors}
    features = []
    if values.get("shape") == "round":
        features.append("round (L/S < 2)")
    if values.get("hilum") == "absent":
        features.append("no echogenic hilum")
    if values.get("cortex") in ("eccentric thickening", "concentric thickening"):
        features.append(f"cortex: {values['cortex']}")
    if values.get("margin") == "irregular":
        features.append("irregular margin")
    if values.get("vascular_pattern") in ("peripheral", "mixed"):
        features.append(f"{values['vascular_pattern']} vascularity")
    extras = {**descriptors.extras, "suspicious_features": len(features)}
    if features:
        return "suspicious", (*features, NOTE), extras
    return "not suspicious", ("oval, hilum present, thin cortex, smooth", NOTE), extras


register_category_rule("lymph-node", node_category)
