from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.bundle import default_bundle_dir
from engine.errors import BundleError
from engine.inference import load_model
from engine.tiling import predict_tiled, window_starts


def test_windows_cover_the_image_and_end_flush() -> None:
    assert window_starts(100, 40, 20) == [0, 20, 40, 60]
    assert window_starts(90, 40, 20) == [0, 20, 40, 50]
    assert window_starts(30, 40, 20) == [0]


def test_blending_reproduces_a_translation_invariant_predictor() -> None:
    """If every window predicts the true map exactly, blending must give it back everywhere,
    whatever the weights; and class probabilities follow the windows that saw the lesion."""
    rng = np.random.default_rng(0)
    truth = rng.random((130, 170)).astype(np.float32)
    seen: list[tuple[int, int]] = []

    def crop_predictor(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        seen.append(window.shape)
        return window.copy(), np.array([0.2, 0.8]) if window.mean() > 0.5 else np.array([1.0, 0.0])

    prob, classes = predict_tiled(truth, 64, 0.5, crop_predictor)
    np.testing.assert_allclose(prob, truth, rtol=1e-5)
    assert set(seen) == {(64, 64)} and len(seen) == len(window_starts(130, 64, 32)) * len(
        window_starts(170, 64, 32)
    )
    assert classes.sum() == pytest.approx(1.0)


def test_tiled_bundle_runs_window_by_window(tmp_path: Path, node_sample) -> None:  # noqa: ANN001
    from engine.metrics import dice
    from engine.types import Image

    bundle = tmp_path / "tiled"
    shutil.copytree(default_bundle_dir(), bundle)
    spec = json.loads((bundle / "model.json").read_text())
    spec["tiling"] = {"window_px": 200, "overlap": 0.5}
    (bundle / "model.json").write_text(json.dumps(spec))
    tiled = load_model(bundle, device="cpu")
    assert tiled.spec.tiling == {"window_px": 200, "overlap": 0.5}
    prediction = tiled.predict(Image(pixels=node_sample.image), tta=False)
    assert prediction.mask.shape == node_sample.image.shape
    # Not a claim of accuracy (the default model is trained on whole fields of view), only
    # that the windows are stitched back where they belong.
    assert dice(prediction.mask, node_sample.mask) > 0.3
    spec["tiling"] = {"window_px": 4}
    (bundle / "model.json").write_text(json.dumps(spec))
    with pytest.raises(BundleError, match="window_px"):
        load_model(bundle)
