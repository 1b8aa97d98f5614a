"""TI-RADS proposals on synthetic nodules whose answer is known by construction (the thyroid
around them at grey 120, the nodule at its own grey, fluid at 5, calcifications at 250)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.descriptors import describe, describe_tirads
from engine.descriptors.types import DescriptorSet, confirm, override

FLUID, CALCIUM = 5.0, 250.0


def values(d: DescriptorSet) -> dict[str, str | None]:
    return {item.name: item.value for item in d.descriptors}


def nodule(shapes, lesion: float = 60.0, half_width: float = 60, half_height: float = 40):
    mask = shapes.ellipse(120, 200, half_width, half_height)
    return mask, shapes.tissue(mask, lesion=lesion)


def test_solid_hypoechoic_wider_than_tall_smooth_nodule_is_tr4(shapes):
    mask, image = nodule(shapes)
    d = describe_tirads(mask, image)
    assert values(d) == {
        "composition": "solid or almost completely solid",
        "echogenicity": "hypoechoic",
        "shape": "wider-than-tall",
        "margin": "smooth",
        "echogenic_foci": "none or large comet-tail artifacts",
    }
    assert d["echogenicity"].measurement["solid_to_thyroid"] == pytest.approx(0.5, abs=0.05)
    assert d.extras["points"] == {
        "composition": 2,
        "echogenicity": 2,
        "shape": 0,
        "margin": 0,
        "echogenic_foci": 0,
    }
    assert d.extras["total_points"] == 4 and d.category == "TR4"
    assert d.category_proposed and not d.final
    assert d.extras["recommendation"] == "size needed"  # uncalibrated: no size in mm


def test_isoechoic_and_very_hypoechoic_solid_parts(shapes):
    mask, image = nodule(shapes, lesion=115)
    assert describe_tirads(mask, image).value("echogenicity") == "hyperechoic or isoechoic"
    mask, image = nodule(shapes, lesion=30)
    d = describe_tirads(mask, image)
    assert d.value("echogenicity") == "very hypoechoic"
    assert "strap muscles not located" in d["echogenicity"].reason


def test_anechoic_cyst_is_cystic_anechoic_tr1(shapes):
    mask, image = nodule(shapes, lesion=FLUID)
    d = describe_tirads(mask, image)
    assert d.value("composition") == "cystic or almost completely cystic"
    assert d.value("echogenicity") == "anechoic"
    assert d.category == "TR1" and d.extras["benign_composition"]


def test_half_fluid_nodule_is_mixed_and_scores_its_solid_part(shapes):
    mask, image = nodule(shapes, lesion=110)
    yy, xx = shapes.grid()
    image[mask & (xx < 200)] = FLUID
    d = describe_tirads(mask, image)
    assert d.value("composition") == "mixed cystic and solid"
    assert 0.3 < d["composition"].measurement["fluid_fraction"] < 0.7
    # The solid half is isoechoic (110 / 120): the fluid half must not make it hypoechoic.
    assert d.value("echogenicity") == "hyperechoic or isoechoic"
    assert d.extras["total_points"] == 2 and d.category == "TR2"


def test_many_small_cystic_spaces_are_spongiform_and_tr1(shapes):
    mask, image = nodule(shapes, lesion=110)
    yy, xx = shapes.grid()
    for cy in range(80, 161, 14):
        for cx in range(140, 261, 14):
            image[((yy - cy) ** 2 + (xx - cx) ** 2 <= 36) & mask] = FLUID
    d = describe_tirads(mask, image)
    assert d.value("composition") == "spongiform"
    assert d["composition"].measurement["fluid_spaces"] >= 20
    assert d.category == "TR1"


def test_taller_than_wide_nodule_scores_3_more(shapes):
    mask, image = nodule(shapes, half_width=30, half_height=50)
    d = describe_tirads(mask, image)
    assert d.value("shape") == "taller-than-wide"
    assert d["shape"].measurement["height_width"] == pytest.approx(50 / 30, abs=0.05)
    assert "transverse image" in d["shape"].reason
    assert d.extras["total_points"] == 7 and d.category == "TR5"


def test_spiculated_star_is_lobulated_or_irregular(shapes):
    mask = shapes.star(120, 200, 40)
    d = describe_tirads(mask, shapes.tissue(mask, lesion=60))
    assert d.value("margin") == "lobulated or irregular"
    assert d.extras["points"]["margin"] == 2


def test_a_lobule_on_an_ellipse_is_lobulated(shapes):
    mask = shapes.ellipse(120, 200, 60, 40) | shapes.ellipse(75, 200, 18, 18)
    d = describe_tirads(mask, shapes.tissue(mask, lesion=60))
    assert d.value("margin") == "lobulated or irregular"
    assert d["margin"].measurement["notches"] >= 2


def test_punctate_foci_are_found_and_counted(shapes):
    mask, image = nodule(shapes)
    for cy, cx in [(110, 180), (125, 210), (135, 230)]:
        image[cy - 1 : cy + 2, cx - 1 : cx + 2] = CALCIUM
    d = describe_tirads(mask, image)
    assert d.value("echogenic_foci") == "punctate echogenic foci"
    assert d["echogenic_foci"].measurement["punctate"] == 3
    assert d.extras["points"]["echogenic_foci"] == 3 and d.category == "TR5"  # 2 + 2 + 3


def test_a_large_bright_block_is_a_macrocalcification(shapes):
    mask, image = nodule(shapes)
    image[110:125, 190:210] = CALCIUM
    d = describe_tirads(mask, image)
    assert d.value("echogenic_foci") == "macrocalcifications"
    assert d.extras["points"]["echogenic_foci"] == 1


def test_a_bright_arc_on_the_border_is_a_rim_calcification(shapes):
    mask, image = nodule(shapes)
    yy, _ = shapes.grid()
    rim = mask & ~shapes.ellipse(120, 200, 56, 36) & (yy < 120)
    image[rim] = CALCIUM
    d = describe_tirads(mask, image)
    assert d.value("echogenic_foci") == "peripheral (rim) calcifications"
    assert d["echogenic_foci"].measurement["rim_sectors"] >= 8


def test_punctate_and_macro_together_add_up(shapes):
    mask, image = nodule(shapes)
    image[110:125, 170:190] = CALCIUM
    image[129:132, 229:232] = CALCIUM
    d = describe_tirads(mask, image)
    assert d.value("echogenic_foci") == "macrocalcifications + punctate echogenic foci"
    assert d.extras["points"]["echogenic_foci"] == 4


def test_calibrated_size_gives_the_fna_recommendation(shapes):
    mask, image = nodule(shapes)  # 121 px wide
    d = describe_tirads(mask, image, spacing=(0.2, 0.2))  # about 24 mm long axis: TR4 FNA
    assert d.extras["max_diameter_mm"] == pytest.approx(24.2, abs=0.5)
    assert d.extras["recommendation"] == "FNA"
    small = describe_tirads(mask, image, spacing=(0.1, 0.1))  # about 12 mm: follow-up
    assert small.extras["recommendation"] == "follow-up"
    assert any("FNA if >= 1.5 cm" in r for r in small.category_reasons)


def test_reader_overrides_every_point_and_sets_what_the_image_cannot_tell(shapes):
    mask, image = nodule(shapes)
    ai = describe_tirads(mask, image, spacing=(0.1, 0.1))
    assert ai.category == "TR4"
    ete = override(ai, "margin", "extra-thyroidal extension", "capsule breached")
    assert ete.extras["points"]["margin"] == 3 and ete.category == "TR5"
    assert ete.extras["recommendation"] == "FNA"  # 12 mm, TR5: FNA from 1 cm
    assert ete["margin"].source == "reader" and ai.value("margin") == "smooth"
    spongy = override(ete, "composition", "spongiform")
    assert spongy.category == "TR1"
    # A level the reader sets stays, and the advice follows it.
    reader = override(ete, "category", "TR3", "known benign cytology")
    assert reader.category == "TR3" and reader.category_source == "reader"
    assert reader.extras["recommendation"] == "no FNA"  # TR3 at 1.2 cm: below follow-up
    later = override(reader, "shape", "taller-than-wide")
    assert later.category == "TR3" and later.extras["total_points"] == 10
    done = confirm(later)
    assert done.final


def test_free_text_term_leaves_the_level_to_the_reader(shapes):
    mask, image = nodule(shapes)
    d = override(describe_tirads(mask, image), "margin", "microlobulated")
    assert d.category is None
    assert "not a TI-RADS term" in d.category_reasons[0]


def test_json_round_trip_and_describe_dispatch(shapes):
    mask, image = nodule(shapes)
    d = describe("ti-rads", mask, np.repeat(image[..., None], 3, axis=-1), None)
    assert d.template == "ti-rads"
    again = DescriptorSet.from_json(d.as_json())
    assert again.as_json() == d.as_json()
    assert again.category == "TR4" and again.extras["points"]["echogenicity"] == 2


def test_tiny_nodule_has_no_shape_or_margin_and_the_score_says_provisional(shapes):
    mask = shapes.ellipse(120, 200, 3, 2)
    d = describe_tirads(mask, shapes.tissue(mask, lesion=60))
    assert d.value("shape") is None and d.value("margin") is None
    assert "shape" in d.extras["missing"]
    assert any(r.startswith("provisional: shape") for r in d.category_reasons)


def test_nodule_filling_the_frame_scores_the_cannot_be_determined_rows(shapes):
    mask = np.ones((shapes.H, shapes.W), dtype=bool)
    d = describe_tirads(mask, shapes.tissue(mask, lesion=60))
    assert d.value("composition") is None and d.value("echogenicity") is None
    assert d.value("echogenic_foci") is None
    assert d.extras["points"]["composition"] == 2  # undetermined composition: 2
    assert d.extras["points"]["echogenicity"] == 1  # undetermined echogenicity: 1
    assert "echogenic_foci" in d.extras["missing"]


def test_a_nodule_filling_the_frame_leaves_the_thyroid_measures_to_the_reader(shapes):
    """Composition, echogenicity and foci are measured against the thyroid around the nodule:
    with none, each is unset and says how the chart scores it; shape and margin still come."""
    mask = np.ones((shapes.H, shapes.W), dtype=bool)
    d = describe_tirads(mask, shapes.tissue(mask, lesion=60))
    reasons = {item.name: item.reason for item in d.descriptors if item.value is None}
    assert reasons == {
        "composition": "composition not measurable: no thyroid around the nodule"
        " (scored as undetermined)",
        "echogenicity": "echogenicity not measurable: no thyroid around the nodule"
        " (scored 1, undetermined)",
        "echogenic_foci": "echogenic foci not measurable: no thyroid around the nodule"
        " to compare with",
    }
    assert d["composition"].options and d["echogenic_foci"].options
    assert d.value("shape") is not None and d.category_proposed


@pytest.mark.parametrize("template", ["ti-rads", "bi-rads"])
def test_an_rgb_frame_or_a_mask_of_another_size_is_refused_by_name(shapes, template):
    from engine.descriptors import describe_birads

    function = {"ti-rads": describe_tirads, "bi-rads": describe_birads}[template]
    mask = shapes.ellipse(120, 200, 60, 40)
    gray = shapes.tissue(mask, lesion=60)
    name = function.__name__
    with pytest.raises(ValueError, match=f"{name} needs a grayscale H×W image"):
        function(mask, np.stack([gray] * 3, axis=-1))
    with pytest.raises(ValueError, match="differ in size"):
        function(mask[:100], gray)
