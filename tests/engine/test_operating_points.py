"""Lesion-present operating points: read from model.json, applied without touching the cached
model, recorded in the prediction, findings.json and the report wording, chosen in the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import analysis_to_json, analyze
from engine.bundle import read_bundle
from engine.cli import main
from engine.errors import BundleError
from engine.inference import cached_model
from engine.model_catalog import models_root
from engine.report.wording import result_sentence
from engine.types import Image

BREAST = models_root() / "breast-us"


def _scan() -> Image:
    rng = np.random.default_rng(2)
    pixels = rng.normal(90, 20, (160, 200)).clip(0, 255)
    yy, xx = np.mgrid[:160, :200]
    pixels[(yy - 80) ** 2 / 30**2 + (xx - 100) ** 2 / 45**2 < 1] = 25  # a dark oval
    return Image(pixels=pixels.astype(np.uint8), source="scan.png")


def test_the_shipped_breast_model_names_its_points_in_threshold_order() -> None:
    points = read_bundle(BREAST).spec.operating_points
    assert [p.name for p in points] == ["sensitive", "balanced", "specific"]
    thresholds = [p.threshold for p in points]
    assert thresholds == sorted(thresholds)
    assert points[0].lesions_found >= 0.97 and points[2].normals_cleared >= 0.97
    assert all(p.note for p in points)  # where the numbers come from


def test_a_point_changes_the_threshold_not_the_cached_model() -> None:
    model = cached_model(BREAST, "cpu")
    shipped = model.spec.presence_threshold
    specific = model.at_operating_point("specific")
    assert specific.spec.presence_threshold == model.spec.operating_points[2].threshold
    assert model.spec.presence_threshold == shipped and cached_model(BREAST, "cpu") is model
    assert specific.session is model.session  # no second onnxruntime session
    back = specific.at_operating_point(None)
    assert back.spec.presence_threshold == shipped and back.spec.operating_point == ""
    with pytest.raises(BundleError, match=r"no operating point 'screening' .*sensitive"):
        model.at_operating_point("screening")


def test_the_prediction_says_which_threshold_made_it() -> None:
    image = _scan()
    model = cached_model(BREAST, "cpu")
    shipped, strict = (
        analyze(image, model, tta=False),
        analyze(image, model.at_operating_point("specific"), tta=False),
    )
    p = strict.prediction
    assert p.operating_point == "specific" and p.presence_threshold == pytest.approx(
        model.spec.operating_points[2].threshold
    )
    assert p.lesion_found == (p.lesion_probability >= p.presence_threshold)
    assert shipped.prediction.lesion_probability == pytest.approx(p.lesion_probability)
    record = analysis_to_json(strict)
    assert record["operating_point"] == "specific" and record["presence_threshold"] > 0.9
    assert "specific threshold" in result_sentence(strict)
    assert analysis_to_json(shipped)["operating_point"] is None


def test_cli_analyze_takes_an_operating_point(tmp_path: Path) -> None:
    from PIL import Image as PILImage

    PILImage.fromarray(_scan().pixels).save(tmp_path / "scan.png")
    code = main(["analyze", str(tmp_path / "scan.png"), "--out", str(tmp_path / "out"),
                 "--model", "breast-us", "--operating-point", "balanced", "--no-tta"])  # fmt: skip
    assert code == 0
    record = json.loads(next((tmp_path / "out").rglob("findings.json")).read_text())
    assert record["operating_point"] == "balanced"


def test_bad_operating_points_are_refused_with_the_bundle_named(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(BREAST, bundle)
    spec = json.loads((bundle / "model.json").read_text())
    for bad, why in (
        ([{"name": "x", "threshold": 1.5}], "in \\(0, 1\\)"),
        ([{"threshold": 0.5}], "needs a name"),
        ([{"name": "x", "threshold": 0.3}, {"name": "x", "threshold": 0.6}], "names repeat"),
    ):
        (bundle / "model.json").write_text(json.dumps({**spec, "presence_operating_points": bad}))
        with pytest.raises(BundleError, match=why):
            read_bundle(bundle)
