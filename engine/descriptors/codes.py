"""Coded concepts for every descriptor and value, for the DICOM SR export (TID 1500
qualitative evaluations) and any export that wants codes beside the words.

Standard codes where DICOM's own tables have them (checked against pydicom's code
dictionary by tests/engine/descriptors/test_codes.py): DCM (DICOM PS3.16: CID 6152
Orientation, 6154 Echo Pattern, 6155 Posterior Acoustic Feature, concept names such as
111360 "Echo pattern"), SCT (SNOMED CT: shape and margin values of CID 6005/6007, the
BI-RADS shape and margin characteristics) and RADLEX (RID34355 "Non-circumscribed margin",
RID6060 "Heterogeneous": CID 6154 has no heterogeneous echo pattern).

TI-RADS and lymph-node templates: the standard codes that say the same thing are used
(DCM 110849 Echogenicity, 111361/111364 Anechoic/Hypoechoic, 111345 Macrocalcifications,
111372-111374 Vascularity / not present / not assessed; SCT Shape, Oval, Round, Irregular).
The ACR TI-RADS terms that are not single concepts in DICOM/SNOMED as shipped with pydicom
("hyperechoic or isoechoic", "lobulated or irregular", spongiform, taller-than-wide, the
echogenic-foci kinds and their combinations, TR1-TR5), and the node items with no code
(hilum, cortex, hilar/peripheral/mixed flow, the suspicious call), are local. Punctate
echogenic foci stay local on purpose: SNOMED's "Punctate calcification" is a mammographic
calcification, and TI-RADS chose "echogenic foci" because not all of them are calcium.

Where no standard code exists (the BI-RADS assessment values 2-5 with 4A/4B/4C for
ultrasound: SNOMED's "Mammography assessment (Category n)" concepts name mammography and
have no 4A-4C) the code is local: scheme LOCAL_SCHEME "99LESIONLENS", a private coding
scheme as DICOM PS3.3 8.2 allows (designators starting with "99"), with values "LL-..." that
say what they are. An export must
declare that scheme (CodingSchemeIdentificationSequence) when it uses one of them.
"""

from __future__ import annotations

from typing import NamedTuple

LOCAL_SCHEME = "99LESIONLENS"


class Code(NamedTuple):
    value: str
    scheme: str
    meaning: str

    @property
    def local(self) -> bool:
        return self.scheme == LOCAL_SCHEME


def _local(value: str, meaning: str) -> Code:
    return Code(f"LL-{value}", LOCAL_SCHEME, meaning)


# Concept names per template: what is being described (the SR concept name of an evaluation).
CONCEPTS: dict[str, dict[str, Code]] = {
    "bi-rads": {
        "shape": Code("300842002", "SCT", "Shape"),
        "orientation": Code("111354", "DCM", "Orientation"),
        "margin": Code("111037", "DCM", "Margins"),
        "echo_pattern": Code("111360", "DCM", "Echo pattern"),
        "posterior_features": Code("111366", "DCM", "Posterior acoustic features"),
        "category": Code("111005", "DCM", "Assessment Category"),
    },
}

_OVAL = Code("84360004", "SCT", "Ovoid shape (Oval)")
_ROUND = Code("42700002", "SCT", "Round shape")
_CIRCUMSCRIBED = Code("129738007", "SCT", "Circumscribed lesion")
_NOT_CIRCUMSCRIBED = Code("RID34355", "RADLEX", "Non-circumscribed margin")
_ANECHOIC = Code("111361", "DCM", "Anechoic")
_HYPERECHOIC = Code("111362", "DCM", "Hyperechoic")
_HYPOECHOIC = Code("111364", "DCM", "Hypoechoic")
_ISOECHOIC = Code("111365", "DCM", "Isoechoic")

