"""The registry and its gate: scored through onnxruntime on the same held-out cases, a minimum
held-out size, paired per-case Dice with a seeded bootstrap interval, promote only if not
worse, keep the rejected with their numbers, activate, roll back; and the `lesionlens models`
subcommands on it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.bundle import default_bundle_dir, read_bundle
from engine.cli import main
from engine.evaluation import evaluate_folder
from engine.inference import load_model
from engine.metrics import paired_bootstrap_ci
from engine.registry import (
    ACTIVE,
    AVAILABLE,
    REJECTED,
    TOO_FEW,
    Gate,
    Registry,
    RegistryError,
)
from engine.synth.dataset import write_dataset


def _variant(bundle: Path, out: Path, model_id: str, threshold: float) -> Path:
    """A copy of a bundle under another id with another mask threshold: 0 marks every pixel
    as lesion (Dice > 0 on any case with a lesion), above 1 marks none (Dice exactly 0)."""
    shutil.copytree(bundle, out)
    spec = json.loads((out / "model.json").read_text())
    spec.update(model_id=model_id, threshold=threshold)
    (out / "model.json").write_text(json.dumps(spec))
    return out


@pytest.fixture(scope="module")
def heldout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset("nodes", 4, tmp_path_factory.mktemp("heldout"), seed=5, val_fraction=0)


def test_empty_registry_is_the_shipped_default_and_writes_nothing(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "home")
    (entry,) = registry.list()
    assert entry.status == ACTIVE and entry.path == default_bundle_dir()
    assert registry.active_id() == read_bundle(default_bundle_dir()).spec.model_id
    assert registry.active_dir() == default_bundle_dir()
    assert not (tmp_path / "home").exists()
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()


def test_gate_promotes_the_not_worse_and_keeps_the_worse_as_rejected(
    tmp_path: Path, tiny_bundle: Path, heldout: Path, capsys: pytest.CaptureFixture
) -> None:
    home = tmp_path / "home"
    registry = Registry(home)
    builtin = registry.active_id()
    good = _variant(tiny_bundle, tmp_path / "good", "tiny-good", threshold=0.0)
    same = _variant(tiny_bundle, tmp_path / "same", "tiny-same", threshold=0.0)
    bad = _variant(tiny_bundle, tmp_path / "bad", "tiny-bad", threshold=1.5)

    lenient = Gate(heldout, dice_margin=1.0, accuracy_margin=1.0, min_cases=4)
    assert registry.promote(good, lenient).promoted
    assert registry.active_id() == "tiny-good"
    assert (home / "models" / builtin / "model.onnx").is_file()  # the default, copied in

    verdict = registry.promote(same, Gate(heldout, min_cases=4))
    reference = evaluate_folder(heldout, load_model(good, device="cpu"))["summary"]
    assert verdict.promoted and verdict.baseline_id == "tiny-good"
    assert verdict.baseline["dice"] == pytest.approx(reference["dice"])
    assert verdict.candidate["dice"] == pytest.approx(reference["dice"]) and reference["dice"] > 0
    assert verdict.candidate["n"] == 4 and verdict.n == 4
    assert verdict.dice_difference == 0.0 and verdict.dice_ci == (0.0, 0.0)  # same masks
    assert sorted(verdict.heldout_cases) == sorted(c for c, _, _ in verdict.paired_dice)

    verdict = registry.promote(bad, Gate(heldout, min_cases=4))
    assert not verdict.promoted and verdict.candidate["dice"] == 0.0
    assert verdict.dice_ci is not None and verdict.dice_ci[1] < 0
    assert "lower bound" in verdict.reasons[0] and "REJECTED" in verdict.summary()
    assert registry.active_id() == "tiny-same"
    entry = registry.get("tiny-bad")
    assert entry.status == REJECTED and entry.gate["candidate"]["dice"] == 0.0
    assert entry.gate["baseline"]["dice"] == pytest.approx(reference["dice"])
    with pytest.raises(RegistryError, match="already registered"):
        registry.promote(bad, Gate(heldout, min_cases=4))
    with pytest.raises(RegistryError, match="rejected by the gate"):
        registry.activate("tiny-bad")

    assert [e.model_id for e in registry.list()] == [builtin, "tiny-good", "tiny-same", "tiny-bad"]
    assert registry.previous_id() == "tiny-good"  # what Roll back offers (GUI button)
    assert registry.rollback().model_id == "tiny-good"
    assert registry.active_dir() == home / "models" / "tiny-good"
    assert registry.previous_id() == builtin
    assert registry.rollback().model_id == builtin
    assert registry.previous_id() is None
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()
    events = [h["event"] for h in registry.history()]
    assert events == ["initial", "promoted", "promoted", "rejected", "rollback", "rollback"]

    # The same registry through `lesionlens models`.
    assert main(["models", "list", "--home", str(home)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 4 and listing[0].startswith(f"* {builtin}")
    assert "rejected" in listing[3] and "held-out Dice 0.0000" in listing[3]
    assert "paired difference -" in listing[3] and "% CI" in listing[3]
    assert main(["models", "activate", "tiny-bad", "--home", str(home)]) == 2
    assert "rejected by the gate" in capsys.readouterr().err
    assert main(["models", "activate", "tiny-bad", "--force", "--home", str(home)]) == 0
    assert main(["models", "activate", "tiny-same", "--home", str(home)]) == 0
    assert main(["models", "rollback", "--home", str(home)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "active: tiny-bad"
    assert Registry(home).active_id() == "tiny-bad"
    state = json.loads((home / "models" / "registry.json").read_text())
    assert state["schema_version"] == 1 and state["active"] == "tiny-bad"


def test_too_few_heldout_cases_can_be_tried_but_not_promoted(
    tmp_path: Path, tiny_bundle: Path, heldout: Path
) -> None:
    """The coin the issue saw: a candidate as good as the active model, on 4 held-out cases,
    is not promoted by the default gate (10 cases); the verdict says how many more are
    needed and the candidate stays available to try."""
    registry = Registry(tmp_path / "home")
    builtin = registry.active_id()
    same = _variant(tiny_bundle, tmp_path / "same", "tiny-same", threshold=0.0)
    verdict = registry.promote(same, Gate(heldout))
    assert not verdict.promoted and verdict.too_few_cases
    assert verdict.n == 4 and verdict.min_cases == 10 and verdict.cases_needed == 6
    assert "review 6 more held-out cases" in verdict.reasons[0]
    assert "can be tried but not promoted" in verdict.reasons[0]
    assert "NOT PROMOTED (too few held-out cases)" in verdict.summary()
    assert registry.active_id() == builtin
    entry = registry.get("tiny-same")
    assert entry.status == AVAILABLE and entry.source == TOO_FEW
    assert entry.gate["cases_needed"] == 6 and entry.gate["too_few_cases"]
    assert registry.history()[-1]["event"] == "not promoted: too few cases"
    assert registry.activate("tiny-same").model_id == "tiny-same"  # tried, no force needed


def _pairs(differences: list[float]) -> list[tuple[str, float, float]]:
    return [(f"c{i}", 0.5, 0.5 + d) for i, d in enumerate(differences)]


def test_gate_decides_on_the_bootstrap_lower_bound_not_the_mean() -> None:
    gate = Gate(Path("unused"))
    # Mean +0.025 (the old rule, "mean Dice not worse by 0.01", would promote), but half the
    # cases got much worse: the interval reaches far below -0.01.
    noisy = gate.decide(_pairs([0.3] * 6 + [-0.25] * 6), 0.8, 0.8)
    assert noisy["dice_difference"] == pytest.approx(0.025)
    assert noisy["dice_ci"][0] < -0.01 < noisy["dice_ci"][1]
    assert noisy["reasons"] and "lower bound" in noisy["reasons"][0]
    # Consistently a little better: promoted.
    steady = gate.decide(_pairs([0.02, 0.03, 0.01, 0.04] * 3), 0.8, 0.8)
    assert steady["reasons"] == [] and steady["dice_ci"][0] > 0
    # One case, however good, is not enough (the n = 1 promotion).
    one = gate.decide(_pairs([0.4]), 0.8, 0.8)
    assert one["cases_needed"] == 9 and "review 9 more held-out cases" in one["reasons"][0]
    # The minimum is configurable; accuracy still has its own margin.
    assert Gate(Path("unused"), min_cases=1).decide(_pairs([0.4]), 0.8, 0.8)["reasons"] == []
    worse_accuracy = gate.decide(_pairs([0.02, 0.03, 0.01, 0.04] * 3), 0.8, 0.7)
    assert "accuracy fell" in worse_accuracy["reasons"][0]


def test_paired_bootstrap_is_seeded_and_covers_the_mean() -> None:
    diffs = [0.1, -0.05, 0.02, 0.3, -0.2, 0.0, 0.07, 0.11, -0.01, 0.04]
    first = paired_bootstrap_ci(diffs, resamples=2000, confidence=0.95, seed=3)
    assert first == paired_bootstrap_ci(diffs, resamples=2000, confidence=0.95, seed=3)
    mean, lo, hi = first
    assert mean == pytest.approx(sum(diffs) / len(diffs)) and lo < mean < hi
    narrow = paired_bootstrap_ci(diffs, confidence=0.5, seed=3)
    assert lo < narrow[1] < narrow[2] < hi
    assert paired_bootstrap_ci([0.2] * 5) == (pytest.approx(0.2),) * 3
    with pytest.raises(ValueError):
        paired_bootstrap_ci([])
