from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine.metrics import accuracy, dice, expected_calibration_error, iou, roc_auc


def test_dice_and_iou() -> None:
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[:5] = True
    b[:, :5] = True
    assert dice(a, b) == pytest.approx(0.5)
    assert iou(a, b) == pytest.approx(25 / 75)
    assert dice(np.zeros(3), np.zeros(3)) == 1.0


def test_auc_matches_pairwise_definition() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60).astype(bool)
    scores = np.round(rng.random(60) + labels * 0.3, 1)  # rounding makes ties
    pos, neg = scores[labels], scores[~labels]
    pairs = [(p > n) + 0.5 * (p == n) for p, n in itertools.product(pos, neg)]
    assert roc_auc(labels, scores) == pytest.approx(np.mean(pairs))


def test_accuracy_and_ece() -> None:
    assert accuracy(np.array([0, 1, 1]), np.array([0, 1, 0])) == pytest.approx(2 / 3)
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.2, 0.8]])
    labels = np.array([0, 1, 1, 1])
    # bin 0.9: acc 0.5 vs conf 0.9 (weight .5); bin 0.8: acc 1 vs conf .8 (weight .5)
    assert expected_calibration_error(labels, probs) == pytest.approx(0.5 * 0.4 + 0.5 * 0.2)


def _brute_force_hd95(a: np.ndarray, b: np.ndarray, spacing: tuple[float, float]) -> float:
    """Independent HD95: explicit boundary tracing and all pairwise distances (cdist)."""
    from scipy.spatial.distance import cdist

    def boundary(m: np.ndarray) -> np.ndarray:
        padded = np.pad(m, 1)
        inner = padded[1:-1, 1:-1]
        neighbours = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
        return np.argwhere(inner & ~neighbours) * np.asarray(spacing)

    d = cdist(boundary(a), boundary(b))
    return max(np.percentile(d.min(axis=1), 95), np.percentile(d.min(axis=0), 95))


@pytest.mark.parametrize("spacing", [(1.0, 1.0), (0.3, 0.1)])
def test_hd95_matches_brute_force(spacing: tuple[float, float]) -> None:
    from skimage.draw import ellipse

    from engine.metrics import hausdorff_95

    a = np.zeros((80, 90), bool)
    b = np.zeros((80, 90), bool)
    a[ellipse(40, 40, 20, 30, shape=a.shape)] = True
    b[ellipse(44, 47, 18, 25, shape=b.shape, rotation=0.4)] = True
    b[5:9, 80:85] = True  # a distant false-positive blob drives the tail
    assert hausdorff_95(a, b, spacing) == pytest.approx(_brute_force_hd95(a, b, spacing))


def test_hd95_empty_cases() -> None:
    from engine.metrics import hausdorff_95

    empty = np.zeros((5, 5), bool)
    full = np.ones((5, 5), bool)
    assert hausdorff_95(empty, empty) == 0.0
    assert hausdorff_95(empty, full) == float("inf")


def test_classification_metrics_agree_with_scikit_learn() -> None:
    from sklearn.metrics import accuracy_score, roc_auc_score, roc_curve

    from engine.evaluation import summarise
    from engine.evaluation_plots import roc_points

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 80)
    p1 = np.clip(0.35 * y + 0.65 * rng.random(80), 0, 1).round(2)
    probs = np.stack([1 - p1, p1], axis=1)
    rows = [{"dice": 1.0, "iou": 1.0, "hd95": 0.0, "hd95_units": "px"}] * 80
    summary = summarise(rows, y, probs)
    predicted = probs.argmax(axis=1)
    assert summary["accuracy"] == pytest.approx(accuracy_score(y, predicted))
    assert summary["auc"] == pytest.approx(roc_auc_score(y, p1))
    assert summary["sensitivity"] == pytest.approx(
        ((predicted == 1) & (y == 1)).sum() / (y == 1).sum()
    )
    fpr, tpr = roc_points(y == 1, p1)
    sk_fpr, sk_tpr, _ = roc_curve(y, p1, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
