"""What the Model & training panel says about models, as plain strings (Qt-free).

The active model's card and held-out numbers, one row per registered model (active, previous,
rejected, with the numbers the gate saw), and the gate's verdict as before/after rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.bundle import Bundle
from engine.registry import ACTIVE, REJECTED, ModelEntry, Verdict, gate_difference_text

PREVIOUS = "previous"


@dataclass(frozen=True)
class HeldoutNumbers:
    dice: float | None  # None: the model segments nothing (a bone-scan pair's attention maps)
    accuracy: float
    n: int | None
    source: str  # where the numbers come from: the gate, the training test set, ...

    def text(self) -> str:
        cases = f", n={self.n}" if self.n else ""
        dice = "" if self.dice is None else f"Dice {self.dice:.3f} · "
        return f"{dice}accuracy {self.accuracy:.3f} ({self.source}{cases})"

    @property
    def dice_text(self) -> str:
        return "—" if self.dice is None else f"{self.dice:.3f}"


def _test_dice(test: dict[str, Any]) -> float | None:
    """A test set's Dice: "dice", else the mean of its per-view or per-label dice_* (a skin
    pair's dice_us; a CT's kidney and tumour, as the gate pairs them), else None."""
    if "dice" in test:
        return float(test["dice"])
    parts = [float(v) for k, v in test.items() if k.startswith("dice_") and v is not None]
    return sum(parts) / len(parts) if parts else None


def heldout_numbers(metrics: dict[str, Any], gate: dict[str, Any] | None) -> HeldoutNumbers | None:
    """The best held-out numbers known for a model: what the gate measured when it entered
    the registry, else its training test set (metrics.json "test"), else the last epoch of its
    fine-tuning on the held-out cases."""
    if gate and isinstance(gate.get("candidate"), dict):
        after = gate["candidate"]
        dice = after.get("dice")  # none from a study model that segments no view
        return HeldoutNumbers(
            None if dice is None else float(dice),
            float(after["accuracy"]),
            after.get("n"),
            "registry gate",
        )
    test = metrics.get("test")
    if isinstance(test, dict) and "accuracy" in test:
        return HeldoutNumbers(
            _test_dice(test), float(test["accuracy"]), test.get("n"), "held-out test set"
        )
    if metrics.get("status") == "held-out test" and "accuracy_deep" in metrics:  # a CT bundle
        dice = _test_dice({k: metrics.get(k) for k in ("dice_kidney", "dice_tumour")})
        return HeldoutNumbers(
            dice, float(metrics["accuracy_deep"]), metrics.get("cases"), "held-out test set"
        )
    history = (metrics.get("finetune") or {}).get("history") or []
    if history and "val_dice" in history[-1]:
        last = history[-1]
        n = len((metrics.get("finetune") or {}).get("heldout_cases") or []) or None
        return HeldoutNumbers(
            float(last["val_dice"]), float(last.get("val_accuracy", 0.0)), n, "fine-tuning"
        )
    return None


def active_model_fields(bundle: Bundle, entry: ModelEntry | None) -> list[tuple[str, str]]:
    """(name, text) rows for the active model."""
    spec = bundle.spec
    numbers = heldout_numbers(bundle.metrics, entry.gate if entry else None)
    parent = spec.raw.get("parent_model_id")
    gate = (entry.gate if entry else None) or {}
    return [
        ("Model", spec.model_id),
        ("Version", f"{spec.version} · {spec.architecture}"),
        ("Parent", str(parent) if parent else "none (trained from scratch)"),
        ("Held-out", numbers.text() if numbers else "no held-out numbers recorded"),
        ("Gate", gate_text(gate)),
        ("Intended use", spec.intended_use),
        ("Training data", str(spec.card.get("training_data", "not documented"))),
    ]


def gate_text(gate: dict[str, Any]) -> str:
    """The paired comparison the gate made when the model entered the registry."""
    if gate.get("dice_difference") is None:
        return "not judged by the gate"
    score = gate.get("paired_score") or "Dice"  # older gate records paired Dice only
    text = f"paired {score} difference {gate_difference_text(gate)} vs {gate.get('baseline_id')}"
    if gate.get("too_few_cases"):
        text += f"; not promoted: {gate.get('cases_needed')} more held-out cases needed"
    return text


@dataclass(frozen=True)
class ModelRow:
    model_id: str
    status: str  # active, previous, available, rejected
    dice: str
    accuracy: str
    registered: str
    detail: str  # tooltip: parent, where the numbers come from, why it was rejected

    @property
    def can_activate(self) -> bool:
        return self.status not in (ACTIVE, REJECTED)


def model_rows(
    entries: Sequence[ModelEntry],
    previous_id: str | None,
    metrics_of: Callable[[ModelEntry], dict[str, Any]],
) -> list[ModelRow]:
    """Newest first, as a history reads."""
    rows = []
    for entry in reversed(entries):
        numbers = heldout_numbers(metrics_of(entry), entry.gate)
        status = entry.status
        if status != ACTIVE and entry.model_id == previous_id:
            status = PREVIOUS
        detail = [f"parent: {entry.parent or 'none'}"]
        if numbers:
            detail.append(f"numbers: {numbers.source}" + (f", n={numbers.n}" if numbers.n else ""))
        gate = entry.gate or {}
        if gate.get("baseline"):
            before = gate["baseline"]
            detail.append(
                f"gate against {gate.get('baseline_id')}: Dice was {before['dice']:.4f}, "
                f"accuracy was {before['accuracy']:.4f}"
            )
        if gate.get("dice_difference") is not None:
            score = gate.get("paired_score") or "Dice"
            detail.append(f"paired {score} difference {gate_difference_text(gate)}")
        word = "not promoted" if gate.get("too_few_cases") else "rejected"
        detail += [f"{word}: {reason}" for reason in gate.get("reasons") or []]
        rows.append(
            ModelRow(
                model_id=entry.model_id,
                status=status,
                dice=numbers.dice_text if numbers else "—",
                accuracy=f"{numbers.accuracy:.3f}" if numbers else "—",
                registered=(entry.registered or "shipped")[:16].replace("T", " "),
                detail="\n".join(detail),
            )
        )
    return rows


def verdict_headline(verdict: Verdict) -> str:
    n = verdict.candidate.get("n")
    if verdict.promoted:
        return f"PROMOTED: {verdict.candidate_id} is the active model (held-out n={n})"
    if verdict.too_few_cases:
        return (
            f"NOT PROMOTED: {verdict.baseline_id} stays active; review "
            f"{verdict.cases_needed} more held-out case{'s' if verdict.cases_needed != 1 else ''}"
            f" (n={verdict.n} of {verdict.min_cases}). {verdict.candidate_id} can be tried "
            "(select it and Activate)."
        )
    return f"REJECTED: {verdict.baseline_id} stays active (held-out n={n})"


def verdict_explanation(verdict: Verdict) -> str:
    """Why the gate decided as it did, then the paired comparison (verdict_statistics). The
    score the pairs compare is named: Dice, or for a study model that outlines no view the
    probability each model gives the reader's class."""
    reasons = (
        "\n".join(verdict.reasons)
        if verdict.reasons
        else f"Within the allowed drops ({verdict.paired_score} {verdict.dice_margin}, "
        f"accuracy {verdict.accuracy_margin}) on the same held-out cases ({verdict.heldout_id})."
    )
    return f"{reasons}\n{verdict_statistics(verdict)}"


def verdict_statistics(verdict: Verdict) -> str:
    """The paired comparison behind the verdict, and which cases were held out."""
    lines = [
        f"Paired {verdict.paired_score} difference (candidate − active, case by case): "
        f"{verdict.difference_text()}; {verdict.resamples} bootstrap resamples, seed "
        f"{verdict.seed}. Promotes only with at least {verdict.min_cases} cases and a lower "
        f"bound above −{verdict.dice_margin}."
    ]
    if verdict.heldout_cases:
        lines.append(f"Held-out cases ({verdict.heldout_id}): {', '.join(verdict.heldout_cases)}")
    return "\n".join(lines)


def verdict_rows(verdict: Verdict) -> list[tuple[str, str, str, str]]:
    """(metric, before, after, "change (allowed drop)") for Dice and accuracy."""
    rows = []
    for name, key, margin in (
        ("Dice", "dice", verdict.dice_margin),
        ("Accuracy", "accuracy", verdict.accuracy_margin),
    ):
        before, after = float(verdict.baseline[key]), float(verdict.candidate[key])
        rows.append(
            (name, f"{before:.4f}", f"{after:.4f}", f"{after - before:+.4f} (−{margin:.2f})")
        )
    return rows


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"
