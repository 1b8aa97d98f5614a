"""ACR TI-RADS descriptors of one thyroid nodule, proposed from its mask and the image, each
with the measurement behind it; points, level and the FNA / follow-up recommendation come
from engine.descriptors.tirads_points (the white paper's chart) and stay a proposal until the
reader confirms them (types.confirm / override: any term, and so any point, can be changed;
the level is re-derived while the reader has not set it).

What the image tells and what it cannot:

- composition: the share of the interior that is fluid-dark (echo.FLUID x the surrounding
  thyroid after light smoothing): at least CYSTIC cystic or almost completely cystic, at most
  SOLID_MAX solid or almost completely solid, mixed between; spongiform when at least
  SPONGIFORM_FLUID of it is fluid in at least SPONGIFORM_SPACES separate small spaces (none
  larger than SPONGIFORM_LARGEST of the nodule). "Cannot be determined" (calcification) is
  the reader's call.
- echogenicity: of the solid part (the non-fluid interior; the white paper scores a mixed
  nodule's solid component) against the thyroid around it: anechoic for a cystic nodule,
  hypoechoic below echo.HYPO, hyperechoic or isoechoic above. Very hypoechoic is defined
  against the strap muscles, which are not located: below VERY_HYPO x the thyroid stands in
  for it and the reason says so.
- shape: taller-than-wide when the extent along the beam exceeds the extent across it
  (geometry.measure_shape), which the chart measures on a transverse image: the reader
  confirms the plane.
- margin: lobulated or irregular from the outline (convexity, deep notches, spicules, sharp
  corners, small lobulations: engine.descriptors.contour); smooth otherwise. Ill-defined
  scores like smooth (0) and border sharpness did not work on real speckle (birads.py), so it
  is not proposed; extra-thyroidal extension needs the capsule, which no mask shows.
- echogenic foci: engine.descriptors.foci.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from engine.descriptors import tirads_points as tp
from engine.descriptors.contour import MarginMeasures, measure_margin
from engine.descriptors.echo import FLUID, HYPO
from engine.descriptors.foci import FociMeasures, measure_foci
from engine.descriptors.geometry import ShapeMeasures, Spacing, measure_shape
from engine.descriptors.lesion_input import lesion_on_gray
from engine.descriptors.surroundings import Surroundings, equivalent_diameter_px, surroundings
from engine.descriptors.types import Descriptor, DescriptorSet, proposed, register_category_rule

CYSTIC = 0.9
SOLID_MAX = 0.1
# The white paper's spongiform is > 50 % small cystic spaces; the fluid fraction is measured
# after smoothing (sigma >= 1.5 px), which loses about 1.5 px around every space: spaces 12 px
# across measure about half their area, so 0.2 measured stands for the white paper's 50 %.
SPONGIFORM_FLUID = 0.2
SPONGIFORM_SPACES = 6
SPONGIFORM_LARGEST = 0.1
VERY_HYPO = 0.4
# Margin: the BI-RADS outline thresholds (birads.py), but a single lobule is enough here
# (the lexicon's "lobulated": focal protrusions), so two notches (one either side) call it.
MIN_SOLIDITY = 0.85
NOTCHES = 2
SPICULES = 2
SHARP_CORNERS = 2
MICROLOBULATIONS = 6
MIN_DIAMETER_PX = 10.0
NOTE = "proposal: not final without the reader"


def describe_tirads(mask: np.ndarray, image: np.ndarray, spacing: Spacing = None) -> DescriptorSet:
    """The TI-RADS set of the largest nodule in `mask` on `image` (H×W gray)."""
    image, lesion = lesion_on_gray(mask, image, "describe_tirads")
    shape = measure_shape(lesion, spacing)
    try:
        around = surroundings(image, lesion)
    except ValueError:  # fills the frame: no thyroid to compare with
        composition, echogenicity, foci = _without_thyroid()
    else:
        fluid = _fluid(image, lesion, around)
        composition = composition_descriptor(lesion, around, fluid)
        echogenicity = echogenicity_descriptor(image, around, fluid)
        foci = foci_descriptor(measure_foci(image, lesion, around, spacing))
    small = equivalent_diameter_px(lesion) < MIN_DIAMETER_PX
    items = (
        composition,
        echogenicity,
        shape_descriptor(shape, small),
        margin_descriptor(measure_margin(lesion, spacing), shape, small),
        foci,
    )
    size = shape.long_axis if shape.unit == "mm" else None
    return proposed("ti-rads", items, {"max_diameter_mm": size})


def _without_thyroid() -> tuple[Descriptor, Descriptor, Descriptor]:
    """Composition, echogenicity and foci of a nodule that fills the frame: each is measured
    against the thyroid around it, and there is none; how the chart scores the gap is said."""
    gaps = (
        (tp.COMPOSITION, "composition", " (scored as undetermined)"),
        (tp.ECHOGENICITY, "echogenicity", " (scored 1, undetermined)"),
        (tp.ECHOGENIC_FOCI, "echogenic foci", " to compare with"),
    )
    composition, echogenicity, foci = (
        Descriptor(
            name,
            None,
            {},
            f"{what} not measurable: no thyroid around the nodule{scored}",
            options=tp.options(name),
        )
        for name, what, scored in gaps
    )
    return composition, echogenicity, foci


def _fluid(image: np.ndarray, lesion: np.ndarray, around: Surroundings) -> np.ndarray:
    """Image-sized bool: the interior pixels that are fluid-dark after light smoothing."""
    sigma = max(1.5, 0.02 * equivalent_diameter_px(lesion))
    fine = ndimage.gaussian_filter(image, sigma)
    return around.interior & (fine <= FLUID * max(around.ring_median, 1e-9))


def composition_descriptor(
    lesion: np.ndarray, around: Surroundings, fluid: np.ndarray
) -> Descriptor:
    """fluid: the interior's fluid-dark pixels (_fluid)."""
    options = tp.options(tp.COMPOSITION)
    fraction = float(fluid.sum() / max(around.interior.sum(), 1))
    spaces, count = ndimage.label(fluid)
    sizes = np.asarray(ndimage.sum_labels(fluid, spaces, index=np.arange(1, count + 1)))
    largest = float(sizes.max() / lesion.sum()) if count else 0.0
    measurement = {
        "fluid_fraction": fraction,
        "fluid_spaces": float(count),
        "largest_space_fraction": largest,
    }
    pct = f"{100 * fraction:.0f} % fluid-dark"
    if fraction >= CYSTIC:
        value, why = tp.CYSTIC, f"cystic or almost completely cystic: {pct}"
    elif (
        fraction >= SPONGIFORM_FLUID
        and count >= SPONGIFORM_SPACES
        and largest <= SPONGIFORM_LARGEST
    ):
        value = tp.SPONGIFORM
        why = f"spongiform: {pct} in {count} small spaces (largest {100 * largest:.0f} %)"
    elif fraction <= SOLID_MAX:
        value, why = tp.SOLID, f"solid or almost completely solid: {pct}"
    else:
        value, why = tp.MIXED, f"mixed cystic and solid: {pct} in {count} spaces"
    return Descriptor(tp.COMPOSITION, value, measurement, why, options=options)


