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
