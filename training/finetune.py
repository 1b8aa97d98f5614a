"""Fine-tune a bundle on clinician-corrected cases: `python -m training.finetune --request F`.

The request (engine.finetune_request.FinetuneRequest, checked when made or read; JSON on
disk; engine.jobs.finetune_request builds one) pins everything:
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

A volume base (task "volume", the kidney-ct 3D U-Net) is fine-tuned on corrected CT volumes
by training.finetune_volume instead, and a multi-view base (task "views") on confirmed
studies by training.finetune_views, with the same request, events and candidate card.

The loop is training.adapt's: counted in optimiser steps (`epochs` x steps_per_epoch), so a
round costs the same time for 10 or 100 cases. Its recipe (Recipe = training.adapt's
AdaptRecipe plus steps_per_epoch and monitor_cases) can be overridden per request; the
default and the measurements behind it are in docs/finetuning.md (bench/feedback_real.py:
real breast scans from the synthetic lymph-node model; hierarchical freezing, method 4 of
SCIENCE.md, and the L2-SP pull remain options). Replayed cases of the first domain in every
batch guard against forgetting it. Progress is printed as JSON lines (protocol:
engine.jobs).
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from engine.finetune_request import FinetuneRequest, Replay, RequestError, recipe_with
from engine.jobs import JobRecorder
from training.adapt import AdaptRecipe
from training.adapt import adapt as adapt_steps
from training.bundle_writer import write_bundle
from training.checkpoint import network_from_bundle
from training.data import ArrayDataset, load_cases, load_folder
from training.finetune_steps import refuse_overlap, start_event

EXIT_OK, EXIT_FAILED, EXIT_BAD_REQUEST = 0, 1, 2


@dataclass(frozen=True)
class Recipe(AdaptRecipe):
    """training.adapt's recipe (its default: docs/finetuning.md) counted in "epochs" of a
    fixed number of steps, so the GUI's progress and the request's `epochs` keep their
    meaning while a round costs the same time whatever the number of cases."""

    steps_per_epoch: int = 16
    monitor_cases: int = 32  # held-out cases scored after each epoch (evenly spaced subset)

    def core(self, epochs: int) -> AdaptRecipe:
        known = {f.name for f in fields(AdaptRecipe)} - {"steps"}
        values = {name: getattr(self, name) for name in known}
        return AdaptRecipe(steps=epochs * self.steps_per_epoch, **values)


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
    should_stop: Callable[[], bool] | None = None,
) -> tuple[torch.nn.Module, list[dict[str, Any]]]:
    """The fine-tuning loop (training.adapt, on the CPU) with the job protocol's events:
    "stage" when the trainable encoder levels change, "epoch" every steps_per_epoch steps.
    Returns the last weights (no selection on the held-out cases: the gate scores them)."""
    levels = list(getattr(net, "encoder_levels", ()))
    spe = recipe.steps_per_epoch
    history: list[dict[str, Any]] = []

    def relay(record: dict[str, Any]) -> None:
        if record["event"] == "stage":
            frozen = set(record["frozen"])
            trainable = [] if "encoder" in frozen else [lv for lv in levels if lv not in frozen]
            log({"event": "stage", "epoch": record["step"] // spe + 1, "trainable": trainable})
        elif record["event"] == "step":
            epoch = -(-record["step"] // spe)
            per_epoch = record["elapsed_s"] / max(epoch, 1)
            row = {
                "event": "epoch",
                "epoch": epoch,
                "epochs": epochs,
                "loss": record["loss"],
                "val_dice": record.get("val_dice", float("nan")),
                "val_accuracy": record.get("val_accuracy", float("nan")),
                "elapsed_s": record["elapsed_s"],
                "eta_s": round(per_epoch * (epochs - epoch), 1),
                "step": record["step"],
            }
            history.append(row)
            log(row)
        else:
            log(record)

    net, _ = adapt_steps(
        net.to("cpu"),
        target,
        recipe.core(epochs),
        seed,
        log=relay,
        replay=replay,
        replay_fraction=replay_fraction,
        monitor=_evenly_spaced(heldout, recipe.monitor_cases),
        monitor_every=spe,
        should_stop=should_stop,
    )
    return net, history


def _evenly_spaced(data: ArrayDataset, n: int) -> ArrayDataset:
    """At most n cases spread over the whole set: the per-epoch curve costs a fixed time."""
    if len(data) <= n:
        return data
    return data.take(np.unique(np.linspace(0, len(data) - 1, n).round().astype(int)).tolist())


def run(request: FinetuneRequest, log: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Everything between reading the request and the "done" event; returns that event."""
    started = time.time()
    torch.set_num_threads(request.threads)
    base = _pinned_base(request)
    _check_kind(request, base)
    if base.spec.task == "volume":  # CT volumes: their own loop (training.finetune_volume)
        from training.finetune_volume import run_volume

        return {**run_volume(request, base, log, _candidate_spec), "peak_rss_mb": _peak_rss()}
    if base.spec.task == "views":  # a multi-view bundle learns from confirmed studies
        from training.finetune_views import run_views

        return {**run_views(request, base, log, _candidate_spec), "peak_rss_mb": _peak_rss()}
    spec = base.spec
    size, classes = spec.inputs[0].size, spec.classes
    epochs, seed = request.epochs, request.seed
    recipe = _recipe(request.recipe)
    work = Path(request.job_dir) / "work"
    shutil.rmtree(work, ignore_errors=True)
    try:
        train_dir = materialise(request.train, work / "train")
        heldout_dir = materialise(request.heldout, work / "heldout")
        target = load_folder(train_dir, size, classes)
        heldout = load_folder(heldout_dir, size, classes)
        for part, data in (("train", target), ("heldout", heldout)):
            for case, reason in data.skipped:
                log({"event": "skipped", "part": part, "case": case, "reason": reason})
        refuse_overlap(target.cases, heldout.cases)
        replay_spec = request.replay
        replay = _load_replay(replay_spec, work / "replay", size, classes)
        net = network_from_bundle(base.directory)
        n_replay = 0 if replay is None else len(replay)
        log(start_event(request, base, len(target), len(heldout), n_replay))
        fraction = replay_spec.fraction if replay_spec else 0.0
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
                "n_replay": n_replay,
                "history": history,
            },
            "replay": replay_spec.to_json() if replay_spec else None,
            "dataset_id": base.metrics.get("dataset_id"),
        }
        out = Path(request.out)
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
        "peak_rss_mb": _peak_rss(),
        "heldout": {"dice": last["val_dice"], "accuracy": last["val_accuracy"]},
    }