def echogenicity_descriptor(
    image: np.ndarray, around: Surroundings, fluid: np.ndarray
) -> Descriptor:
    """Of the solid part: the interior less `fluid` (_fluid)."""
    options = tp.options(tp.ECHOGENICITY)
    solid = around.interior & ~fluid
    ring = max(around.ring_median, 1e-9)
    share = float(solid.sum() / max(around.interior.sum(), 1))
    if share < 1 - CYSTIC:
        measurement = {"solid_fraction": share, "solid_to_thyroid": None}
        why = f"anechoic: {100 * (1 - share):.0f} % of the nodule fluid-dark, no solid part"
        return Descriptor(tp.ECHOGENICITY, "anechoic", measurement, why, options=options)
    ratio = float(np.median(np.asarray(image, dtype=np.float64)[solid]) / ring)
    measurement = {"solid_fraction": share, "solid_to_thyroid": ratio}
    against = f"solid part {ratio:.2f} x the thyroid around it"
    if ratio < VERY_HYPO:
        value = "very hypoechoic"
        why = f"very hypoechoic: {against} (strap muscles not located: below {VERY_HYPO} x)"
    elif ratio < HYPO:
        value, why = "hypoechoic", f"hypoechoic: {against}"
    else:
        value, why = "hyperechoic or isoechoic", f"hyperechoic or isoechoic: {against}"
    return Descriptor(tp.ECHOGENICITY, value, measurement, why, options=options)


def shape_descriptor(m: ShapeMeasures, small: bool = False) -> Descriptor:
    options = tp.options(tp.SHAPE)
    ratio = m.height_width
    measurement = {"height_width": ratio, f"height_{m.unit}": m.height, f"width_{m.unit}": m.width}
    if small:
        return Descriptor(tp.SHAPE, None, measurement, "too small to measure", options=options)
    plane = "on a transverse image (the reader confirms the plane)"
    if ratio > 1.0:
        value, why = "taller-than-wide", f"taller-than-wide: height/width {ratio:.2f} {plane}"
    else:
        value, why = "wider-than-tall", f"wider-than-tall: height/width {ratio:.2f}"
    return Descriptor(tp.SHAPE, value, measurement, why, options=options)


