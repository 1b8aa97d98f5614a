"""The training loop shared by `make model`, `lesionlens train` and fine-tuning."""

from __future__ import annotations

import copy
import io
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from engine.atomic import write_bytes_atomic
from engine.metrics import accuracy, dice, roc_auc
from training.annotation_augment import draw_annotations_batch
from training.augment import augment_batch
from training.console_progress import ProgressBar
from training.data import ArrayDataset
from training.export import output_names
from training.losses import NO_LESION, dual_task_loss


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
    focal_gamma: float = 0.0  # > 0: focal loss for the class head instead of cross-entropy
    encoder_lr_scale: float = 1.0  # < 1: pretrained encoder ("encoder.*") learns slower
    checkpoint: str | None = None  # file in the work dir, rewritten every epoch
    resume: bool = False  # continue from `checkpoint` when it exists
    progress_bar: bool = False  # console bar on stderr; the JSON lines stay on stdout
    device: str = "auto"  # "auto": CUDA (with AMP) when available, else CPU
    # "best": weights of the best validation epoch, with early stopping; "last": a fixed
    # budget, the final weights (a validation set of a dozen cases is too noisy to pick by).
    select: str = "best"
    presence_weight: float = 0.5  # networks with a presence head: its share of the loss
    # Fraction of training images that get burned-in calipers, dotted lines and text
    # (training.annotation_augment), so marks cannot stand for "lesion here".
    annotations: float = 0.0
    # CPU: bfloat16 autocast (about 2x faster on CPUs with AVX-512 BF16; no loss scaling
    # needed, bf16 keeps float32's range).
    bf16: bool = False
    # > 0 (with select="last"): the returned weights are an exponential moving average of the
    # weights after every step (torch.optim.swa_utils, batch-norm statistics averaged too),
    # decay per step; 0: the final weights as they are.
    ema: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema must be in [0, 1), got {self.ema}")
        if self.ema > 0 and self.select != "last":
            raise ValueError('ema averages a fixed budget: it needs select="last"')


