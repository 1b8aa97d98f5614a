"""analyze() describes lesions only for breast models, and writes them to findings.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from engine.analysis import analyze, write_analysis
from engine.inference import load_model
from engine.synth.nodes import generate_node_image
from engine.types import Image


def _node() -> Image:
    return Image(pixels=generate_node_image(np.random.default_rng(11)).image)


def test_a_breast_model_describes_each_lesion_in_findings_json(
    lesion_bundle: Path, tmp_path: Path
) -> None:
    model = load_model(lesion_bundle, device="cpu")  # scope body_parts BREAST
    analysis = analyze(_node(), model, tta=False)
    assert analysis.findings
    assert all(f.descriptors is not None for f in analysis.findings)
    out = write_analysis(analysis, tmp_path / "case")
    document = json.loads((out / "findings.json").read_text())
    described = document["measurements"][0]["descriptors"]
    assert described["template"] == "bi-rads"
    assert described["category"]["proposed"] is True
    names = [d["name"] for d in described["descriptors"]]
    assert names == ["shape", "orientation", "margin", "echo_pattern", "posterior_features"]
    assert "height_px" in described["descriptors"][1]["measurement"]  # uncalibrated


def test_a_model_with_no_lesion_found_gets_no_descriptors(no_lesion_bundle: Path) -> None:
    analysis = analyze(_node(), load_model(no_lesion_bundle, device="cpu"), tta=False)
    assert analysis.findings == ()


def test_a_model_not_made_for_the_breast_gets_no_descriptors(
    lesion_bundle: Path, tmp_path: Path
) -> None:
    other = Path(shutil.copytree(lesion_bundle, tmp_path / "node-model"))
    spec = json.loads((other / "model.json").read_text())
    spec["scope"]["body_parts"] = ["NECK"]  # the same network, made for lymph nodes
    (other / "model.json").write_text(json.dumps(spec))
    analysis = analyze(_node(), load_model(other, device="cpu"), tta=False)
    assert analysis.findings  # lesions found, just not described
    assert all(f.descriptors is None for f in analysis.findings)
