"""Multi-view vs single view, same network family, same budget (issue 11).

- scinti (bone scan): two-view aggregation (anterior + posterior) vs anterior only vs
  posterior only. The single-view arms are the same TwoViewClassifier fed one view twice, so
  parameters, optimiser, augmentation and epochs are identical; only the information differs.
- skin-pair: attention fusion (photo + ultrasound) vs photo only vs ultrasound only. The
  single-modality arms are the same AttentionFusionNet with the other input blanked (zeros);
  the ultrasound lesion-segmentation loss is kept wherever the ultrasound is fed.

Every arm: the same synthetic training set (last 20 % validation: best epoch and
temperature), the same epochs, seeds 0, 1, 2 (network initialisation and batch order);
scored on one fixed held-out test set and on a test set of the shifted camera/scanner
profile. Prints a table and writes bench/results/multiview.json.

    nice -n 10 python bench/multiview.py            # ~25 min on 2 shared cores
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from engine.atomic import write_json_atomic
from training.fit import TrainConfig, fit_temperature
from training.fit_views import ViewsObjective, evaluate_views, predict_views
from training.recipes.multiview import PLANS, synth_sets, train_network
from training.view_data import load_views_folder

ARMS = {
    "scinti": {
        "two-view": ("anterior", "posterior"),
        "anterior only": ("anterior", "anterior"),
        "posterior only": ("posterior", "posterior"),
    },
    "skin-pair": {
        "fusion": ("photo", "us"),
        "photo only": ("photo", None),
        "ultrasound only": (None, "us"),
    },
}
METRICS = ("accuracy", "f1", "auc")
# Same budget for every arm of a kind. Scinti gets most of the ~25 min: its hot spots are
# 2-4 px at the shipped input size (no downscaling) and it needs ~100 steps to learn at all;
# the synthetic skin pair runs at 3/4 of the shipped size (96 train cases x 6 epochs left
# some seeds at chance, so 160 x 8).
BUDGET = {
    "scinti": {"n_train": 200, "epochs": 10, "input_scale": 1.0},
    "skin-pair": {"n_train": 200, "epochs": 8, "input_scale": 0.75},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", choices=tuple(ARMS), default=list(ARMS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n-train", type=int, default=None, help="default: per kind")
    parser.add_argument("--n-test", type=int, default=80)
    parser.add_argument("--epochs", type=int, default=None, help="default: per kind")
    parser.add_argument(
        "--input-scale", type=float, default=None, help="of the shipped input shape"
    )
    parser.add_argument("--data-seed", type=int, default=100)
    parser.add_argument("--work", type=Path, default=None, help="keep synthetic data here")
    parser.add_argument("--json", type=Path, default=Path("bench/results/multiview.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    work = args.work or Path(tempfile.mkdtemp(prefix="lesionlens-bench-multiview-"))
    started = time.time()
    results: dict = {"kinds": {}}
    if args.json.is_file():  # kinds not run this time keep their earlier results
        results = json.loads(args.json.read_text(encoding="utf-8"))
    results["settings"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    try:
        for kind in args.kinds:
            results["kinds"][kind] = run_kind(kind, args, work / kind)
            results["kinds"][kind]["wall_time_s"] = round(time.time() - started, 1)
            started = time.time()
            write_json_atomic(args.json, results)  # partial results survive an interruption
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results)
    return 0


def run_kind(kind: str, args: argparse.Namespace, work: Path) -> dict:
    budget = {**BUDGET[kind]}
    for key in budget:
        if getattr(args, key) is not None:
            budget[key] = getattr(args, key)
    plan = PLANS[kind].scaled(budget["input_scale"], None)
    n_train, epochs = int(budget["n_train"]), int(budget["epochs"])
    train_dir, test_dir, shift_dir = synth_sets(kind, work, n_train, args.n_test, args.data_seed)
    data = load_views_folder(train_dir, plan.inputs, plan.classes)
    train, val = data.subset("train"), data.subset("val")
    test = load_views_folder(test_dir, plan.inputs, plan.classes)
    shifted = load_views_folder(shift_dir, plan.inputs, plan.classes)
    out = {
        "plan": {
            "architecture": plan.architecture,
            "epochs": epochs,
            "inputs": {i.view: list(i.shape) for i in plan.inputs},
            "network_kwargs": plan.network_kwargs,
            "n_train": len(train),
            "n_val": len(val),
            "n_test": len(test),
            "n_test_shifted": len(shifted),
        },
        "arms": {},
    }
    for arm, feed in ARMS[kind].items():
        objective = ViewsObjective(
            feed=feed,
            seg_input=plan.objective.seg_input,
            augment=plan.objective.augment,
        )
        runs = []
        for seed in args.seeds:
            t0 = time.time()
            config = TrainConfig(epochs=epochs, seed=seed, lr=plan.lr, batch_size=16)
            net, _ = train_network(plan, train, val, config, objective, log=_quiet)
            logits, _ = predict_views(net, val, objective)
            temperature = fit_temperature(logits, val.labels)
            run = {
                "seed": seed,
                "train_s": round(time.time() - t0, 1),
                "temperature": round(temperature, 3),
                "test": evaluate_views(net, test, objective, temperature),
                "test_shifted": evaluate_views(net, shifted, objective, temperature),
            }
            runs.append(run)
            print(json.dumps({"kind": kind, "arm": arm, **run}), file=sys.stderr, flush=True)
        out["arms"][arm] = {"feed": list(feed), "runs": runs, "summary": summarise(runs)}
    return out


def summarise(runs: list[dict]) -> dict:
    summary = {}
    for split in ("test", "test_shifted"):
        keys = [k for k in (*METRICS, "dice") if k in runs[0][split]]
        for key in keys:
            values = np.array([r[split][key] for r in runs], dtype=np.float64)
            summary[f"{split}_{key}_mean"] = float(np.nanmean(values))
            summary[f"{split}_{key}_sd"] = (
                float(np.nanstd(values, ddof=1)) if len(runs) > 1 else 0.0
            )
    return summary


def print_table(results: dict) -> None:
    for kind, block in results["kinds"].items():
        print(f"\n{kind}: mean ± SD over seeds")
        print("| arm | split | accuracy | F1 | AUC |")
        print("|---|---|---|---|---|")
        for arm, entry in block["arms"].items():
            s = entry["summary"]
            for split in ("test", "test_shifted"):
                cells = [
                    f"{s[f'{split}_{m}_mean']:.3f} ± {s[f'{split}_{m}_sd']:.3f}" for m in METRICS
                ]
                print(f"| {arm} | {split} | " + " | ".join(cells) + " |")


def _quiet(record: dict) -> None:
    """Per-epoch lines would drown the per-run results; keep them off the console."""


if __name__ == "__main__":
    sys.exit(main())