def _pinned_base(request: FinetuneRequest) -> Bundle:
    base = request.base
    bundle = read_bundle(base.dir)
    pinned = base.model_id
    if pinned and bundle.spec.model_id != pinned:
        raise RequestError(
            f"{base.dir}: holds model {bundle.spec.model_id}, but the request pinned "
            f"{pinned}; make a new request"
        )
    return bundle


# The task a datastore selection of each kind trains (no kind: 2D image cases, image tasks).
KIND_TASKS = {"volume": "volume", "study": "views"}
KIND_WORDS = {"volume": "CT volume cases", "study": "multi-view studies", None: "2D image cases"}


def _check_kind(request: FinetuneRequest, base: Bundle) -> None:
    """A datastore selection of CT volume cases trains a volume model, one of confirmed
    studies a multi-view model, and only that (the selections' own kinds agree:
    FinetuneRequest checks it)."""
    if "datastore" not in request.train:
        return
    kind, task = request.train.get("kind"), base.spec.task
    trains = KIND_TASKS.get(kind)
    if trains != (task if task in KIND_TASKS.values() else None):
        raise RequestError(
            f"{base.directory}: model {base.spec.model_id} (task {task!r}) cannot be "
            f"fine-tuned on {KIND_WORDS.get(kind, kind)}; make a new request for this model"
        )


def _recipe(overrides: dict[str, Any]) -> Recipe:
    return recipe_with(Recipe, overrides, hidden={"steps"})  # steps: epochs x steps_per_epoch


def _load_replay(
    spec: Replay | None, folder: Path, size: int, classes: tuple[str, ...]
) -> ArrayDataset | None:
    """The replayed cases: a synthetic domain's first n (exactly the cases the model was
    trained on), or a seeded sample of n lesion cases of a folder in any layout
    engine.datasets reads (BUSI, canonical, ...: a model's real training data, named by the
    reader). A folder sorted by name would give the first n of one class."""
    if spec is None:
        return None
    if spec.synth is not None:
        from engine.synth.dataset import write_dataset

        n = 32 if spec.n is None else spec.n
        source = write_dataset(spec.synth, n, folder, seed=spec.seed, val_fraction=0.0)
        data = load_folder(source, size, classes)
        return data.take(list(range(min(n, len(data)))))
    from engine.datasets import load_dataset

    dataset = load_dataset(Path(str(spec.folder)))
    lesions = sorted(c.case_id for c in dataset.cases if c.label in classes)
    if not lesions:
        raise LesionLensError(f"{spec.folder}: no case labelled {' or '.join(classes)} to replay")
    n = len(lesions) if spec.n is None else min(spec.n, len(lesions))
    chosen = np.random.default_rng(spec.seed).choice(len(lesions), size=n, replace=False)
    return load_cases(dataset, size, classes, [lesions[i] for i in sorted(chosen)])


def _candidate_spec(
    request: FinetuneRequest, base: Bundle, n_train: int, data_hash: str
) -> dict[str, Any]:
    """The base's model.json with a new id, its parent, data hash and an updated card."""
    parent = base.spec.model_id
    stem = parent.split("-ft-")[0]
    model_id = request.model_id or (
        f"{stem}-ft-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    )
    card = dict(base.spec.card)
    card["fine_tuned"] = fine_tuned = {
        "n_cases": int(n_train),
        "date": f"{dt.datetime.now(dt.UTC):%Y-%m-%d}",
        "base_model_id": parent,
        "base_version": base.spec.version,
        "source": _data_source(request.train),
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


def _peak_rss() -> float:
    return round(_peak_rss_mb(), 1)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def read_request(path: Path) -> FinetuneRequest:
    """The request file, checked (RequestError names the file and what is wrong)."""
    return FinetuneRequest.read(path)


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
    recorder = JobRecorder(request.job_dir, request.job_id)
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
