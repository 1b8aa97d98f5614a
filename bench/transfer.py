"""Transfer learning vs training from scratch on a small lymph-node target (issue 5).

Source: synthetic dermoscopy (`skin`), turned grayscale by the same preprocessing as the
target (luma, percentile window, letterbox). Target: synthetic lymph-node ultrasound with 20
or 50 training cases, 3 seeds (a seed picks the cases, the initialisation and the
augmentation), three arms with the same budget (optimiser steps, batch size, learning-rate
schedule, validation set; the final weights are kept, `--select last`):

  scratch          random initialisation
  transfer         pretrained encoder + decoder, every layer fine-tuned from the start
  transfer-freeze  the same, with hierarchical freezing (training/freezing.py)

Scored at the model's input size (letterboxed image and mask, no test-time augmentation) on
two fixed 200-case test sets: the default scanner profile and the shifted one (`--shift`,
another probe and dynamic range; never seen in training). Runs go to a process pool; the
pretrained weights are cached in the work folder, not in the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import replace
from pathlib import Path

import numpy as np

ARMS = ("scratch", "transfer", "transfer-freeze")
METRICS = ("dice", "iou", "hd95", "accuracy", "auc")
N_VAL = 16


# --------------------------------------------------------------------------- jobs (workers)


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    np.seterr(all="ignore")


def job_synth(
    kind: str, n: int, out: str, seed: int, shift: bool, val_fraction: float, size: int, npz: str
) -> str:
    """Write a synthetic folder, then cache it as model-size arrays (engine preprocessing)."""
    from engine.synth.dataset import write_dataset
    from training.data import load_folder
    from training.transfer_recipe import dataset_classes

    if not (Path(out) / "labels.csv").is_file():  # a kept --work folder is reused
        write_dataset(kind, n, out, seed=seed, shift=shift, val_fraction=val_fraction)
    data = load_folder(out, size, dataset_classes(out))
    np.savez(
        npz,
        images=data.images,
        masks=data.masks,
        labels=data.labels,
        splits=np.array(data.splits),
        cases=np.array(data.cases),
        classes=np.array(data.classes),
    )
    return npz


def _load(npz: str):  # noqa: ANN202 - ArrayDataset; imported lazily in the worker
    from training.data import ArrayDataset

    z = np.load(npz)
    return ArrayDataset(
        [str(c) for c in z["cases"]],
        z["images"],
        z["masks"],
        z["labels"],
        [str(s) for s in z["splits"]],
        tuple(str(c) for c in z["classes"]),
    )


def _concat(parts: list):  # noqa: ANN001, ANN202
    from training.data import ArrayDataset

    return ArrayDataset(
        sum((p.cases for p in parts), []),
        np.concatenate([p.images for p in parts]),
        np.concatenate([p.masks for p in parts]),
        np.concatenate([p.labels for p in parts]),
        sum((p.splits for p in parts), []),
        parts[0].classes,
    )


def job_pretrain(source_npz: list[str], recipe: dict, out: str) -> dict:
    import torch

    from training.transfer_recipe import TransferRecipe, pretrain

    started = time.time()
    data = _concat([_load(p) for p in source_npz])
    train, val = data.subset("train"), data.subset("val")
    history: list[dict] = []
    state = pretrain(train, val, TransferRecipe(**recipe), log=history.append)
    torch.save(state, out)
    epochs = [h for h in history if "epoch" in h and "event" not in h]
    return {
        "weights": out,
        "train_cases": len(train),
        "val_cases": len(val),
        "history": epochs,
        "wall_s": round(time.time() - started, 1),
    }


def job_arm(
    arm: str, n_train: int, seed: int, pool_npz: str, tests: dict, recipe: dict, weights: str
) -> dict:
    import torch

    from training.transfer_recipe import TransferRecipe, finetune

    started = time.time()
    pool = _load(pool_npz)
    train_all, val = pool.subset("train"), pool.subset("val")
    idx = np.arange(n_train)  # nested: the 20-case set is the start of the 50-case set
    train = type(train_all)(
        [train_all.cases[i] for i in idx],
        train_all.images[idx],
        train_all.masks[idx],
        train_all.labels[idx],
        ["train"] * n_train,
        train_all.classes,
    )
    rec = TransferRecipe(**recipe)
    pretrained = None
    if arm != "scratch":
        pretrained = torch.load(weights, map_location="cpu", weights_only=True)
        rec = replace(rec, freeze=rec.freeze if arm == "transfer-freeze" else "none")
    log: list[dict] = []
    net, history, report = finetune(train, val, rec, pretrained, log=log.append)
    scores = {name: score(net, _load(path)) for name, path in tests.items()}
    epochs = [h for h in history if "epoch" in h]
    best = max(epochs, key=lambda h: h["val_dice"] + h["val_accuracy"])
    return {
        "arm": arm,
        "n_train": n_train,
        "seed": seed,
        "epochs": rec.target_epochs,
        "steps": rec.target_epochs * int(np.ceil(n_train / rec.batch_size)),
        "best_val_epoch": best["epoch"],
        "val_at_best_epoch": {"dice": best["val_dice"], "accuracy": best["val_accuracy"]},
        "val_last": {"dice": epochs[-1]["val_dice"], "accuracy": epochs[-1]["val_accuracy"]},
        "transfer": report,
        "freezing": [e for e in log if e.get("event") == "freezing"],
        "test": scores,
        "wall_s": round(time.time() - started, 1),
    }


def score(net, data) -> dict:  # noqa: ANN001 - torch module, ArrayDataset
    """Dice, IoU, HD95 (px at the model input), accuracy and AUC on preprocessed arrays."""
    import torch

    from engine.evaluation import summarise
    from engine.metrics import dice, hausdorff_95, iou
    from training.fit import predict_arrays

    probs, logits = predict_arrays(net, data.images)
    p_cls = torch.softmax(torch.from_numpy(logits), 1).numpy()
    rows = []
    for p, t in zip(probs, data.masks, strict=True):
        pred, truth = p[0] > 0.5, t[0] > 0.5
        rows.append(
            {
                "dice": dice(pred, truth),
                "iou": iou(pred, truth),
                "hd95": hausdorff_95(pred, truth),
                "hd95_units": "px",
            }
        )
    summary = summarise(rows, data.labels, p_cls)
    return {k: summary[k] for k in (*METRICS, "hd95_undefined_cases", "n")}


# --------------------------------------------------------------------------- scheduling


class Scheduler:
    """A small DAG runner over a process pool: a job starts when its inputs exist, the
    highest-priority ready job first (the pretraining is the critical path)."""

    def __init__(self, workers: int, threads: int) -> None:
        self.pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(threads,))
        self.workers = workers
        self.pending: list[tuple[int, str, object, tuple, tuple[str, ...]]] = []
        self.running: dict[Future, str] = {}
        self.done: dict[str, object] = {}

    def add(self, name: str, fn, args: tuple, priority: int, deps: tuple[str, ...] = ()) -> None:  # noqa: ANN001
        self.pending.append((priority, name, fn, args, deps))

    def run(self, on_done) -> None:  # noqa: ANN001
        while self.pending or self.running:
            ready = sorted(
                (j for j in self.pending if all(d in self.done for d in j[4])), key=lambda j: j[0]
            )
            while ready and len(self.running) < self.workers:
                job = ready.pop(0)
                self.pending.remove(job)
                _, name, fn, args, _ = job
                self.running[self.pool.submit(fn, *args)] = name
            finished, _ = wait(list(self.running), return_when=FIRST_COMPLETED)
            for future in finished:
                name = self.running.pop(future)
                self.done[name] = future.result()
                on_done(name, self.done[name])
        self.pool.shutdown()


# --------------------------------------------------------------------------- summary


def summarise_runs(runs: list[dict], test_names: list[str]) -> dict:
    summary: dict = {}
    for n in sorted({r["n_train"] for r in runs}):
        for test in test_names:
            block: dict = {}
            for arm in ARMS:
                sel = [r for r in runs if r["n_train"] == n and r["arm"] == arm]
                if not sel:
                    continue
                block[arm] = {}
                for m in METRICS:
                    values = [r["test"][test][m] for r in sel]
                    values = [v for v in values if v is not None and np.isfinite(v)]
                    block[arm][m] = {
                        "mean": float(np.mean(values)) if values else None,
                        "sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                        "values": values,
                    }
            summary[f"n{n}/{test}"] = block
    return summary


def paired_deltas(runs: list[dict], test_names: list[str]) -> dict:
    """Arm minus scratch per seed (same training cases, same test set), mean ± sd over the
    seeds, and the mean relative change in % of the scratch mean."""
    deltas: dict = {}
    for n in sorted({r["n_train"] for r in runs}):
        scratch = {r["seed"]: r for r in runs if r["n_train"] == n and r["arm"] == "scratch"}
        for test in test_names:
            block: dict = {}
            for arm in ARMS[1:]:
                pairs = [
                    (r, scratch[r["seed"]])
                    for r in runs
                    if r["n_train"] == n and r["arm"] == arm and r["seed"] in scratch
                ]
                if not pairs:
                    continue
                block[arm] = {}
                for m in METRICS:
                    diffs = [a["test"][test][m] - b["test"][test][m] for a, b in pairs]
                    base = float(np.mean([b["test"][test][m] for _, b in pairs]))
                    block[arm][m] = {
                        "mean": float(np.mean(diffs)),
                        "sd": float(np.std(diffs, ddof=1)) if len(diffs) > 1 else 0.0,
                        "relative_percent": 100 * float(np.mean(diffs)) / base if base else None,
                        # better than scratch: higher, except HD95 (a distance)
                        "wins": int(sum((d < 0) if m == "hd95" else (d > 0) for d in diffs)),
                        "seeds": len(diffs),
                    }
            deltas[f"n{n}/{test}"] = block
    return deltas


def markdown_table(summary: dict) -> str:
    lines = [
        "| train cases | test set | arm | Dice | IoU | HD95 (px) | accuracy | AUC |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, block in summary.items():
        n, test = key.split("/")
        for arm, metrics in block.items():
            cells = []
            for m in METRICS:
                mean, sd = metrics[m]["mean"], metrics[m]["sd"]
                digits = 1 if m == "hd95" else 3
                cells.append("–" if mean is None else f"{mean:.{digits}f} ± {sd:.{digits}f}")
            lines.append(f"| {n[1:]} | {test} | {arm} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("bench/results/transfer.json"))
    parser.add_argument("--work", type=Path, default=None, help="keep data and weights here")
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--n-source", type=int, default=600)
    parser.add_argument("--source-epochs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=120, help="optimiser steps per target run")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--encoder-lr-scale", type=float, default=1.0)
    parser.add_argument("--freeze", default="deep-first")
    parser.add_argument("--select", choices=("best", "last"), default="last")
    parser.add_argument("--n-train", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS)
    parser.add_argument("--n-test", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    args = parser.parse_args(argv)
    started = time.time()
    work = args.work or Path(tempfile.mkdtemp(prefix="lesionlens-bench-transfer-"))
    (work / "arrays").mkdir(parents=True, exist_ok=True)
    base = {
        "size": args.size,
        "width": args.width,
        "source_epochs": args.source_epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "encoder_lr_scale": args.encoder_lr_scale,
        "freeze": args.freeze,
        "select": args.select,
    }
    sched = Scheduler(args.workers, args.threads)
    npz: dict[str, str] = {}  # data set name -> cached arrays

    def synth(name: str, kind: str, n: int, seed: int, shift: bool, val: float) -> str:
        """Schedule a data set unless its arrays are already cached in the work folder."""
        npz[name] = str(work / "arrays" / f"{name}-{args.size}px.npz")
        if Path(npz[name]).is_file():
            sched.done[name] = npz[name]
        else:
            job = (kind, n, str(work / name), seed, shift, val, args.size, npz[name])
            sched.add(name, job_synth, job, 0 if kind == "skin" else 2)
        return name

    half = args.n_source // 2
    skin = (
        synth(f"skin{half}-seed100", "skin", half, 100, False, 0.2),
        synth(f"skin{args.n_source - half}-seed101", "skin", args.n_source - half, 101, False, 0.2),
    )
    n_pool = max(args.n_train) + N_VAL
    pools = {
        s: synth(f"nodes{n_pool}-seed{200 + s}", "nodes", n_pool, 200 + s, False, N_VAL / n_pool)
        for s in args.seeds
    }
    tests = {
        "default": synth(f"nodes{args.n_test}-seed9001", "nodes", args.n_test, 9001, False, 0.0),
        "shifted": synth(f"shift{args.n_test}-seed9002", "nodes", args.n_test, 9002, True, 0.0),
    }
    test_npz = {k: npz[v] for k, v in tests.items()}
    weights = work / f"pretrained-skin{args.n_source}-e{args.source_epochs}-{args.size}px.pt"
    needs_source = any(a != "scratch" for a in args.arms)
    if needs_source and weights.is_file():
        sched.done["pretrain"] = {"weights": str(weights), "cached": True}
    elif needs_source:
        job = ([npz[s] for s in skin], {**base, "seed": 0}, str(weights))
        sched.add("pretrain", job_pretrain, job, 1, skin)
    for n in args.n_train:
        epochs = max(1, round(args.steps / int(np.ceil(n / args.batch_size))))
        for seed in args.seeds:
            for arm in args.arms:
                recipe = {**base, "target_epochs": epochs, "seed": seed}
                deps = (pools[seed], *tests.values()) + (("pretrain",) if arm != "scratch" else ())
                job = (arm, n, seed, npz[pools[seed]], test_npz, recipe, str(weights))
                sched.add(f"{arm}/n{n}/s{seed}", job_arm, job, 3 if arm != "scratch" else 4, deps)
    runs: list[dict] = []
    pretrain_info: dict = {}

    def on_done(name: str, result: object) -> None:
        at = time.time() - started
        if name == "pretrain":
            pretrain_info.update(result)  # type: ignore[arg-type]
        if isinstance(result, dict) and "arm" in result:
            runs.append(result)
            d, s = result["test"]["default"], result["test"]["shifted"]
            print(
                f"[{at:7.1f}s] {name}: Dice {d['dice']:.3f} / {s['dice']:.3f}, "
                f"accuracy {d['accuracy']:.3f} / {s['accuracy']:.3f} (default / shifted; "
                f"{result['wall_s']:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
        else:
            print(f"[{at:7.1f}s] {name} done", file=sys.stderr, flush=True)

    sched.run(on_done)
    runs.sort(key=lambda r: (r["n_train"], ARMS.index(r["arm"]), r["seed"]))
    summary = summarise_runs(runs, list(tests))
    result = {
        "benchmark": "transfer",
        "source": f"synthetic skin (dermoscopy), {args.n_source} cases, as grayscale (luma)",
        "target": "synthetic nodes (lymph-node B-mode ultrasound)",
        "validation_cases": N_VAL,
        "test_sets": {"default": args.n_test, "shifted": args.n_test},
        "evaluation": "at the model input size (letterboxed), no TTA; HD95 in px at that size",
        "recipe": {**base, "steps_per_run": args.steps},
        "arms": list(args.arms),
        "pretrain": pretrain_info,
        "summary": summary,
        "delta_vs_scratch": paired_deltas(runs, list(tests)),
        "runs": runs,
        "wall_time_s": round(time.time() - started, 1),
        "workers": args.workers,
        "threads_per_worker": args.threads,
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    from engine.atomic import write_json_atomic

    write_json_atomic(args.json, result)
    print(markdown_table(summary))
    print(json.dumps({"wall_time_s": result["wall_time_s"]}))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
