"""bench.feedback_tables: the doc's tables from a tiny results dict made here: Dice per seed
in seed order, the step budget of each row, the margin over the better from-scratch arm,
issue 16's floor per seed (met and not met), and ablation deltas paired by seed and budget."""

from __future__ import annotations

import json
from pathlib import Path

from bench import feedback_real, feedback_tables


def _run(arm: str, n: int, seed: int, dice: float, steps: int = 192) -> dict:
    return {"arm": arm, "n": n, "seed": seed, "dice": dice, "auc": 0.8, "wall_s": 100.0,
            "recipe": {"steps": steps}}  # fmt: skip


RUNS = [
    _run("new", 20, 1, 0.66),
    _run("new", 20, 0, 0.65),
    _run("scratch", 20, 0, 0.50),
    _run("unet", 20, 0, 0.58),
    _run("scratch", 20, 1, 0.63),  # seed 1 misses the floor against scratch (+0.03)
    _run("unet", 20, 1, 0.50),
    _run("new", 50, 0, 0.70, steps=400),
    _run("new", 50, 1, 0.64, steps=400),  # seed 1 falls from N = 20 to 50
]


def test_curve_rows_are_in_seed_order_with_their_budget() -> None:
    table = feedback_tables.curve_table(RUNS)
    assert "| new | 20 | 192 | 0,1 | 0.650, 0.660 | 0.655 ± 0.007 |" in table
    assert "| new | 50 | 400 | 0,1 | 0.700, 0.640 |" in table


def test_margin_is_over_the_better_from_scratch_arm() -> None:
    assert feedback_tables.margins(RUNS) == {20: {0: 0.07, 1: 0.03}}


def test_floor_is_checked_seed_by_seed() -> None:
    lines = feedback_tables.floor_lines(RUNS)
    assert lines[0] == "- N = 20, seed 0: new 0.650, scratch +0.150, unet +0.070: met"
    assert lines[1] == "- N = 20, seed 1: new 0.660, scratch +0.030, unet +0.160: NOT met"
    assert lines[2].endswith("0.650 (20; 192 steps), 0.700 (50; 400 steps): yes")
    assert lines[3].endswith(": NO")


def _ablation(variant: str, seed: int, dice: float, steps: int = 192) -> dict:
    override = {"seg_loss": "focal+dice"} if variant == "focal" else {}
    return {"variant": variant, "override": override, "n": 20, "seed": seed, "dice": dice,
            "auc": 0.8, "wall_s": 100.0, "recipe": {"steps": steps}}  # fmt: skip


def test_ablation_deltas_pair_seed_and_budget() -> None:
    rows = [
        _ablation("focal", 1, 0.60),
        _ablation("baseline", 0, 0.65),
        _ablation("focal", 0, 0.67),
        _ablation("baseline", 1, 0.64, steps=400),  # another budget: not a baseline for 192
    ]
    table = feedback_tables.ablation_table(rows)
    assert "| baseline | 20 | `{}` | 192/400 | 0,1 | 0.650, 0.640 |" in table
    assert '| focal | 20 | `{"seg_loss": "focal+dice"}` | 192 | 0,1 | 0.670, 0.600 |' in table
    focal = next(line for line in table.splitlines() if line.startswith("| focal"))
    assert "| +0.020 |" in focal


def test_variant_order_is_the_bench_s() -> None:
    assert tuple(feedback_real.VARIANTS) == feedback_tables.VARIANT_ORDER


def test_cli_prints_the_tables_of_a_file(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    results = tmp_path / "r.json"
    results.write_text(
        json.dumps({"runs": RUNS, "ablations": {"runs": [_ablation("baseline", 0, 0.65)]}})
    )
    assert feedback_tables.main(["--json", str(results)]) == 0
    out = capsys.readouterr().out
    assert "| new | 20 | 192 |" in out and "| baseline | 20 |" in out and "NOT met" in out
