"""Pictures of an evaluation, for people who would rather look than read (matplotlib, Agg).

ROC curve, reliability diagram (calibration), Dice histogram and the worst cases with the
true (green) and predicted (red) contours.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from skimage import measure  # noqa: E402

from engine.atomic import write_bytes_atomic  # noqa: E402


def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates at every distinct threshold (including the ends)."""
    labels = np.asarray(labels, dtype=bool)
    order = np.argsort(-np.asarray(scores), kind="mergesort")
    sorted_scores, sorted_labels = np.asarray(scores)[order], labels[order]
    distinct = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(sorted_scores) - 1]
    tps = np.cumsum(sorted_labels)[distinct]
    fps = (distinct + 1) - tps
    tpr = np.r_[0.0, tps / max(labels.sum(), 1)]
    fpr = np.r_[0.0, fps / max((~labels).sum(), 1)]
    return fpr, tpr


def write_plots(result: dict[str, Any], out_dir: str | Path, worst: int = 6) -> list[Path]:
    out_dir = Path(out_dir)
    rows = result["cases"]
    classes = result["classes"]
    positive = classes[1]
    labels = np.array([r["label"] == positive for r in rows])
    scores = np.array([r["probabilities"][positive] for r in rows])
    written = [
        _save(_roc_figure(labels, scores, result["summary"]), out_dir / "roc.png"),
        _save(_reliability_figure(rows, classes), out_dir / "reliability.png"),
        _save(_dice_figure(rows), out_dir / "dice_histogram.png"),
    ]
    if "masks" in result and rows:
        written.append(
            _save(_worst_figure(rows, result["masks"], worst), out_dir / "worst_cases.png")
        )
    return written


def _save(fig: plt.Figure, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return write_bytes_atomic(path, buf.getvalue())


def _roc_figure(labels: np.ndarray, scores: np.ndarray, summary: dict) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    if labels.any() and (~labels).any():
        fpr, tpr = roc_points(labels, scores)
        ax.plot(fpr, tpr, lw=2, label=f"AUC {summary.get('auc', float('nan')):.3f}")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1)
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title="ROC", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="lower right")
    return fig


def _reliability_figure(rows: list[dict], classes: list[str], bins: int = 10) -> plt.Figure:
    probs = np.array([[r["probabilities"][c] for c in classes] for r in rows])
    truth = np.array([classes.index(r["label"]) for r in rows])
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == truth
    edges = np.linspace(0, 1, bins + 1)
    centres, accs, counts = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (confidence > lo) & (confidence <= hi)
        if sel.any():
            centres.append(confidence[sel].mean())
            accs.append(correct[sel].mean())
            counts.append(int(sel.sum()))
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="perfect calibration")
    ax.plot(centres, accs, marker="o", lw=2, label="model")
    for x, y, n in zip(centres, accs, counts, strict=True):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xlabel="confidence", ylabel="accuracy", title="Reliability", xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="upper left")
    return fig


def _dice_figure(rows: list[dict]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    ax.hist([r["dice"] for r in rows], bins=np.linspace(0, 1, 21), color="#4a90d9")
    ax.set(xlabel="Dice", ylabel="cases", title="Dice per case")
    return fig


def _worst_figure(rows: list[dict], masks: dict, worst: int) -> plt.Figure:
    chosen = sorted(rows, key=lambda r: r["dice"])[:worst]
    cols = min(3, len(chosen))
    n_rows = int(np.ceil(len(chosen) / cols))
    fig, axes = plt.subplots(n_rows, cols, figsize=(3.6 * cols, 3.2 * n_rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, row in zip(axes.ravel(), chosen, strict=False):
        pixels, truth, predicted = masks[row["case"]]
        ax.imshow(pixels, cmap="gray" if pixels.ndim == 2 else None)
        for mask, colour in ((truth, "#2ecc40"), (predicted, "#ff4136")):
            for contour in measure.find_contours(mask.astype(float), 0.5):
                ax.plot(contour[:, 1], contour[:, 0], c=colour, lw=1.2)
        ax.set_title(
            f"{row['case']}\nDice {row['dice']:.2f}, {row['label']}→{row['predicted']}", fontsize=8
        )
    fig.suptitle("Worst cases (green: truth, red: model)", fontsize=10)
    return fig