# Values per template: (descriptor, value) -> code.
VALUES: dict[str, dict[tuple[str, str], Code]] = {
    "bi-rads": {
        ("shape", "oval"): _OVAL,
        ("shape", "round"): _ROUND,
        ("shape", "irregular"): Code("49608001", "SCT", "Irregular"),
        ("orientation", "parallel"): Code("111355", "DCM", "Parallel"),
        ("orientation", "not parallel"): Code("111356", "DCM", "Not parallel"),
        ("margin", "circumscribed"): _CIRCUMSCRIBED,
        ("margin", "not circumscribed"): _NOT_CIRCUMSCRIBED,
        ("margin", "indistinct"): Code("129741003", "SCT", "Indistinct lesion"),
        ("margin", "angular"): Code("111343", "DCM", "Angular margins"),
        ("margin", "microlobulated"): Code("129739004", "SCT", "Microlobulated lesion"),
        ("margin", "spiculated"): Code("129742005", "SCT", "Spiculated lesion"),
        ("echo_pattern", "anechoic"): _ANECHOIC,
        ("echo_pattern", "hyperechoic"): _HYPERECHOIC,
        ("echo_pattern", "complex cystic and solid"): Code("111363", "DCM", "Complex"),
        ("echo_pattern", "hypoechoic"): _HYPOECHOIC,
        ("echo_pattern", "isoechoic"): _ISOECHOIC,
        ("echo_pattern", "heterogeneous"): Code("RID6060", "RADLEX", "Heterogeneous"),
        ("posterior_features", "none"): Code("111367", "DCM", "No posterior acoustic features"),
        ("posterior_features", "enhancement"): Code("111368", "DCM", "Posterior enhancement"),
        ("posterior_features", "shadowing"): Code("111369", "DCM", "Posterior shadowing"),
        ("posterior_features", "combined"): Code(
            "111370", "DCM", "Combined posterior enhancement and shadowing"
        ),
    },
}

# Values with no standard code: local codes (CodeValue is SH, at most 16 characters).
for _category in ("2", "3", "4A", "4B", "4C", "5"):
    VALUES["bi-rads"][("category", _category)] = _local(
        f"BIRADS-{_category}", f"BI-RADS assessment category {_category}"
    )

_SHAPE = Code("300842002", "SCT", "Shape")
_MARGINS = Code("111037", "DCM", "Margins")
_CATEGORY = Code("111005", "DCM", "Assessment Category")

CONCEPTS["ti-rads"] = {
    "composition": _local("TR-COMPOS", "TI-RADS composition"),
    "echogenicity": Code("110849", "DCM", "Echogenicity"),
    "shape": _SHAPE,
    "margin": _MARGINS,
    "echogenic_foci": _local("TR-FOCI", "TI-RADS echogenic foci"),
    "category": _CATEGORY,
}
_FOCI_CODES = {  # one local code per kind; a combination is one evaluation per kind
    "none or large comet-tail artifacts": _local(
        "TR-FOCI-NONE", "No echogenic foci or large comet-tail artifacts"
    ),
    "macrocalcifications": Code("111345", "DCM", "Macrocalcifications"),
    "peripheral (rim) calcifications": _local("TR-FOCI-RIM", "Peripheral (rim) calcifications"),
    "punctate echogenic foci": _local("TR-FOCI-PUNCT", "Punctate echogenic foci"),
}
VALUES["ti-rads"] = {
    ("composition", "cystic or almost completely cystic"): _local(
        "TR-CYSTIC", "Cystic or almost completely cystic"
    ),
    ("composition", "spongiform"): _local("TR-SPONGIFORM", "Spongiform"),
    ("composition", "mixed cystic and solid"): _local("TR-MIXED", "Mixed cystic and solid"),
    ("composition", "solid or almost completely solid"): _local(
        "TR-SOLID", "Solid or almost completely solid"
    ),
    ("composition", "cannot be determined"): _local(
        "TR-COMPOS-UND", "Composition cannot be determined"
    ),
    ("echogenicity", "anechoic"): _ANECHOIC,
    ("echogenicity", "hyperechoic or isoechoic"): _local("TR-HYPERISO", "Hyperechoic or isoechoic"),
    ("echogenicity", "hypoechoic"): _HYPOECHOIC,
    ("echogenicity", "very hypoechoic"): _local("TR-VERYHYPO", "Very hypoechoic"),
    ("echogenicity", "cannot be determined"): _local(
        "TR-ECHO-UND", "Echogenicity cannot be determined"
    ),
    ("shape", "wider-than-tall"): _local("TR-WIDER", "Wider-than-tall"),
    ("shape", "taller-than-wide"): _local("TR-TALLER", "Taller-than-wide"),
    ("margin", "smooth"): _local("TR-SMOOTH", "Smooth margin"),
    ("margin", "ill-defined"): _local("TR-ILLDEF", "Ill-defined margin"),
    ("margin", "lobulated or irregular"): _local("TR-LOBIRR", "Lobulated or irregular margin"),
    ("margin", "extra-thyroidal extension"): _local("TR-ETE", "Extra-thyroidal extension"),
    ("margin", "cannot be determined"): _local("TR-MARGIN-UND", "Margin cannot be determined"),
    **{("echogenic_foci", kind): code for kind, code in _FOCI_CODES.items()},
}
for _level in ("TR1", "TR2", "TR3", "TR4", "TR5"):
    VALUES["ti-rads"][("category", _level)] = _local(
        f"TIRADS-{_level}", f"ACR TI-RADS level {_level}"
    )

