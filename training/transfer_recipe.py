"""The transfer-learning recipe shared by `lesionlens train` and bench/transfer.py.

Pretrain the dual-task network on a source domain (e.g. synthetic dermoscopy, converted to
grayscale by the same preprocessing as the target), copy what matches into a fresh target
network (the class head starts anew), and fine-tune on the small target set, optionally
with a hierarchical freezing schedule. The bench imports these functions, so the numbers it
reports are those of the recipe users run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from engine.datasets.tables import read_pairs
from engine.errors import DatasetError
from training.data import ArrayDataset, load_folder
from training.fit import TrainConfig, emit, fit
from training.freezing import schedule_from_spec
from training.networks import build_network
from training.transfer import load_pretrained_weights

ARCHITECTURE = "hybrid-dual-task"
PREFERRED_CLASSES = ("benign", "malignant")


@dataclass
class TransferRecipe:
    size: int = 128
    width: int = 16
    attention_blocks: int = 2
    source_epochs: int = 4
    source_lr: float = 2e-3
    target_epochs: int = 40
    batch_size: int = 8
    lr: float = 2e-3
    encoder_lr_scale: float = 1.0  # for transferred runs only; from scratch always uses 1
    freeze: str = "deep-first"  # "none", "deep-first", "early-first" or "prefix@epoch,..."
    focal_gamma: float = 0.0
    select: str = "last"  # fine-tuning keeps the final weights (see TrainConfig.select)
    seed: int = 0

    def network_kwargs(self, num_classes: int) -> dict:
        return {
            "in_channels": 1,
            "num_classes": num_classes,
            "width": self.width,
            "attention_blocks": self.attention_blocks,
        }

    def as_dict(self) -> dict:
        return asdict(self)


def dataset_classes(root: str | Path) -> tuple[str, ...]:
    """The classes of a folder's labels.csv, in the usual order (benign, malignant) when they
    are those, else sorted (the second class is the positive one in the metrics)."""
    path = Path(root) / "labels.csv"
    if not path.is_file():
        raise DatasetError(f"{root}: labels.csv is missing")
    found = set(read_pairs(path).values())
    if found <= set(PREFERRED_CLASSES):
        return PREFERRED_CLASSES
    if len(found) < 2:
        raise DatasetError(f"{path}: needs at least two classes, found {sorted(found)}")
    return tuple(sorted(found))


def split_train_val(data: ArrayDataset, val_fraction: float = 0.2) -> tuple[ArrayDataset, ...]:
    """The folder's own split; without a val split, its last `val_fraction` of the cases."""
    train, val = data.subset("train"), data.subset("val")
    if len(val) and len(train):
        return train, val
    n_val = max(1, int(round(len(data) * val_fraction)))
    if len(data) - n_val < 1:
        raise DatasetError(f"{len(data)} case(s) are too few to hold out a validation set")
    splits = ["train"] * (len(data) - n_val) + ["val"] * n_val
    relabelled = ArrayDataset(
        data.cases, data.images, data.masks, data.labels, splits, data.classes
    )
    return relabelled.subset("train"), relabelled.subset("val")


def load_source(root: str | Path, size: int) -> tuple[ArrayDataset, ArrayDataset]:
    return split_train_val(load_folder(root, size, dataset_classes(root)))


def pretrain(
    train: ArrayDataset,
    val: ArrayDataset,
    recipe: TransferRecipe,
    log: Callable[[dict], None] = emit,
    checkpoint: str | None = None,
    resume: bool = False,
    progress_bar: bool = False,
) -> dict[str, torch.Tensor]:
    """Train the dual-task network on the source domain; its weights (state dict)."""
    torch.manual_seed(recipe.seed)
    net = build_network(ARCHITECTURE, **recipe.network_kwargs(len(train.classes)))
    config = TrainConfig(
        epochs=recipe.source_epochs,
        batch_size=recipe.batch_size,
        lr=recipe.source_lr,
        seed=recipe.seed,
        patience=recipe.source_epochs,  # a fixed budget: no early stop, best epoch kept
        checkpoint=checkpoint,
        resume=resume,
        progress_bar=progress_bar,
    )
    log({"event": "pretrain", "cases": len(train), "epochs": recipe.source_epochs})
    net, _ = fit(net, train, val, config, lambda r: log({"stage": "source", **r}))
    return copy.deepcopy(net.state_dict())


def finetune(
    train: ArrayDataset,
    val: ArrayDataset,
    recipe: TransferRecipe,
    pretrained: dict[str, torch.Tensor] | None,
    log: Callable[[dict], None] = emit,
    checkpoint: str | None = None,
    resume: bool = False,
    progress_bar: bool = False,
) -> tuple[torch.nn.Module, list[dict], dict | None]:
    """Fine-tune on the target (or train from scratch when `pretrained` is None) with the
    same budget either way: same epochs, batch size, schedule and early-stopping rule.
    Returns the network (best validation epoch), its history and the transfer report."""
    torch.manual_seed(recipe.seed)
    net = build_network(ARCHITECTURE, **recipe.network_kwargs(len(train.classes)))
    report, schedule = None, None
    if pretrained is not None:
        report = load_pretrained_weights(net, pretrained).as_event()
        log(report)
        schedule = schedule_from_spec(recipe.freeze, net, recipe.target_epochs)
    config = TrainConfig(
        epochs=recipe.target_epochs,
        batch_size=recipe.batch_size,
        lr=recipe.lr,
        seed=recipe.seed,
        patience=recipe.target_epochs,
        encoder_lr_scale=recipe.encoder_lr_scale if pretrained is not None else 1.0,
        focal_gamma=recipe.focal_gamma,
        select=recipe.select,
        checkpoint=checkpoint,
        resume=resume,
        progress_bar=progress_bar,
    )
    hook = None if schedule is None else (lambda epoch: schedule.apply(net, epoch))
    net, history = fit(net, train, val, config, lambda r: log({"stage": "target", **r}), hook)
    for param in net.parameters():  # a bundle's network is whole again, whatever was frozen
        param.requires_grad_(True)
    return net, history, report
