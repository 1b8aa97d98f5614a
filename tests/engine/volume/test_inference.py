"""Volume inference through a hand-built pointwise ONNX model, whose sliding-window output
must equal one whole-volume pass (a voxel's output depends on that voxel only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.inference import load_model
from engine.radiomics import classifier_probabilities, tumour_features
from engine.types import Volume
from engine.volume.inference import (
    keep_main_components,
    label_volumes_ml,
    normalise_hu,
    predict_volume,
    sliding_window,
)

HU_WINDOW = (-250.0, 350.0)


def _whole_pass(model, hu: np.ndarray) -> np.ndarray:  # noqa: ANN001
    seg, _ = model.session.run(
        ["segmentation", "classification"], {"volume": normalise_hu(hu, HU_WINDOW)[None, None]}
    )
    e = np.exp(seg[0] - seg[0].max(axis=0))
    return e / e.sum(axis=0)


def test_sliding_window_equals_one_whole_volume_pass(tmp_path: Path, volume_kit) -> None:  # noqa: ANN001
    model = load_model(volume_kit.bundle(tmp_path / "b"), device="cpu")
    hu = volume_kit.phantom()
    whole = _whole_pass(model, hu)

    def run(batch: np.ndarray):  # noqa: ANN202
        seg, cls = model.session.run(None, {"volume": batch[:, None]})
        e = np.exp(seg - seg.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True), np.full((len(batch), 2), 0.5)

    blended, _ = sliding_window(normalise_hu(hu, HU_WINDOW), (8, 16, 16), 0.5, run)
    assert blended.shape == whole.shape
    np.testing.assert_allclose(blended, whole, atol=1e-5)

    pred = predict_volume(Volume(voxels=hu, spacing_mm=(3.0, 2.8, 2.8)), model)
    assert np.array_equal(pred.labels, np.argmax(whole, axis=0))
    assert pred.labels.dtype == np.uint8 and (pred.labels == 2).any() and (pred.labels == 1).any()
    assert pred.label_names == ("background", "kidney", "tumour")
    assert sum(pred.probabilities.values()) == pytest.approx(1.0)


def test_small_volume_is_padded_and_other_spacing_resampled(tmp_path: Path, volume_kit) -> None:  # noqa: ANN001
    model = load_model(volume_kit.bundle(tmp_path / "b"), device="cpu")
    small = volume_kit.phantom((6, 12, 40))  # thinner than the patch in z and y
    pred = predict_volume(Volume(voxels=small, spacing_mm=(3.0, 2.8, 2.8)), model)
    assert pred.labels.shape == small.shape
    assert np.array_equal(pred.labels, np.argmax(_whole_pass(model, small), axis=0))

    # Slices twice as thin: resampled to 3 mm for the model, labels back on the own grid.
    hu = volume_kit.phantom((40, 40, 36))
    pred = predict_volume(Volume(voxels=hu, spacing_mm=(1.5, 2.8, 2.8)), model)
    assert pred.labels.shape == hu.shape
    direct = np.argmax(_whole_pass(model, hu), axis=0)
    assert (pred.labels == direct).mean() > 0.9


def test_volumes_in_ml_from_the_spacing() -> None:
    labels = np.zeros((10, 20, 20), np.uint8)
    labels[2:6, 5:15, 5:15] = 1  # 400 voxels
    labels[3:5, 8:11, 8:11] = 2  # 18 voxels
    volumes = label_volumes_ml(labels, ("background", "kidney", "tumour"), (3.0, 2.0, 2.5))
    voxel_ml = 3.0 * 2.0 * 2.5 / 1000
    assert volumes == {
        "kidney": pytest.approx(382 * voxel_ml),
        "tumour": pytest.approx(18 * voxel_ml),
    }


def test_only_the_two_largest_parts_are_kept() -> None:
    labels = np.zeros((10, 30, 30), np.uint8)
    labels[1:8, 1:10, 1:10] = 1  # big
    labels[2:5, 3:6, 3:6] = 2  # its tumour
    labels[1:8, 15:24, 15:24] = 1  # second kidney
    labels[0:2, 27:29, 0:2] = 1  # speck: third part
    kept = keep_main_components(labels, max_components=2)
    assert kept[0:2, 27:29, 0:2].sum() == 0
    assert (kept == 2).sum() == (labels == 2).sum()
    assert (kept == 1).sum() == (labels == 1).sum() - 8
    # a part smaller than a tenth of the largest goes even among the two largest
    tiny = labels.copy()
    tiny[1:8, 15:24, 15:24] = 0
    tiny[5, 20, 20] = 1
    assert keep_main_components(tiny, 2, 0.1)[5, 20, 20] == 0


def test_radiomics_classifier_answers_on_the_predicted_tumour(tmp_path: Path, volume_kit) -> None:  # noqa: ANN001
    radiomics = volume_kit.radiomics()
    model = load_model(volume_kit.bundle(tmp_path / "b", radiomics), device="cpu")
    hu = volume_kit.phantom()
    pred = predict_volume(Volume(voxels=hu, spacing_mm=(3.0, 2.8, 2.8)), model)
    expected = tumour_features(hu, pred.labels == 2, (3.0, 2.8, 2.8))
    assert pred.features == pytest.approx(expected)
    assert pred.radiomics_probabilities == pytest.approx(
        classifier_probabilities(expected, radiomics)
    )

    no_tumour = np.where(hu > 200, 80.0, hu).astype(np.float32)
    empty = predict_volume(Volume(voxels=no_tumour, spacing_mm=(3.0, 2.8, 2.8)), model)
    assert not (empty.labels == 2).any()
    assert empty.radiomics_probabilities == {} and empty.features == {}


def test_tumour_specks_become_kidney() -> None:
    from engine.volume.inference import drop_small_lesions

    labels = np.ones((8, 20, 20), np.uint8)
    labels[2:6, 2:10, 2:10] = 2  # the tumour: 256 voxels
    labels[6, 15, 15] = 2  # a speck
    out = drop_small_lesions(labels, 2, 0.1)
    assert out[6, 15, 15] == 1 and (out == 2).sum() == 256
    assert np.array_equal(drop_small_lesions(labels, 2, 0.0), labels)
