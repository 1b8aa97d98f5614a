"""Fine-tune a bundle on clinician-corrected cases: `python -m training.finetune --request F`.

The request (JSON; engine.jobs.finetune_request builds one) pins everything:
  base      {"dir": bundle folder, "model_id": its id}; refused if the folder now holds
            another model. Training starts from its weights.pt (training.checkpoint).
  train     the corrected cases (engine.datastore.selection: a canonical folder's split, or
            datastore case ids with their label times)
  heldout   the fixed held-out cases: never trained on, never used to choose weights (the
            gate scores them afterwards); up to 32 of them are scored after every epoch for
            the progress curve (torch, no TTA)
  epochs, seed, out (candidate bundle folder), job_dir (log.jsonl, status.json, work/)
  replay    earlier data mixed into every batch so the model does not forget its first domain:
            {"synth": "nodes", "n", "seed", "fraction"} | {"folder", "n", "fraction"} | null
  recipe    optional overrides of Recipe; threads (torch threads, default 2); model_id

Method 4 of SCIENCE.md, hierarchical freezing (training.freezing): the first epochs train
only the decoder and the heads on top of the frozen encoder; then the encoder levels are
released deepest first (attention, level3, level2, level1, the stem last), at a lower
learning rate than the decoder. Two guards against learning the noise of a few cases and
forgetting the first domain: replayed cases in every batch, and an L2-SP pull towards the
base weights (docs/benchmarks.md has the measurements behind both). Progress is printed as
JSON lines (protocol: engine.jobs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import resource
import secrets
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.bundle import Bundle, read_bundle
from engine.datastore import folder_fingerprint, materialise
from engine.errors import LesionLensError
from engine.jobs import JobRecorder
from training.augment import augment_batch
from training.bundle_writer import write_bundle
from training.checkpoint import network_from_bundle
from training.data import ArrayDataset, load_folder
from training.export import output_names
from training.fit import evaluate_arrays, set_determinism, training_device
from training.freezing import FreezingSchedule, hierarchical_schedule
from training.losses import dual_task_loss

EXIT_OK, EXIT_FAILED, EXIT_BAD_REQUEST = 0, 1, 2


class RequestError(LesionLensError):
    """The request file is missing something or names data that cannot be used."""


@dataclass
class Recipe:
    lr: float = 1e-3
    encoder_lr_scale: float = 0.3  # released encoder levels move more gently than the decoder
    weight_decay: float = 1e-4
    batch_size: int = 8
    min_target_samples: int = 32  # per epoch: a few corrected cases are seen several times
    cls_weight: float = 0.5
    # L2-SP (Li et al. 2018): a pull towards the base weights, so 10-20 cases move the model
    # only where they agree (bench/feedback.py; docs/benchmarks.md)
    anchor_weight: float = 0.1
    warmup_fraction: float = 0.1
    augment: bool = True
    monitor_cases: int = 32  # held-out cases scored after each epoch (evenly spaced subset)
    # training.freezing.hierarchical_schedule: the whole encoder frozen for the first
    # frozen_fraction of the epochs, levels released one by one until release_fraction.
    freeze_order: str = "deep-first"
    frozen_fraction: float = 0.25
    release_fraction: float = 0.75


def freezing_for(net: torch.nn.Module, epochs: int, recipe: Recipe) -> FreezingSchedule:
    levels = tuple(getattr(net, "encoder_levels", ()))
    try:
        return hierarchical_schedule(
            levels, epochs, recipe.freeze_order, recipe.frozen_fraction, recipe.release_fraction
        )
    except ValueError as exc:
        raise RequestError(f"hierarchical freezing is not possible: {exc}") from exc


def trainable_levels(net: torch.nn.Module, schedule: FreezingSchedule, epoch: int) -> list[str]:
    frozen = set(schedule.frozen_at(epoch))
    return [level for level in getattr(net, "encoder_levels", ()) if level not in frozen]


def adapt(
    net: torch.nn.Module,
    target: ArrayDataset,
    replay: ArrayDataset | None,
    heldout: ArrayDataset,
    epochs: int,
    seed: int,
    recipe: Recipe,
    replay_fraction: float,
    log: Callable[[dict[str, Any]], None],
    device_name: str = "auto",
) -> tuple[torch.nn.Module, list[dict[str, Any]]]:
    """The fine-tuning loop. Returns the weights after the last epoch (no selection on the
    held-out cases: they stay an honest test for the gate)."""
    generator = set_determinism(seed)
    device = training_device(device_name)
    net.to(device)
    schedule = freezing_for(net, epochs, recipe)
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
    has_replay = replay is not None and len(replay) > 0
    n_replay = round(recipe.batch_size * replay_fraction) if has_replay else 0
    n_target = max(1, recipe.batch_size - n_replay)
    steps = max(1, math.ceil(max(len(target), recipe.min_target_samples) / n_target))
    total_steps = epochs * steps
    warmup = max(1, int(recipe.warmup_fraction * total_steps))

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    counts = np.bincount(target.labels, minlength=len(target.classes)).astype(np.float32)
    class_weights = torch.tensor(counts.sum() / np.maximum(counts, 1) / len(counts)).to(device)
    t_images, t_masks = torch.from_numpy(target.images), torch.from_numpy(target.masks)
    t_labels = torch.from_numpy(target.labels)
    monitor = _evenly_spaced(heldout, recipe.monitor_cases)
    anchor = {name: p.detach().clone() for name, p in net.named_parameters()}
    history: list[dict[str, Any]] = []
    started, trainable = time.time(), None
    for epoch in range(1, epochs + 1):
        schedule.apply(net, epoch)
        levels = trainable_levels(net, schedule, epoch)
        if levels != trainable:
            trainable = levels
            log({"event": "stage", "epoch": epoch, "trainable": levels})
        net.train()
        order = _cycled_order(len(target), steps * n_target, generator)
        total, seen = 0.0, 0
        for step in range(steps):
            idx = order[step * n_target : (step + 1) * n_target]
            x, m, y = t_images[idx], t_masks[idx], t_labels[idx]
            if n_replay:
                r = torch.randint(len(replay), (n_replay,), generator=generator)
                x = torch.cat([x, torch.from_numpy(replay.images[r.numpy()])])
                m = torch.cat([m, torch.from_numpy(replay.masks[r.numpy()])])
                y = torch.cat([y, torch.from_numpy(replay.labels[r.numpy()])])
            x, m = x.clone(), m.clone()
            if recipe.augment:
                x, m = augment_batch(x, m, generator)
            x, m, y = x.to(device), m.to(device), y.to(device)
            loss = dual_task_loss(net(x), output_names(net), m, y, class_weights, recipe.cls_weight)
            if recipe.anchor_weight > 0:
                loss = loss + recipe.anchor_weight * _distance_from(net, anchor)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], 5.0)
            opt.step()
            sched.step()
            total += loss.item() * len(y)
            seen += len(y)
        scores = evaluate_arrays(net, monitor)
        elapsed = time.time() - started
        record = {
            "event": "epoch",
            "epoch": epoch,
            "epochs": epochs,
            "loss": round(total / max(seen, 1), 5),
            "val_dice": round(scores["dice"], 4),
            "val_accuracy": round(scores["accuracy"], 4),
            "elapsed_s": round(elapsed, 1),
            "eta_s": round(elapsed / epoch * (epochs - epoch), 1),
            "trainable": levels,
        }
        history.append(record)
        log(record)
    for param in net.parameters():
        param.requires_grad_(True)
    return net.to("cpu").eval(), history


def _distance_from(net: torch.nn.Module, anchor: dict[str, torch.Tensor]) -> torch.Tensor:
    """Squared distance of the trained parameters from where fine-tuning started."""
    terms = [((p - anchor[n]) ** 2).sum() for n, p in net.named_parameters() if p.requires_grad]
    return torch.stack(terms).sum() if terms else torch.zeros(())


def _evenly_spaced(data: ArrayDataset, n: int) -> ArrayDataset:
    """At most n cases spread over the whole set: the per-epoch curve costs a fixed time."""
    if len(data) <= n:
        return data
    keep = np.unique(np.linspace(0, len(data) - 1, n).round().astype(int)).tolist()
    return ArrayDataset(
        [data.cases[i] for i in keep],
        data.images[keep],
        data.masks[keep],
        data.labels[keep],
        [data.splits[i] for i in keep],
        data.classes,
    )


def _cycled_order(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """`length` indices that visit all n cases in random order, again and again."""
    rounds = math.ceil(length / n)
    return torch.cat([torch.randperm(n, generator=generator) for _ in range(rounds)])[:length]


def run(request: dict[str, Any], log: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Everything between reading the request and the "done" event; returns that event."""
    started = time.time()
    torch.set_num_threads(int(request.get("threads", 2)))
    base = _pinned_base(request)
    spec = base.spec
    size, classes = spec.inputs[0].size, spec.classes
    epochs, seed = int(request["epochs"]), int(request.get("seed", 0))
    recipe = _recipe(request.get("recipe") or {})
    work = Path(request["job_dir"]) / "work"
    shutil.rmtree(work, ignore_errors=True)
    try:
        train_dir = materialise(request["train"], work / "train")
        heldout_dir = materialise(request["heldout"], work / "heldout")
        target = load_folder(train_dir, size, classes)
        heldout = load_folder(heldout_dir, size, classes)
        overlap = sorted(set(target.cases) & set(heldout.cases))
        if overlap:
            raise RequestError(
                f"cases {overlap[:5]} are both training and held-out cases; held-out cases "
                "are never trained on"
            )
        replay_spec = request.get("replay")
        replay = _load_replay(replay_spec, work / "replay", size, classes)
        net = network_from_bundle(base.directory)
        log(
            {
                "event": "start",
                "job_id": request.get("job_id", ""),
                "base_model_id": spec.model_id,
                "epochs": epochs,
                "n_train": len(target),
                "n_replay": 0 if replay is None else len(replay),
                "n_heldout": len(heldout),
            }
        )
        fraction = float((replay_spec or {}).get("fraction", 0.25))
        net, history = adapt(
            net,
            target,
            replay,
            heldout,
            epochs,
            seed,
            recipe,
            fraction,
            log,
            str(request.get("device", "auto")),
        )
        new_spec = _candidate_spec(request, base, len(target), folder_fingerprint(train_dir))
        metrics = {
            "finetune": {
                "base_model_id": spec.model_id,
                "epochs": epochs,
                "seed": seed,
                "recipe": asdict(recipe),
                "train_cases": target.cases,
                "heldout_cases": heldout.cases,
                "heldout_id": folder_fingerprint(heldout_dir),
                "n_replay": 0 if replay is None else len(replay),
                "history": history,
            },
            "replay": replay_spec,
            "dataset_id": base.metrics.get("dataset_id"),
        }
        out = Path(request["out"])
        log({"event": "export", "out": str(out)})
        write_bundle(net, out, new_spec, metrics)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    last = history[-1]
    return {
        "event": "done",
        "candidate": str(out),
        "model_id": new_spec["model_id"],
        "parent_model_id": spec.model_id,
        "wall_s": round(time.time() - started, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "heldout": {"dice": last["val_dice"], "accuracy": last["val_accuracy"]},
    }


def _pinned_base(request: dict[str, Any]) -> Bundle:
    base = request["base"]
    bundle = read_bundle(base["dir"])
    pinned = base.get("model_id")
    if pinned and bundle.spec.model_id != pinned:
        raise RequestError(
            f"{base['dir']}: holds model {bundle.spec.model_id}, but the request pinned "
            f"{pinned}; make a new request"
        )
    return bundle


def _recipe(overrides: dict[str, Any]) -> Recipe:
    known = {f.name for f in fields(Recipe)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise RequestError(f"unknown recipe settings {unknown}; known: {sorted(known)}")
    return Recipe(**overrides)


def _load_replay(
    spec: dict[str, Any] | None, folder: Path, size: int, classes: tuple[str, ...]
) -> ArrayDataset | None:
    if not spec:
        return None
    if "synth" in spec:
        from engine.synth.dataset import write_dataset

        n, seed = int(spec.get("n", 32)), int(spec.get("seed", 0))
        source = write_dataset(str(spec["synth"]), n, folder, seed=seed, val_fraction=0.0)
    elif "folder" in spec:
        source = Path(spec["folder"])
    else:
        raise RequestError(f"replay needs 'synth' or 'folder', got {sorted(spec)}")
    data = load_folder(source, size, classes)
    n = int(spec.get("n", len(data)))
    keep = list(range(min(n, len(data))))
    return ArrayDataset(
        [data.cases[i] for i in keep],
        data.images[keep],
        data.masks[keep],
        data.labels[keep],
        ["train"] * len(keep),
        data.classes,
    )


def _candidate_spec(
    request: dict[str, Any], base: Bundle, n_train: int, data_hash: str
) -> dict[str, Any]:
    """The base's model.json with a new id, its parent, data hash and an updated card."""
    parent = base.spec.model_id
    stem = parent.split("-ft-")[0]
    model_id = request.get("model_id") or (
        f"{stem}-ft-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    )
    card = dict(base.spec.card)
    card["fine_tuned"] = fine_tuned = {
        "n_cases": int(n_train),
        "date": f"{dt.datetime.now(dt.UTC):%Y-%m-%d}",
        "base_model_id": parent,
        "base_version": base.spec.version,
        "source": _data_source(request.get("train") or {}),
        "data_hash": data_hash,
    }
    card["training_data"] = training_data_text(fine_tuned, str(card.get("training_data", "")))
    card["reproduce"] = "python -m training.finetune --request <job>/request.json"
    return {
        **base.spec.raw,
        "model_id": str(model_id),
        "parent_model_id": parent,
        "training_data_hash": data_hash,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "card": card,
    }


def _data_source(selection: dict[str, Any]) -> str:
    """Whose cases a fine-tuning request trained on, for the model card."""
    if "datastore" in selection:
        return "reviewed cases of this site"
    if "folder" in selection:
        return f"cases of the data set {Path(selection['folder']).name}"
    return "cases"


def training_data_text(fine_tuned: dict[str, Any], base_text: str) -> str:
    """The card's training-data line of a fine-tuned model: what it was trained on first
    ("Fine-tuned on 23 reviewed cases of this site, 2026-12-01, from breast-us v1"), then
    the base's own line, without a "no patient data" claim that no longer holds."""
    text = (
        f"Fine-tuned on {fine_tuned['n_cases']} {fine_tuned.get('source', 'cases')}, "
        f"{fine_tuned['date']}, from {fine_tuned['base_model_id']} v{fine_tuned['base_version']}"
        f" (data {fine_tuned['data_hash']})."
    )
    base = re.sub(r"\s*No patient data\.?", "", base_text, flags=re.IGNORECASE).strip()
    return f"{text} Base model: {base}" if base else text


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def read_request(path: Path) -> dict[str, Any]:
    try:
        request = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RequestError(f"{path}: no such request file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(f"{path}: not a readable JSON request ({exc})") from exc
    if not isinstance(request, dict):
        raise RequestError(f"{path}: a request must be a JSON object")
    missing = [k for k in ("base", "train", "heldout", "epochs", "out") if k not in request]
    if missing:
        raise RequestError(f"{path}: the request has no {', '.join(missing)}")
    if not isinstance(request["base"], dict) or "dir" not in request["base"]:
        raise RequestError(f"{path}: 'base' must be {{'dir': bundle folder, 'model_id': id}}")
    if not isinstance(request["epochs"], int) or request["epochs"] < 1:
        raise RequestError(f"{path}: 'epochs' must be a positive integer")
    request.setdefault("job_dir", str(path.parent))
    return request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--request", type=Path, required=True)
    args = parser.parse_args(argv)
    path = args.request.resolve()
    try:
        request = read_request(path)
    except RequestError as exc:
        JobRecorder(path.parent).emit({"event": "error", "message": str(exc)})
        return EXIT_BAD_REQUEST
    recorder = JobRecorder(request["job_dir"], str(request.get("job_id", "")))
    try:
        recorder.emit(run(request, recorder.emit))
    except LesionLensError as exc:
        recorder.emit({"event": "error", "message": str(exc)})
        return EXIT_BAD_REQUEST
    except Exception as exc:  # noqa: BLE001 - the GUI must see one line, not a silent death
        traceback.print_exc()
        recorder.emit({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
