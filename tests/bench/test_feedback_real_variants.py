"""bench/feedback_real.py --variants: the names and overrides it accepts, and that an
ablation run adds its rows to the results file without dropping the curve's ("runs",
"forgetting") or the rows of earlier ablation runs. No training: the round itself is
replaced by a fixed score (the bench's training is measured, not unit-tested)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from bench import feedback_real as bench
from training.adapt import AdaptRecipe
from training.data import ArrayDataset


def test_named_variants_are_the_table_in_order() -> None:
    variants = bench.parse_variants("baseline, lr3e-4,hierarchical")
    assert list(variants) == ["baseline", "lr3e-4", "hierarchical"]
    assert variants["baseline"] == {}
    assert variants["lr3e-4"] == {"lr": 3e-4}


def test_every_shipped_variant_is_a_valid_recipe() -> None:
    for override in bench.parse_variants(",".join(bench.VARIANTS)).values():
        AdaptRecipe(**override)


def test_loss_variants_override_the_loss_knobs_only() -> None:
    variants = bench.parse_variants("focal,focal-cls")
    assert variants == {"focal": {"seg_loss": "focal+dice"}, "focal-cls": {"focal_gamma": 2.0}}


def test_custom_variant_from_json() -> None:
    variants = bench.parse_variants("baseline", ['warm={"head_warmup_fraction": 0.2}'])
    assert variants == {"baseline": {}, "warm": {"head_warmup_fraction": 0.2}}


@pytest.mark.parametrize(
    ("names", "custom", "message"),
    [
        ("lr-3", [], "unknown variant 'lr-3'"),
        ("", ["nojson"], "expected NAME={json}"),
        ("", ["x={lr: 1}"], "x: not JSON"),
        ("", ["x=[1]"], "expected a JSON object"),
        ("", ['x={"lrr": 0.1}'], "no recipe field lrr"),
        ("", ['x={"steps": 10}'], "step budget is --steps"),
        ("", ['x={"seg_loss": "focal"}'], "variant 'x': seg_loss 'focal'"),
    ],
)
def test_bad_variants_say_which_and_why(names: str, custom: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("[", r"\[")):
        bench.parse_variants(names, custom)


def test_cli_rejects_a_bad_variant_before_loading_data(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--data", str(tmp_path / "missing"), "--variants", "nope"])


def test_merge_rows_replaces_redone_rows_only() -> None:
    old = [{"variant": "a", "n": 20, "seed": 0, "dice": 0.1}, {"variant": "a", "n": 20, "seed": 1}]
    new = [{"variant": "a", "n": 20, "seed": 0, "dice": 0.2}]
    merged = bench.merge_rows(old, new, bench.ABLATION_KEY)
    assert merged == [old[1], new[0]]


def _tiny(n: int) -> ArrayDataset:
    zeros = np.zeros((n, 1, 8, 8), dtype=np.float32)
    cases = [f"c{i}" for i in range(n)]
    labels = np.zeros(n, dtype=np.int64)
    return ArrayDataset(cases, zeros, zeros.copy(), labels, ["train"] * n, ("benign", "malignant"))


def test_ablation_run_keeps_the_curve_and_earlier_ablations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "feedback_real.json"
    earlier = {"variant": "l2sp", "override": {"anchor_weight": 0.1}, "n": 20, "seed": 0}
    earlier.update({"dice": 0.6, "auc": 0.8, "wall_s": 200.0})
    stale = {**earlier, "variant": "baseline", "override": {}, "dice": 0.1}
    previous = {
        "settings": {"steps": 192},
        "summary": {"new/20": {}},
        "runs": [{"arm": "new", "n": 20, "seed": 0, "dice": 0.65}],
        "forgetting": [{"seed": 0, "replay_fraction": 0.25}],
        "ablations": {"runs": [earlier, stale]},
    }
    results.write_text(json.dumps(previous))
    scores = iter([0.70, 0.72])
    recipes: list[AdaptRecipe] = []

    def fake_round(arm, recipe, seed, base, target, test):
        recipes.append(recipe)
        return {"dice": next(scores), "auc": 0.9, "wall_s": 1.0, "recipe": recipe.as_dict()}

    monkeypatch.setattr(bench, "train_and_score", fake_round)
    args = argparse.Namespace(
        merge=True, seeds="0,1", n="20", steps=192, data=tmp_path, base=tmp_path, size=8,
        threads=1, json=results,
    )  # fmt: skip
    bench.ablations(args, {"baseline": {}}, AdaptRecipe(), _tiny(30), _tiny(4), previous)

    written = json.loads(results.read_text())
    assert written["runs"] == previous["runs"]
    assert written["forgetting"] == previous["forgetting"]
    assert written["settings"] == previous["settings"]
    rows = {(r["variant"], r["seed"]): r["dice"] for r in written["ablations"]["runs"]}
    assert rows == {("l2sp", 0): 0.6, ("baseline", 0): 0.70, ("baseline", 1): 0.72}
    summary = written["ablations"]["summary"]["baseline/20"]
    assert summary["dice_per_seed"] == [0.70, 0.72]
    assert summary["dice"]["mean"] == pytest.approx(0.71)
    assert written["ablations"]["settings"]["steps"] == 192
    assert all(r.steps == 192 for r in recipes)
