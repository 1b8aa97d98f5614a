from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import analyze
from engine.bundle import default_bundle_dir, read_bundle
from engine.errors import BundleError
from engine.inference import load_model
from engine.io import load_image


def test_default_bundle_is_small_and_says_research_use() -> None:
    bundle = read_bundle()
    assert bundle.onnx_path.stat().st_size < 20 * 1024 * 1024
    assert "not for diagnosis" in bundle.spec.intended_use
    assert "SYNTHETIC" in bundle.spec.card["training_data"]
    assert {"test", "test_shifted_scanner"} <= set(bundle.metrics)


def test_prediction_has_the_image_size_and_calibrated_probabilities(
    default_model, node_dicom: Path
) -> None:  # noqa: ANN001
    image = load_image(node_dicom)
    prediction = default_model.predict(image)
    assert prediction.mask.shape == image.pixels.shape
    assert set(np.unique(prediction.mask)) <= {0, 1}
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert prediction.uncertainty.shape == image.pixels.shape
    assert prediction.uncertainty.min() >= 0.0 and prediction.uncertainty.max() <= 1.0


def test_model_finds_the_node_in_a_synthetic_image(default_model, node_sample, node_dicom) -> None:  # noqa: ANN001
    from engine.metrics import dice

    analysis = analyze(load_image(node_dicom), default_model)
    assert dice(analysis.prediction.mask, node_sample.mask) > 0.6
    assert analysis.findings, "the node is reported as a finding"
    finding = analysis.findings[0]
    assert finding.measurements.long_axis_mm is not None  # calibrated DICOM -> mm


def test_rgb_input_runs_through_the_grayscale_model(default_model, node_sample) -> None:  # noqa: ANN001
    from engine.types import Image

    rgb = np.stack([node_sample.image] * 3, axis=-1)
    prediction = default_model.predict(Image(pixels=rgb, photometric="RGB"))
    assert prediction.mask.shape == node_sample.image.shape


@pytest.fixture
def bundle_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(default_bundle_dir(), target)
    return target


def test_missing_onnx_is_named(bundle_copy: Path) -> None:
    (bundle_copy / "model.onnx").unlink()
    with pytest.raises(BundleError, match="model.onnx is missing") as info:
        load_model(bundle_copy)
    assert str(bundle_copy) in str(info.value)


def test_corrupt_onnx_is_named(bundle_copy: Path) -> None:
    (bundle_copy / "model.onnx").write_bytes(b"\x00garbage")
    with pytest.raises(BundleError, match="cannot be loaded"):
        load_model(bundle_copy)


def test_wrong_channel_count_in_spec(bundle_copy: Path) -> None:
    spec = json.loads((bundle_copy / "model.json").read_text())
    spec["inputs"][0]["channels"] = 3
    (bundle_copy / "model.json").write_text(json.dumps(spec))
    with pytest.raises(BundleError, match="channels"):
        load_model(bundle_copy)


def test_spec_missing_outputs(bundle_copy: Path) -> None:
    spec = json.loads((bundle_copy / "model.json").read_text())
    del spec["outputs"]
    (bundle_copy / "model.json").write_text(json.dumps(spec))
    with pytest.raises(BundleError, match="outputs"):
        read_bundle(bundle_copy)
