"""analyze() describes lesions with the template of the model (breast: BI-RADS, lymph node:
node descriptors, a model made for neither: none) and writes them to findings.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from engine.analysis import analyze, write_analysis
from engine.descriptors import describe
from engine.inference import load_model
from engine.measure import lesion_components
from engine.synth.nodes import generate_node_image
from engine.types import Image


def largest_node(mask: np.ndarray) -> np.ndarray:
    labels, _ = ndimage.label(mask > 0)
    return labels == np.argmax(np.bincount(labels.ravel())[1:]) + 1


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


def test_a_model_made_for_neither_breast_thyroid_nor_nodes_gets_no_descriptors(
    lesion_bundle: Path, tmp_path: Path
) -> None:
    other = Path(shutil.copytree(lesion_bundle, tmp_path / "neck-model"))
    spec = json.loads((other / "model.json").read_text())
    spec["scope"]["body_parts"] = ["NECK"]  # the same network: thyroid or node, not said
    (other / "model.json").write_text(json.dumps(spec))
    analysis = analyze(_node(), load_model(other, device="cpu"), tta=False)
    assert analysis.findings  # lesions found, just not described
    assert all(f.descriptors is None for f in analysis.findings)


def test_the_default_model_describes_its_nodes_with_the_node_template(default_model) -> None:  # noqa: ANN001
    # One benign and one malignant synthetic node (one node per image: two close nodes may
    # merge in the prediction), calibrated as the generator draws them; the finding on the
    # node is compared with the node described from its true mask.
    for label in ("benign", "malignant"):
        sample = generate_node_image(np.random.default_rng(1), label=label, frame=False)
        assert len(sample.nodes) == 1
        spacing = (sample.spacing_mm, sample.spacing_mm)
        analysis = analyze(Image(pixels=sample.image, spacing_mm=spacing), default_model)
        node = largest_node(sample.mask)
        components = lesion_components(analysis.prediction.mask, 20)
        assert len(components) == len(analysis.findings)
        best = int(np.argmax([(c & node).sum() for c in components]))
        d = analysis.findings[best].descriptors
        assert d is not None and d.template == "lymph-node"
        assert d.names == ("shape", "hilum", "cortex", "margin", "vascular_pattern")
        truth = describe("lymph-node", node, sample.image, spacing)
        short = d["shape"].measurement["short_axis_mm"]
        assert short == pytest.approx(truth["shape"].measurement["short_axis_mm"], rel=0.15)
        assert d.value("vascular_pattern") == "not assessed"  # B-mode: no Doppler
        if label == "benign":
            assert d.value("hilum") == "present" and d.value("shape") == "oval"
        else:
            assert d.value("hilum") == "absent" and d.category == "suspicious"
