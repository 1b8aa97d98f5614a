"""TTA passes in one onnxruntime call give what one call per pass gives."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from engine.bundle import default_bundle_dir
from engine.errors import BundleError
from engine.inference import load_model, takes_any_batch
from engine.synth.nodes import generate_node_image
from engine.types import Image


def _image(seed: int) -> Image:
    sample = generate_node_image(np.random.default_rng(seed))
    return Image(pixels=sample.image, spacing_mm=sample.spacing_mm)


def _same(a, b) -> None:  # noqa: ANN001
    assert np.array_equal(a.mask, b.mask)
    assert np.allclose(a.uncertainty, b.uncertainty, atol=1e-5)
    for c in a.probabilities:
        assert abs(a.probabilities[c] - b.probabilities[c]) < 1e-5
        assert abs(a.probability_spread[c] - b.probability_spread[c]) < 1e-5
    assert a.tta_passes == b.tta_passes == 4


def test_batched_tta_equals_one_call_per_pass_on_the_shipped_default_bundle() -> None:
    batched = load_model(default_bundle_dir(), device="cpu", precision="fp32")
    assert batched.batch_tta  # the shipped graph takes any batch
    unbatched = dataclasses.replace(batched, batch_tta=False)
    calls = []
    run = batched.session.run
    for seed in (3, 4):
        image = _image(seed)
        _same(batched.predict(image), unbatched.predict(image))
    recorder = dataclasses.replace(
        unbatched, session=type("S", (), {"run": lambda _s, n, f: calls.append(f) or run(n, f)})()
    )
    recorder.predict(_image(5))
    assert calls and all(len(f["image"]) == 1 for f in calls)


def test_a_graph_with_batch_fixed_at_one_gets_one_call_per_pass(tmp_path, make_tiny_bundle) -> None:
    fixed = load_model(make_tiny_bundle(tmp_path / "fixed", batch=1), device="cpu")
    dynamic = load_model(make_tiny_bundle(tmp_path / "dynamic"), device="cpu")
    assert not fixed.batch_tta and not takes_any_batch(fixed.session)
    assert dynamic.batch_tta
    image = _image(6)
    _same(fixed.predict(image), dynamic.predict(image))


def test_a_bundle_without_int8_loads_fp32_and_refuses_int8(tmp_path) -> None:
    bundle = tmp_path / "default"
    shutil.copytree(default_bundle_dir(), bundle)
    (bundle / "model.int8.onnx").unlink(missing_ok=True)
    model = load_model(bundle, device="cpu")
    assert model.precision == "fp32"
    with pytest.raises(BundleError, match="int8"):
        load_model(bundle, device="cpu", precision="int8")
