"""The training loop shared by `make model`, `lesionlens train` and fine-tuning."""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch

from engine.metrics import accuracy, dice, roc_auc
from training.augment import augment_batch
from training.data import ArrayDataset
from training.losses import classification_loss, segmentation_loss


@dataclass
class TrainConfig:
    epochs: int = 12
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    cls_weight: float = 0.5
    patience: int = 6
    augment: bool = True


def set_determinism(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return torch.Generator().manual_seed(seed)


def emit(record: dict, stream=sys.stdout) -> None:  # noqa: ANN001
    """One JSON line per event: the GUI and CI logs parse the same stream."""
    stream.write(json.dumps(record) + "\n")
    stream.flush()


def fit(
    net: torch.nn.Module,
    train: ArrayDataset,
    val: ArrayDataset,
    config: TrainConfig,
    log: Callable[[dict], None] = emit,
) -> tuple[torch.nn.Module, list[dict]]:
    """Train with early stopping on validation Dice + accuracy; returns the best weights."""
    generator = set_determinism(config.seed)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, int(np.ceil(len(train) / config.batch_size)))
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch, pct_start=0.15
    )
    counts = np.bincount(train.labels, minlength=len(train.classes)).astype(np.float32)
    class_weights = torch.tensor(counts.sum() / np.maximum(counts, 1) / len(counts))
    images, masks = torch.from_numpy(train.images), torch.from_numpy(train.masks)
    labels = torch.from_numpy(train.labels)
    best_score, best_state, history, stale = -1.0, None, [], 0
    started = time.time()
    for epoch in range(1, config.epochs + 1):
        net.train()
        order = torch.randperm(len(train), generator=generator)
        total, seen = 0.0, 0
        for step in range(steps_per_epoch):
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            x, m, y = images[idx].clone(), masks[idx].clone(), labels[idx]
            if config.augment:
                x, m = augment_batch(x, m, generator)
            seg, cls = net(x)
            loss = segmentation_loss(seg, m) + config.cls_weight * classification_loss(
                cls, y, class_weights
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        scores = evaluate_arrays(net, val)
        elapsed = time.time() - started
        record = {
            "epoch": epoch,
            "epochs": config.epochs,
            "loss": round(total / max(seen, 1), 5),
            "val_dice": round(scores["dice"], 4),
            "val_accuracy": round(scores["accuracy"], 4),
            "val_auc": round(scores["auc"], 4),
            "elapsed_s": round(elapsed, 1),
            "eta_s": round(elapsed / epoch * (config.epochs - epoch), 1),
        }
        history.append(record)
        log(record)
        score = scores["dice"] + scores["accuracy"]
        if score > best_score:
            best_score, best_state, stale = score, copy.deepcopy(net.state_dict()), 0
        else:
            stale += 1
            if stale >= config.patience:
                log({"event": "early_stop", "epoch": epoch})
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    return net, history


@torch.no_grad()
def predict_arrays(
    net: torch.nn.Module, images: np.ndarray, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Segmentation probabilities and raw class logits for preprocessed images."""
    net.eval()
    probs, logits = [], []
    for start in range(0, len(images), batch_size):
        seg, cls = net(torch.from_numpy(images[start : start + batch_size]))
        probs.append(torch.sigmoid(seg).numpy())
        logits.append(cls.numpy())
    return np.concatenate(probs), np.concatenate(logits)


def evaluate_arrays(net: torch.nn.Module, data: ArrayDataset) -> dict[str, float]:
    probs, logits = predict_arrays(net, data.images)
    dices = [dice(p[0] > 0.5, t[0] > 0.5) for p, t in zip(probs, data.masks, strict=True)]
    p_cls = torch.softmax(torch.from_numpy(logits), 1).numpy()
    return {
        "dice": float(np.mean(dices)),
        "accuracy": accuracy(data.labels, p_cls.argmax(1)),
        "auc": roc_auc(data.labels == 1, p_cls[:, 1]) if p_cls.shape[1] == 2 else float("nan"),
    }


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature scaling (Guo et al. 2017): one scalar minimising validation NLL.

    Only softening (T >= 1) is allowed: on a small validation set that the model separates
    perfectly, NLL keeps falling as T shrinks, and sharpening on that evidence would make the
    model overconfident on the images of other scanners it will meet.
    """
    t_logits = torch.from_numpy(logits).double()
    t_labels = torch.from_numpy(labels)
    grid = np.exp(np.linspace(0.0, np.log(8.0), 200))
    nll = [float(torch.nn.functional.cross_entropy(t_logits / t, t_labels)) for t in grid]
    return float(grid[int(np.argmin(nll))])


@torch.no_grad()
def calibration_logits(
    net: torch.nn.Module, data: ArrayDataset, passes: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Validation logits on the clean images plus augmented copies (gain, blur, noise, zoom):
    the temperature is fitted to the variety of images the model will meet, not only to a
    validation set drawn from its own training distribution."""
    generator = torch.Generator().manual_seed(seed)
    _, clean = predict_arrays(net, data.images)
    logits, labels = [clean], [data.labels]
    for _ in range(passes):
        images, _ = augment_batch(
            torch.from_numpy(data.images).clone(), torch.from_numpy(data.masks).clone(), generator
        )
        logits.append(predict_arrays(net, images.numpy())[1])
        labels.append(data.labels)
    return np.concatenate(logits), np.concatenate(labels)


def config_dict(config: TrainConfig) -> dict:
    return asdict(config)