def outline_irregularities(
    m: MarginMeasures, shape: ShapeMeasures, notches: str = "deep notches"
) -> tuple[list[str], dict[str, float]]:
    """What makes an outline lobulated or irregular (low convexity, deep notches, spicules,
    sharp corners, small lobulations), as phrases for the reason, and the measures behind
    them. One rule for every template that describes a margin (TI-RADS here, the lymph-node
    template), so a change of threshold reaches both."""
    measurement = {
        "solidity": shape.solidity,
        "notches": float(shape.lobulations),
        "spicules": float(m.spicules),
        "sharp_corners": float(m.sharp_corners),
        "microlobulations": float(m.microlobulations),
    }
    found = []
    if shape.solidity < MIN_SOLIDITY:
        found.append(f"convexity {shape.solidity:.2f}")
    if shape.lobulations >= NOTCHES:
        found.append(f"{shape.lobulations} {notches}")
    if m.spicules >= SPICULES:
        found.append(f"{m.spicules} spicules")
    if m.sharp_corners >= SHARP_CORNERS:
        found.append(f"{m.sharp_corners} sharp corners")
    if m.microlobulations >= MICROLOBULATIONS:
        found.append(f"{m.microlobulations} small lobulations")
    return found, measurement


def margin_descriptor(m: MarginMeasures, shape: ShapeMeasures, small: bool = False) -> Descriptor:
    """Lobulated or irregular from the outline (outline_irregularities); smooth otherwise.
    Ill-defined and extra-thyroidal extension are the reader's."""
    options = tp.options(tp.MARGIN)
    found, measurement = outline_irregularities(m, shape)
    measurement["roughness_pct"] = m.roughness_pct
    if small:
        return Descriptor(tp.MARGIN, None, measurement, "too small to describe", options=options)
    if found:
        why = "lobulated or irregular: " + "; ".join(found)
        return Descriptor(tp.MARGIN, "lobulated or irregular", measurement, why, options=options)
    why = "smooth: convex, no spicules, corners or lobulations (extra-thyroidal extension: reader)"
    return Descriptor(tp.MARGIN, "smooth", measurement, why, options=options)


def foci_descriptor(m: FociMeasures) -> Descriptor:
    options = tp.options(tp.ECHOGENIC_FOCI)
    measurement = {
        "punctate": float(m.punctate),
        "macro": float(m.macro),
        "rim_sectors": float(m.rim_sectors),
        f"largest_focus_{m.unit}": m.largest,
    }
    kinds, found = [], []
    if m.macro:
        kinds.append("macrocalcifications")
        found.append(f"{m.macro} large")
    if m.rim:
        kinds.append("peripheral (rim) calcifications")
        found.append(f"a bright rim over {m.rim_sectors} of 24 sectors")
    if m.punctate:
        kinds.append("punctate echogenic foci")
        found.append(f"{m.punctate} punctate (comet tails not told apart)")
    if not kinds:
        why = "none: no focus brighter than the calcification threshold"
        return Descriptor(tp.ECHOGENIC_FOCI, tp.NO_FOCI, measurement, why, options=options)
    value = tp.FOCI_JOIN.join(kinds)
    return Descriptor(tp.ECHOGENIC_FOCI, value, measurement, "; ".join(found), options=options)


def tirads_category(
    descriptors: DescriptorSet,
) -> tuple[str | None, tuple[str, ...], dict[str, Any]]:
    """Level, reasons and extras (points, total, recommendation) from the terms as they
    stand; the recommendation follows the reader's level once the reader set one."""
    values = {d.name: d.value for d in descriptors.descriptors}
    size = descriptors.extras.get("max_diameter_mm")
    try:
        s = tp.score(values)
    except ValueError as exc:
        why = f"{exc}: no points for it, the reader sets the level"
        return None, (why, NOTE), {"max_diameter_mm": size}
    level = s.level
    if descriptors.category_source == "reader" and descriptors.category in tp.LEVELS:
        level = descriptors.category
    advice = tp.recommendation(level, size)
    extras = {
        "points": dict(s.points),
        "total_points": s.total,
        "missing": list(s.missing),
        "benign_composition": s.benign_composition,
        "max_diameter_mm": size,
        "recommendation": advice.action,
        "recommendation_text": advice.text,
    }
    provisional = (f"provisional: {', '.join(s.missing)} not set",) if s.missing else ()
    return s.level, (*s.reasons, *provisional, advice.text, NOTE), extras


register_category_rule("ti-rads", tirads_category)
