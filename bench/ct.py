"""Kidney and tumour in small CT (issue 10, method 3 of SCIENCE.md): does a large auxiliary
set help a 20-volume target, and do radiomics or deep features classify the tumour better?

Two recipes with the same budget (steps, batch, patch, learning-rate schedule), see
training/recipes/kidney_ct.py:
  target       the 20 shifted-scanner target volumes only
  aux+target   plus 80 default-scanner auxiliary volumes: mixed batches with the target
               oversampled (half of every batch), then target-only fine-tuning
Scored through the engine (onnxruntime, sliding window, radiomics) on a fixed test set of 30
further shifted volumes: Dice for kidney and tumour (mean over cases), accuracy and AUC of
the deep head and of the radiomics logistic regression (on the predicted tumour, and on the
true tumour as a ceiling). The data sets are fixed; a seed changes the initialisation and
the patch sampling.

    nice -n 10 python bench/ct.py --seeds 0 1 --json bench/results/ct.json
    (--reuse-aux-bundle resources/models/kidney-ct: the shipped bundle was trained by
    `make model-ct` with the aux+target recipe and seed 0; its row is not trained again)
    nice -n 10 python bench/ct.py --seeds 1 --merge --json bench/results/ct.json
    (adds seed 1 to the seeds already in the JSON, without retraining or re-scoring them)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.atomic import write_json_atomic  # noqa: E402
from engine.bundle import read_bundle  # noqa: E402

RECIPES = ("target", "aux+target")
METRICS = (
    "dice_kidney",
    "dice_tumour",
    "accuracy_deep",
    "auc_deep",
    "accuracy_radiomics_gt_fit",
    "auc_radiomics_gt_fit",
    "accuracy_radiomics_gt_and_predicted_fit",
    "auc_radiomics_gt_and_predicted_fit",
    "accuracy_radiomics_on_true_tumour",
    "auc_radiomics_on_true_tumour",
)


def finished(bundle: Path, steps: int, seed: int) -> bool:
    """A bundle of this configuration whose held-out metrics are written."""
    try:
        spec = read_bundle(bundle).spec.raw
        metrics = json.loads((bundle / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, Exception):  # noqa: BLE001 - any unreadable bundle: redo it
        return False
    training = spec.get("training", {})
    return (
        metrics.get("status") == "held-out test"
        and "auc_radiomics_gt_fit" in metrics
        and training.get("steps") == steps
        and training.get("seed") == seed
    )


def wait_for_bundle(bundle: Path, steps: int, minutes: float = 40.0) -> None:
    """`make model-ct` may still be running beside the bench: wait for its bundle (metrics
    written last) to carry this configuration, or give up."""
    deadline = time.time() + minutes * 60
    while True:
        if finished(bundle, steps, 0):
            return
        if time.time() > deadline:
            raise SystemExit(f"{bundle} does not hold an aux+target seed-0 {steps}-step bundle")
        print(f"waiting for {bundle} ...", file=sys.stderr, flush=True)
        time.sleep(30)


def summarise(runs: list[dict]) -> dict:
    """Mean and SD over seeds per recipe, and the paired difference aux+target minus target
    per seed (a seed gives both recipes the same initial weights, so the pairs are matched)."""
    by_recipe = {
        recipe: {r["seed"]: r for r in runs if r["recipe"] == recipe} for recipe in RECIPES
    }

    def sd(values: list[float]) -> float:
        return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")

    paired_seeds = sorted(set(by_recipe["target"]) & set(by_recipe["aux+target"]))
    differences = {
        m: [by_recipe["aux+target"][s][m] - by_recipe["target"][s][m] for s in paired_seeds]
        for m in METRICS
    }
    return {
        "mean": {
            recipe: {m: float(np.nanmean([r[m] for r in rows.values()])) for m in METRICS}
            for recipe, rows in by_recipe.items()
        },
        "sd": {
            recipe: {m: sd([r[m] for r in rows.values()]) for m in METRICS}
            for recipe, rows in by_recipe.items()
        },
        "paired_difference": {
            "definition": "aux+target minus target, per seed",
            "seeds": paired_seeds,
            "per_seed": {m: [float(d) for d in v] for m, v in differences.items()},
            "mean": {m: float(np.mean(v)) if v else float("nan") for m, v in differences.items()},
        },
    }


def merge_runs(previous: dict, runs: list[dict], steps: int) -> list[dict]:
    """The runs of the earlier JSON for seeds not measured now (same step budget), then the
    new ones, ordered by seed and recipe."""
    if previous.get("steps") != steps:
        raise SystemExit(f"cannot merge: the JSON holds {previous.get('steps')} steps, not {steps}")
    fresh = {(r["recipe"], r["seed"]) for r in runs}
    kept = [r for r in previous["runs"] if (r["recipe"], r["seed"]) not in fresh]
    return sorted(kept + runs, key=lambda r: (r["seed"], RECIPES.index(r["recipe"])))


def run(args: argparse.Namespace) -> dict:
    import torch

    from training.recipes.kidney_ct import Config, build

    torch.set_num_threads(1)
    runs = []
    for seed in args.seeds:
        for recipe in RECIPES:
            config = Config(recipe=recipe, steps=args.steps, seed=seed)
            started = time.time()
            reuse = args.reuse_aux_bundle
            trained = False
            if recipe == "aux+target" and seed == 0 and reuse is not None:
                wait_for_bundle(reuse, config.steps)
                bundle, source = reuse, f"reused {reuse} (make model-ct, same configuration)"
            else:
                bundle = args.work / "bundles" / f"{recipe.replace('+', '-')}-s{seed}"
                source = f"collected {bundle} (training.make_ct, same configuration)"
                if not (args.collect and finished(bundle, config.steps, seed)):
                    build(config, bundle, args.work, log=sys.stderr)
                    trained = True
                    source = "trained here"
            metrics = json.loads((bundle / "metrics.json").read_text(encoding="utf-8"))
            row = {"recipe": recipe, "seed": seed, "source": source}
            row.update({m: metrics[m] for m in METRICS})
            row["tumour_found"] = metrics["tumour_found"]
            # wall minutes of training + evaluation here (None: reused or collected)
            row["minutes"] = round((time.time() - started) / 60, 1) if trained else None
            runs.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    if args.merge and args.json.is_file():
        runs = merge_runs(json.loads(args.json.read_text(encoding="utf-8")), runs, args.steps)
    return {
        "bench": "ct",
        "seeds": sorted({r["seed"] for r in runs}),
        "steps": args.steps,
        "test_set": "synth kidney-ct --shift, 30 volumes (seed 3300)",
        "target_set": "synth kidney-ct --shift, 20 volumes (seed 3200)",
        "aux_set": "synth kidney-ct (default scanner), 80 volumes (seed 3100)",
        "machine": {"python": platform.python_version(), "cpu": platform.processor()},
        "runs": runs,
        **summarise(runs),
    }


PAIRED_COLUMNS = {
    "dice_kidney": "Δ Dice kidney",
    "dice_tumour": "Δ Dice tumour",
    "auc_deep": "Δ AUC deep",
    "auc_radiomics_gt_fit": "Δ AUC rad. GT fit",
    "auc_radiomics_gt_and_predicted_fit": "Δ AUC rad. GT+pred fit",
}


def mean_sd(mean: float, sd: float | None) -> str:
    """SD is NaN for one seed (None once written to JSON): then the mean alone."""
    return f"{mean:.3f}" if sd is None or np.isnan(sd) else f"{mean:.3f} ± {sd:.3f}"


def markdown(result: dict) -> str:
    """The docs/benchmarks.md section (between the ct markers)."""
    lines = [
        "<!-- ct:start -->",
        "## Kidney CT: auxiliary data, radiomics vs deep features (`python bench/ct.py`)",
        "",
        f"Target: {result['target_set']}; auxiliary: {result['aux_set']}; test: "
        f"{result['test_set']}. {result['steps']} steps of batch 2 (32×48×48 patches) per "
        f"recipe; seeds {', '.join(str(s) for s in result['seeds'])} (the data sets are fixed; "
        "a seed changes initialisation and patch sampling). All numbers through the engine "
        "(onnxruntime sliding window, engine.radiomics); radiomics on the predicted tumour "
        "(and, as a ceiling, on the true tumour). Mean ± SD over seeds (SD with n - 1; "
        "none for one seed).",
        "",
        "Radiomics columns: the classifier fitted on the ground-truth tumours of the training "
        "volumes (GT fit) or on their ground-truth and predicted tumours (GT+pred fit, what the "
        "shipped bundle uses), applied to the predicted test tumours (no tumour found: 0.5); "
        "the last two columns apply the GT fit to the true test tumours (the ceiling).",
        "",
        "| recipe | Dice kidney | Dice tumour | acc deep | AUC deep | acc rad. GT fit | "
        "AUC rad. GT fit | acc rad. GT+pred fit | AUC rad. GT+pred fit | "
        "acc rad. true tumour | AUC rad. true tumour |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for recipe, m in result["mean"].items():
        name = "target only (20)" if recipe == "target" else "aux (80) + target (20)"
        sd = result.get("sd", {}).get(recipe, {})
        lines.append(f"| {name} | " + " | ".join(mean_sd(m[k], sd.get(k)) for k in METRICS) + " |")
    paired = result.get("paired_difference")
    if paired and paired["seeds"]:
        lines += [
            "",
            "Paired by seed, aux+target minus target (positive: the auxiliary set helped):",
            "",
            "| seed | " + " | ".join(PAIRED_COLUMNS.values()) + " |",
            "|---|" + "---|" * len(PAIRED_COLUMNS),
        ]
        for i, seed in enumerate(paired["seeds"]):
            diffs = (paired["per_seed"][k][i] for k in PAIRED_COLUMNS)
            lines.append(f"| {seed} | " + " | ".join(f"{d:+.3f}" for d in diffs) + " |")
        means = (paired["mean"][k] for k in PAIRED_COLUMNS)
        lines.append("| mean | " + " | ".join(f"{d:+.3f}" for d in means) + " |")
    lines += [
        "",
        "Per seed:",
        "",
        "| recipe | seed | Dice kidney | Dice tumour | acc deep | AUC deep | acc rad. GT fit | "
        "AUC rad. GT fit | acc rad. GT+pred fit | AUC rad. GT+pred fit | tumour found | "
        "minutes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["runs"]:
        vals = " | ".join(f"{r[k]:.3f}" for k in METRICS[:8])
        minutes = r["minutes"] if r["minutes"] is not None else "–"
        lines.append(
            f"| {r['recipe']} | {r['seed']} | {vals} | {r['tumour_found']}/30 | {minutes} |"
        )
    lines += ["", "Raw numbers: `bench/results/ct.json`.", "<!-- ct:end -->"]
    return "\n".join(lines) + "\n"


def update_docs(path: Path, section: str) -> None:
    from engine.atomic import write_bytes_atomic

    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    start, end = "<!-- ct:start -->", "<!-- ct:end -->"
    if start in text and end in text:
        text = text[: text.index(start)] + section.rstrip("\n") + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    write_bytes_atomic(path, text.encode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lesionlens-ct-work"))
    parser.add_argument("--reuse-aux-bundle", type=Path, default=None, metavar="DIR")
    parser.add_argument(
        "--collect", action="store_true", help="reuse finished bundles in --work/bundles"
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other seeds' runs already in --json (add seeds without retraining)",
    )
    parser.add_argument("--json", type=Path, default=Path("bench/results/ct.json"))
    parser.add_argument("--docs", type=Path, default=None, metavar="MD", help="update the table")
    parser.add_argument("--from-json", action="store_true", help="only redo the docs table")
    args = parser.parse_args()
    if args.from_json:
        result = json.loads(args.json.read_text(encoding="utf-8"))
    else:
        result = run(args)
        write_json_atomic(args.json, result)
    if args.docs is not None:
        update_docs(args.docs, markdown(result))
    print(json.dumps(result["mean"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
