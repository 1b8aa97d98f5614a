"""Lymph-node descriptors of one node from its mask and the image (and the colour of the
frame, for the Doppler pattern), each with the measurement behind it, and a proposed
"suspicious" / "not suspicious" call with its reasons (not a standard lexicon category: no
node reporting system is as settled as BI-RADS or TI-RADS; the reader decides).

The criteria are the published sonographic signs of a metastatic node, not thresholds fitted
to any data set here:

- size: short axis, long axis and their ratio (geometry.measure_shape: the longest chord and
  the longest chord perpendicular to it, the caliper rule of engine.measure). Enlarged when
  the short axis is > SHORT_AXIS_MM (10 mm: van den Brekel et al., Radiology 1990;177:379-384,
  the size criterion also used on ultrasound, Ahuja & Ying, AJR 2005;184:1691-1699); only on
  a calibrated image. Shape is oval when long/short >= OVAL_LS, round below (L/S < 2:
  Steinkamp et al., Br J Radiol 1995;68:266-270; Ahuja & Ying 2005).
- hilum: the echogenic (fatty) hilum of a normal or reactive node (Ying & Ahuja, Clin Radiol
  2003;58:351-358); its absence is a sign of metastasis (Bedi et al., AJR 2008;191:646-652,
  type 6). Found as the bright part of the node's interior (below its outer shell, the
  cortex): Otsu's split of the lightly smoothed interior, its largest connected region with
  holes filled. Present when that region covers at least HILUM_AREA of the node and is
  echogenic: at least as bright as the tissue around the node (the ring of
  engine.descriptors.surroundings, the reference the BI-RADS echo pattern uses) and at least
  HILUM_OVER_CORTEX x the cortex (the shell), so a node as bright as its surroundings does
  not count its brighter half as a hilum. Where no tissue ring exists (the node fills the
  frame) only the cortex comparison is made, at HILUM_BRIGHT.
  Why a region and not a pixel threshold: speckle breaks a bright hilum into fragments, and
  the largest fragment above a fixed threshold was a small part of it (benchmarks: 16 % of
  benign synthetic hila missed, the cortex around the fragment measured thick).
- cortex: with a hilum, the cortical thickness at every outline point is its distance to the
  hilum, beside the hilum (between its ends along the node's long axis: at the poles that
  distance runs along the axis and is no thickness); maximal = the largest, eccentric when the
  largest is at least ECCENTRIC x the thin side (the 25th percentile): one side or a focal
  bulge thick, not an evenly thick cortex (Bedi 2008 types 4-5). Thickened when the maximum
  is > CORTEX_MM (3 mm, Bedi 2008; uncalibrated: > CORTEX_FRACTION x the short axis). An
  eccentric cortex thinner than that is called thin: a ratio of two thicknesses of a few
  pixels is speckle, not a bulge. Without a hilum the whole node is cortex and the thickness
  is not defined.
- margin: smooth or irregular from the outline, with the outline rules of the TI-RADS margin
  (engine.descriptors.tirads: convexity, >= NOTCHES deep notches, spicules, sharp corners,
  small lobulations): a lobulated outline is the cortical lobulation of Bedi 2008 types 4-5.
  An indistinct (unsharp) border, the sign of extracapsular spread (Ahuja & Ying 2005), is
  the reader's: border sharpness did not work on real speckle (docs/descriptors.md).
- vascular pattern: engine.descriptors.doppler, only on a frame with colour Doppler;
  "not assessed" otherwise. Peripheral or mixed flow is suspicious (Ahuja & Ying 2005).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu

from engine.descriptors import tirads
from engine.descriptors.contour import MarginMeasures, measure_margin
from engine.descriptors.doppler import PATTERNS, color_pixels, flow_pattern, measure_flow
from engine.descriptors.geometry import (
    ShapeMeasures,
    Spacing,
    largest_component,
    measure_shape,
    scale_of,
)
from engine.descriptors.surroundings import (
    RING_GAP,
    RING_WIDTH,
    equivalent_diameter_px,
    surroundings,
)
from engine.descriptors.types import Descriptor, DescriptorSet, register_category_rule

OVAL_LS = 2.0
SHORT_AXIS_MM = 10.0
SHELL = 0.15  # outer shell (cortex reference): this x the short axis deep, at least 2 px
SMOOTH_PX = 1.5  # light smoothing against single speckle grains before the split
HILUM_OVER_CORTEX = 1.25
HILUM_BRIGHT = 1.5  # without a tissue ring: hilum against the cortex alone
HILUM_AREA = 0.05
ECCENTRIC = 2.0
CORTEX_MM = 3.0
CORTEX_FRACTION = 0.3
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
    hilum_to_tissue: float | None  # hilum median / median of the tissue ring (None: no ring)
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
    # Everything below is measured on the node and the tissue ring around it: on the frame
    # cut down to them the numbers are the same, and the distance maps and smoothing cost a
    # fraction of the whole frame's (they were most of an analysis's time).
    # Whether the frame holds colour Doppler at all is the whole frame's question (a colour
    # box beside the node: assessed, no flow in it), so it is asked before the cut.
    colored = color_pixels(pixels)
    around = node_surroundings_box(lesion)
    gray, lesion = gray[around], lesion[around]
    colored = None if colored is None else colored[around]
    shape = measure_shape(lesion, spacing)
    unit = shape.unit
    cortex = measure_cortex(gray, lesion, shape.short_axis, spacing, colored)
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
        margin_descriptor(shape, measure_margin(lesion, spacing)),
    ]
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


def node_surroundings_box(lesion: np.ndarray) -> tuple[slice, slice]:
    """The part of the frame the node's descriptors read: the node's bounding box, grown by
    the tissue ring engine.descriptors.surroundings compares it with (gap + width, from the
    node's equivalent diameter) and by the reach of find_hilum's smoothing (4 sigma), and
    cut at the frame's edges as the whole frame would be."""
    rows, cols = np.nonzero(lesion)
    if rows.size == 0:
        raise ValueError("the lesion mask is empty")
    diameter = equivalent_diameter_px(lesion)
    ring = max(2.0, RING_GAP * diameter) + max(6.0, RING_WIDTH * diameter)
    pad = int(np.ceil(ring + 4 * SMOOTH_PX)) + 2
    height, width = lesion.shape
    return (
        slice(max(int(rows.min()) - pad, 0), min(int(rows.max()) + pad + 1, height)),
        slice(max(int(cols.min()) - pad, 0), min(int(cols.max()) + pad + 1, width)),
    )


def measure_cortex(
    gray: np.ndarray,
    lesion: np.ndarray,
    short_axis: float,
    spacing: Spacing,
    colored: np.ndarray | None = None,
) -> Cortex:
    """The echogenic hilum (if any) and the cortex thickness around it (in the unit of the
    spacing: mm, or px). See the module docstring for the rule and why it is a region;
    colored: the colour-Doppler pixels of the frame (find_hilum)."""
    scale, _ = scale_of(spacing)
    hilum, fraction, contrast, to_tissue = find_hilum(gray, lesion, short_axis, scale, colored)
    if hilum is None:
        return Cortex(None, fraction, contrast, to_tissue, None, None)
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
        to_tissue,
        float(thickness.max()),
        float(np.percentile(thickness, 25)),
        float(scale.min()),
    )


