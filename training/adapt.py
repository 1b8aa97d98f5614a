"""The fine-tuning loop on a few corrected cases, counted in optimiser steps, not epochs.

With 10-50 cases an "epoch" is a handful of steps: twelve of them (the first recipe) gave
the network ~50 updates, too few to move a synthetic-image encoder to real images, and a
fixed epoch count made the training time grow with the number of cases. A step budget fixes
both: every round trains the same number of updates whatever N is (cases are cycled), so
rounds take the same time and more cases simply mean more variety per update.

What a recipe (AdaptRecipe) can set, each measured in docs/finetuning.md:
- learning rate, warm-up and schedule (cosine or constant), encoder learning-rate scale;
- head warm-up: the first fraction of the steps train everything but the encoder (the new
  heads stop sending large random gradients into pretrained features), then all of it;
- hierarchical freezing (SCIENCE.md method 4; training.freezing) instead of that;
- an L2-SP pull towards the starting weights (Li et al. 2018);
- augmentation (scanner changes, burned-in calipers and text) and lesion-centred zoom crops;
- the losses: soft Dice + binary cross-entropy or + focal for the mask, cross-entropy or
  focal for the class head;
- replayed cases of the first domain mixed into every batch (no forgetting).
GroupNorm has no running statistics, so there is nothing to re-estimate on a new domain
(the ablation "normalisation statistics" of the issue applies to BatchNorm networks only).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F

from training.annotation_augment import draw_annotations_batch
from training.augment import augment_batch
from training.data import ArrayDataset
from training.export import output_names
from training.fit import balanced_class_weights, evaluate_arrays, set_determinism
from training.freezing import hierarchical_schedule
from training.losses import SEG_LOSSES, dual_task_loss


@dataclass(frozen=True)
class AdaptRecipe:
    steps: int = 400
    batch_size: int = 8
    lr: float = 1e-3
    encoder_lr_scale: float = 0.3
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.05
    schedule: str = "cosine"  # "cosine" (to 5 % of lr) or "constant"
    head_warmup_fraction: float = 0.1  # encoder frozen for these first steps; 0: never
    freeze: str = "none"  # "hierarchical": training.freezing's deep-first release instead
    frozen_fraction: float = 0.25  # hierarchical: everything frozen this long
    release_fraction: float = 0.75  # hierarchical: last level released here
    anchor_weight: float = 0.0  # L2-SP strength (0: none)
    augment: bool = True
    annotations: float = 0.5  # share of images with burned-in calipers and text
    zoom_crops: float = 0.0  # share of images replaced by a zoom on their lesion
    cls_weight: float = 0.5
    presence_weight: float = 0.5
    bf16: bool = True
    seg_loss: str = "bce+dice"  # mask loss: soft Dice + "bce" or + "focal" (training.losses)
    focal_gamma: float = 0.0  # > 0: focal loss for the class head instead of cross-entropy

    def __post_init__(self) -> None:
        # checked when the recipe is made, not at the first step of a long round
        if self.seg_loss not in SEG_LOSSES:
            known = ", ".join(SEG_LOSSES)
            raise ValueError(f"seg_loss {self.seg_loss!r}: expected one of {known}")
        if self.focal_gamma < 0:
            raise ValueError(f"focal_gamma {self.focal_gamma}: must be >= 0")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# The recipe of the first feedback loop, spread over the same step budget, for the bench:
# hierarchical freezing, L2-SP 0.1, no head warm-up, no burned-in marks.
FIRST_RECIPE = AdaptRecipe(
    freeze="hierarchical",
    head_warmup_fraction=0.0,
    anchor_weight=0.1,
    annotations=0.0,
    warmup_fraction=0.1,
)


def adapt(
    net: torch.nn.Module,
    target: ArrayDataset,
    recipe: AdaptRecipe,
    seed: int,
    log: Callable[[dict[str, Any]], None] | None = None,
    replay: ArrayDataset | None = None,
    replay_fraction: float = 0.0,
    monitor: ArrayDataset | None = None,
    monitor_every: int = 50,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[torch.nn.Module, list[dict[str, Any]]]:
    """Fine-tune `net` on `target` for recipe.steps updates; returns the last weights (no
    selection on held-out cases: they stay an honest test for the gate) and the history.
    monitor: cases scored every `monitor_every` steps for the progress curve (torch, no
    TTA); should_stop: polled between steps (cancel)."""
    log = log or (lambda record: None)
    generator = set_determinism(seed)
    net.train()
    encoder_params = list(net.encoder.parameters())
    encoder_ids = {id(p) for p in encoder_params}
    other_params = [p for p in net.parameters() if id(p) not in encoder_ids]
    opt = torch.optim.AdamW(
        [
            {"params": other_params, "lr": recipe.lr},
            {"params": encoder_params, "lr": recipe.lr * recipe.encoder_lr_scale},
        ],
        weight_decay=recipe.weight_decay,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_factor(recipe))
    names = output_names(net)
    class_weights = balanced_class_weights(target)
    has_replay = replay is not None and len(replay) > 0 and replay_fraction > 0
    n_replay = round(recipe.batch_size * replay_fraction) if has_replay else 0
    n_target = max(1, recipe.batch_size - n_replay)
    order = _cycled_order(len(target), recipe.steps * n_target, generator)
    t_images, t_masks = torch.from_numpy(target.images), torch.from_numpy(target.masks)
    t_labels = torch.from_numpy(target.labels)
    anchor = (
        {n: p.detach().clone() for n, p in net.named_parameters()}
        if recipe.anchor_weight > 0
        else None
    )
    freezing = _stages(net, recipe)
    history: list[dict[str, Any]] = []
    started, total, seen, stage = time.time(), 0.0, 0, None
    for step in range(recipe.steps):
        if should_stop is not None and should_stop():
            log({"event": "stopped", "step": step})
            break
        now = freezing(step)
        if now != stage:
            stage = now
            log({"event": "stage", "step": step, "frozen": stage})
        idx = order[step * n_target : (step + 1) * n_target]
        x, m, y = t_images[idx].clone(), t_masks[idx].clone(), t_labels[idx]
        if n_replay:
            r = torch.randint(len(replay), (n_replay,), generator=generator).numpy()
            x = torch.cat([x, torch.from_numpy(replay.images[r])])
            m = torch.cat([m, torch.from_numpy(replay.masks[r])])
            y = torch.cat([y, torch.from_numpy(replay.labels[r])])
        if recipe.zoom_crops > 0:
            x, m = zoom_on_lesions(x, m, generator, recipe.zoom_crops)
        if recipe.annotations > 0:
            x = draw_annotations_batch(x, m, generator, recipe.annotations)
        if recipe.augment:
            x, m = augment_batch(x, m, generator)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=recipe.bf16):
            outputs = net(x)
        loss = dual_task_loss(
            outputs,
            names,
            m,
            y,
            class_weights,
            recipe.cls_weight,
            recipe.presence_weight,
            recipe.focal_gamma,
            recipe.seg_loss,
        )
        if anchor is not None:
            loss = loss + recipe.anchor_weight * _distance_from(net, anchor)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], 5.0)
        opt.step()
        sched.step()
        total += float(loss.detach()) * len(y)
        seen += len(y)
        last = step + 1 == recipe.steps
        if (step + 1) % monitor_every == 0 or last:
            record: dict[str, Any] = {
                "event": "step",
                "step": step + 1,
                "steps": recipe.steps,
                "loss": round(total / max(seen, 1), 5),
                "elapsed_s": round(time.time() - started, 1),
            }
            record["eta_s"] = round(record["elapsed_s"] / (step + 1) * (recipe.steps - step - 1), 1)
            if monitor is not None and len(monitor):
                scores = evaluate_arrays(net, monitor)
                net.train()
                record["val_dice"] = round(scores["dice"], 4)
                record["val_accuracy"] = round(scores["accuracy"], 4)
            history.append(record)
            log(record)
            total, seen = 0.0, 0
    for param in net.parameters():
        param.requires_grad_(True)
    return net.eval(), history


def _lr_factor(recipe: AdaptRecipe) -> Callable[[int], float]:
    warmup = max(1, int(recipe.warmup_fraction * recipe.steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if recipe.schedule == "constant":
            return 1.0
        progress = (step - warmup) / max(1, recipe.steps - warmup)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def _stages(net: torch.nn.Module, recipe: AdaptRecipe) -> Callable[[int], tuple[str, ...]]:
    """step -> the encoder levels frozen at that step (applied to the network as a side
    effect): head warm-up, hierarchical release, or nothing frozen."""
    levels = tuple(getattr(net, "encoder_levels", ()))
    if recipe.freeze == "hierarchical" and levels:
        chunks = 20  # the schedule counts in twentieths of the budget
        schedule = hierarchical_schedule(
            levels, chunks, "deep-first", recipe.frozen_fraction, recipe.release_fraction
        )

        def hierarchical(step: int) -> tuple[str, ...]:
            chunk = 1 + step * chunks // max(1, recipe.steps)
            schedule.apply(net, chunk)
            return tuple(schedule.frozen_at(chunk))

        return hierarchical
    warm = int(recipe.head_warmup_fraction * recipe.steps)

    def head_warmup(step: int) -> tuple[str, ...]:
        frozen = step < warm
        for param in net.encoder.parameters():
            param.requires_grad_(not frozen)
            if frozen:
                param.grad = None
        return ("encoder",) if frozen else ()

    return head_warmup


def _distance_from(net: torch.nn.Module, anchor: dict[str, torch.Tensor]) -> torch.Tensor:
    """Squared distance of the trained parameters from where fine-tuning started."""
    terms = [((p - anchor[n]) ** 2).sum() for n, p in net.named_parameters() if p.requires_grad]
    return torch.stack(terms).sum() if terms else torch.zeros(())


def _cycled_order(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """`length` indices that visit all n cases in random order, again and again."""
    rounds = math.ceil(length / n)
    return torch.cat([torch.randperm(n, generator=generator) for _ in range(rounds)])[:length]


def zoom_on_lesions(
    images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator, p: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """A share p of the images (those with a lesion) replaced by a zoom on their lesion:
    a window of 1.5-3x the lesion's extent around it, resampled to the input size. Small
    lesions are then seen large, as a reader zooms in; the whole frame stays the common case
    (inference reads whole frames)."""
    n, _, size, _ = images.shape
    images, masks = images.clone(), masks.clone()
    for i in range(n):
        if float(torch.rand(1, generator=generator)) >= p:
            continue
        rows, cols = torch.nonzero(masks[i, 0] > 0.5, as_tuple=True)
        if len(rows) == 0:
            continue
        r0, r1, c0, c1 = rows.min(), rows.max(), cols.min(), cols.max()
        extent = float(max(r1 - r0, c1 - c0) + 1)
        half = extent * (0.75 + 0.75 * float(torch.rand(1, generator=generator)))
        half = min(max(half, size / 8), size / 2)
        cy, cx = float(r0 + r1) / 2, float(c0 + c1) / 2
        scale = half / (size / 2)
        theta = torch.tensor(
            [
                [scale, 0.0, (cx - size / 2 + 0.5) / (size / 2)],
                [0.0, scale, (cy - size / 2 + 0.5) / (size / 2)],
            ]
        )[None]
        grid = F.affine_grid(theta, [1, 1, size, size], align_corners=False)
        images[i] = F.grid_sample(images[i : i + 1], grid, align_corners=False)[0]
        masks[i] = (F.grid_sample(masks[i : i + 1], grid, align_corners=False)[0] > 0.5).float()
    return images, masks
