"""engine.evaluation.evaluate, the one loop every kind of case is scored through, on a kind
made up here: what a new kind has to write is cases, score and summarise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.evaluation import CaseToScore, Scoring, evaluate
from engine.metrics import classification_metrics, segmentation_metrics


class Squares(Scoring):
    """Case i scores i*i; the case named 'bad' cannot be read."""

    classes = ("small", "large")

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def cases(self) -> list[CaseToScore]:
        return [CaseToScore(name, Path(f"{name}.png"), i) for i, name in enumerate(self.names)]

    def score(self, case: CaseToScore) -> dict[str, Any]:
        if case.case_id == "bad":
            raise ValueError("unreadable")
        return {"case": case.case_id, "dice": case.item * case.item}

    def summarise(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"n": len(rows), **segmentation_metrics(rows, ("dice",))}


def test_rows_summary_and_outputs_in_case_order() -> None:
    done: list[tuple[int, int]] = []
    result = evaluate(Squares(["a", "b", "c"]), progress=lambda i, n: done.append((i, n)))
    assert list(result) == ["cases", "summary", "classes"]
    assert [r["dice"] for r in result["cases"]] == [0, 1, 4]
    assert result["summary"] == {"n": 3, "dice": pytest.approx(5 / 3)}
    assert result["classes"] == ["small", "large"]
    assert done == [(1, 3), (2, 3), (3, 3)]


def test_a_failed_case_raises_unless_on_error_is_given() -> None:
    with pytest.raises(ValueError, match="unreadable"):
        evaluate(Squares(["a", "bad", "c"]))
    seen: list[tuple[str, Path | None, str]] = []
    done: list[int] = []
    result = evaluate(
        Squares(["a", "bad", "c"]),
        progress=lambda i, n: done.append(i),
        on_error=lambda case, file, exc: seen.append((case, file, str(exc))),
    )
    assert seen == [("bad", Path("bad.png"), "unreadable")]
    assert done == [1, 2, 3]  # progress counts the failed case too
    assert [r["case"] for r in result["cases"]] == ["a", "c"]
    assert result["summary"] == {"n": 2, "dice": pytest.approx(2.0), "failed_cases": 1}
    assert result["failed"] == [
        {"case": "bad", "file": "bad.png", "error": "ValueError('unreadable')"}
    ]


def test_classification_metrics_by_argmax_or_threshold() -> None:
    y = np.array([1, 1, 0, 0, 1])
    p1 = np.array([0.9, 0.5, 0.5, 0.2, 0.4])
    probs = np.stack([1 - p1, p1], axis=1)
    by_argmax = classification_metrics(y, probs)
    assert list(by_argmax) == ["accuracy", "f1", "sensitivity", "specificity", "auc", "ece"]
    # argmax: a tie (0.5) goes to the first class -> predicted [1, 0, 0, 0, 0]
    assert by_argmax["accuracy"] == pytest.approx(3 / 5)
    assert by_argmax["sensitivity"] == pytest.approx(1 / 3)
    assert by_argmax["specificity"] == pytest.approx(1.0)
    # threshold 0.5: positive where p1 >= 0.5 -> predicted [1, 1, 1, 0, 0]
    at_half = classification_metrics(y, probs, ("accuracy", "auc"), threshold=0.5)
    assert list(at_half) == ["accuracy", "auc"]
    assert at_half["accuracy"] == pytest.approx(3 / 5)
    assert at_half["auc"] == by_argmax["auc"]


def test_segmentation_metrics_average_the_rows_that_hold_a_key() -> None:
    rows = [
        {"dice_us": 0.5, "hd95": 2.0, "hd95_units": "px"},
        {"dice_us": 1.0, "dice_photo": 0.2, "hd95": float("inf"), "hd95_units": "px"},
        {"hd95": 4.0, "hd95_units": "mm"},
    ]
    summary = segmentation_metrics(rows, ("dice_photo", "dice_us", "hd95"))
    assert summary == {
        "dice_photo": pytest.approx(0.2),
        "dice_us": pytest.approx(0.75),
        "hd95": pytest.approx(3.0),
        "hd95_units": "mixed",
        "hd95_undefined_cases": 1,
    }