def set_determinism(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return torch.Generator().manual_seed(seed)


def emit(record: dict, stream=None) -> None:  # noqa: ANN001
    """One JSON line per event: the GUI and CI logs parse the same stream (by default the
    current sys.stdout, looked up at call time so redirections are honoured)."""
    stream = stream if stream is not None else sys.stdout
    stream.write(json.dumps(record) + "\n")
    stream.flush()


def fit(
    net: torch.nn.Module,
    train: ArrayDataset,
    val: ArrayDataset,
    config: TrainConfig,
    log: Callable[[dict], None] = emit,
    before_epoch: Callable[[int], dict | None] | None = None,
) -> tuple[torch.nn.Module, list[dict]]:
    """Train with early stopping on validation Dice + accuracy; returns the best weights.

    before_epoch(epoch) runs at the start of every epoch (e.g. a freezing schedule); a dict
    it returns is logged. The returned network is on the CPU, ready for export.
    """
    generator = set_determinism(config.seed)
    device = training_device(config.device)
    net.to(device)
    use_amp = device.type == "cuda"  # float16 autocast only where it pays and is safe
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    amp_dtype = torch.float16 if use_amp else torch.bfloat16
    autocast = use_amp or (config.bf16 and device.type == "cpu")
    groups = _param_groups(net, config)
    opt = torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, int(np.ceil(len(train) / config.batch_size)))
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt,
        max_lr=[g["lr"] for g in groups],
        total_steps=config.epochs * steps_per_epoch,
        pct_start=0.15,
    )
    class_weights = balanced_class_weights(train).to(device)
    images, masks = torch.from_numpy(train.images), torch.from_numpy(train.masks)
    labels = torch.from_numpy(train.labels)
    best_score, best_state, history, stale = -1.0, None, [], 0
    ema = (
        AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(config.ema), use_buffers=True)
        if config.ema > 0
        else None
    )
    first_epoch, stopped = 1, False
    if config.resume and config.checkpoint and Path(config.checkpoint).is_file():
        state = torch.load(config.checkpoint, map_location=device, weights_only=True)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])  # dropout draws from the global generator
        best_score, best_state, stale = state["best_score"], state["best_state"], state["stale"]
        history, stopped = list(state["history"]), bool(state["stopped"])
        first_epoch = int(state["epoch"]) + 1
        if ema is not None and "ema" in state:
            ema.load_state_dict(state["ema"])
        log({"event": "resumed", "epoch": first_epoch - 1, "checkpoint": config.checkpoint})
    bar = ProgressBar(config.epochs * steps_per_epoch) if config.progress_bar else None
    started = time.time()
    for epoch in range(first_epoch, config.epochs + 1):
        if stopped:
            break
        if before_epoch is not None and (event := before_epoch(epoch)):
            log(event)
        net.train()
        order = torch.randperm(len(train), generator=generator)
        total, seen = 0.0, 0
        for step in range(steps_per_epoch):
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            x, m, y = images[idx].clone(), masks[idx].clone(), labels[idx]
            if config.annotations > 0:
                x = draw_annotations_batch(x, m, generator, config.annotations)
            if config.augment:
                x, m = augment_batch(x, m, generator)
            x, m, y = x.to(device), m.to(device), y.to(device)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=autocast):
                outputs = net(x)
            loss = dual_task_loss(
                outputs,
                output_names(net),
                m,
                y,
                class_weights,
                config.cls_weight,
                config.presence_weight,
                config.focal_gamma,
            )
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            scaler.step(opt)
            scaler.update()
            sched.step()
            if ema is not None:
                ema.update_parameters(net)
            total += loss.item() * len(idx)
            seen += len(idx)
            if bar is not None:
                bar.update(
                    (epoch - 1) * steps_per_epoch + step + 1,
                    f"epoch {epoch} loss {loss.item():.3f}",
                )
        scores = evaluate_arrays(net, val)
        elapsed = time.time() - started
        done_here = epoch - first_epoch + 1
        record = {
            "epoch": epoch,
            "epochs": config.epochs,
            "loss": round(total / max(seen, 1), 5),
            "val_dice": round(scores["dice"], 4),
            "val_accuracy": round(scores["accuracy"], 4),
            "val_auc": round(scores["auc"], 4),
            "elapsed_s": round(elapsed, 1),
            "eta_s": round(elapsed / done_here * (config.epochs - epoch), 1),
        }
        history.append(record)
        log(record)
        score = float(np.nansum([scores["dice"], scores["accuracy"]]))
        if score > best_score:
            best_score, stale = score, 0
            best_state = copy.deepcopy(net.state_dict()) if config.select == "best" else None
        else:
            stale += 1
            if stale >= config.patience and config.select == "best":
                log({"event": "early_stop", "epoch": epoch})
                stopped = True
        if config.checkpoint:
            _save_checkpoint(
                config.checkpoint,
                {
                    "net": net.state_dict(),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "generator": generator.get_state(),
                    "torch_rng": torch.get_rng_state(),
                    "best_score": best_score,
                    "best_state": best_state,
                    "stale": stale,
                    "history": history,
                    "stopped": stopped,
                    "epoch": epoch,
                    **({"ema": ema.state_dict()} if ema is not None else {}),
                },
            )
    if bar is not None:
        bar.close()
    if best_state is not None:
        net.load_state_dict(best_state)
    if ema is not None:
        net.load_state_dict(ema.module.state_dict())
        log({"event": "ema", "decay": config.ema, "steps": int(ema.n_averaged.item())})
    return net.to("cpu"), history


def balanced_class_weights(data: ArrayDataset) -> torch.Tensor:
    """Inverse-frequency class weights over the lesion images (normal scans have no class)."""
    labels = data.labels[data.labels != NO_LESION]
    counts = np.bincount(labels, minlength=len(data.classes)).astype(np.float32)
    return torch.tensor(counts.sum() / np.maximum(counts, 1) / len(counts))


def training_device(choice: str = "auto") -> torch.device:
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