def find_hilum(
    gray: np.ndarray,
    lesion: np.ndarray,
    short_axis: float,
    scale: np.ndarray,
    colored: np.ndarray | None = None,
) -> tuple[np.ndarray | None, float, float, float | None]:
    """(hilum or None, its share of the node, hilum / cortex, hilum / tissue ring): the
    bright region of the node's interior, kept only when it is echogenic (module docstring).
    The share and contrasts are of the candidate region also when it is rejected, so the
    reader sees how close it came.

    colored: the colour-Doppler pixels. They are not B-mode grey, so they take no part in any
    brightness (smoothing is normalised over the grey pixels only); a hilum split by the
    colour of its vessels is one region across them."""
    grey = np.ones(gray.shape, dtype=bool) if colored is None else ~colored
    depth_px = ndimage.distance_transform_edt(lesion)
    short_px = short_axis / float(scale.min())
    shell = lesion & (depth_px <= max(2.0, SHELL * short_px))
    inner = lesion & ~shell
    if int((inner & grey).sum()) < 4 or not (shell & grey).any():
        return None, 0.0, 0.0, None
    weight = ndimage.gaussian_filter(grey.astype(np.float64), SMOOTH_PX)
    smooth = ndimage.gaussian_filter(np.where(grey, gray, 0.0), SMOOTH_PX)
    smooth = smooth / np.maximum(weight, 1e-6)
    cortex = max(float(np.median(smooth[shell & grey])), 1e-9)
    values = smooth[inner & grey]
    if float(values.max() - values.min()) <= 1e-9:
        return None, 0.0, float(values.max()) / cortex, None
    candidate = inner & grey & (smooth >= threshold_otsu(values))
    labels, count = ndimage.label(candidate | (inner & ~grey))
    if count == 0:
        return None, 0.0, 0.0, None
    sizes = np.asarray(ndimage.sum_labels(candidate, labels, index=np.arange(1, count + 1)))
    region = ndimage.binary_fill_holes(labels == int(np.argmax(sizes)) + 1)
    if not (region & grey).any():
        return None, 0.0, 0.0, None
    fraction = float(region.sum() / lesion.sum())
    level = float(np.median(smooth[region & grey]))
    contrast = level / cortex
    try:
        ring = surroundings(gray, lesion).ring & grey
    except ValueError:  # the node fills the frame: no tissue around it to compare with
        ring = None
    if ring is None or not ring.any():
        echogenic = contrast >= HILUM_BRIGHT
        to_tissue = None
    else:
        to_tissue = level / max(float(np.median(smooth[ring])), 1e-9)
        echogenic = to_tissue >= 1.0 and contrast >= HILUM_OVER_CORTEX
    if fraction < HILUM_AREA or not echogenic:
        return None, fraction, contrast, to_tissue
    return region, fraction, contrast, to_tissue


