"""The interactive (click-to-segment) recipe: training.networks.click_net trained with
simulated iterative clicks on real breast ultrasound (BUSI) and our synthetic domains.

Data: the busi-dev lesion cases of four of the five grouped folds (the same folds and seed
as the breast-us recipe, so the fifth is held out from both models; normal cases have no
lesion to click on and are left out) plus synthetic lymph-node and skin ultrasound from
engine.synth. Each mask is reduced to its largest lesion: a reader clicks on one object.

Training (RITM / SimpleClick): per batch the encoder runs once; the first click goes to the
lesion's centre (half of the time) or a random interior point, a quarter of the samples also
get a jittered box; then 0..max_sim_clicks decoder passes without gradient each add a click
at the centre of the largest error region (engine.interactive.clicks.next_click) and feed
their mask back as the previous-mask channel; the last pass is trained (BCE + Dice).
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from engine.datasets import load_dataset
from engine.interactive.clicks import (
    Box,
    Click,
    first_click,
    largest_object,
    next_click,
    prompt_maps,
)
from engine.interactive.ct import soft_tissue_slice
from engine.preprocess import letterbox, letterbox_mask, normalise_intensity, to_gray_float
from engine.synth.dataset import write_dataset
from engine.synth.kidney_ct import generate_kidney_ct
from training.data import load_cases
from training.fit import emit
from training.losses import NO_LESION
from training.networks.click_net import ClickNet
from training.recipes.breast_us import BUSI_CITATION, fold_data

LOW_PERCENTILE, HIGH_PERCENTILE = 0.5, 99.5  # model.json input.normalisation
MIN_OBJECT_PX = 9  # at model size: smaller lesions vanish in the letterbox


@dataclass(frozen=True)
class InteractiveRecipe:
    size: int = 160
    width: int = 16
    feature_channels: int = 48
    decoder_width: int = 48
    epochs: int = 30
    batch_size: int = 16
    lr: float = 3e-3
    max_sim_clicks: int = 4
    box_probability: float = 0.25
    synth_nodes: int = 250
    synth_skin: int = 120
    synth_ct: int = 60
    heldout_fold: int = 4

    def network_kwargs(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "feature_channels": self.feature_channels,
            "decoder_width": self.decoder_width,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ClickData:
    """Model-size images N×1×S×S and single-object masks N×S×S (bool), with their sources."""

    images: np.ndarray
    masks: np.ndarray
    cases: list[str]
    domains: list[str]

    def __len__(self) -> int:
        return len(self.cases)


def _objects(images: np.ndarray, masks: np.ndarray, cases: list[str], domain: str) -> ClickData:
    keep_images, keep_masks, keep_cases = [], [], []
    for image, mask, case in zip(images, masks, cases, strict=True):
        target = largest_object(mask[0] > 0)
        if target.sum() < MIN_OBJECT_PX:
            continue
        keep_images.append(image)
        keep_masks.append(target)
        keep_cases.append(case)
    if not keep_images:
        return _empty(images.shape[-1], domain)
    return ClickData(
        np.stack(keep_images).astype(np.float32),
        np.stack(keep_masks),
        keep_cases,
        [domain] * len(keep_cases),
    )


def _empty(size: int, domain: str) -> ClickData:
    """No objects of a domain (every one too small at model size)."""
    return ClickData(
        np.zeros((0, 1, size, size), np.float32), np.zeros((0, size, size), bool), [], []
    )


def concat(parts: list[ClickData]) -> ClickData:
    return ClickData(
        np.concatenate([p.images for p in parts]),
        np.concatenate([p.masks for p in parts]),
        [c for p in parts for c in p.cases],
        [d for p in parts for d in p.domains],
    )


def busi_data(root: str | Path, recipe: InteractiveRecipe) -> tuple[ClickData, tuple[str, ...]]:
    """Training lesions of the four training folds; the held-out fold's case ids."""
    data = fold_data(root, recipe.heldout_fold, recipe.size)
    lesion = [i for i, y in enumerate(data.train.labels) if y != NO_LESION]
    train = data.train.take(lesion)
    heldout = tuple(
        c for c, y in zip(data.heldout.cases, data.heldout.labels, strict=True) if y != NO_LESION
    )
    return _objects(train.images, train.masks, train.cases, "busi"), heldout


