"""What the Model & training panel says about models: held-out numbers, the rollback target
replayed from the registry history, the verdict rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.models.feedback.summary import (
    duration_text,
    gate_text,
    heldout_numbers,
    model_rows,
    verdict_explanation,
    verdict_headline,
    verdict_rows,
    verdict_statistics,
)
from engine.registry import ModelEntry, Verdict


def test_heldout_numbers_prefer_the_gate_then_the_test_set_then_fine_tuning() -> None:
    gate = {"candidate": {"dice": 0.8, "accuracy": 0.9, "n": 5}}
    test = {"test": {"dice": 0.95, "accuracy": 1.0, "n": 200}}
    finetune = {
        "finetune": {
            "history": [{"val_dice": 0.7, "val_accuracy": 0.6}],
            "heldout_cases": ["x", "y"],
        }
    }
    assert heldout_numbers(test, gate).text() == "Dice 0.800 · accuracy 0.900 (registry gate, n=5)"
    assert heldout_numbers(test, None).text() == (
        "Dice 0.950 · accuracy 1.000 (held-out test set, n=200)"
    )
    assert heldout_numbers(finetune, None).text() == (
        "Dice 0.700 · accuracy 0.600 (fine-tuning, n=2)"
    )
    assert heldout_numbers({}, None) is None


def test_model_rows_mark_active_previous_rejected_newest_first() -> None:
    def entry(model_id: str, status: str, gate: dict | None = None) -> ModelEntry:
        return ModelEntry(model_id, Path(model_id), status, "2026-11-22T10:00:00+00:00", gate=gate)

    rejected_gate = {
        "candidate": {"dice": 0.5, "accuracy": 0.4},
        "baseline": {"dice": 0.9, "accuracy": 0.9},
        "baseline_id": "b",
        "reasons": ["held-out Dice fell"],
    }
    entries = [entry("a", "available"), entry("b", "active"), entry("c", "rejected", rejected_gate)]
    rows = model_rows(entries, "a", lambda e: {"test": {"dice": 0.91, "accuracy": 0.99}})
    assert [(r.model_id, r.status, r.dice) for r in rows] == [
        ("c", "rejected", "0.500"),
        ("b", "active", "0.910"),
        ("a", "previous", "0.910"),
    ]
    assert [r.can_activate for r in rows] == [False, False, True]
    assert "rejected: held-out Dice fell" in rows[0].detail
    assert rows[0].registered == "2026-11-22 10:00"


def test_verdict_rows_and_durations() -> None:
    verdict = Verdict(
        promoted=False,
        candidate_id="c",
        baseline_id="b",
        candidate={"n": 4, "dice": 0.61, "accuracy": 0.75},
        baseline={"n": 4, "dice": 0.8, "accuracy": 0.75},
        heldout="/x",
        heldout_id="h",
        dice_margin=0.01,
        accuracy_margin=0.02,
        reasons=("held-out Dice fell",),
    )
    assert verdict_headline(verdict) == "REJECTED: b stays active (held-out n=4)"
    assert verdict_rows(verdict) == [
        ("Dice", "0.8000", "0.6100", "-0.1900 (−0.01)"),
        ("Accuracy", "0.7500", "0.7500", "+0.0000 (−0.02)"),
    ]
    texts = [duration_text(s) for s in (None, 4.4, 59.6, 125)]
    assert texts == ["—", "4 s", "1 min 00 s", "2 min 05 s"]


def test_a_verdict_on_too_few_cases_says_how_many_more_and_shows_the_interval() -> None:
    verdict = Verdict(
        promoted=False,
        candidate_id="c",
        baseline_id="b",
        candidate={"n": 3, "dice": 0.995, "accuracy": 1.0},
        baseline={"n": 3, "dice": 0.954, "accuracy": 1.0},
        heldout="/x",
        heldout_id="h",
        dice_margin=0.01,
        accuracy_margin=0.02,
        reasons=("only 3 held-out cases with a lesion; ...",),
        n=3,
        min_cases=10,
        cases_needed=7,
        dice_difference=0.041,
        dice_ci=(-0.02, 0.09),
        heldout_cases=("h1", "h2", "h3"),
    )
    assert verdict_headline(verdict) == (
        "NOT PROMOTED: b stays active; review 7 more held-out cases (n=3 of 10). "
        "c can be tried (select it and Activate)."
    )
    statistics = verdict_statistics(verdict)
    assert "+0.0410 (95 % CI -0.0200 to +0.0900, n=3)" in statistics
    assert "at least 10 cases" in statistics and "Held-out cases (h): h1, h2, h3" in statistics
    gate = verdict.to_json()
    assert gate_text(gate) == (
        "paired Dice difference +0.0410 (95 % CI -0.0200 to +0.0900, n=3) vs b; "
        "not promoted: 7 more held-out cases needed"
    )
    (row,) = model_rows(
        [ModelEntry("c", Path("c"), "available", "2026-12-01T10:00:00+00:00", gate=gate)],
        None,
        lambda e: {},
    )
    assert row.can_activate and "not promoted: only 3 held-out cases" in row.detail
    assert "paired Dice difference +0.0410" in row.detail


def test_heldout_numbers_of_the_shipped_ct_and_study_models() -> None:
    """The CT bundle's metrics.json names its Dice per label and its deep-head accuracy, a
    bone-scan pair has no Dice at all: the panel shows what each has instead of nothing."""
    import json
    from pathlib import Path

    models = Path(__file__).resolve().parents[4] / "resources" / "models"
    ct = json.loads((models / "kidney-ct" / "metrics.json").read_text())
    mean = (ct["dice_kidney"] + ct["dice_tumour"]) / 2
    numbers = heldout_numbers(ct, None)
    assert numbers is not None and numbers.dice == pytest.approx(mean)
    assert (
        numbers.text()
        == f"Dice {mean:.3f} · accuracy {ct['accuracy_deep']:.3f} (held-out test set, n=30)"
    )
    scinti = json.loads((models / "scinti-two-view" / "metrics.json").read_text())
    numbers = heldout_numbers(scinti, None)
    assert numbers is not None and numbers.dice is None and numbers.dice_text == "—"
    assert numbers.text() == f"accuracy {scinti['test']['accuracy']:.3f} (held-out test set, n=200)"
    gate = {"candidate": {"accuracy": 0.9, "n": 12}}  # a gate record of such a model
    assert heldout_numbers(scinti, gate).text() == "accuracy 0.900 (registry gate, n=12)"
    skin = json.loads((models / "skin-fusion" / "metrics.json").read_text())
    assert heldout_numbers(skin, None).dice == pytest.approx(skin["test"]["dice_us"])


def test_the_explanation_names_the_score_the_gate_paired() -> None:
    """A bone-scan pair outlines no view: its gate pairs the probability of the reader's
    class, and the panel must not call that Dice."""
    from engine.registry import CLASS_SCORE

    common = dict(
        promoted=True,
        candidate_id="c",
        baseline_id="b",
        candidate={"n": 12, "dice": float("nan"), "accuracy": 0.9},
        baseline={"n": 12, "dice": float("nan"), "accuracy": 0.9},
        heldout="/x",
        heldout_id="h",
        dice_margin=0.01,
        accuracy_margin=0.02,
        n=12,
        dice_difference=0.02,
        dice_ci=(0.0, 0.04),
    )
    scinti = verdict_explanation(Verdict(**common, paired_score=CLASS_SCORE))
    assert "Within the allowed drops (confirmed-class probability 0.01, accuracy 0.02)" in scinti
    assert "Paired confirmed-class probability difference" in scinti and "Dice" not in scinti
    image = verdict_explanation(Verdict(**common))
    assert "(Dice 0.01," in image and "Paired Dice difference" in image
    rejected = verdict_explanation(Verdict(**{**common, "promoted": False}, reasons=("fell",)))
    assert rejected.startswith("fell\n")
