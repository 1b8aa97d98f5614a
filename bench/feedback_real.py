"""The clinic-size learning curve on real scans (issue 16): do N corrected cases beat scratch?

Target: busi-dev breast ultrasound (real scans; an organ the shipped lymph-node model has
never seen). Grouped folds (engine.datasets.grouped_folds, near-duplicate groups on one
side): the lesion cases of fold 4 are the fixed test set; "corrections" are N lesion cases
drawn from folds 0-3 (one seeded order per seed, so the 10 cases are inside the 20, the 20
inside the 50...: the curve measures N, not luck of the draw).

Arms, all with the same step budget (training.adapt counts optimiser steps, not epochs):
- first:   the first feedback recipe (hierarchical freezing, L2-SP 0.1) from the shipped
           lymph-node model (resources/models/default)
- new:     training.adapt's default recipe (full fine-tuning after a short head warm-up,
           burned-in marks augmentation) from the same model
- scratch: the same hybrid network from random weights, the new recipe without warm-up
- unet:    a plain 4-level U-Net (BatchNorm) from random weights, same as scratch
Scored in torch on the 128-px letterboxed test arrays (no TTA): Dice over lesion cases,
benign/malignant AUC; wall time of each round. Writes bench/results/feedback_real.json and
prints a table (docs/finetuning.md holds the results).

--variants: the recipe ablations instead of the curve. Each variant is a named override of
the "new" arm's recipe (VARIANTS, or NAME={json} with --variant), trained on the same N
corrections and seeds as the curve, so a variant differs from the baseline in its override
only; rows go under the file's "ablations" key, the curve's "runs" stay as they are.
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
from engine.datasets import grouped_folds, load_dataset
from engine.jobs import DEFAULT_EPOCHS
from engine.synth.dataset import write_dataset
from training.adapt import FIRST_RECIPE, AdaptRecipe, adapt
from training.checkpoint import network_from_bundle
from training.data import ArrayDataset, load_cases, load_folder
from training.finetune import Recipe
from training.fit import evaluate_arrays
from training.networks import build_network

# One round of the product's fine-tuning job: engine.jobs.DEFAULT_EPOCHS x Recipe.steps_per_epoch
# (training.adapt's own default, 400 steps, is not what the job runs).
ROUND_STEPS = DEFAULT_EPOCHS * Recipe.steps_per_epoch

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "busi-dev"
CLASSES = ("benign", "malignant")
TEST_FOLD = 4
ARMS = ("first", "new", "scratch", "unet")

# The ablations of issue 16: overrides of the new recipe, one knob each (docs/finetuning.md).
VARIANTS: dict[str, dict] = {
    "baseline": {},
    "lr3e-4": {"lr": 3e-4},
    "lr3e-3": {"lr": 3e-3},
    "lr1e-2": {"lr": 1e-2},
    "constant": {"schedule": "constant"},
    "hierarchical": {"freeze": "hierarchical"},
    "l2sp": {"anchor_weight": 0.1},
    "no-warmup": {"head_warmup_fraction": 0.0},
    "zoom-crops": {"zoom_crops": 0.5},
    "no-augment": {"augment": False, "annotations": 0.0},
    "no-marks": {"annotations": 0.0},
    "focal": {"seg_loss": "focal+dice"},
    "focal-cls": {"focal_gamma": 2.0},
}


def arm_recipe(arm: str, steps: int, new: AdaptRecipe) -> AdaptRecipe:
    if arm == "first":
        return dataclasses.replace(FIRST_RECIPE, steps=steps)
    if arm == "new":
        return dataclasses.replace(new, steps=steps)
    # from scratch: nothing to protect, so no warm-up and one learning rate for all
    return dataclasses.replace(new, steps=steps, head_warmup_fraction=0.0, encoder_lr_scale=1.0)


def arm_network(arm: str, seed: int, base: Path) -> torch.nn.Module:
    torch.manual_seed(seed)
    if arm in ("first", "new"):
        return network_from_bundle(base)
    if arm == "scratch":
        kwargs = {"in_channels": 1, "num_classes": 2, "width": 16, "attention_blocks": 2}
        return build_network("hybrid-dual-task", **kwargs)
    return build_network("plain-unet", in_channels=1, num_classes=2, width=16)


def load_split(root: Path, size: int) -> tuple[ArrayDataset, ArrayDataset]:
    dataset = load_dataset(root)
    folds = grouped_folds(dataset, k=5, seed=0)
    lesion = {c.case_id for c in dataset.cases if c.label in CLASSES}
    test_ids = sorted(c for c, f in folds.items() if f == TEST_FOLD and c in lesion)
    pool_ids = sorted(c for c, f in folds.items() if f != TEST_FOLD and c in lesion)
    return (
        load_cases(dataset, size, CLASSES, pool_ids),
        load_cases(dataset, size, CLASSES, test_ids),
    )


def parse_variants(names: str, custom: list[str] | None = None) -> dict[str, dict]:
    """Named recipe overrides from "--variants a,b" (names of VARIANTS) and "--variant
    NAME={json}" (any number); checked against AdaptRecipe here, before an hour of training
    finds a misspelt knob."""
    variants: dict[str, dict] = {}
    for name in (n.strip() for n in names.split(",")):
        if not name:
            continue
        if name not in VARIANTS:
            known = ", ".join(VARIANTS)
            raise ValueError(f"unknown variant {name!r} (known: {known}; or --variant NAME=JSON)")
        variants[name] = dict(VARIANTS[name])
    for text in custom or []:
        name, sep, body = text.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--variant {text!r}: expected NAME={{json}}")
        try:
            override = json.loads(body)
        except json.JSONDecodeError as error:
            raise ValueError(f"--variant {name}: not JSON ({error})") from None
        if not isinstance(override, dict):
            raise ValueError(f"--variant {name}: expected a JSON object, got {body!r}")
        variants[name.strip()] = override
    fields = {f.name for f in dataclasses.fields(AdaptRecipe)}
    for name, override in variants.items():
        unknown = sorted(set(override) - fields)
        if unknown:
            raise ValueError(f"variant {name!r}: no recipe field {', '.join(unknown)}")
        if "steps" in override:
            raise ValueError(f"variant {name!r}: the step budget is --steps, the same for all")
        try:
            AdaptRecipe(**override)
        except (TypeError, ValueError) as error:
            raise ValueError(f"variant {name!r}: {error}") from None
    return variants


def corrections(pool: ArrayDataset, n: int, seed: int) -> ArrayDataset:
    """The N corrected cases of a seed: the first N of one seeded order of the pool, so the
    10 cases are inside the 20 and every bench mode trains on the same cases per seed."""
    order = np.random.default_rng(1000 + seed).permutation(len(pool))
    return pool.take(np.sort(order[:n]).tolist())


def train_and_score(
    arm: str, recipe: AdaptRecipe, seed: int, base: Path, target: ArrayDataset, test: ArrayDataset
) -> dict:
    """One round of one arm: Dice, AUC and the round's wall time (training only)."""
    net = arm_network(arm, seed, base)
    started = time.time()
    net, _ = adapt(net, target, recipe, seed)
    wall = time.time() - started
    scores = evaluate_arrays(net, test)
    return {
        "dice": round(scores["dice"], 4),
        "auc": round(scores["auc"], 4),
        "wall_s": round(wall, 1),
        "recipe": recipe.as_dict(),
        "cases": target.cases,
    }


