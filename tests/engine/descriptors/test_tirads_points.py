"""The ACR TI-RADS chart (Tessler et al., JACR 2017;14:587-595, figure 1), row by row.

The expected numbers are typed in from the white paper here, not imported from the module,
so a changed table fails these tests."""

from __future__ import annotations

import pytest

from engine.descriptors import tirads_points as tp

# (category, term, points) exactly as the chart prints them.
CHART = [
    ("composition", "cystic or almost completely cystic", 0),
    ("composition", "spongiform", 0),
    ("composition", "mixed cystic and solid", 1),
    ("composition", "solid or almost completely solid", 2),
    ("composition", "cannot be determined", 2),
    ("echogenicity", "anechoic", 0),
    ("echogenicity", "hyperechoic or isoechoic", 1),
    ("echogenicity", "hypoechoic", 2),
    ("echogenicity", "very hypoechoic", 3),
    ("echogenicity", "cannot be determined", 1),
    ("shape", "wider-than-tall", 0),
    ("shape", "taller-than-wide", 3),
    ("margin", "smooth", 0),
    ("margin", "ill-defined", 0),
    ("margin", "lobulated or irregular", 2),
    ("margin", "extra-thyroidal extension", 3),
    ("margin", "cannot be determined", 0),
    ("echogenic_foci", "none or large comet-tail artifacts", 0),
    ("echogenic_foci", "macrocalcifications", 1),
    ("echogenic_foci", "peripheral (rim) calcifications", 2),
    ("echogenic_foci", "punctate echogenic foci", 3),
]

# A solid, hyperechoic/isoechoic, wider-than-tall, smooth nodule without foci: 2 + 1 = 3.
BASE = {
    "composition": "solid or almost completely solid",
    "echogenicity": "hyperechoic or isoechoic",
    "shape": "wider-than-tall",
    "margin": "smooth",
    "echogenic_foci": "none or large comet-tail artifacts",
}


@pytest.mark.parametrize(("category", "term", "points"), CHART)
def test_each_row_of_the_chart(category, term, points):
    assert tp.points_of(category, term) == points
    # The row's points reach the total: change one category of a reference nodule.
    reference = {**BASE, "composition": "mixed cystic and solid"}  # 1 + 1 = 2 points
    if category == "composition" and term in ("spongiform", "cystic or almost completely cystic"):
        return  # benign rule, tested below
    nodule = {**reference, category: term}
    expected = 2 - tp.points_of(category, reference[category]) + points
    assert tp.score(nodule).total == expected


def test_the_table_has_exactly_the_chart_rows():
    got = {(c, t) for c, table in tp.POINTS.items() for t in table}
    assert got == {(c, t) for c, t, _ in CHART}


def test_echogenic_foci_add_up_each_kind_that_applies():
    both = "macrocalcifications + punctate echogenic foci"
    assert tp.points_of("echogenic_foci", both) == 4
    every = "macrocalcifications + peripheral (rim) calcifications + punctate echogenic foci"
    assert tp.points_of("echogenic_foci", every) == 6
    assert tp.score({**BASE, "echogenic_foci": every}).total == 9
    assert len(tp.foci_options()) == 8  # none + 7 non-empty sets of three kinds
    assert all(tp.points_of("echogenic_foci", o) is not None for o in tp.foci_options())
    with pytest.raises(ValueError, match="cannot be combined"):
        tp.points_of("echogenic_foci", "none or large comet-tail artifacts + macrocalcifications")


def test_a_term_outside_the_table_is_an_error_not_zero_points():
    with pytest.raises(ValueError, match="not a TI-RADS term"):
        tp.points_of("margin", "spiculated")
    with pytest.raises(ValueError, match="not a TI-RADS term"):
        tp.points_of("echogenic_foci", "microcalcifications")


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (0, "TR1"),
        (1, "TR2"),
        (2, "TR2"),
        (3, "TR3"),
        (4, "TR4"),
        (6, "TR4"),
        (7, "TR5"),
        (14, "TR5"),
    ],
)
def test_level_boundaries(total, level):
    assert tp.level_for_points(total) == level


