"""The training loop for multi-input networks (two views, photo + ultrasound).

A `feed` says which data set view goes into each network input, in order; None feeds zeros
(a blanked input). The same loop trains the shipped two-view and fusion models and the
single-view arms of bench/multiview.py (one view fed twice, or the other input blanked), so
every arm gets the same budget, optimiser and augmentation.

Loss: class-weighted cross-entropy; plus, when the network returns them (forward_train),
Dice + BCE on the segmented view's mask and the feature-reconstruction loss of method 5.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.metrics import accuracy, dice, f1_score, roc_auc
from training.augment import augment_batch, draw_camera, gamma_camera_batch
from training.fit import TrainConfig, emit, set_determinism
from training.losses import classification_loss, feature_reconstruction_loss, segmentation_loss
from training.view_data import ViewDataset

Feed = tuple[str | None, ...]


@dataclass(frozen=True)
class ViewsObjective:
    feed: Feed  # data set view per network input, None = zeros
    seg_input: int | None = None  # index of the input the network segments (fusion: us)
    seg_weight: float = 1.0
    reconstruction_weight: float = 0.2
    # The attention scores of each fed view learn where its lesions are (mask max-pooled to
    # the score grid): dense evidence for a small data set, and maps a reader can trust more.
    attention_weight: float = 0.5
    attention_pos_weight: float = 20.0  # lesion cells are a few of hundreds per view
    # "scanner": training.augment (zoom, rotation, speckle, gain) on grey inputs (ultrasound),
    # flip-gain on colour ones (photos); "flip-gain": one lateral flip for all views of a
    # case + gain/gamma (bone scans, where speckle-like noise would drown two-pixel hot spots);
    # "camera": the same flip + training.augment.gamma_camera_batch (bone scans: count level,
    # collimator blur, matrix, display window and gamma of another gamma camera, one camera
    # per case; tried, not adopted: docs/multiview.md).
    augment: str = "scanner"

    @property
    def segments(self) -> bool:
        return self.seg_input is not None and self.feed[self.seg_input] is not None


def fit_views(
    net: torch.nn.Module,
    train: ViewDataset,
    val: ViewDataset,
    config: TrainConfig,
    objective: ViewsObjective,
    log: Callable[[dict], None] = emit,
) -> tuple[torch.nn.Module, list[dict]]:
    """Fixed epoch budget; keeps the weights of the best validation epoch (AUC + accuracy,
    + Dice when segmenting). Returns the network on the CPU, ready for export."""
    generator = set_determinism(config.seed)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = max(1, math.ceil(len(train) / config.batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=config.lr, total_steps=config.epochs * steps, pct_start=0.15
    )
    counts = np.bincount(train.labels, minlength=len(train.classes)).astype(np.float32)
    class_weights = torch.tensor(counts.sum() / np.maximum(counts, 1) / len(counts))
    labels = torch.from_numpy(train.labels)
    best, best_state, history = -math.inf, None, []
    for epoch in range(1, config.epochs + 1):
        net.train()
        order = torch.randperm(len(train), generator=generator)
        total = 0.0
        for step in range(steps):
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            inputs, targets = _batch(train, idx, objective, generator, config.augment)
            loss = _loss(net, inputs, targets, labels[idx], class_weights, objective)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        scores = evaluate_views(net, val, objective)
        record = {
            "epoch": epoch,
            "epochs": config.epochs,
            "loss": round(total / len(train), 5),
            **{f"val_{k}": round(v, 4) for k, v in scores.items() if k != "logits"},
        }
        history.append(record)
        log(record)
        score = scores["auc"] + scores["accuracy"] + scores.get("dice", 0.0)
        if score > best:
            best, best_state = score, copy.deepcopy(net.state_dict())
    if best_state is not None and config.select == "best":
        net.load_state_dict(best_state)
    return net.eval(), history


def _batch(
    data: ViewDataset,
    idx: torch.Tensor,
    objective: ViewsObjective,
    generator: torch.Generator,
    augment: bool,
) -> tuple[list[torch.Tensor], list[torch.Tensor | None]]:
    """Network inputs (blanked ones as zeros) and each fed input's mask (None if blanked)."""
    inputs: list[torch.Tensor | None] = []
    targets: list[torch.Tensor | None] = []
    flip = torch.rand(len(idx), generator=generator) < 0.5
    camera = draw_camera(len(idx), generator) if augment and objective.augment == "camera" else None
    for view in objective.feed:
        if view is None:
            inputs.append(None)
            targets.append(None)
            continue
        x = torch.from_numpy(data.views[view][idx.numpy()]).clone()
        m = torch.from_numpy(data.masks[view][idx.numpy()]).clone()
        if augment and objective.augment == "scanner" and x.shape[1] == 1:
            x, m = augment_batch(x, m, generator)
        elif augment and camera is not None:
            x, m = x.clone(), m.clone()
            x[flip], m[flip] = x[flip].flip(-1), m[flip].flip(-1)
            x = gamma_camera_batch(x, camera, generator)
        elif augment:
            x, m = _flip_gain(x, m, flip, generator)
        inputs.append(x)
        targets.append(m)
    like = next(x for x in inputs if x is not None)
    return [
        x if x is not None else torch.zeros(like.shape[0], *_blank_shape(data, k))
        for k, x in enumerate(inputs)
    ], targets