def merge_rows(old: list[dict], new: list[dict], key: tuple[str, ...]) -> list[dict]:
    """The old rows not redone in `new` (same values of `key`), then the new ones."""
    done = {tuple(r[k] for k in key) for r in new}
    return [r for r in old if tuple(r[k] for k in key) not in done] + new


ABLATION_KEY = ("variant", "n", "seed")


def summarise_ablations(rows: list[dict]) -> dict:
    """Per variant and N: the override, Dice per seed (in seed order), mean ± SD of Dice and
    AUC, mean wall time."""
    out: dict = {}
    for variant, n in sorted({(r["variant"], r["n"]) for r in rows}):
        mine = sorted((r for r in rows if (r["variant"], r["n"]) == (variant, n)), key=_seed)
        row: dict = {
            "override": mine[-1]["override"],
            "seeds": [r["seed"] for r in mine],
            "dice_per_seed": [r["dice"] for r in mine],
        }
        out[f"{variant}/{n}"] = {**row, **spreads(mine)}
    return out


def _seed(row: dict) -> int:
    return row["seed"]


def ablation_table(summary: dict) -> str:
    lines = [f"{'variant/N':<20}{'Dice per seed':<26}{'Dice':>18}{'AUC':>18}{'wall s':>8}"]
    for key, row in summary.items():
        per_seed = ", ".join(f"{d:.3f}" for d in row["dice_per_seed"])
        dice, auc, wall = _cell(row, "dice"), _cell(row, "auc"), row["wall_s"]["mean"]
        lines.append(f"{key:<20}{per_seed:<26}{dice:>18}{auc:>18}{wall:>8.0f}")
    return "\n".join(lines)


