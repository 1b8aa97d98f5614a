"""The synthetic breast domain: a lesion in every image, darker than the tissue round it in
most, lesion semantics by class (benign parallel and wider than tall, malignant more often
upright and irregular)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from engine.synth.breast import generate_breast_image


def _samples(label: str, n: int = 8):
    return [generate_breast_image(np.random.default_rng([21, i]), label=label) for i in range(n)]


def _solidity(mask: np.ndarray) -> float:
    """Area over the area of its filled bounding ellipse proxy: the convex-hull share."""
    from skimage.morphology import convex_hull_image

    return float(mask.sum() / convex_hull_image(mask).sum())


@pytest.mark.parametrize("label", ["benign", "malignant"])
def test_every_image_has_its_lesion_inside_the_b_mode_region(label: str) -> None:
    for sample in _samples(label, 6):
        mask = sample.mask > 0
        r0, c0, r1, c1 = sample.region
        assert mask.any() and sample.label == label
        assert not mask[:r0].any() and not mask[r1:].any()
        assert not mask[:, :c0].any() and not mask[:, c1:].any()
        assert sample.image.dtype == np.uint8 and sample.image.shape == sample.mask.shape


def test_lesions_are_mostly_darker_than_the_tissue_round_them() -> None:
    darker = 0
    samples = _samples("benign", 6) + _samples("malignant", 6)
    for sample in samples:
        mask = sample.mask > 0
        ring = ndimage.binary_dilation(mask, iterations=8) & ~ndimage.binary_dilation(
            mask, iterations=3
        )
        darker += float(np.median(sample.image[mask])) < float(np.median(sample.image[ring]))
    assert darker >= 9  # isoechoic lesions are the subtle exception, not the rule


def test_benign_lesions_are_smoother_and_flatter_than_malignant_ones() -> None:
    def stats(label: str) -> tuple[float, float]:
        solidity, flat = [], []
        for sample in _samples(label, 10):
            mask = sample.mask > 0
            labels, _ = ndimage.label(mask)
            biggest = labels == np.argmax(np.bincount(labels.ravel())[1:]) + 1
            rows, cols = np.nonzero(biggest)
            solidity.append(_solidity(biggest))
            flat.append((np.ptp(cols) + 1) / (np.ptp(rows) + 1))
        return float(np.mean(solidity)), float(np.mean(flat))

    benign_solidity, benign_flat = stats("benign")
    malignant_solidity, malignant_flat = stats("malignant")
    assert benign_solidity > malignant_solidity
    assert benign_flat > malignant_flat
