"""Fine-tune a volume bundle (task "volume": the kidney-ct 3D U-Net) on corrected CT volumes.

Reached from training.finetune.run when the pinned base is a volume bundle, with the same
request (engine.finetune_request.FinetuneRequest) and the same JSON-line events (protocol:
engine.jobs). The request's train and heldout selections are volume cases of the datastore
(engine.datastore.volumes.pin_volume_cases) or volume data set folders; they become folders
of images/<case>.nii.gz + masks/<case>.nii.gz (engine.datastore.selection).

Training starts from the base's weights.pt and uses the kidney-ct recipe's own parts
(training.recipes.kidney_ct: its patch sampling around tumour and kidney, its Dice +
cross-entropy loss, the UNet3D of training.networks) in a short run counted in optimiser
steps (`epochs` x steps_per_epoch) at a fine-tuning learning rate. The benign/malignant head
learns only from cases whose class the reader confirmed. After every epoch the mean
foreground Dice of (up to monitor_cases) held-out volumes is logged, for the progress curve
only: the gate (engine.registry.Gate, through engine.volume.evaluation's VolumeScoring)
decides afterwards, on all of them, through onnxruntime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.bundle import Bundle
from engine.datastore import materialise
from engine.finetune_request import FinetuneRequest, RequestError, recipe_with
from engine.io.nifti import read_nifti
from engine.metrics import dice
from engine.volume.evaluation import volume_cases, volume_folder_fingerprint
from engine.volume.inference import normalise_hu
from training.bundle_writer import write_bundle
from training.checkpoint import network_from_bundle
from training.finetune_steps import refuse_overlap, start_event
from training.networks.unet3d import UNet3D
from training.recipes.kidney_ct import PARITY_TOLERANCE, CTCase, dice_ce_loss, sample_patch

UNKNOWN_CLASS = -1  # the reader did not confirm benign or malignant: no class loss


@dataclass(frozen=True)
class VolumeRecipe:
    """The fine-tuning settings of a volume bundle (a request's "recipe" overrides them)."""

    steps_per_epoch: int = 8
    batch: int = 2
    lr: float = 5e-4  # a quarter of the kidney-ct recipe's: the base is already trained
    weight_decay: float = 1e-4
    class_weight: float = 0.5  # as the recipe: the class head's share of the loss
    monitor_cases: int = 4  # held-out volumes scored after each epoch (whole-volume passes)

    def __post_init__(self) -> None:
        if self.steps_per_epoch < 1 or self.batch < 1 or self.monitor_cases < 0:
            raise ValueError("steps_per_epoch and batch must be >= 1, monitor_cases >= 0")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")


def volume_recipe(overrides: dict[str, Any]) -> VolumeRecipe:
    return recipe_with(VolumeRecipe, overrides, "a volume model")


def load_volume_cases(folder: Path, classes: tuple[str, ...]) -> list[CTCase]:
    """The folder's volumes as the recipe's CTCase (class index, or UNKNOWN_CLASS)."""
    cases = []
    for case, image, mask, klass in volume_cases(folder):
        volume = read_nifti(image)
        labels = read_nifti(mask).voxels
        if labels.shape != volume.voxels.shape:
            raise RequestError(f"{mask}: label map {labels.shape} is not on the CT's grid")
        if klass is not None and klass not in classes:
            raise RequestError(f"{folder}: case {case} has class {klass!r}, not one of {classes}")
        cases.append(
            CTCase(
                case=case,
                hu=volume.voxels.astype(np.float32),
                labels=np.rint(labels).astype(np.uint8),
                label=classes.index(klass) if klass is not None else UNKNOWN_CLASS,
                spacing_mm=volume.spacing_mm,
            )
        )
    return cases


def whole_volume_dice(
    net: UNet3D, case: CTCase, window: tuple[float, float], n_labels: int
) -> float:
    """Mean foreground Dice of one whole-volume torch pass (the progress curve, no TTA)."""
    x = normalise_hu(case.hu, window)
    pad = [(0, (-n) % m) for n, m in zip(x.shape, UNet3D.total_stride, strict=True)]
    x = np.pad(x, pad, constant_values=-1.0).astype(np.float32)
    with torch.no_grad():
        seg = net(torch.from_numpy(x)[None, None])[0][0].argmax(0).numpy()
    d, h, w = case.labels.shape
    seg = seg[:d, :h, :w]
    return float(np.mean([dice(seg == v, case.labels == v) for v in range(1, n_labels)]))


def fine_tune(
    net: UNet3D,
    train: list[CTCase],
    monitor: list[CTCase],
    recipe: VolumeRecipe,
    patch: tuple[int, int, int],
    window: tuple[float, float],
    epochs: int,
    seed: int,
    log: Callable[[dict[str, Any]], None],
) -> list[dict[str, Any]]:
    """The training loop: recipe patches from the corrected volumes, a cosine learning rate,
    one "epoch" event every steps_per_epoch steps. Returns the epoch events."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    steps = epochs * recipe.steps_per_epoch
    n_labels = int(net.seg_head.out_channels)
    history: list[dict[str, Any]] = []
    started = time.time()
    losses: list[float] = []
    for step in range(steps):
        net.train()
        for group in opt.param_groups:
            group["lr"] = recipe.lr * 0.5 * (1 + np.cos(np.pi * step / steps))
        pool = [train[int(rng.integers(len(train)))] for _ in range(recipe.batch)]
        patches = [sample_patch(rng, case, patch) for case in pool]
        x = torch.from_numpy(np.stack([p for p, _ in patches])[:, None].astype(np.float32))
        y = torch.from_numpy(np.stack([lab for _, lab in patches]).astype(np.int64))
        seg, cls = net(x)
        loss = dice_ce_loss(seg, y)
        classes = torch.tensor([case.label for case in pool])
        use = ((y == 2).flatten(1).sum(1) >= 30) & (classes != UNKNOWN_CLASS)
        if bool(use.any()):
            loss = loss + recipe.class_weight * F.cross_entropy(cls[use], classes[use])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
        if (step + 1) % recipe.steps_per_epoch == 0:
            epoch = (step + 1) // recipe.steps_per_epoch
            net.eval()
            scores = [whole_volume_dice(net, case, window, n_labels) for case in monitor]
            elapsed = time.time() - started
            row = {
                "event": "epoch",
                "epoch": epoch,
                "epochs": epochs,
                "loss": float(np.mean(losses[-recipe.steps_per_epoch :])),
                "val_dice": float(np.mean(scores)) if scores else 0.0,
                "val_accuracy": 0.0,  # the class head is judged by the gate, not here
                "elapsed_s": round(elapsed, 1),
                "eta_s": round(elapsed / epoch * (epochs - epoch), 1),
                "step": step + 1,
            }
            history.append(row)
            log(row)
    net.eval()
    return history


def run_volume(
    request: FinetuneRequest,
    base: Bundle,
    log: Callable[[dict[str, Any]], None],
    candidate_spec: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """training.finetune.run for a volume base; returns the "done" event. candidate_spec:
    training.finetune's model.json of the candidate (new id, parent, data hash, card)."""
    import shutil

    started = time.time()
    spec = base.spec
    plan = spec.raw.get("volume") or {}
    try:
        d, h, w = (int(v) for v in plan["patch"])
        lo, hi = (float(v) for v in plan["hu_window"])
    except (KeyError, TypeError, ValueError):
        raise RequestError(
            f"{base.directory}: model.json 'volume' lacks a patch [D, H, W] or a hu_window"
        ) from None
    patch, window = (d, h, w), (lo, hi)
    recipe = volume_recipe(request.recipe)
    work = Path(request.job_dir) / "work"
    shutil.rmtree(work, ignore_errors=True)
    try:
        train_dir = materialise(request.train, work / "train")
        heldout_dir = materialise(request.heldout, work / "heldout")
        train = load_volume_cases(train_dir, spec.classes)
        heldout = load_volume_cases(heldout_dir, spec.classes)
        refuse_overlap((c.case for c in train), (c.case for c in heldout))
        if request.replay is not None:
            log({"event": "output", "text": "replay: not used when fine-tuning a volume model"})
        net = network_from_bundle(base.directory)
        log(start_event(request, base, len(train), len(heldout)))
        monitor = heldout[: recipe.monitor_cases]
        history = fine_tune(
            net, train, monitor, recipe, patch, window, request.epochs, request.seed, log
        )
        data_hash = volume_folder_fingerprint(train_dir)
        new_spec = candidate_spec(request, base, len(train), data_hash)
        metrics = {
            "finetune": {
                "base_model_id": spec.model_id,
                "kind": "volume",
                "epochs": request.epochs,
                "seed": request.seed,
                "recipe": asdict(recipe),
                "train_cases": [c.case for c in train],
                "heldout_cases": [c.case for c in heldout],
                "heldout_id": volume_folder_fingerprint(heldout_dir),
                "n_replay": 0,
                "history": history,
            },
            "replay": None,
            "dataset_id": base.metrics.get("dataset_id"),
        }
        out = Path(request.out)
        log({"event": "export", "out": str(out)})
        write_bundle(net, out, new_spec, metrics, tolerance=PARITY_TOLERANCE)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    last = history[-1]
    return {
        "event": "done",
        "candidate": str(out),
        "model_id": new_spec["model_id"],
        "parent_model_id": spec.model_id,
        "wall_s": round(time.time() - started, 1),
        "heldout": {"dice": last["val_dice"], "accuracy": last["val_accuracy"]},
    }