def ablations(
    args: argparse.Namespace,
    variants: dict[str, dict],
    new: AdaptRecipe,
    pool: ArrayDataset,
    test: ArrayDataset,
    previous: dict,
) -> list[dict]:
    """Every variant x seed x N on the new arm, variant by variant (a cut run holds whole
    variants); the file is rewritten after every round, keeping all its other keys."""
    kept = previous.get("ablations", {}).get("runs", []) if args.merge else []
    rows: list[dict] = []
    seeds = [int(s) for s in args.seeds.split(",")]
    for name, override in variants.items():
        recipe = dataclasses.replace(new, **override, steps=args.steps)
        for seed in seeds:
            for n in (int(k) for k in args.n.split(",")):
                scored = train_and_score(
                    "new", recipe, seed, args.base, corrections(pool, n, seed), test
                )
                row = {"variant": name, "override": override, "n": n, "seed": seed, **scored}
                rows = merge_rows(rows, [row], ABLATION_KEY)
                shown = ("variant", "n", "seed", "dice", "auc", "wall_s")
                print(json.dumps({k: row[k] for k in shown}))
                sys.stdout.flush()
                every = merge_rows(kept, rows, ABLATION_KEY)
                settings = {
                    "data": str(args.data),
                    "base": str(args.base),
                    "steps": args.steps,
                    "size": args.size,
                    "test_fold": TEST_FOLD,
                    "n_test": len(test),
                    "threads": args.threads,
                    "new_recipe": new.as_dict(),
                }
                block = {"settings": settings, "summary": summarise_ablations(every), "runs": every}
                write_json_atomic(args.json, {**previous, "ablations": block})
    return merge_rows(kept, rows, ABLATION_KEY)


def spreads(rows: list[dict]) -> dict:
    """Mean ± SD over seeds of Dice, AUC and wall time (undefined values left out; a metric
    with none at all is left out)."""
    out: dict = {}
    for key in ("dice", "auc", "wall_s"):
        values = np.array([r[key] for r in rows], dtype=float)
        values = values[np.isfinite(values)]
        if len(values):
            sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            out[key] = {"mean": round(float(values.mean()), 4), "sd": round(sd, 4)}
    return out


def summarise(runs: list[dict]) -> dict:
    out: dict = {}
    for arm in sorted({r["arm"] for r in runs}):
        for n in sorted({r["n"] for r in runs}):
            mine = [r for r in runs if r["arm"] == arm and r["n"] == n]
            if not mine:
                continue
            out[f"{arm}/{n}"] = {"seeds": len(mine), **spreads(mine)}
    return out


def _cell(row: dict, name: str) -> str:
    if name not in row:
        return "—"
    return f"{row[name]['mean']:.3f} ± {row[name]['sd']:.3f}"


def table(summary: dict) -> str:
    lines = [f"{'arm/N':<14}{'Dice':>18}{'AUC':>18}{'wall s':>10}"]
    for key, row in summary.items():
        dice, auc, wall = _cell(row, "dice"), _cell(row, "auc"), row["wall_s"]["mean"]
        lines.append(f"{key:<14}{dice:>18}{auc:>18}{wall:>10.0f}")
    return "\n".join(lines)


