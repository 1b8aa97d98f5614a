"""BI-RADS ultrasound lexicon (ACR BI-RADS Atlas, 5th edition, 2013) for one breast mass,
each descriptor with the measurement behind it, and a proposed assessment category.

Shape (oval, round, irregular), orientation (parallel, not parallel), margin (circumscribed;
not circumscribed: indistinct, angular, microlobulated, spiculated), echo pattern and
posterior features, from the lesion mask, the grayscale image and (optionally) the pixel
spacing. The thresholds and why they are where they are: docs/descriptors.md.

The category is a proposal and stays one until the reader confirms or sets it
(engine.descriptors.types.confirm / override):

- 2 (benign): a simple cyst: anechoic, circumscribed, oval or round, no shadowing;
- 3 (probably benign): oval or round, parallel, circumscribed, no suspicious feature;
- 4A / 4B / 4C: one / two / three suspicious features;
- 5: four or more suspicious features, or spiculated with two more.

Suspicious features (each one a reason): irregular shape; not parallel; a margin that is not
circumscribed (spiculated, angular and microlobulated weigh as one feature each, indistinct as
one); complex cystic and solid echo pattern; posterior shadowing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from engine.descriptors import posterior as posterior_rules
from engine.descriptors.contour import MarginMeasures, measure_margin
from engine.descriptors.echo import ECHO_PATTERNS, echo_pattern, measure_echo
from engine.descriptors.geometry import ShapeMeasures, Spacing, gaussian_reach, measure_shape
from engine.descriptors.lesion_input import lesion_on_gray
from engine.descriptors.posterior import (
    POSTERIOR_FEATURES,
    measure_posterior,
    posterior_feature,
)
from engine.descriptors.surroundings import (
    FAR,
    NEAR,
    RING_GAP,
    RING_WIDTH,
    border,
    equivalent_diameter_px,
    surroundings,
)
from engine.descriptors.types import Descriptor, DescriptorSet, proposed, register_category_rule

SHAPES = ("oval", "round", "irregular")
ORIENTATIONS = ("parallel", "not parallel")
MARGINS = ("circumscribed", "indistinct", "angular", "microlobulated", "spiculated")
NOT_CIRCUMSCRIBED = MARGINS[1:]
CATEGORIES = ("2", "3", "4A", "4B", "4C", "5")

# Shape: irregular when clearly not an ellipse; round when the fitted ellipse is nearly a
# circle. An oval may have 2-3 gentle undulations (the lexicon), so up to 3 notches pass.
MIN_SOLIDITY = 0.85
MAX_ELLIPSE_MISMATCH = 0.2
MAX_NOTCHES = 3
ROUND_ASPECT = 0.85
# Orientation: not parallel when the lesion is taller than wide (height along the beam).
TALLER_THAN_WIDE = 1.0
# Margin subtypes (counts from engine.descriptors.contour, sharpness from surroundings).
SPICULES = 2
SHARP_CORNERS = 2
MICROLOBULATIONS = 6
DEFINED_FRACTION = 0.6
# Border sharpness is measured and shown, but does not call "indistinct": on real speckle
# (busi-dev, docs/descriptors.md) the defined fraction is ~0.07 for benign and malignant
# alike (AUC 0.45), so the rule called 95 % of benign lesions indistinct and pushed 99.6 %
# of all lesions to category 4A+. Indistinct is the reader's call until a measure works.
JUDGE_BORDER_SHARPNESS = False
# Below this equivalent diameter (pixels) an outline is too coarse for shape and margin: a
# 10-px lesion has about 30 outline pixels, and a one-pixel step is a 10 % notch.
MIN_DIAMETER_PX = 10.0


def describe_birads(mask: np.ndarray, image: np.ndarray, spacing: Spacing = None) -> DescriptorSet:
    """The BI-RADS descriptor set of the largest lesion in `mask` on `image` (H×W gray)."""
    image, lesion = lesion_on_gray(mask, image, "describe_birads")
    # Everything below reads the lesion, its tissue ring, its border bands and the tissue
    # below and beside it, each after a Gaussian smoothing of known reach: on the frame cut
    # down to them (birads_box) the numbers are the whole frame's, and the smoothing and
    # distance maps cost a fraction (they were most of an analysis's time on busi-dev).
    box = birads_box(lesion)
    image, lesion = image[box], lesion[box]
    shape = measure_shape(lesion, spacing)
    margin = measure_margin(lesion, spacing)
    posterior = measure_posterior(image, lesion)
    post_value, post_reason = posterior_feature(posterior)
    try:
        around = surroundings(image, lesion)
    except ValueError as exc:  # the lesion fills the frame: nothing to compare it with
        margin_item = margin_descriptor(margin, None, None, None)
        echo_item = Descriptor(
            "echo_pattern", None, {}, f"echo pattern not measurable: {exc}", options=ECHO_PATTERNS
        )
    else:
        edge = border(image, lesion, around.ring_noise, around.contrast_sd)
        margin_item = margin_descriptor(margin, edge.defined_fraction, edge.sharpness, edge.step_sd)
        echo = measure_echo(image, lesion, around)
        echo_value, echo_reason = echo_pattern(echo)
        echo_item = Descriptor(
            name="echo_pattern",
            value=echo_value,
            measurement={
                "lesion_to_surroundings": echo.ratio,
                "p90_to_surroundings": echo.p90_ratio,
                "contrast_sd": echo.contrast_sd,
                "fluid_fraction": echo.fluid_fraction,
                "solid_fraction": echo.solid_fraction,
                "heterogeneity": echo.heterogeneity,
            },
            reason=echo_reason,
            options=ECHO_PATTERNS,
        )
    diameter_px = float(2.0 * np.sqrt(lesion.sum() / np.pi))
    shape_item = shape_descriptor(shape)
    if diameter_px < MIN_DIAMETER_PX:
        small = f"too small to describe ({diameter_px:.0f} px across)"
        shape_item = Descriptor("shape", None, shape_item.measurement, small, options=SHAPES)
        margin_item = Descriptor("margin", None, margin_item.measurement, small, options=MARGINS)
    orientation_item = orientation_descriptor(shape)
    if touches_frame(lesion):
        orientation_item = replace(
            orientation_item,
            reason=orientation_item.reason + " (the lesion is cut by the image edge)",
        )
    descriptors = (
        shape_item,
        orientation_item,
        margin_item,
        echo_item,
        Descriptor(
            name="posterior_features",
            value=post_value,
            measurement={
                "below_to_beside": posterior.ratio,
                "strip_min": min(posterior.strip_ratios) if posterior.strip_ratios else None,
                "strip_max": max(posterior.strip_ratios) if posterior.strip_ratios else None,
                "rows_below_px": float(posterior.rows),
            },
            reason=post_reason,
            options=POSTERIOR_FEATURES,
        ),
    )
    return proposed("bi-rads", descriptors)


def birads_box(lesion: np.ndarray) -> tuple[slice, slice]:
    """The part of the frame describe_birads reads, cut at the frame's edges as the whole
    frame would be: the lesion's bounding box grown by the farthest reach of every measure
    (engine.descriptors.surroundings: the tissue ring and the border bands, with the
    border's own crop and its smoothing; echo: its coarse smoothing; posterior: the tissue
    below and beside the lesion, with its smoothing), plus one pixel.

    The first row is even: the posterior depth rounds the mean of the lesion's bottom rows,
    and Python rounds halves to even, so an odd shift could move it by one row."""
    rows, cols = np.nonzero(lesion)
    if rows.size == 0:
        raise ValueError("the lesion mask is empty")
    height = int(rows.max() - rows.min() + 1)
    width = int(cols.max() - cols.min() + 1)
    diameter = equivalent_diameter_px(lesion)
    ring = max(2.0, RING_GAP * diameter) + max(6.0, RING_WIDTH * diameter)
    near = max(2.0, NEAR * diameter)
    far = max(6.0, FAR * diameter, 2.0 * near)
    edge = int(np.ceil(far)) + 2 + gaussian_reach(1.0)  # border(): its crop and its smoothing
    echo = gaussian_reach(max(2.0, 0.06 * diameter))  # measure_echo's coarse (wider) smoothing
    pad = max(int(np.ceil(ring)), edge, echo) + 1
    smooth = gaussian_reach(max(1.5, 0.02 * max(height, width)))  # measure_posterior's smoothing
    below = max(2, round(posterior_rules.GAP * height)) + max(
        posterior_rules.MIN_ROWS, round(posterior_rules.DEPTH * height)
    )
    side_gap = max(2, round(posterior_rules.GAP * width))
    beside = side_gap + max(3, round(posterior_rules.SIDE * width))
    top = max(pad, smooth + 1)
    sides = max(pad, beside + smooth + 1)
    bottom = max(pad, below + smooth + 1)
    frame_rows, frame_cols = lesion.shape
    r0 = max(int(rows.min()) - top, 0)
    r0 -= r0 % 2
    return (
        slice(r0, min(int(rows.max()) + bottom + 1, frame_rows)),
        slice(max(int(cols.min()) - sides, 0), min(int(cols.max()) + sides + 1, frame_cols)),
    )


def touches_frame(lesion: np.ndarray) -> bool:
    """True when the lesion reaches the first or last row or column of the image."""
    return bool(lesion[0].any() or lesion[-1].any() or lesion[:, 0].any() or lesion[:, -1].any())


def shape_descriptor(m: ShapeMeasures) -> Descriptor:
    measurement = {
        "ellipse_aspect": m.ellipse_aspect,
        "ellipse_mismatch": m.ellipse_mismatch,
        "solidity": m.solidity,
        "notches": float(m.lobulations),
    }
    if m.solidity < MIN_SOLIDITY:
        value, reason = "irregular", f"irregular: convexity {m.solidity:.2f} (< {MIN_SOLIDITY})"
    elif m.lobulations > MAX_NOTCHES:
        value, reason = "irregular", f"irregular: {m.lobulations} deep notches"
    elif m.ellipse_mismatch > MAX_ELLIPSE_MISMATCH:
        value = "irregular"
        reason = f"irregular: {100 * m.ellipse_mismatch:.0f} % off the fitted ellipse"
    elif m.ellipse_aspect >= ROUND_ASPECT:
        value, reason = "round", f"round: ellipse axes ratio {m.ellipse_aspect:.2f}"
    else:
        value, reason = "oval", f"oval: ellipse axes ratio {m.ellipse_aspect:.2f}, convex"
    return Descriptor("shape", value, measurement, reason, options=SHAPES)


def orientation_descriptor(m: ShapeMeasures) -> Descriptor:
    ratio = m.height_width
    measurement = {
        "height_width": ratio,
        f"height_{m.unit}": m.height,
        f"width_{m.unit}": m.width,
        "long_axis_angle_deg": m.long_axis_angle_deg,
    }
    if ratio > TALLER_THAN_WIDE:
        value, reason = "not parallel", f"not parallel: height/width {ratio:.2f}"
    else:
        value, reason = "parallel", f"parallel: height/width {ratio:.2f}"
    return Descriptor("orientation", value, measurement, reason, options=ORIENTATIONS)


def margin_descriptor(
    m: MarginMeasures,
    defined_fraction: float | None,
    sharpness: float | None,
    step_sd: float | None,
) -> Descriptor:
    """Margin from the outline and (when there is tissue around it) the border sharpness;
    the most suspicious term found wins (spiculated, angular, microlobulated, indistinct)."""
    found = []
    if m.spicules >= SPICULES:
        found.append(("spiculated", f"{m.spicules} spicules"))
    if m.sharp_corners >= SHARP_CORNERS:
        found.append(("angular", f"{m.sharp_corners} sharp corners ({m.sharpest_angle_deg:.0f}°)"))
    if m.microlobulations >= MICROLOBULATIONS:
        found.append(("microlobulated", f"{m.microlobulations} small lobulations"))
    if (
        JUDGE_BORDER_SHARPNESS
        and defined_fraction is not None
        and defined_fraction < DEFINED_FRACTION
    ):
        found.append(("indistinct", f"{100 * defined_fraction:.0f} % of the border sharp"))
    measurement = {
        "spicules": float(m.spicules),
        "sharp_corners": float(m.sharp_corners),
        "sharpest_angle_deg": m.sharpest_angle_deg,
        "microlobulations": float(m.microlobulations),
        "roughness_pct": m.roughness_pct,
        "border_defined_fraction": defined_fraction,
        "border_sharpness": sharpness,
        "border_step_sd": step_sd,
    }
    if not found:
        sharp = (
            "border sharpness not measurable"
            if defined_fraction is None
            else f"{100 * defined_fraction:.0f} % of the border sharp"
        )
        reason = f"circumscribed: {sharp}, no spicules, corners or small lobulations"
        return Descriptor("margin", "circumscribed", measurement, reason, options=MARGINS)
    value = found[0][0]  # MARGINS order of suspicion: spiculated first
    reason = "not circumscribed (" + value + "): " + "; ".join(why for _, why in found)
    return Descriptor("margin", value, measurement, reason, options=MARGINS)


def suspicious_features(values: dict[str, str | None]) -> list[str]:
    """The reasons that raise a BI-RADS category above 3, from the descriptor values."""
    reasons = []
    if values.get("shape") == "irregular":
        reasons.append("irregular shape")
    if values.get("orientation") == "not parallel":
        reasons.append("not parallel")
    margin = values.get("margin")
    if margin is not None and margin != "circumscribed":
        reasons.append(f"{margin} margin")
    if values.get("echo_pattern") == "complex cystic and solid":
        reasons.append("complex cystic and solid")
    if values.get("posterior_features") in ("shadowing", "combined"):
        reasons.append(f"posterior {values['posterior_features']}")
    return reasons


def birads_category(
    descriptors: DescriptorSet,
) -> tuple[str | None, tuple[str, ...], dict[str, Any]]:
    """The proposed category and its reasons from the descriptor values as they stand."""
    values = {d.name: d.value for d in descriptors.descriptors}
    suspicious = suspicious_features(values)
    note = "proposal: not final without the reader"
    if suspicious:
        n = len(suspicious)
        spiculated = values.get("margin") == "spiculated"
        five = n >= 4 or (spiculated and n >= 3)
        category = "5" if five else ("4A", "4B", "4C")[min(n, 3) - 1]
        return category, (*suspicious, note), {"suspicious_features": n}
    if (
        values.get("echo_pattern") == "anechoic"
        and values.get("margin") == "circumscribed"
        and values.get("shape") in ("oval", "round")
    ):
        return (
            "2",
            ("simple cyst: anechoic, circumscribed, " + values["shape"], note),
            {"suspicious_features": 0},
        )
    return (
        "3",
        ("oval or round, parallel, circumscribed: no suspicious feature", note),
        {"suspicious_features": 0},
    )


register_category_rule("bi-rads", birads_category)
