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


def test_tta_mean_and_spread(default_model, node_sample) -> None:  # noqa: ANN001
    from engine.metrics import dice
    from engine.types import Image

    image = Image(pixels=node_sample.image)
    plain = default_model.predict(image, tta=False)
    tta = default_model.predict(image, tta=True)
    assert plain.tta_passes == 1 and set(plain.probability_spread.values()) == {0.0}
    assert tta.tta_passes == 4 and all(v >= 0 for v in tta.probability_spread.values())
    assert dice(plain.mask, tta.mask) > 0.9
    # Left-right is meaningless in a transverse scan: the mirrored image gives the mirrored mask.
    mirrored = default_model.predict(Image(pixels=node_sample.image[:, ::-1].copy()))
    assert dice(mirrored.mask[:, ::-1], tta.mask) > 0.95


def test_gpu_request_without_gpu_provider_is_a_clear_error() -> None:
    import onnxruntime as ort

    from engine.errors import DeviceError
    from engine.inference import choose_providers

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("a GPU provider is installed here")
    with pytest.raises(DeviceError, match="gpu"):
        choose_providers("gpu")
    assert choose_providers("cpu") == ["CPUExecutionProvider"]


def test_cached_model_reuses_the_session() -> None:
    from engine.inference import cached_model

    assert cached_model(device="cpu") is cached_model(device="cpu")


def _us_region(row0: int, col0: int, row1: int, col1: int, spacing_mm: float):  # noqa: ANN202
    from engine.types import UltrasoundRegion

    return UltrasoundRegion(
        row0, col0, row1, col1, "2D", "tissue", "cm", "cm", spacing_mm / 10, spacing_mm / 10
    )


def test_inference_stays_inside_the_tissue_regions(default_model) -> None:  # noqa: ANN001
    """A dual (side-by-side) capture with burned-in text: each B-mode is analysed on its own
    and nothing outside the tissue regions can become a lesion."""
    from engine.metrics import dice
    from engine.synth.nodes import generate_node_image
    from engine.types import Image

    left = generate_node_image(np.random.default_rng(21), label="benign", frame=False)
    right = generate_node_image(np.random.default_rng(22), label="malignant", frame=False)
    h = max(left.image.shape[0], right.image.shape[0])
    canvas = np.zeros((h + 40, left.image.shape[1] + right.image.shape[1] + 30), np.uint8)
    canvas[:30, :] = 255  # a bright banner of burned-in text
    top, gap = 40, left.image.shape[1] + 30
    canvas[top : top + h, : left.image.shape[1]] = left.image
    canvas[top : top + h, gap : gap + right.image.shape[1]] = right.image
    regions = (
        _us_region(top, 0, top + h - 1, left.image.shape[1] - 1, left.spacing_mm),
        _us_region(top, gap, top + h - 1, gap + right.image.shape[1] - 1, right.spacing_mm),
    )
    prediction = default_model.predict(Image(pixels=canvas, regions=regions))
    outside = np.ones(canvas.shape, bool)
    for r in regions:
        outside[r.row0 : r.row1 + 1, r.col0 : r.col1 + 1] = False
    assert not prediction.mask[outside].any()
    left_mask = prediction.mask[top : top + h, : left.image.shape[1]]
    right_mask = prediction.mask[top : top + h, gap : gap + right.image.shape[1]]
    assert dice(left_mask, left.mask) > 0.6 and dice(right_mask, right.mask) > 0.6


def test_colour_doppler_is_analysed_as_grayscale(default_model, node_sample) -> None:  # noqa: ANN001
    from engine.metrics import dice
    from engine.types import Image

    rgb = np.stack([node_sample.image] * 3, axis=-1)
    rows, cols = np.nonzero(node_sample.mask)
    r, c = int(rows.mean()), int(cols.mean())
    rgb[r - 6 : r + 6, c - 6 : c + 6] = (220, 30, 30)  # a flow signal inside the node
    gray = default_model.predict(Image(pixels=node_sample.image))
    colour = default_model.predict(Image(pixels=rgb, photometric="RGB"))
    assert dice(gray.mask, colour.mask) > 0.9
