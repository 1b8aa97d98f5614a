"""Segmentation and classification metrics, numpy only, shared by evaluate, training and gates."""

from __future__ import annotations

import numpy as np


def dice(pred: np.ndarray, truth: np.ndarray) -> float:
    """Dice of two binary masks; two empty masks agree perfectly (1.0)."""
    p, t = pred > 0, truth > 0
    denom = p.sum() + t.sum()
    return 1.0 if denom == 0 else float(2.0 * (p & t).sum() / denom)


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    p, t = pred > 0, truth > 0
    union = (p | t).sum()
    return 1.0 if union == 0 else float((p & t).sum() / union)


def accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    return float((labels == predicted).mean()) if len(labels) else float("nan")


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Binary AUC by the rank-sum (Mann-Whitney) formula, ties counted half."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def expected_calibration_error(labels: np.ndarray, probs: np.ndarray, bins: int = 10) -> float:
    """ECE of the predicted class's confidence (probs: N×C), equal-width bins."""
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (confidence > lo) & (confidence <= hi)
        if sel.any():
            ece += sel.mean() * abs(correct[sel].mean() - confidence[sel].mean())
    return float(ece)


def f1_score(labels: np.ndarray, predicted: np.ndarray, positive: int = 1) -> float:
    """F1 of the positive class: 2·TP / (2·TP + FP + FN); nan when nothing is positive."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    tp = int(((predicted == positive) & (labels == positive)).sum())
    fp = int(((predicted == positive) & (labels != positive)).sum())
    fn = int(((predicted != positive) & (labels == positive)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")


CLASSIFICATION_METRICS = ("accuracy", "f1", "sensitivity", "specificity", "auc", "ece")


def classification_metrics(
    y_true: np.ndarray,
    y_prob: np.ndarray,
    names: tuple[str, ...] = CLASSIFICATION_METRICS,
    positive: int = 1,
    threshold: float | None = None,
) -> dict[str, float]:
    """The named CLASSIFICATION_METRICS of N cases, in the order named. y_true: class indices,
    y_prob: N×C probabilities. The predicted class is the most probable one, or, given a
    threshold (two classes), `positive` where its probability reaches the threshold.
    F1, sensitivity, specificity and AUC are about the positive class (the finding of
    interest: malignant, metastatic); ECE about the predicted class's confidence."""
    y_true, y_prob = np.asarray(y_true), np.asarray(y_prob)
    if threshold is None:
        predicted = y_prob.argmax(axis=1)
    else:
        predicted = np.where(y_prob[:, positive] >= threshold, positive, 1 - positive)
    tp = int(((predicted == positive) & (y_true == positive)).sum())
    tn = int(((predicted != positive) & (y_true != positive)).sum())
    pos, neg = int((y_true == positive).sum()), int((y_true != positive).sum())
    metrics = {
        "accuracy": accuracy(y_true, predicted),
        "f1": f1_score(y_true, predicted, positive),
        "sensitivity": tp / pos if pos else float("nan"),
        "specificity": tn / neg if neg else float("nan"),
        "auc": roc_auc(y_true == positive, y_prob[:, positive]),
        "ece": expected_calibration_error(y_true, y_prob),
    }
    return {name: metrics[name] for name in names}


def segmentation_metrics(rows: list[dict], names: tuple[str, ...]) -> dict[str, object]:
    """The mean of each named per-case metric (dice, iou, dice_<view>, ...) over the rows that
    hold it. "hd95" is the mean over the cases where it is finite (both masks non-empty),
    beside its units ("mm", "px" or "mixed") and the number of cases where it is not."""
    summary: dict[str, object] = {}
    for name in names:
        if name != "hd95":
            summary[name] = float(np.mean([row[name] for row in rows if name in row]))
            continue
        hd95 = np.array([row["hd95"] for row in rows], dtype=np.float64)
        finite = np.isfinite(hd95)
        units = {row["hd95_units"] for row in rows}
        summary["hd95"] = float(hd95[finite].mean()) if finite.any() else float("nan")
        summary["hd95_units"] = units.pop() if len(units) == 1 else "mixed"
        summary["hd95_undefined_cases"] = int((~finite).sum())
    return summary


def _surface(mask: np.ndarray) -> np.ndarray:
    """Boundary pixels of a binary mask (the mask minus its 4-connected erosion)."""
    from scipy import ndimage

    mask = mask > 0
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def hausdorff_95(
    pred: np.ndarray, truth: np.ndarray, spacing: tuple[float, float] | None = None
) -> float:
    """95th-percentile symmetric Hausdorff distance between mask boundaries (MONAI's
    definition: the larger of the two directed 95th percentiles), in mm when spacing is
    given, else px. Both empty: 0. Exactly one empty: inf (the lesion was missed or invented).
    """
    from scipy import ndimage

    sp = spacing if spacing is not None else (1.0, 1.0)
    a, b = _surface(pred), _surface(truth)
    if not a.any() and not b.any():
        return 0.0
    if not a.any() or not b.any():
        return float("inf")
    to_b = ndimage.distance_transform_edt(~b, sampling=sp)
    to_a = ndimage.distance_transform_edt(~a, sampling=sp)
    return float(max(np.percentile(to_b[a], 95), np.percentile(to_a[b], 95)))


def paired_bootstrap_ci(
    differences: np.ndarray, resamples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """(mean, lower, upper) of the mean of per-case paired differences, the bounds a seeded
    percentile bootstrap over cases (the same cases resampled for both models, so what the
    cases share cancels). Needs at least one difference."""
    diffs = np.asarray(differences, dtype=np.float64).ravel()
    if diffs.size == 0:
        raise ValueError("a paired bootstrap needs at least one case")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, diffs.size, size=(int(resamples), diffs.size))].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    lower, upper = np.quantile(means, [alpha, 1.0 - alpha])
    return float(diffs.mean()), float(lower), float(upper)
