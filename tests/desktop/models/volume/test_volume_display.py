"""Label colours, overlay arrays and the finding's wording for the volume views (no Qt)."""

from __future__ import annotations

import numpy as np

from desktop.models.volume.display import format_ml, label_colours, label_lut, labels_rgba
from desktop.models.volume.findings import finding_lines, probability_text, volume_rows
from engine.types import VolumePrediction


def test_each_label_has_its_own_colour_and_background_stays_clear() -> None:
    colours = label_colours(("background", "kidney", "tumour", "cyst"))
    assert len(set(colours[1:])) == 3
    lut = label_lut(("background", "kidney", "tumour"), 0.5)
    rgba = labels_rgba(np.array([[0, 1], [2, 7]], np.uint8), lut)
    assert rgba[0, 0, 3] == 0 and rgba[1, 1, 3] == 0  # background, and an unknown value
    assert rgba[0, 1, 3] == rgba[1, 0, 3] == 128
    assert tuple(rgba[0, 1, :3]) == colours[1] and tuple(rgba[1, 0, :3]) == colours[2]


def test_volumes_and_finding_wording() -> None:
    assert format_ml(None) == "–" and format_ml(3.14159) == "3.1 mL"
    assert format_ml(152.6) == "153 mL"
    rows = volume_rows(("background", "kidney", "tumour"), {"kidney": 150.0}, None)
    assert [(r.name, r.ml, r.ai_ml) for r in rows] == [
        ("kidney", "150 mL", "–"),
        ("tumour", "0.0 mL", "–"),
    ]
    assert probability_text({"benign": 0.3, "malignant": 0.7}) == "malignant 0.70 (benign 0.30)"
    prediction = VolumePrediction(
        labels=np.zeros((1, 1, 1), np.uint8),
        label_names=("background", "kidney", "tumour"),
        probabilities={"benign": 0.6, "malignant": 0.4},
        volumes_ml={},
        model_id="m",
    )
    lines = dict(finding_lines(prediction, edited=True))
    assert lines["Tumour class"] == "benign 0.60 (malignant 0.40)" and "Radiomics" not in lines
    assert lines["Labels"].startswith("corrected by the reader")
    assert finding_lines(None, edited=False)[0][1].startswith("not analysed")


def test_the_finding_says_which_answer_is_the_result_and_when_they_disagree() -> None:
    labels = np.zeros((2, 2, 2), np.uint8)
    names = ("background", "kidney", "tumour")
    agree = VolumePrediction(labels, names, {"benign": 0.3, "malignant": 0.7}, {}, "m",
                             radiomics_probabilities={"benign": 0.2, "malignant": 0.8})  # fmt: skip
    assert dict(finding_lines(agree, edited=False))["Result"] == (
        "malignant: the deep classifier's class; radiomics agrees"
    )
    radiomics = {"benign": 0.06, "malignant": 0.94}
    differ = VolumePrediction(labels, names, {"benign": 0.52, "malignant": 0.48}, {}, "m",
                              radiomics_probabilities=radiomics)  # fmt: skip
    result = dict(finding_lines(differ, edited=False))["Result"]
    assert result.startswith("benign (the deep classifier") and "disagree" in result