def synthetic_data(kind: str, n: int, size: int, seed: int) -> ClickData:
    """n synthetic cases of `kind`, written to a temporary folder and read back through the
    one loader (training.data.load_cases)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_dataset(kind, n, Path(tmp) / kind, seed=seed, val_fraction=0.0)
        arrays = load_cases(load_dataset(folder), size)
    return _objects(arrays.images, arrays.masks, arrays.cases, kind)


def _model_frame(pixels: np.ndarray, size: int) -> np.ndarray:
    """What the engine hands the encoder (engine.interactive.model.model_input): grey,
    percentile window, letterboxed; training images must go through the same door."""
    gray = normalise_intensity(to_gray_float(pixels), LOW_PERCENTILE, HIGH_PERCENTILE)
    return letterbox(gray, size)[0]


def _from_arrays(
    pairs: list[tuple[np.ndarray, np.ndarray, str]], size: int, domain: str
) -> ClickData:
    images = np.stack([_model_frame(p, size)[None] for p, _, _ in pairs])
    masks = np.stack([letterbox_mask(m > 0, size)[None] for _, m, _ in pairs])
    return _objects(images, masks, [c for _, _, c in pairs], domain)


def ct_slice_data(n: int, size: int, seed: int) -> ClickData:
    """Axial slices of n synthetic kidney CT volumes (engine.synth.kidney_ct), shown as the
    CT page hands a plane to Smart Click (engine.interactive.ct.soft_tissue_slice): per
    volume the slice where the tumour is largest (the tumour is the object) and the slice
    where the kidney is largest (the kidney with its tumour is the object)."""
    pairs = []
    for i in range(n):
        sample = generate_kidney_ct(np.random.default_rng([seed, i]))
        tumour = sample.labels == 2
        organ = sample.labels > 0
        for name, region in (("tumour", tumour), ("kidney", organ)):
            z = int(np.argmax(region.sum(axis=(1, 2))))
            if not region[z].any():
                continue
            target = largest_object(region[z])
            pairs.append(
                (soft_tissue_slice(sample.volume[z]), target, f"ct{seed:03d}_{i:05d}_{name}")
            )
    return _from_arrays(pairs, size, "ct")


def random_first_click(target: np.ndarray, rng: np.random.Generator) -> Click:
    """Half of the time the centre, else a random interior point at least a third of the
    way in: readers do not click on the exact centre."""
    if rng.random() < 0.5:
        return first_click(target)
    from scipy import ndimage

    distance = ndimage.distance_transform_edt(np.pad(target, 1))[1:-1, 1:-1]
    rows, cols = np.nonzero(distance >= distance.max() / 3)
    k = int(rng.integers(len(rows)))
    return Click(int(rows[k]), int(cols[k]), True)


def jittered_box(target: np.ndarray, rng: np.random.Generator) -> Box:
    rows, cols = np.nonzero(target)
    h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    j = rng.uniform(-0.1, 0.1, 4) * np.array([h, w, h, w])
    return Box(rows.min() + j[0], cols.min() + j[1], rows.max() + j[2], cols.max() + j[3])


def _prompts(clicks, boxes, previous, size: int) -> torch.Tensor:  # noqa: ANN001
    maps = [
        prompt_maps((size, size), c, b, p) for c, b, p in zip(clicks, boxes, previous, strict=True)
    ]
    return torch.from_numpy(np.stack(maps))


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum(dim=(1, 2, 3))
    return (1 - (2 * inter + 1) / (prob.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3)) + 1)).mean()


def augment(images: np.ndarray, masks: np.ndarray, rng: np.random.Generator, invert: float = 0.3):  # noqa: ANN201
    """Mirror left-right, a random gamma, and on `invert` of the images the grey scale
    turned over: ultrasound lesions are mostly darker than their surroundings, but a
    reader also clicks on bright ones (hyperechoic lesions, other modalities)."""
    images, masks = images.copy(), masks.copy()
    for i in range(len(images)):
        if rng.random() < 0.5:
            images[i] = images[i][..., ::-1]
            masks[i] = masks[i][..., ::-1]
        images[i] = np.clip(images[i], 0, 1) ** rng.uniform(0.7, 1.4)
        if rng.random() < invert:
            images[i] = 1.0 - images[i]
    return images, masks


def train_step(
    net: ClickNet,
    images: np.ndarray,
    targets: np.ndarray,
    rng: np.random.Generator,
    recipe: InteractiveRecipe,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One iterative-click step: (loss, logits of the trained pass)."""
    size = recipe.size
    batch = len(images)
    x = torch.from_numpy(images)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        features, detail = net.encoder(x)
    features, detail = features.float(), detail.float()
    clicks: list[list[Click]] = []
    boxes: list[Box | None] = []
    for target in targets:
        box = jittered_box(target, rng) if rng.random() < recipe.box_probability else None
        # A box alone is a prompt too: half of the boxed samples start without a click.
        start = [] if box is not None and rng.random() < 0.5 else [random_first_click(target, rng)]
        clicks.append(start)
        boxes.append(box)
    previous: list[np.ndarray | None] = [None] * batch
    for _ in range(int(rng.integers(0, recipe.max_sim_clicks + 1))):
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            logits = net.decoder(
                features.detach(), detail.detach(), _prompts(clicks, boxes, previous, size)
            )
        predicted = (logits[:, 0].float() > 0).numpy()
        for i in range(batch):
            click = next_click(targets[i], predicted[i])
            if click is not None:
                clicks[i].append(click)
            previous[i] = predicted[i]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = net.decoder(features, detail, _prompts(clicks, boxes, previous, size))
    logits = logits.float()
    y = torch.from_numpy(targets[:, None].astype(np.float32))
    loss = F.binary_cross_entropy_with_logits(logits, y) + dice_loss(logits, y)
    return loss, logits