def _param_groups(net: torch.nn.Module, config: TrainConfig) -> list[dict]:
    """One group, or two when the pretrained encoder gets a smaller learning rate
    (discriminative fine-tuning). Frozen parameters stay in the optimiser: they receive no
    gradient, so AdamW leaves them untouched until a freezing schedule releases them."""
    if config.encoder_lr_scale == 1.0:
        return [{"params": list(net.parameters()), "lr": config.lr}]
    encoder, rest = [], []
    for name, param in net.named_parameters():
        (encoder if name.startswith("encoder.") else rest).append(param)
    groups = [{"params": rest, "lr": config.lr}]
    if encoder:
        groups.append({"params": encoder, "lr": config.lr * config.encoder_lr_scale})
    return groups


def _save_checkpoint(path: str, state: dict) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_bytes_atomic(path, buffer.getvalue())


@torch.no_grad()
def predict_arrays(
    net: torch.nn.Module, images: np.ndarray, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Segmentation probabilities and raw class logits for preprocessed images."""
    probs, logits, _ = predict_outputs(net, images, batch_size)
    return probs, logits


@torch.no_grad()
def predict_outputs(
    net: torch.nn.Module, images: np.ndarray, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Segmentation probabilities, raw class logits and (with a presence head) raw
    lesion-present logits for preprocessed images."""
    net.eval()
    device = next(net.parameters()).device
    names = output_names(net)
    probs, logits, presence = [], [], []
    for start in range(0, len(images), batch_size):
        batch = torch.from_numpy(images[start : start + batch_size]).to(device)
        out = dict(zip(names, net(batch), strict=True))
        probs.append(torch.sigmoid(out["segmentation"]).float().cpu().numpy())
        logits.append(out["classification"].float().cpu().numpy())
        if "presence" in out:
            presence.append(out["presence"].float().cpu().numpy()[:, 0])
    return (
        np.concatenate(probs),
        np.concatenate(logits),
        np.concatenate(presence) if presence else None,
    )


def evaluate_arrays(net: torch.nn.Module, data: ArrayDataset) -> dict[str, float]:
    """Dice over lesion images (all images for a network without presence head), class
    accuracy and AUC over lesion images, presence AUC over all (NaN where undefined)."""
    probs, logits, presence = predict_outputs(net, data.images)
    lesion = data.labels != NO_LESION
    dices = [
        dice(p[0] > 0.5, t[0] > 0.5)
        for p, t, keep in zip(probs, data.masks, lesion, strict=True)
        if keep or presence is None
    ]
    p_cls = torch.softmax(torch.from_numpy(logits[lesion]), 1).numpy()
    labels = data.labels[lesion]
    two = p_cls.shape[1] == 2 and len(labels) > 0
    has_lesion = data.masks.reshape(len(data), -1).max(axis=1) > 0
    return {
        "dice": float(np.mean(dices)) if dices else float("nan"),
        "accuracy": accuracy(labels, p_cls.argmax(1)) if len(labels) else float("nan"),
        "auc": roc_auc(labels == 1, p_cls[:, 1]) if two else float("nan"),
        "presence_auc": roc_auc(has_lesion, presence) if presence is not None else float("nan"),
    }


# Temperatures tried by fit_temperature: 200 from 1 to 8, evenly spaced in log T.
SOFTENING_GRID = np.exp(np.linspace(0.0, np.log(8.0), 200))


def fit_temperature(
    logits: np.ndarray, labels: np.ndarray, grid: np.ndarray = SOFTENING_GRID
) -> float:
    """Temperature scaling (Guo et al. 2017): the scalar of `grid` minimising the NLL of
    `labels` under softmax(logits / T) (N×K logits of held-out cases, from any task).

    Only softening (T >= 1) is allowed: on a small validation set that the model separates
    perfectly, NLL keeps falling as T shrinks, and sharpening on that evidence would make the
    model overconfident on the images of other scanners it will meet.
    """
    t_logits = torch.from_numpy(np.asarray(logits)).double()
    t_labels = torch.from_numpy(np.asarray(labels))
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
