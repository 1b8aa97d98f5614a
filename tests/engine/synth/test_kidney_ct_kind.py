"""Kidney CT volumes: plausible HU, tumour rooted in a kidney, class-specific tumours."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from engine.synth.kidney_ct import SHIFTED_CT, generate_kidney_ct


@pytest.fixture(scope="module")
def samples() -> dict[str, list]:
    return {
        label: [generate_kidney_ct(np.random.default_rng([1, i]), label=label) for i in range(3)]
        for label in ("benign", "malignant")
    }


def test_hu_ranges_and_tissues_are_plausible(samples: dict[str, list]) -> None:
    for s in samples["benign"] + samples["malignant"]:
        v, lab = s.volume.astype(float), s.labels
        assert s.volume.dtype == np.int16 and lab.dtype == np.uint8
        assert v.min() >= -1024 and v.max() <= 3071
        assert set(np.unique(lab)) == {0, 1, 2}
        assert np.median(v[0:3, 0:3, 0:3]) < -900  # air in the corner
        assert 120 < np.median(v[lab == 1]) < 260  # enhancing renal parenchyma (+ sinus fat)
        assert (v < -60).mean() > 0.05 and ((v > -60) & (v < 20)).any()  # fat is present
        assert (v > 300).sum() > 100  # cortical bone of the spine


def test_tumour_lies_in_or_against_a_kidney(samples: dict[str, list]) -> None:
    for s in samples["benign"] + samples["malignant"]:
        tumour = s.labels == 2
        kidney = s.labels == 1
        lab, n = ndimage.label(tumour)
        assert n == 1
        assert (ndimage.binary_dilation(tumour, iterations=1) & kidney).any()
        # On the side the ground truth names.
        cols = np.flatnonzero(tumour.any(axis=(0, 1)))
        side = "left" if cols.mean() > s.labels.shape[2] / 2 else "right"
        assert side == s.tumour["side"]


def test_malignant_tumours_are_larger_and_benign_fat_is_negative(samples) -> None:  # noqa: ANN001
    def volume_ml(s) -> float:  # noqa: ANN001
        return float((s.labels == 2).sum() * np.prod(s.spacing_mm) / 1000)

    assert np.mean([volume_ml(s) for s in samples["malignant"]]) > 2 * np.mean(
        [volume_ml(s) for s in samples["benign"]]
    )
    for s in samples["benign"]:
        hu = s.volume[s.labels == 2].astype(float)
        if s.tumour["kind"] == "angiomyolipoma":
            assert (hu < -30).mean() > 0.1  # macroscopic fat
    for s in samples["malignant"]:
        assert s.volume[s.labels == 2].astype(float).std() > 20  # heterogeneous


def test_shifted_scanner_is_noisier() -> None:
    a = generate_kidney_ct(np.random.default_rng(5), label="benign")
    b = generate_kidney_ct(np.random.default_rng(5), label="benign", profile=SHIFTED_CT)

    def fine_noise(v: np.ndarray) -> float:
        v = v.astype(float)
        return float(np.median(np.abs(v - ndimage.median_filter(v, size=(1, 3, 3)))))

    assert fine_noise(b.volume) > 1.5 * fine_noise(a.volume)