def _blank_shape(data: ViewDataset, k: int) -> tuple[int, ...]:
    """Shape (C, H, W) of a blanked input: the data set's view at that input's position."""
    names = list(data.views)
    return tuple(data.views[names[k]].shape[1:])


def _flip_gain(
    x: torch.Tensor, m: torch.Tensor, flip: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """The same lateral flip for every view of a case (a mirrored patient), own gain/gamma."""
    x, m = x.clone(), m.clone()
    x[flip], m[flip] = x[flip].flip(-1), m[flip].flip(-1)
    n = x.shape[0]
    gamma = 0.7 + 0.6 * torch.rand(n, 1, 1, 1, generator=generator)
    gain = 0.9 + 0.2 * torch.rand(n, 1, 1, 1, generator=generator)
    return (x.clamp(0, 1) ** gamma * gain).clamp(0, 1), m


def _loss(
    net: torch.nn.Module,
    inputs: list[torch.Tensor],
    targets: list[torch.Tensor | None],
    labels: torch.Tensor,
    class_weights: torch.Tensor,
    objective: ViewsObjective,
) -> torch.Tensor:
    out = _forward_train(net, inputs)
    loss = classification_loss(out["logits"], labels, class_weights)
    if objective.segments and "segmentation" in out:
        seg_target = targets[objective.seg_input]  # type: ignore[index]
        loss = loss + objective.seg_weight * segmentation_loss(out["segmentation"], seg_target)
    if objective.attention_weight > 0:
        for scores, target in zip(out.get("attention_scores", []), targets, strict=False):
            if target is None:
                continue
            grid = F.adaptive_max_pool2d(target, scores.shape[-2:])
            pos_weight = torch.tensor(objective.attention_pos_weight)
            attention = F.binary_cross_entropy_with_logits(scores, grid, pos_weight=pos_weight)
            loss = loss + objective.attention_weight * attention
    if "reconstructed" in out and objective.reconstruction_weight > 0:
        rec = feature_reconstruction_loss(out["reconstructed"], out["features"])
        loss = loss + objective.reconstruction_weight * rec
    return loss


def _forward_train(net: torch.nn.Module, inputs: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    if hasattr(net, "forward_train"):
        return net.forward_train(*inputs)
    out = net(*inputs)
    return {"logits": out[0] if isinstance(out, tuple) else out}


@torch.no_grad()
def predict_views(
    net: torch.nn.Module, data: ViewDataset, objective: ViewsObjective, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw class logits N×C and, when the network segments, lesion probabilities N×1×H×W."""
    net.eval()
    logits, seg = [], []
    for start in range(0, len(data), batch_size):
        idx = torch.arange(start, min(start + batch_size, len(data)))
        inputs, _ = _batch(data, idx, objective, torch.Generator(), augment=False)
        out = _forward_train(net, inputs)
        logits.append(out["logits"].numpy())
        if objective.segments and "segmentation" in out:
            seg.append(torch.sigmoid(out["segmentation"]).numpy())
    return np.concatenate(logits), (np.concatenate(seg) if seg else None)


def evaluate_views(
    net: torch.nn.Module, data: ViewDataset, objective: ViewsObjective, temperature: float = 1.0
) -> dict[str, float]:
    """Accuracy, F1 (positive = second class), AUC and, when segmenting, mean Dice."""
    logits, seg = predict_views(net, data, objective)
    probs = F.softmax(torch.from_numpy(logits) / temperature, dim=1).numpy()
    predicted = probs.argmax(1)
    scores = {
        "accuracy": accuracy(data.labels, predicted),
        "f1": f1_score(data.labels, predicted),
        "auc": roc_auc(data.labels == 1, probs[:, 1]),
    }
    if seg is not None:
        truth = data.masks[objective.feed[objective.seg_input]]  # type: ignore[index]
        pairs = zip(seg, truth, strict=True)
        scores["dice"] = float(np.mean([dice(p > 0.5, t > 0.5) for p, t in pairs]))
    return scores
