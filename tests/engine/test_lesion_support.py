"""Hysteresis on the lesion probability: weak regions are not reported, the strongest is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.bundle import default_bundle_dir, read_bundle
from engine.errors import BundleError
from engine.lesion_support import DEFAULT_PEAK_THRESHOLD, supported_lesions


def _two_blobs(weak_peak: float) -> tuple[np.ndarray, np.ndarray]:
    prob = np.zeros((40, 60), dtype=np.float32)
    prob[5:20, 5:25] = 0.95  # the lesion: large and sure
    prob[25:30, 40:45] = 0.55  # a weak blob
    prob[27, 42] = weak_peak
    return prob >= 0.5, prob


def test_a_weak_region_is_dropped_and_a_supported_one_kept() -> None:
    mask, prob = _two_blobs(weak_peak=0.6)
    kept = supported_lesions(mask, prob, 0.7)
    assert kept[10, 10] and not kept[27, 42]
    assert kept.sum() == 15 * 20
    mask, prob = _two_blobs(weak_peak=0.8)
    kept = supported_lesions(mask, prob, 0.7)
    assert kept[10, 10] and kept[27, 42] and kept.sum() == mask.sum()


def test_the_strongest_region_stays_even_below_the_peak() -> None:
    """Whether there is a lesion is the presence head's answer; this rule only thins."""
    prob = np.zeros((30, 30), dtype=np.float32)
    prob[2:12, 2:12] = 0.6  # mass 60
    prob[20:23, 20:23] = 0.65  # higher peak, mass 5.85
    kept = supported_lesions(prob >= 0.5, prob, 0.7)
    assert kept[5, 5] and not kept[21, 21]


def test_one_region_or_none_is_returned_as_is() -> None:
    prob = np.full((8, 8), 0.55, dtype=np.float32)
    assert supported_lesions(prob >= 0.5, prob, 0.9).all()
    assert not supported_lesions(np.zeros((8, 8)), prob, 0.9).any()
    with pytest.raises(ValueError, match="differ in shape"):
        supported_lesions(np.zeros((8, 9)), prob, 0.9)


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    out = tmp_path / "bundle"
    shutil.copytree(default_bundle_dir(), out, ignore=shutil.ignore_patterns("*.pt", "*int8*"))
    return out


def test_model_json_names_the_peak_and_a_bad_one_is_refused(bundle_dir: Path) -> None:
    assert read_bundle(bundle_dir).spec.lesion_peak_threshold == DEFAULT_PEAK_THRESHOLD
    raw = json.loads((bundle_dir / "model.json").read_text())
    for value, ok in ((0.8, True), (0.3, True), (-0.1, False), (1.5, False), ("x", False)):
        (bundle_dir / "model.json").write_text(json.dumps({**raw, "lesion_peak_threshold": value}))
        if ok:
            assert read_bundle(bundle_dir).spec.lesion_peak_threshold == value
        else:
            with pytest.raises(BundleError, match="lesion_peak_threshold|wrong type"):
                read_bundle(bundle_dir)


def test_prediction_drops_the_weak_region(bundle_dir: Path, monkeypatch) -> None:  # noqa: ANN001
    """Wired into LoadedModel.predict: the mask (and so mask.png, findings, the editor) loses
    the weak region; the probability map behind the uncertainty keeps it. The network's
    lesion map is set by hand here (the synthetic model is sure of every node it sees)."""
    from engine.inference import CropOutputs, LoadedModel, load_model
    from engine.measure import lesion_components
    from engine.types import Image

    _, prob = _two_blobs(weak_peak=0.6)

    def crop_outputs(self, gray, tta):  # noqa: ANN001, ANN202
        return CropOutputs(prob[: gray.shape[0], : gray.shape[1]], np.array([[0.9, 0.1]]))

    monkeypatch.setattr(LoadedModel, "_predict_crop", crop_outputs)
    image = Image(pixels=np.full(prob.shape, 120, dtype=np.uint8), spacing_mm=None)
    model = load_model(bundle_dir, device="cpu")
    got = model.predict(image, tta=False)
    assert len(lesion_components(got.mask, 1)) == 1 and got.mask[10, 10] == 1
    assert got.uncertainty[27, 42] > 0.5  # the weak blob is still uncertain, not forgotten
    raw = json.loads((bundle_dir / "model.json").read_text())
    (bundle_dir / "model.json").write_text(json.dumps({**raw, "lesion_peak_threshold": 0.5}))
    both = load_model(bundle_dir, device="cpu").predict(image, tta=False)
    assert len(lesion_components(both.mask, 1)) == 2