def forgetting(
    breast: Path,
    pool: ArrayDataset,
    test: ArrayDataset,
    steps: int,
    new: AdaptRecipe,
    seed: int,
    fractions: tuple[float, ...] = (0.0, 0.25),
) -> list[dict]:
    """The breast model fine-tuned on 20 cases of another domain (synthetic lymph nodes from
    a shifted scanner): its busi-dev Dice before and after, without and with replay of its
    own training cases (that fraction of every batch), and what the replay costs the new
    domain (Dice on 40 other shifted cases before and after)."""
    size = test.images.shape[-1]
    with tempfile.TemporaryDirectory(prefix="forgetting-") as tmp:
        folder = write_dataset("nodes", 20, Path(tmp), seed=9000 + seed, shift=True, val_fraction=0)
        shifted = load_folder(folder, size, CLASSES)
        held = write_dataset("nodes", 40, Path(tmp) / "test", seed=9500 + seed, shift=True)
        shifted_test = load_folder(held, size, CLASSES)
    base = network_from_bundle(breast)
    before = evaluate_arrays(base, test)["dice"]
    shifted_before = evaluate_arrays(base, shifted_test)["dice"]
    rows = []
    for fraction in fractions:
        net = network_from_bundle(breast)
        recipe = dataclasses.replace(new, steps=steps)
        net, _ = adapt(net, shifted, recipe, seed, replay=pool, replay_fraction=fraction)
        after = evaluate_arrays(net, test)["dice"]
        shifted_after = evaluate_arrays(net, shifted_test)["dice"]
        rows.append(
            {
                "seed": seed,
                "replay_fraction": fraction,
                "n_shifted": len(shifted),
                "busi_dice_before": round(before, 4),
                "busi_dice_after": round(after, 4),
                "change": round(after - before, 4),
                "shifted_dice_before": round(shifted_before, 4),
                "shifted_dice_after": round(shifted_after, 4),
            }
        )
        print(json.dumps(rows[-1]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--base", type=Path, default=default_bundle_dir())
    parser.add_argument("--n", default="10,20,50,100", help="numbers of corrected cases")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument(
        "--steps",
        type=int,
        default=ROUND_STEPS,
        help="optimiser steps per round (default: a product round, 12 epochs x 16 steps)",
    )
    parser.add_argument("--recipe", default="{}", help="JSON overrides of the new recipe")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--json", type=Path, default=REPO / "bench/results/feedback_real.json")
    parser.add_argument("--merge", action="store_true", help="keep the runs already in --json")
    parser.add_argument(
        "--forgetting",
        type=Path,
        default=None,
        metavar="BREAST_BUNDLE",
        help="only the forgetting check of this bundle (busi-dev Dice after 20 shifted cases)",
    )
    parser.add_argument(
        "--variants",
        default=None,
        help="recipe ablations of the new arm instead of the curve, names of: "
        + ", ".join(VARIANTS),
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="an ablation of one's own: a named JSON override of the new recipe (repeatable)",
    )
    parser.add_argument(
        "--replay-fractions",
        default="0,0.25",
        help="forgetting check: fractions of every batch replayed from busi-dev",
    )
    args = parser.parse_args(argv)
    variants: dict[str, dict] = {}
    if args.variants is not None or args.variant:
        try:
            variants = parse_variants(args.variants or "", args.variant)
        except ValueError as error:
            parser.error(str(error))
        if not variants:
            parser.error("--variants: no variant named")
    torch.set_num_threads(args.threads)
    new = dataclasses.replace(AdaptRecipe(), **json.loads(args.recipe))
    pool, test = load_split(args.data, args.size)
    print(f"pool {len(pool)} lesion cases, test {len(test)} (fold {TEST_FOLD})", file=sys.stderr)
    previous = json.loads(args.json.read_text()) if args.json.is_file() else {}
    if args.forgetting is not None:
        seeds = [int(k) for k in args.seeds.split(",")]
        fractions = tuple(float(f) for f in args.replay_fractions.split(","))
        rows = [
            r
            for s in seeds
            for r in forgetting(args.forgetting, pool, test, args.steps, new, s, fractions)
        ]
        if args.merge:
            done = {(r["seed"], r["replay_fraction"]) for r in rows}
            kept = [
                r
                for r in previous.get("forgetting", [])
                if (r["seed"], r["replay_fraction"]) not in done
            ]
            rows = kept + rows
        write_json_atomic(args.json, {**previous, "forgetting": rows})
        return 0
    if variants:
        rows = ablations(args, variants, new, pool, test, previous)
        print(ablation_table(summarise_ablations(rows)), file=sys.stderr)
        return 0
    runs: list[dict] = previous.get("runs", []) if args.merge else []
    sizes = [int(k) for k in args.n.split(",")]
    for seed in (int(s) for s in args.seeds.split(",")):
        for n in sizes:
            target = corrections(pool, n, seed)
            for arm in args.arms.split(","):
                recipe = arm_recipe(arm, args.steps, new)
                scored = train_and_score(arm, recipe, seed, args.base, target, test)
                run = {"arm": arm, "n": n, "seed": seed, **scored}
                runs = merge_rows(runs, [run], ("arm", "n", "seed"))
                shown = ("arm", "n", "seed", "dice", "auc", "wall_s")
                print(json.dumps({k: run[k] for k in shown}))
                sys.stdout.flush()
                write_json_atomic(
                    args.json,
                    {
                        **previous,
                        "settings": {
                            "data": str(args.data),
                            "base": str(args.base),
                            "steps": args.steps,
                            "size": args.size,
                            "test_fold": TEST_FOLD,
                            "n_test": len(test),
                            "threads": args.threads,
                        },
                        "summary": summarise(runs),
                        "runs": runs,
                    },
                )
    print(table(summarise(runs)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