def test_level_boundaries_through_the_sum():
    assert tp.score(BASE).level == "TR3"  # 3
    assert tp.score({**BASE, "echogenicity": "hypoechoic"}).level == "TR4"  # 4
    eight = {**BASE, "echogenicity": "very hypoechoic", "margin": "extra-thyroidal extension"}
    assert tp.score(eight).total == 8 and tp.score(eight).level == "TR5"
    seven = {**BASE, "echogenicity": "hypoechoic", "shape": "taller-than-wide"}
    assert tp.score(seven).total == 7 and tp.score(seven).level == "TR5"
    two = {**BASE, "composition": "mixed cystic and solid", "echogenicity": "anechoic"}
    assert tp.score(two).total == 1 and tp.score(two).level == "TR2"
    # Maximum of the chart: 2 + 3 + 3 + 3 + (1 + 2 + 3) = 17.
    worst = {
        "composition": "solid or almost completely solid",
        "echogenicity": "very hypoechoic",
        "shape": "taller-than-wide",
        "margin": "extra-thyroidal extension",
        "echogenic_foci": (
            "macrocalcifications + peripheral (rim) calcifications + punctate echogenic foci"
        ),
    }
    assert tp.score(worst).total == 17


@pytest.mark.parametrize("composition", ["spongiform", "cystic or almost completely cystic"])
def test_spongiform_and_cystic_nodules_are_tr1_whatever_else(composition):
    suspicious = {
        "composition": composition,
        "echogenicity": "hypoechoic",
        "shape": "taller-than-wide",
        "margin": "lobulated or irregular",
        "echogenic_foci": "punctate echogenic foci",
    }
    s = tp.score(suspicious)
    assert s.level == "TR1" and s.total == 0 and s.benign_composition
    assert s.points["shape"] == 3  # still computed and shown
    assert any("not added (10 pt would be)" in r for r in s.reasons)
    assert not tp.score({**suspicious, "composition": "mixed cystic and solid"}).benign_composition


def test_unset_categories_use_the_cannot_be_determined_rows_or_are_missing():
    s = tp.score({})
    assert s.points == {
        "composition": 2,
        "echogenicity": 1,
        "shape": None,
        "margin": 0,
        "echogenic_foci": None,
    }
    assert s.missing == ("shape", "echogenic_foci")
    assert s.total == 3 and s.level == "TR3"


@pytest.mark.parametrize(
    ("level", "size_mm", "action"),
    [
        ("TR1", 60.0, "no FNA"),
        ("TR2", 60.0, "no FNA"),
        ("TR3", 25.0, "FNA"),
        ("TR3", 24.9, "follow-up"),
        ("TR3", 15.0, "follow-up"),
        ("TR3", 14.9, "no FNA"),
        ("TR4", 15.0, "FNA"),
        ("TR4", 14.9, "follow-up"),
        ("TR4", 10.0, "follow-up"),
        ("TR4", 9.9, "no FNA"),
        ("TR5", 10.0, "FNA"),
        ("TR5", 9.9, "follow-up"),
        ("TR5", 5.0, "follow-up"),
        ("TR5", 4.9, "no FNA"),
        ("TR4", None, "size needed"),
        ("TR1", None, "no FNA"),
    ],
)
def test_fna_and_follow_up_size_thresholds(level, size_mm, action):
    assert tp.recommendation(level, size_mm).action == action


def test_recommendation_text_names_the_thresholds_in_cm():
    text = tp.recommendation("TR3", 20.0).text
    assert "2.0 cm" in text and ">= 2.5 cm" in text and ">= 1.5 cm" in text
    assert "1, 3 and 5 years" in text
    with pytest.raises(ValueError):
        tp.recommendation("TR6", 10.0)
