"""Scope: findings withheld on images unlike the training images, with the reason; and
"no lesion" as an answer: the presence output empties the mask and the findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import analysis_to_json, analyze, write_analysis
from engine.errors import BundleError
from engine.inference import load_model
from engine.scope import ScopeModel, assess_scope, layout_reasons, tag_reasons
from engine.synth.nodes import generate_node_image
from engine.types import Image


def _model(threshold: float = 1.0, **kw) -> ScopeModel:  # noqa: ANN003
    return ScopeModel(mean=np.zeros(4), precision=np.eye(4), threshold=threshold, **kw)


def test_distance_is_mahalanobis_per_dimension() -> None:
    model = ScopeModel(mean=np.ones(4), precision=np.diag([4.0, 1, 1, 1]), threshold=1.0)
    assert model.distance(np.ones(4)) == 0.0
    # (2 * 1)^2 / 4 dims -> sqrt(1) = 1 along the tight axis; 2 along a loose one.
    assert model.distance(np.array([2.0, 1, 1, 1])) == pytest.approx(1.0)
    assert model.distance(np.array([1.0, 5, 1, 1])) == pytest.approx(2.0)


def test_score_over_the_threshold_is_out_of_scope_with_the_score_in_the_reason() -> None:
    model = _model(threshold=2.0, description="breast ultrasound")
    near = assess_scope(model, np.full(4, 1.0), {})
    far = assess_scope(model, np.full(4, 3.0), {})
    assert near.in_scope and near.score == pytest.approx(0.5) and near.reasons == ()
    assert not far.in_scope and far.score == pytest.approx(1.5)
    assert "unlike breast ultrasound" in far.reason and "1.50" in far.reason


def test_tags_naming_another_examination_put_the_image_out_of_scope() -> None:
    model = _model(body_parts=("BREAST",))
    assert tag_reasons({"BodyPartExamined": "BREAST"}, model) == []
    assert "ABDOMEN" in tag_reasons({"BodyPartExamined": "ABDOMEN"}, model)[0]
    assert "OB" in tag_reasons({"StudyDescription": "OB 2nd trimester"}, model)[0]
    assert tag_reasons({"StudyDescription": "US BREAST RT, liver cyst seen"}, model) == []
    assert tag_reasons({"SeriesDescription": "observation"}, model) == []  # a whole word only
    scope = assess_scope(model, np.zeros(4), {"StudyDescription": "ECHO TTE"})
    assert not scope.in_scope and "ECHO" in scope.reason


def test_a_fan_is_out_of_scope_for_a_linear_probe_model() -> None:
    linear = _model(probe="linear")
    assert layout_reasons(("rectangle",), linear) == []
    assert "sector-shaped" in layout_reasons(("rectangle", "sector"), linear)[0]
    assert layout_reasons(("sector",), _model()) == []  # no probe declared: no objection


def test_the_scope_model_reads_from_the_bundle(lesion_bundle: Path) -> None:
    model = load_model(lesion_bundle, device="cpu")
    assert model.scope_model is not None and model.scope_model.body_parts == ("BREAST",)
    assert model.scope_model.threshold == model.spec.scope["threshold"]


def test_a_bundle_whose_scope_file_is_missing_is_refused(
    lesion_bundle: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "b"
    shutil.copytree(lesion_bundle, broken)
    (broken / "scope.json").unlink()
    with pytest.raises(BundleError, match="scope.json is missing"):
        load_model(broken, device="cpu")
    spec = json.loads((lesion_bundle / "model.json").read_text())
    del spec["outputs"]["features"]
    (broken / "model.json").write_text(json.dumps(spec))
    with pytest.raises(BundleError, match="needs a 'features' output"):
        load_model(broken, device="cpu")


def _node() -> Image:
    return Image(pixels=generate_node_image(np.random.default_rng(31)).image)


def _photo_like() -> Image:
    """Nothing like ultrasound: a test pattern of hard black and white bars (the untrained
    test network's features put it at about twice the scope limit)."""
    _, xx = np.mgrid[0:200, 0:260]
    return Image(pixels=((xx // 8) % 2 * 255).astype(np.uint8))


def test_in_scope_images_get_findings_and_unlike_ones_are_withheld(lesion_bundle: Path) -> None:
    model = load_model(lesion_bundle, device="cpu")
    node = analyze(_node(), model)
    assert node.scope.in_scope and node.findings and node.result == "lesion found"
    photo = analyze(_photo_like(), model)
    assert not photo.scope.in_scope and photo.scope.score > 1.0
    assert photo.withheld and photo.findings == () and not photo.prediction.mask.any()
    assert photo.result == "withheld: out of scope"
    forced = analyze(_photo_like(), model, force=True)
    assert forced.scope.forced and not forced.withheld and forced.findings
    document = analysis_to_json(forced)
    assert document["scope"]["run_on_demand"] and document["scope"]["in_scope"] is False


def test_tags_withhold_findings_even_when_the_pixels_look_right(lesion_bundle: Path) -> None:
    model = load_model(lesion_bundle, device="cpu")
    node = _node()
    tagged = Image(pixels=node.pixels, metadata={"BodyPartExamined": "PELVIS"})
    analysis = analyze(tagged, model)
    assert analysis.withheld and "PELVIS" in analysis.scope.reason


def test_no_lesion_is_an_answer(no_lesion_bundle: Path, tmp_path: Path) -> None:
    model = load_model(no_lesion_bundle, device="cpu")
    analysis = analyze(_node(), model)
    prediction = analysis.prediction
    assert prediction.lesion_probability < 0.01 and not prediction.lesion_found
    assert not prediction.mask.any() and analysis.findings == ()
    assert analysis.result == "no lesion found"
    out = write_analysis(analysis, tmp_path / "case")
    document = json.loads((out / "findings.json").read_text())
    assert document["result"] == "no lesion found" and document["lesion_present"] is False
    assert document["label"] is None and document["lesion_count"] == 0
    assert document["lesion_probability"] < 0.01 and document["scope"]["in_scope"] is True
