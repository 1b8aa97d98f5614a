"""The steps every fine-tuning loop shares, whatever the kind of case (training.finetune for
images, training.finetune_views for studies, training.finetune_volume for CT volumes): the
refusal of a case that is both trained on and held out, and the "start" event the GUI and
the CLI show (protocol: engine.jobs). Kept apart from training.finetune, which imports the
per-kind loops, so they can import these without a cycle."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.bundle import Bundle
from engine.finetune_request import FinetuneRequest, RequestError


def refuse_overlap(train: Iterable[str], heldout: Iterable[str], noun: str = "cases") -> None:
    """RequestError when a case is in both sets: held-out cases are never trained on."""
    overlap = sorted(set(train) & set(heldout))
    if overlap:
        raise RequestError(
            f"{noun} {overlap[:5]} are both training and held-out cases; held-out cases "
            "are never trained on"
        )


def start_event(
    request: FinetuneRequest, base: Bundle, n_train: int, n_heldout: int, n_replay: int = 0
) -> dict[str, Any]:
    """The job's "start" event, sent once the data is read and before the first step."""
    return {
        "event": "start",
        "job_id": request.job_id,
        "base_model_id": base.spec.model_id,
        "epochs": request.epochs,
        "n_train": n_train,
        "n_replay": n_replay,
        "n_heldout": n_heldout,
    }
