"""The ACR TI-RADS point table and level chart as data, and the pure scoring of one nodule.

Source: Tessler FN et al., ACR Thyroid Imaging, Reporting and Data System (TI-RADS): White
Paper of the ACR TI-RADS Committee, J Am Coll Radiol 2017;14:587-595 (figure 1, the chart).
Implemented from that table, not from online calculators (at least one widely used one scores
echogenicity wrongly). Nothing here looks at an image: engine.descriptors.tirads proposes the
terms, the reader may change any of them, and this module turns the terms into points.

One term per category, except echogenic foci, where every kind that applies is added; such a
value is written as the terms joined by FOCI_JOIN ("macrocalcifications + punctate echogenic
foci"), so a descriptor stays one string and every combination is one option of a list.

Rules the chart adds to the plain sum:

- "cannot be determined" scores what the white paper says: composition 2 (obscured by
  calcification), echogenicity 1, margin 0. Shape and echogenic foci have no such row: when
  nobody has set them the score is provisional (`missing` names them) and counts them 0.
- Spongiform and cystic or almost completely cystic nodules are benign: the chart says of
  spongiform "do not add further points for other categories", and the white paper and the
  RSNA user's guide (Tessler et al., Radiology 2018;287:29-36) put cystic or almost
  completely cystic nodules with them as inherently benign. So either composition gives TR1
  whatever the other categories hold; their points are still computed and shown (a reader
  who sees a suspicious feature should reconsider the composition, as the guide says), but
  not added.
- Exactly 1 point: the chart names no level (TR1 is 0 points, TR2 is 2). We follow the
  implementations that state a rule (e.g. the open tirads calculators, which give 1 point
  TR2): TR1 means "benign" and is what 0 points means; a nodule with one point has a
  feature that is not benign, so it is TR2 ("not suspicious"). Management is the same either
  way (neither TR1 nor TR2 leads to FNA or follow-up), so the choice cannot change a
  recommendation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

COMPOSITION = "composition"
ECHOGENICITY = "echogenicity"
SHAPE = "shape"
MARGIN = "margin"
ECHOGENIC_FOCI = "echogenic_foci"
CATEGORIES = (COMPOSITION, ECHOGENICITY, SHAPE, MARGIN, ECHOGENIC_FOCI)

CANNOT_BE_DETERMINED = "cannot be determined"
CYSTIC = "cystic or almost completely cystic"
SPONGIFORM = "spongiform"
MIXED = "mixed cystic and solid"
SOLID = "solid or almost completely solid"
NO_FOCI = "none or large comet-tail artifacts"
FOCI_JOIN = " + "

# Points per term, the white paper's chart row by row.
POINTS: dict[str, dict[str, int]] = {
    COMPOSITION: {
        CYSTIC: 0,
        SPONGIFORM: 0,
        MIXED: 1,
        SOLID: 2,
        CANNOT_BE_DETERMINED: 2,  # "if composition cannot be determined because of calcification"
    },
    ECHOGENICITY: {
        "anechoic": 0,
        "hyperechoic or isoechoic": 1,
        "hypoechoic": 2,
        "very hypoechoic": 3,
        CANNOT_BE_DETERMINED: 1,
    },
    SHAPE: {
        "wider-than-tall": 0,
        "taller-than-wide": 3,
    },
    MARGIN: {
        "smooth": 0,
        "ill-defined": 0,
        "lobulated or irregular": 2,
        "extra-thyroidal extension": 3,
        CANNOT_BE_DETERMINED: 0,
    },
    ECHOGENIC_FOCI: {
        NO_FOCI: 0,
        "macrocalcifications": 1,
        "peripheral (rim) calcifications": 2,
        "punctate echogenic foci": 3,
    },
}
BENIGN_COMPOSITIONS = (SPONGIFORM, CYSTIC)
LEVELS = ("TR1", "TR2", "TR3", "TR4", "TR5")
LEVEL_NAMES = {
    "TR1": "benign",
    "TR2": "not suspicious",
    "TR3": "mildly suspicious",
    "TR4": "moderately suspicious",
    "TR5": "highly suspicious",
}
# (FNA if >= mm, follow-up if >= mm, follow-up schedule) per level; TR1/TR2: no FNA.
THRESHOLDS_MM: dict[str, tuple[float, float, str]] = {
    "TR3": (25.0, 15.0, "at 1, 3 and 5 years"),
    "TR4": (15.0, 10.0, "at 1, 2, 3 and 5 years"),
    "TR5": (10.0, 5.0, "every year for up to 5 years"),
}


def foci_options() -> tuple[str, ...]:
    """Every value the echogenic-foci descriptor may take: none, or any non-empty set of the
    three kinds that score (joined in table order)."""
    kinds = [k for k in POINTS[ECHOGENIC_FOCI] if k != NO_FOCI]
    combos = [FOCI_JOIN.join(c) for n in range(1, len(kinds) + 1) for c in combinations(kinds, n)]
    return (NO_FOCI, *combos)


def options(category: str) -> tuple[str, ...]:
    """The terms a reader may choose for one category (what the descriptor panel lists)."""
    if category == ECHOGENIC_FOCI:
        return foci_options()
    return tuple(POINTS[category])


def points_of(category: str, value: str | None) -> int | None:
    """Points of one term; None when the value is not set. Echogenic foci: the sum of every
    kind named. A term outside the table (a reader's free text) raises ValueError, because a
    score that silently skips it would be wrong."""
    if value is None:
        return None
    table = POINTS[category]
    if category == ECHOGENIC_FOCI:
        kinds = [k.strip() for k in value.split(FOCI_JOIN)]
        unknown = [k for k in kinds if k not in table]
        if unknown:
            raise ValueError(f"echogenic foci {unknown[0]!r} is not a TI-RADS term")
        if NO_FOCI in kinds and len(kinds) > 1:
            raise ValueError("echogenic foci: 'none' cannot be combined with other foci")
        return sum(table[k] for k in set(kinds))
    if value not in table:
        raise ValueError(f"{category} {value!r} is not a TI-RADS term ({', '.join(table)})")
    return table[value]


def level_for_points(total: int) -> str:
    """TR level of a point total: 0 TR1, 1-2 TR2 (1: see the module docstring), 3 TR3,
    4-6 TR4, 7 or more TR5."""
    if total < 0:
        raise ValueError(f"a TI-RADS total cannot be negative ({total})")
    if total == 0:
        return "TR1"
    if total <= 2:
        return "TR2"
    if total == 3:
        return "TR3"
    if total <= 6:
        return "TR4"
    return "TR5"


@dataclass(frozen=True)
class Recommendation:
    """What the white paper recommends for a level and a maximum diameter.

    action: "FNA", "follow-up", "no FNA" (below the follow-up size, or TR1/TR2), or
    "size needed" when the level has thresholds but the diameter is unknown (uncalibrated)."""

    action: str
    text: str


def recommendation(level: str, max_diameter_mm: float | None) -> Recommendation:
    if level not in LEVELS:
        raise ValueError(f"no TI-RADS level {level!r}")
    if level not in THRESHOLDS_MM:
        return Recommendation("no FNA", f"{level} ({LEVEL_NAMES[level]}): no FNA")
    fna, follow, schedule = THRESHOLDS_MM[level]
    limits = f"FNA if >= {fna / 10:g} cm, follow-up if >= {follow / 10:g} cm"
    if max_diameter_mm is None:
        return Recommendation("size needed", f"{level}: {limits}; size unknown (uncalibrated)")
    size = f"{max_diameter_mm / 10:.1f} cm"
    if max_diameter_mm >= fna:
        return Recommendation("FNA", f"{level}, {size}: FNA ({limits})")
    if max_diameter_mm >= follow:
        return Recommendation(
            "follow-up", f"{level}, {size}: follow-up {schedule}, no FNA ({limits})"
        )
    return Recommendation("no FNA", f"{level}, {size}: no FNA or follow-up ({limits})")


@dataclass(frozen=True)
class TiradsScore:
    """points: per category (None = not set). total: what the level is read from (0 for a
    spongiform or cystic nodule, see benign_composition). missing: categories nobody set,
    counted 0 (the score is provisional while any is missing)."""

    points: Mapping[str, int | None]
    total: int
    level: str
    benign_composition: bool
    missing: tuple[str, ...]
    reasons: tuple[str, ...]


def score(values: Mapping[str, str | None]) -> TiradsScore:
    """Points, total and level of one nodule from its five terms (missing keys = not set).

    A category whose value is None scores its "cannot be determined" row where the chart has
    one (composition 2, echogenicity 1, margin 0): the image could not tell and nobody said
    otherwise. Shape and echogenic foci have no such row and are listed in `missing`."""
    points: dict[str, int | None] = {}
    missing = []
    reasons = []
    for category in CATEGORIES:
        value = values.get(category)
        if value is None and CANNOT_BE_DETERMINED in POINTS[category]:
            value = CANNOT_BE_DETERMINED
        p = points_of(category, value)
        points[category] = p
        if p is None:
            missing.append(category)
            reasons.append(f"{category.replace('_', ' ')} not set: counted 0")
        else:
            reasons.append(f"{category.replace('_', ' ')}: {value} ({p} pt)")
    total = sum(p for p in points.values() if p is not None)
    benign = values.get(COMPOSITION) in BENIGN_COMPOSITIONS
    if benign:
        reasons.append(
            f"{values[COMPOSITION]}: benign, other categories not added ({total} pt would be)"
        )
        total = 0
    level = level_for_points(total)
    reasons.append(f"{total} points: {level} ({LEVEL_NAMES[level]})")
    return TiradsScore(
        points=points,
        total=total,
        level=level,
        benign_composition=benign,
        missing=tuple(missing),
        reasons=tuple(reasons),
    )
