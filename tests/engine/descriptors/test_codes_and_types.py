"""Codes are real (pydicom's DICOM/SNOMED/RadLex dictionary) or clearly local; reader
decisions never overwrite the AI's proposal silently."""

from __future__ import annotations

import json

import pytest
from pydicom.sr import _concepts_dict

from engine.descriptors import describe_birads
from engine.descriptors.birads import CATEGORIES, MARGINS, ORIENTATIONS, SHAPES
from engine.descriptors.codes import CONCEPTS, LOCAL_SCHEME, VALUES, concept_code, value_codes
from engine.descriptors.echo import ECHO_PATTERNS
from engine.descriptors.posterior import POSTERIOR_FEATURES
from engine.descriptors.types import DescriptorSet, confirm, override


def _meanings(scheme: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for entry in _concepts_dict.concepts[scheme].values():
        for code, (meaning, _cids) in entry.items():
            out.setdefault(code, set()).add(meaning)
    return out


ALL_CODES = [*CONCEPTS["bi-rads"].values(), *VALUES["bi-rads"].values()]


@pytest.mark.parametrize("code", [c for c in ALL_CODES if not c.local], ids=lambda c: c.value)
def test_standard_codes_exist_with_that_meaning(code):
    assert code.meaning in _meanings(code.scheme).get(code.value, set())


def test_local_codes_are_marked_and_fit_the_code_value_vr():
    local = [c for c in ALL_CODES if c.local]
    assert {c.value for c in local} == {f"LL-BIRADS-{c}" for c in CATEGORIES}
    for code in ALL_CODES:
        assert len(code.value) <= 16  # CodeValue is SH
        assert code.local == (code.scheme == LOCAL_SCHEME)
    assert LOCAL_SCHEME.startswith("99")  # a private coding scheme (PS3.3 8.2)


def test_every_lexicon_value_has_a_code_and_the_concepts_say_what_they_are():
    lexicon = {
        "shape": SHAPES,
        "orientation": ORIENTATIONS,
        "margin": MARGINS,
        "echo_pattern": ECHO_PATTERNS,
        "posterior_features": POSTERIOR_FEATURES,
        "category": CATEGORIES,
    }
    for name, options in lexicon.items():
        for value in options:
            assert len(value_codes("bi-rads", name, value)) == 1, (name, value)
    meanings = [concept_code("bi-rads", n).meaning for n in lexicon]
    assert meanings[:5] == [
        "Shape",
        "Orientation",
        "Margins",
        "Echo pattern",
        "Posterior acoustic features",
    ]
    assert value_codes("bi-rads", "margin", "free text by the reader") == ()
    assert value_codes("bi-rads", "margin", None) == ()


def _proposal(shapes) -> DescriptorSet:
    mask = shapes.ellipse(120, 200, 70, 40)
    return describe_birads(mask, shapes.tissue(mask))


def test_reader_override_rederives_an_ai_category_but_never_a_reader_one(shapes):
    ai = _proposal(shapes)
    assert ai.category == "3"
    irregular = override(ai, "shape", "irregular")
    assert irregular["shape"].source == "reader" and not irregular["shape"].proposed
    assert irregular.category == "4A" and irregular.category_proposed
    assert ai.value("shape") == "oval"  # the proposal itself is untouched
    reader = override(irregular, "category", "4B", "palpable, growing")
    assert reader.category_source == "reader" and reader.category_reasons == ("palpable, growing",)
    again = override(reader, "orientation", "not parallel")
    assert again.category == "4B"  # the reader's category stays


def test_final_only_after_the_reader_confirmed_everything(shapes):
    ai = _proposal(shapes)
    assert not ai.final
    assert not confirm(ai, ["shape", "category"]).final
    done = confirm(ai)
    assert done.final and done.category_source == "AI"
    with pytest.raises(KeyError):
        confirm(ai, ["colour"])


def test_json_round_trip(shapes):
    ai = override(_proposal(shapes), "margin", "angular")
    raw = json.loads(json.dumps(ai.as_json()))
    assert raw["schema"] == "lesionlens.descriptors/1"
    back = DescriptorSet.from_json(raw)
    assert back.value("margin") == "angular" and back["margin"].source == "reader"
    assert back.category == ai.category
    assert back["orientation"].measurement.keys() == ai["orientation"].measurement.keys()
    with pytest.raises(ValueError, match="template"):
        DescriptorSet.from_json({**raw, "template": "x"})


NEW_TEMPLATES = ("ti-rads", "lymph-node")
NEW_CODES = [c for t in NEW_TEMPLATES for c in (*CONCEPTS[t].values(), *VALUES[t].values())]


@pytest.mark.parametrize("code", [c for c in NEW_CODES if not c.local], ids=lambda c: c.value)
def test_ti_rads_and_node_standard_codes_exist_with_that_meaning(code):
    assert code.meaning in _meanings(code.scheme).get(code.value, set())


def test_ti_rads_and_node_local_codes_are_marked_and_fit_the_vr():
    for code in NEW_CODES:
        assert len(code.value) <= 16
        assert code.local == code.value.startswith("LL-")
    # Levels have no standard code: local, and they say what they are.
    assert value_codes("ti-rads", "category", "TR5")[0].meaning == "ACR TI-RADS level TR5"


def test_every_ti_rads_and_node_option_has_a_code(shapes):
    from engine.descriptors import describe
    from engine.descriptors.tirads_points import LEVELS

    mask = shapes.ellipse(120, 200, 70, 30)
    image = shapes.tissue(mask)
    for template in NEW_TEMPLATES:
        d = describe(template, mask, image, (0.1, 0.1))
        for item in d.descriptors:
            assert item.name in CONCEPTS[template]
            for option in item.options:
                assert value_codes(template, item.name, option), (template, item.name, option)
    for level in LEVELS:
        assert len(value_codes("ti-rads", "category", level)) == 1
    for category in ("suspicious", "not suspicious"):
        assert len(value_codes("lymph-node", "category", category)) == 1


def test_combined_echogenic_foci_give_one_code_per_kind():
    both = value_codes("ti-rads", "echogenic_foci", "macrocalcifications + punctate echogenic foci")
    assert [c.meaning for c in both] == ["Macrocalcifications", "Punctate echogenic foci"]
    assert both[0].scheme == "DCM" and both[1].local
    assert value_codes("ti-rads", "echogenic_foci", "macrocalcifications + glitter") == ()
