"""docs/finetuning.md's tables, printed from bench/results/feedback_real.json.

`python -m bench.feedback_tables [--json FILE]` prints, as Markdown: the learning curve (arm x
N, with the step budget each row was trained with and Dice per seed), the margin of the new
recipe over the better from-scratch arm per seed, issue 16's floor checked seed by seed, and
the recipe ablations with their difference from the baseline of the same seed. The tables
were typed by hand before, and a hand-typed table drifts from the file (the N = 10/50/100
rows were documented as 192-step rounds while the file says 400); printed, they cannot.
No training, no torch: it reads the JSON only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "feedback_real.json"
ARM_ORDER = ("first", "new", "scratch", "unet")
FROM_SCRATCH = ("scratch", "unet")
FLOOR_N, FLOOR_MARGIN = 20, 0.05  # issue 16: at N = 20, >= 0.05 Dice over scratch, every seed
# The named variants' order in the ablation table (bench.feedback_real.VARIANTS; duplicated
# here so the tables need no torch); other names follow alphabetically.
VARIANT_ORDER = (
    "baseline",
    "lr3e-4",
    "lr3e-3",
    "lr1e-2",
    "constant",
    "hierarchical",
    "l2sp",
    "no-warmup",
    "zoom-crops",
    "no-augment",
    "no-marks",
    "focal",
    "focal-cls",
)


def mean_sd(values: list[float]) -> str:
    """ "mean ± SD" over seeds (SD with ddof 1; 0 for one seed), NaNs left out."""
    finite = np.array([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if not len(finite):
        return "—"
    sd = float(finite.std(ddof=1)) if len(finite) > 1 else 0.0
    return f"{finite.mean():.3f} ± {sd:.3f}"


def _seeded(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: r["seed"])


def _steps(rows: list[dict]) -> str:
    return "/".join(str(s) for s in sorted({r["recipe"]["steps"] for r in rows}))


def _signed(values: list[float]) -> str:
    return ", ".join(f"{v:+.3f}" for v in values)


def curve_table(runs: list[dict]) -> str:
    """One row per arm and N: step budget, seeds, Dice per seed (seed order), Dice and AUC
    mean ± SD, mean round wall time."""
    lines = [
        "| arm | N | steps | seeds | Dice per seed | Dice mean ± SD | AUC mean ± SD "
        "| round wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n in sorted({r["n"] for r in runs}):
        for arm in ARM_ORDER:
            mine = _seeded([r for r in runs if r["arm"] == arm and r["n"] == n])
            if not mine:
                continue
            seeds = ",".join(str(r["seed"]) for r in mine)
            dice = ", ".join(f"{r['dice']:.3f}" for r in mine)
            wall = np.mean([r["wall_s"] for r in mine])
            cells = [arm, str(n), _steps(mine), seeds, dice]
            cells += [mean_sd([r["dice"] for r in mine]), mean_sd([r["auc"] for r in mine])]
            lines.append("| " + " | ".join([*cells, f"{wall:.0f}"]) + " |")
    return "\n".join(lines)


def _dice(runs: list[dict], arm: str, n: int) -> dict[int, float]:
    return {r["seed"]: r["dice"] for r in runs if r["arm"] == arm and r["n"] == n}


def margins(runs: list[dict]) -> dict[int, dict[int, float]]:
    """N -> seed -> new-recipe Dice minus the better from-scratch arm's, for the seeds where
    the new arm and both from-scratch arms were run."""
    out: dict[int, dict[int, float]] = {}
    for n in sorted({r["n"] for r in runs}):
        new = _dice(runs, "new", n)
        scratch = [_dice(runs, arm, n) for arm in FROM_SCRATCH]
        seeds = sorted(s for s in new if all(s in arm for arm in scratch))
        if seeds:
            out[n] = {s: round(new[s] - max(arm[s] for arm in scratch), 4) for s in seeds}
    return out


def margin_text(runs: list[dict]) -> str:
    parts = [
        f"N = {n}: {_signed(list(per_seed.values()))} (seeds {', '.join(map(str, per_seed))})"
        for n, per_seed in margins(runs).items()
    ]
    return "; ".join(parts)


def floor_lines(runs: list[dict]) -> list[str]:
    """Issue 16's floor, seed by seed: at N = 20 the new recipe beats each from-scratch arm
    by >= 0.05 Dice; the new recipe's Dice rises with N (with the budget of each N named,
    since the rows were not all trained for the same number of steps)."""
    lines = []
    new = _dice(runs, "new", FLOOR_N)
    for seed in sorted(new):
        gaps = {}
        for arm in FROM_SCRATCH:
            other = _dice(runs, arm, FLOOR_N)
            if seed in other:
                gaps[arm] = new[seed] - other[seed]
        if not gaps:
            continue
        ok = all(g >= FLOOR_MARGIN for g in gaps.values()) and len(gaps) == len(FROM_SCRATCH)
        shown = ", ".join(f"{arm} {g:+.3f}" for arm, g in gaps.items())
        verdict = "met" if ok else "NOT met"
        lines.append(f"- N = {FLOOR_N}, seed {seed}: new {new[seed]:.3f}, {shown}: {verdict}")
    sizes = sorted({r["n"] for r in runs if r["arm"] == "new"})
    budget = {n: _steps([r for r in runs if r["arm"] == "new" and r["n"] == n]) for n in sizes}
    for seed in sorted({r["seed"] for r in runs if r["arm"] == "new"}):
        curve = [(n, _dice(runs, "new", n).get(seed)) for n in sizes]
        curve = [(n, d) for n, d in curve if d is not None]
        rises = all(b[1] > a[1] for a, b in zip(curve, curve[1:], strict=False))
        shown = ", ".join(f"{d:.3f} ({n}; {budget[n]} steps)" for n, d in curve)
        lines.append(f"- Dice rises with N, seed {seed}: {shown}: {'yes' if rises else 'NO'}")
    return lines


def _variant_key(name: str) -> tuple[int, str]:
    known = name in VARIANT_ORDER
    return (VARIANT_ORDER.index(name) if known else len(VARIANT_ORDER), name)


def ablation_table(rows: list[dict]) -> str:
    """One row per variant and N: override, step budget, seeds, Dice per seed, mean ± SD,
    the difference from the baseline of the same N, seed and budget (same cases, initial
    weights and batches); "—" where there is no such baseline."""
    lines = [
        "| variant | N | override | steps | seeds | Dice per seed | Dice mean ± SD "
        "| Δ Dice vs baseline per seed | AUC mean ± SD | round wall s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups = {(r["n"], r["variant"]) for r in rows}
    for n, variant in sorted(groups, key=lambda g: (g[0], _variant_key(g[1]))):
        mine = _seeded([r for r in rows if (r["n"], r["variant"]) == (n, variant)])
        base = {
            (r["seed"], r["recipe"]["steps"]): r["dice"]
            for r in rows
            if (r["n"], r["variant"]) == (n, "baseline")
        }
        paired = [(r, (r["seed"], r["recipe"]["steps"])) for r in mine]
        deltas = [r["dice"] - base[key] for r, key in paired if key in base]
        delta = "—" if variant == "baseline" or not deltas else _signed(deltas)
        override = json.dumps(mine[-1]["override"])
        cells = [variant, str(n), f"`{override}`", _steps(mine)]
        cells.append(",".join(str(r["seed"]) for r in mine))
        cells += [", ".join(f"{r['dice']:.3f}" for r in mine), mean_sd([r["dice"] for r in mine])]
        cells += [delta, mean_sd([r["auc"] for r in mine])]
        cells.append(f"{np.mean([r['wall_s'] for r in mine]):.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(results: dict) -> str:
    runs = results.get("runs", [])
    parts = ["## Learning curve", "", curve_table(runs), ""]
    margin = "Margin of the new recipe over the better from-scratch arm, per seed: "
    parts += [margin + margin_text(runs) + ".", ""]
    parts += ["Floor of issue 16, per seed:", "", *floor_lines(runs), ""]
    ablations = results.get("ablations", {}).get("runs", [])
    if ablations:
        parts += ["## Ablations", "", ablation_table(ablations), ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sys.stdout.write(render(json.loads(args.json.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