def train(
    recipe: InteractiveRecipe, data: ClickData, seed: int, log=emit, budget_s: float | None = None
) -> tuple[ClickNet, list[dict]]:  # noqa: ANN001
    """A fixed budget of epochs (no selection on held-out data); budget_s stops early
    between epochs (logged) so a busy machine cannot run past the wall-time limit."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = ClickNet(**recipe.network_kwargs())
    optimiser = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(data) / recipe.batch_size)
    total = steps_per_epoch * recipe.epochs
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: (
            min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total)))
        ),
    )
    history: list[dict] = []
    started = time.time()
    for epoch in range(recipe.epochs):
        net.train()
        order = rng.permutation(len(data))
        losses, ious = [], []
        for step in range(steps_per_epoch):
            idx = order[step * recipe.batch_size : (step + 1) * recipe.batch_size]
            images, masks = augment(data.images[idx], data.masks[idx], rng)
            loss, logits = train_step(net, images, masks, rng, recipe)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
            pred = (logits[:, 0] > 0).numpy()
            inter = (pred & masks).sum(axis=(1, 2))
            union = (pred | masks).sum(axis=(1, 2))
            ious.append(float(np.mean(inter / np.maximum(union, 1))))
        record = {
            "epoch": epoch + 1,
            "loss": round(float(np.mean(losses)), 4),
            "train_iou": round(float(np.mean(ious)), 4),
            "elapsed_s": round(time.time() - started, 1),
        }
        history.append(record)
        log(record)
        if budget_s is not None and time.time() - started > budget_s and epoch + 1 < recipe.epochs:
            log({"event": "budget", "stopped_after_epoch": epoch + 1, "budget_s": budget_s})
            break
    return net.eval(), history


def card(data_root: Path, counts: dict[str, int], seed: int) -> dict[str, Any]:
    return {
        "intended_use": "research use; not for diagnosis. The reader points at a lesion; "
        "the model proposes its outline, which the reader accepts or edits.",
        "summary": "Click-to-segment on 2D ultrasound: an image encoder run once per image "
        "and a light prompt decoder run per click (positive/negative clicks, optional box, "
        "previous mask).",
        "training_data": f"REAL IMAGES: {counts.get('busi', 0)} lesion images of BUSI "
        f"(busi-dev folder, four of five grouped folds, seed 0, the breast-us folds; benign "
        f"and malignant, normal scans left out). BUSI: {BUSI_CITATION} LOGIQ E9 scanners, "
        f"Baheya Hospital, Cairo, 2018; CC BY 4.0. SYNTHETIC: {counts.get('nodes', 0)} "
        f"lymph-node and {counts.get('skin', 0)} skin ultrasound images "
        f"and {counts.get('ct', 0)} kidney CT slices (soft-tissue window) generated by "
        f"engine.synth (seed {seed}).",
        "dataset": {"name": "BUSI (busi-dev)", "citation": BUSI_CITATION, "folder": data_root.name},
        "limitations": "Trained on breast ultrasound of one scanner family and one hospital "
        "and on synthetic ultrasound and CT; its behaviour on real CT, bone "
        "scans and other modalities is unknown. It "
        "outlines one object per set of clicks. See docs/interactive.md.",
        "reproduce": "make model-interactive",
    }
