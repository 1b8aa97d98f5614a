"""The training progress bar on stderr (stdout carries the JSON lines): engine.progress,
i.e. a tqdm bar on a terminal and one plain line every few per cent in a log."""

from __future__ import annotations

from typing import TextIO

from engine.progress import StepProgress


class ProgressBar:
    """update(done, text): `done` of `total` optimiser steps so far, with a short status
    ("epoch 3 loss 0.412"); close() at the end."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self._progress = StepProgress(max(1, total), "training", stream=stream, unit="step")

    def update(self, done: int, text: str = "") -> None:
        step = done - self._progress.done
        if step > 0:
            self._progress.step(n=step, postfix=text)

    def close(self) -> None:
        self._progress.close()


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
