"""training.operating_points: the named thresholds and the numbers they carry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training.operating_points import operating_points, points_from_cv


def test_points_meet_their_definitions_and_are_ordered() -> None:
    rng = np.random.default_rng(0)
    lesion = rng.beta(5, 2, 400)
    normal = rng.beta(2, 5, 80)
    points = {p["name"]: p for p in operating_points(lesion, normal)}
    assert points["sensitive"]["lesions_found"] >= 0.97
    assert points["specific"]["normals_cleared"] >= 0.97
    assert (
        points["sensitive"]["threshold"]
        <= points["balanced"]["threshold"]
        <= points["specific"]["threshold"]
    )
    for p in points.values():  # the numbers are what the threshold does
        assert p["lesions_found"] == round(float((lesion >= p["threshold"]).mean()), 4)
        assert p["normals_cleared"] == round(float((normal < p["threshold"]).mean()), 4)
    j = {n: p["lesions_found"] + p["normals_cleared"] for n, p in points.items()}
    assert j["balanced"] >= max(j["sensitive"], j["specific"])


def test_points_from_a_cross_validation_pool_every_fold(tmp_path: Path) -> None:
    def case(label: str, p: float) -> dict:
        return {"case": f"{label}{p}", "label": label, "lesion_probability": p}

    runs = [
        {"arm": "pretrained", "fold": k, "per_case": [case("benign", 0.6 + 0.1 * k),
                                                       case("normal", 0.1 * k)]}
        for k in range(3)
    ] + [{"arm": "scratch", "fold": 0, "per_case": [case("normal", 0.99)]}]  # fmt: skip
    path = tmp_path / "cv.json"
    path.write_text(json.dumps({"runs": runs}))
    points = points_from_cv(path, "pretrained")
    assert "3-fold" in points[0]["note"] and "3 images with a lesion, 3 normal" in points[0]["note"]
    assert {p["normals_cleared"] for p in points} <= {2 / 3, 1.0, round(2 / 3, 4)}
