"""Grouped 5-fold cross-validation of the breast ultrasound recipe on real images (busi-dev).

Arms, same network, same budget, same folds (engine.datasets.grouped_folds: near-duplicate
chains never straddle two folds):
- pretrained: encoder/decoder from the shipped synthetic lymph-node model, then BUSI (the
  shipped recipe, training.recipes.breast_us);
- scratch: the same network and budget from random weights;
- synthetic: the shipped synthetic-only model (resources/models/default), no BUSI at all.

Every fold model is exported as a bundle and scored through the engine (onnxruntime, TTA,
each image at its own size): Dice, IoU, HD95 over lesion images, AUC, accuracy,
sensitivity, specificity and ECE of benign vs malignant over lesion images, normal images
with zero findings, lesions overlapped by a finding, presence AUC. Per fold, and mean ± SD.

    nice python bench/busi_cv.py --json bench/results/busi_cv.json        # ~4 h on 2 cores
    python bench/busi_cv.py --arms pretrained --folds 0 --epochs 40      # one quick fold
    python bench/busi_cv.py --merge ...    # add folds/arms/seeds to an existing result file
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from engine.atomic import write_json_atomic
from engine.bundle import default_bundle_dir
from engine.evaluation import evaluate_folder
from engine.inference import load_model
from training.fit import emit
from training.recipes.breast_us import FOLDS, BreastRecipe, fold_data, train, write_breast_bundle

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "busi-dev"
ARMS = ("pretrained", "scratch", "synthetic")
METRICS = (
    "dice",
    "iou",
    "hd95",
    "auc",
    "accuracy",
    "sensitivity",
    "specificity",
    "ece",
    "no_lesion_clear",
    "lesions_overlapped",
    "presence_auc",
)


def run_one(
    arm: str,
    fold: int,
    seed: int,
    recipe: BreastRecipe,
    data_root: Path,
    keep: Path | None,
    init: str = "synthetic",
) -> dict:
    started = time.time()
    data = fold_data(data_root, fold, recipe.size)
    if arm == "synthetic":
        summary = evaluate_folder(
            data_root, load_model(default_bundle_dir(), device="cpu"), cases=data.heldout_ids
        )["summary"]
        return {"arm": arm, "fold": fold, "seed": seed, "summary": summary, "wall_s": 0.0}
    arm_recipe = dataclasses.replace(recipe, init=init if arm == "pretrained" else None)

    def every_tenth(record: dict) -> None:  # per-epoch lines would drown the table
        if record.get("epoch", 1) % 10 == 0:
            print(f"  {arm} fold {fold} seed {seed}: {json.dumps(record)}", file=sys.stderr)

    net, history, calibration = train(arm_recipe, data, seed, log=every_tenth)
    if keep is not None:  # the weights survive a failed export or evaluation
        keep.mkdir(parents=True, exist_ok=True)
        torch.save(net.state_dict(), keep / f"{arm}-f{fold}-s{seed}.pt")
    with tempfile.TemporaryDirectory(prefix="busi-cv-") as tmp:
        out = keep / f"{arm}-f{fold}-s{seed}" if keep is not None else Path(tmp) / "bundle"
        metrics = write_breast_bundle(
            net,
            out,
            arm_recipe,
            data,
            calibration,
            history,
            seed,
            data_root,
            started,
            model_id=f"busi-cv-{arm}-f{fold}-s{seed}",
        )
    return {
        "arm": arm,
        "fold": fold,
        "seed": seed,
        "summary": metrics["heldout"],
        "calibration": metrics["calibration"],
        "per_case": [
            {k: r[k] for k in ("case", "label", "dice", "findings", "lesion_probability")}
            for r in metrics["heldout_cases"]
        ],
        "wall_s": round(time.time() - started, 1),
    }


def aggregate(runs: list[dict]) -> dict:
    out: dict = {}
    for arm in sorted({r["arm"] for r in runs}):
        mine = [r for r in runs if r["arm"] == arm]
        out[arm] = {"folds": sorted({r["fold"] for r in mine}), "runs": len(mine)}
        for key in METRICS:
            values = np.array([r["summary"].get(key, np.nan) for r in mine], dtype=float)
            values = values[np.isfinite(values)]
            if len(values):
                out[arm][key] = {
                    "mean": round(float(values.mean()), 4),
                    "sd": round(float(values.std(ddof=1)) if len(values) > 1 else 0.0, 4),
                }
        out[arm]["wall_s_mean"] = round(float(np.mean([r["wall_s"] for r in mine])), 1)
    return out


def table(summary: dict) -> str:
    keys = ("dice", "iou", "hd95", "auc", "accuracy", "no_lesion_clear", "lesions_overlapped")
    lines = ["arm        " + "  ".join(f"{k[:13]:>15}" for k in keys)]
    for arm, row in summary.items():
        cells = [f"{row[k]['mean']:.3f} ± {row[k]['sd']:.3f}" if k in row else "—" for k in keys]
        lines.append(f"{arm:<11}" + "  ".join(f"{c:>15}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--folds", default=",".join(str(k) for k in range(FOLDS)))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--epochs", type=int, default=BreastRecipe.epochs)
    parser.add_argument("--size", type=int, default=BreastRecipe.size)
    parser.add_argument("--stem-stride", type=int, default=BreastRecipe.stem_stride)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "busi_cv.json")
    parser.add_argument("--merge", action="store_true", help="keep the runs already in --json")
    parser.add_argument("--keep", type=Path, default=None, help="keep the fold bundles here")
    parser.add_argument("--width", type=int, default=BreastRecipe.width)
    parser.add_argument("--annotations", type=float, default=BreastRecipe.annotations)
    parser.add_argument("--ema", type=float, default=BreastRecipe.ema, help="weight EMA decay")
    parser.add_argument(
        "--init",
        default="synthetic",
        help="the pretrained arm's start: 'synthetic' (the shipped node model) or a weights "
        "file / bundle folder",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    recipe = BreastRecipe(
        epochs=args.epochs,
        size=args.size,
        stem_stride=args.stem_stride,
        width=args.width,
        annotations=args.annotations,
        ema=args.ema,
    )
    runs: list[dict] = []
    if args.merge and args.json.is_file():
        runs = json.loads(args.json.read_text())["runs"]
    for seed in (int(s) for s in args.seeds.split(",")):
        for fold in (int(k) for k in args.folds.split(",")):
            for arm in args.arms.split(","):
                runs = [r for r in runs if (r["arm"], r["fold"], r["seed"]) != (arm, fold, seed)]
                run = run_one(arm, fold, seed, recipe, args.data, args.keep, args.init)
                runs.append(run)
                emit(
                    {
                        "event": "fold",
                        **{k: run[k] for k in ("arm", "fold", "seed", "wall_s")},
                        **{k: run["summary"].get(k) for k in METRICS},
                    }
                )
                result = {
                    "settings": {
                        "recipe": recipe.as_dict(),
                        "data": str(args.data),
                        "init": args.init,
                    },
                    "summary": aggregate(runs),
                    "runs": runs,
                }
                write_json_atomic(args.json, result)
    print(table(aggregate(runs)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
