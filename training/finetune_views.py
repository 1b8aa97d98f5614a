"""Fine-tune a multi-view ("views") bundle on confirmed studies: training.finetune's run hands a
request over here when its base bundle's task is "views".

The request is the same FinetuneRequest: `train` and `heldout` are datastore selections of
kind "study" (engine.datastore.studies.pin_studies; engine.jobs.datastore_request makes them
for a views bundle), which materialise as views.csv folders. The loop is the one that trained
the shipped multi-view bundles (training.fit_views: its network inputs, augmentation and
losses, class weights and the per-view mask targets), started from the bundle's weights.pt,
for a fixed budget (`epochs` passes over the training studies, the last weights kept: the
held-out studies are never used to choose weights; the gate scores them afterwards through
engine.study.evaluation). The held-out studies are scored after every epoch for the progress
curve only. Progress events follow the job protocol (engine.jobs).

The recipe differs from the 2D one (training.adapt: its layer freezing and replay are for
single-image U-Nets), so a views request takes its own overrides (ViewsRecipe) and no replay.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from engine.bundle import Bundle
from engine.datastore import folder_fingerprint, materialise
from engine.finetune_request import FinetuneRequest, RequestError, recipe_with
from engine.view_preprocess import input_shape
from training.bundle_writer import write_bundle
from training.checkpoint import network_from_bundle
from training.finetune_steps import refuse_overlap, start_event
from training.fit import TrainConfig
from training.fit_views import ViewsObjective, fit_views
from training.view_data import ViewDataset, ViewInput, load_views_folder


@dataclass(frozen=True)
class ViewsRecipe:
    """A gentle continuation of the shipped multi-view training (training/recipes/multiview.py
    trains at lr 2e-3, batch 16): a quarter of its rate, since the start is already trained,
    and smaller batches for the few studies a site confirms. "flip-gain" is the augmentation
    every view of either shipped model tolerates (one lateral flip per case, gain/gamma)."""

    lr: float = 5e-4
    batch_size: int = 8
    weight_decay: float = 1e-4
    augment: str = "flip-gain"

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.batch_size < 1:
            raise ValueError(
                f"lr must be > 0 and batch_size >= 1 (got {self.lr}, {self.batch_size})"
            )
        if self.augment not in ("flip-gain", "scanner", "camera", "none"):
            raise ValueError(f"unknown augment {self.augment!r}")


def view_inputs(base: Bundle) -> tuple[ViewInput, ...]:
    """The network inputs of a views bundle, as its model.json prepares them for inference."""
    raw = {str(i["name"]): i for i in base.spec.raw.get("inputs", [])}
    return tuple(
        ViewInput(
            str(inp.view),
            int(inp.channels),
            input_shape(raw.get(inp.name, {"size": inp.size})),
            dict(inp.normalisation),
        )
        for inp in base.spec.inputs
    )


def objective_for(base: Bundle, recipe: ViewsRecipe) -> ViewsObjective:
    """Every input fed its own view; the segmentation loss on the view the bundle segments."""
    feed = tuple(str(inp.view) for inp in base.spec.inputs)
    segmented = [k for k, v in enumerate(feed) if f"segmentation_{v}" in base.spec.outputs]
    augment = "flip-gain" if recipe.augment == "none" else recipe.augment
    return ViewsObjective(feed=feed, seg_input=segmented[0] if segmented else None, augment=augment)


def run_views(
    request: FinetuneRequest,
    base: Bundle,
    log: Callable[[dict[str, Any]], None],
    candidate_spec: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """training.finetune.run for a views bundle: everything between the checked request and
    the "done" event; returns that event. candidate_spec: training.finetune's model.json of
    the candidate (new id, parent, data hash, card)."""
    started = time.time()
    if request.replay is not None:
        raise RequestError(
            "replay is not supported when fine-tuning a multi-view model (set 'replay': null)"
        )
    recipe = _recipe(request.recipe)
    spec = base.spec
    inputs, objective = view_inputs(base), objective_for(base, recipe)
    work = Path(request.job_dir) / "work"
    shutil.rmtree(work, ignore_errors=True)
    try:
        train_dir = materialise(request.train, work / "train")
        heldout_dir = materialise(request.heldout, work / "heldout")
        train = _all_train(load_views_folder(train_dir, inputs, spec.classes))
        heldout = _all_train(load_views_folder(heldout_dir, inputs, spec.classes))
        refuse_overlap(train.cases, heldout.cases, "studies")
        net = network_from_bundle(base.directory)
        log(start_event(request, base, len(train), len(heldout)))
        torch.manual_seed(request.seed)
        config = TrainConfig(
            epochs=request.epochs,
            batch_size=recipe.batch_size,
            lr=recipe.lr,
            weight_decay=recipe.weight_decay,
            seed=request.seed,
            augment=recipe.augment != "none",
            select="last",  # the held-out studies never choose the weights
            device="cpu",
        )
        history: list[dict[str, Any]] = []
        relay = _epoch_relay(history, request.epochs, started, log)
        net, _ = fit_views(net, train, heldout, config, objective, log=relay)
        data_hash = folder_fingerprint(train_dir)
        new_spec = candidate_spec(request, base, len(train), data_hash)
        metrics = {
            "finetune": {
                "base_model_id": spec.model_id,
                "epochs": request.epochs,
                "seed": request.seed,
                "recipe": asdict(recipe),
                "train_cases": train.cases,
                "heldout_cases": heldout.cases,
                "heldout_id": folder_fingerprint(heldout_dir),
                "n_replay": 0,
                "history": history,
            },
            "replay": None,
            "dataset_id": base.metrics.get("dataset_id"),
        }
        out = Path(request.out)
        log({"event": "export", "out": str(out)})
        write_bundle(net.cpu(), out, new_spec, metrics)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    last = history[-1]
    return {
        "event": "done",
        "candidate": str(out),
        "model_id": new_spec["model_id"],
        "parent_model_id": spec.model_id,
        "wall_s": round(time.time() - started, 1),
        "heldout": {"dice": last.get("val_dice"), "accuracy": last["val_accuracy"]},
    }


def _all_train(data: ViewDataset) -> ViewDataset:
    """A materialised selection holds exactly the studies to use: split.csv only records
    where they came from, so nothing is dropped by it."""
    data.splits = ["train"] * len(data)
    return data


def _epoch_relay(
    history: list[dict[str, Any]],
    epochs: int,
    started: float,
    log: Callable[[dict[str, Any]], None],
) -> Callable[[dict[str, Any]], None]:
    """fit_views' per-epoch records as the job protocol's "epoch" events. val_dice is there
    only when the model segments a view (a bone-scan pair has attention maps, no masks)."""

    def relay(record: dict[str, Any]) -> None:
        elapsed = time.time() - started
        epoch = int(record["epoch"])
        row: dict[str, Any] = {
            "event": "epoch",
            "epoch": epoch,
            "epochs": epochs,
            "loss": record["loss"],
            "val_accuracy": _finite(record.get("val_accuracy")),
            "elapsed_s": round(elapsed, 1),
            "eta_s": round(elapsed / epoch * (epochs - epoch), 1),
        }
        if "val_dice" in record:
            row["val_dice"] = _finite(record["val_dice"])
        history.append(row)
        log(row)

    return relay


def _finite(value: Any) -> float | None:
    """JSON lines carry no NaN (an AUC of a one-class held-out set): None instead."""
    if value is None:
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


def _recipe(overrides: dict[str, Any]) -> ViewsRecipe:
    return recipe_with(ViewsRecipe, overrides, "a multi-view model")
