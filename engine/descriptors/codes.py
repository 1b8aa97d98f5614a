"""Coded concepts for every descriptor and value, for the DICOM SR export (TID 1500
qualitative evaluations) and any export that wants codes beside the words.

Standard codes where DICOM's own tables have them (checked against pydicom's code
dictionary by tests/engine/descriptors/test_codes.py): DCM (DICOM PS3.16: CID 6152
Orientation, 6154 Echo Pattern, 6155 Posterior Acoustic Feature, concept names such as
111360 "Echo pattern"), SCT (SNOMED CT: shape and margin values of CID 6005/6007, the
BI-RADS shape and margin characteristics) and RADLEX (RID34355 "Non-circumscribed margin",
RID6060 "Heterogeneous": CID 6154 has no heterogeneous echo pattern).

Only the BI-RADS ultrasound template is implemented; TI-RADS and lymph-node templates
(issue 19) are not, so they have no codes here yet.

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


def concept_code(template: str, name: str) -> Code:
    """The concept name code of a descriptor (KeyError names the unknown descriptor)."""
    return CONCEPTS[template][name]


def value_codes(template: str, name: str, value: str | None) -> tuple[Code, ...]:
    """The code of a descriptor's value: one, or none for an empty value or a reader's
    free-text term (which an export then writes as text)."""
    if value is None:
        return ()
    code = VALUES[template].get((name, value))
    return () if code is None else (code,)