CONCEPTS["lymph-node"] = {
    "shape": _SHAPE,
    "hilum": _local("LN-HILUM", "Echogenic hilum"),
    "cortex": _local("LN-CORTEX", "Nodal cortex"),
    "margin": _MARGINS,
    "vascular_pattern": Code("111372", "DCM", "Vascularity"),
    "category": _CATEGORY,
}
VALUES["lymph-node"] = {
    ("shape", "oval"): _OVAL,
    ("shape", "round"): _ROUND,
    ("hilum", "present"): _local("LN-HILUM-YES", "Echogenic hilum present"),
    ("hilum", "absent"): _local("LN-HILUM-NO", "Echogenic hilum absent"),
    ("cortex", "thin"): _local("LN-CTX-THIN", "Thin cortex"),
    ("cortex", "concentric thickening"): _local("LN-CTX-CONC", "Concentric cortical thickening"),
    ("cortex", "eccentric thickening"): _local("LN-CTX-ECC", "Eccentric cortical thickening"),
    ("cortex", "no hilum"): _local("LN-CTX-NOHIL", "No hilum: cortex not measurable"),
    ("margin", "smooth"): _local("LN-SMOOTH", "Smooth margin"),
    ("margin", "irregular"): Code("49608001", "SCT", "Irregular"),
    ("vascular_pattern", "hilar"): _local("LN-FLOW-HILAR", "Hilar vascularity"),
    ("vascular_pattern", "peripheral"): _local("LN-FLOW-PERI", "Peripheral vascularity"),
    ("vascular_pattern", "mixed"): _local(
        "LN-FLOW-MIXED", "Mixed hilar and peripheral vascularity"
    ),
    ("vascular_pattern", "none"): Code("111373", "DCM", "Vascularity not present"),
    ("vascular_pattern", "not assessed"): Code("111374", "DCM", "Vascularity not assessed"),
    ("category", "not suspicious"): _local("LN-NOTSUSP", "Lymph node not suspicious"),
    ("category", "suspicious"): _local("LN-SUSP", "Lymph node suspicious"),
}


def concept_code(template: str, name: str) -> Code:
    """The concept name code of a descriptor (KeyError names the unknown descriptor)."""
    return CONCEPTS[template][name]


def value_codes(template: str, name: str, value: str | None) -> tuple[Code, ...]:
    """The code of a descriptor's value: one, or none for an empty value or a reader's
    free-text term (which an export then writes as text). TI-RADS echogenic foci that name
    several kinds ("macrocalcifications + punctate echogenic foci") give one code per kind,
    and so one SR evaluation each; a combination with an unknown kind gives none."""
    if value is None:
        return ()
    code = VALUES[template].get((name, value))
    if code is not None:
        return (code,)
    if template == "ti-rads" and name == "echogenic_foci" and " + " in value:
        parts = [VALUES[template].get((name, part.strip())) for part in value.split(" + ")]
        if all(p is not None for p in parts):
            return tuple(p for p in parts if p is not None)
    return ()