def hilum_descriptor(c: Cortex) -> Descriptor:
    measurement = {
        "hilum_fraction": c.hilum_fraction,
        "hilum_to_cortex": c.hilum_contrast,
        "hilum_to_tissue": c.hilum_to_tissue,
    }
    tissue = "" if c.hilum_to_tissue is None else f", {c.hilum_to_tissue:.2f} x the tissue around"
    if c.hilum is not None:
        why = (
            f"present: echogenic centre, {100 * c.hilum_fraction:.0f} % of the node, "
            f"{c.hilum_contrast:.2f} x the cortex{tissue}"
        )
        return Descriptor("hilum", "present", measurement, why, options=HILUM)
    if c.hilum_to_tissue is None:
        need = f"{HILUM_BRIGHT} x the cortex"
    else:
        need = f"as bright as the tissue around and {HILUM_OVER_CORTEX} x the cortex"
    why = f"absent: no echogenic centre (at least {need} over {100 * HILUM_AREA:.0f} % of the node"
    if c.hilum_fraction > 0:
        why += f"; brightest part {c.hilum_contrast:.2f} x the cortex{tissue}"
    return Descriptor("hilum", "absent", measurement, why + ")", options=HILUM)


def margin_descriptor(shape: ShapeMeasures, m: MarginMeasures) -> Descriptor:
    """Irregular (lobulated or irregular) by the TI-RADS outline rule, smooth otherwise."""
    found, measurement = tirads.outline_irregularities(m, shape, "deep notches (lobulated)")
    if found:
        why = "irregular: " + "; ".join(found)
        return Descriptor("margin", "irregular", measurement, why, options=MARGINS)
    why = "smooth: convex, no notches, spicules or corners (indistinct border: reader)"
    return Descriptor("margin", "smooth", measurement, why, options=MARGINS)


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
    if eccentricity >= ECCENTRIC and c.max_thickness > limit:
        value = "eccentric thickening"
    elif c.max_thickness > limit:
        value = "concentric thickening"
    else:
        value = "thin"
    return Descriptor("cortex", value, measurement, f"{value}: {what}", options=CORTEX)


def node_category(
    descriptors: DescriptorSet,
) -> tuple[str | None, tuple[str, ...], dict[str, Any]]:
    """Suspicious when any feature of a metastatic node is present (module docstring for the
    sources): short axis > 10 mm (calibrated only), round (L/S < 2), no hilum, a thickened
    cortex (eccentric or not), an irregular margin, peripheral or mixed flow."""
    values = {d.name: d.value for d in descriptors.descriptors}
    features = []
    short = descriptors.extras.get("short_axis_mm")
    if short is not None and float(short) > SHORT_AXIS_MM:
        features.append(f"short axis {float(short):.1f} mm (> {SHORT_AXIS_MM:.0f} mm)")
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
    why = "short axis <= 10 mm, oval, hilum present, thin cortex, smooth"
    if short is None:
        why = "oval, hilum present, thin cortex, smooth (size: uncalibrated)"
    return "not suspicious", (why, NOTE), extras


register_category_rule("lymph-node", node_category)
