"""A dependency-free progress bar for the console (stderr), so JSON lines on stdout stay clean."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """`[#######.......]  45% 90/200 epoch 3 loss 0.412  eta 1m20s`, redrawn in place at most
    a few times a second."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 28) -> None:
        self.total = max(1, total)
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.started = time.monotonic()
        self._last_draw = 0.0

    def update(self, done: int, text: str = "") -> None:
        now = time.monotonic()
        if done < self.total and now - self._last_draw < 0.2:
            return
        self._last_draw = now
        frac = min(1.0, done / self.total)
        filled = int(round(frac * self.width))
        elapsed = now - self.started
        eta = elapsed / frac * (1 - frac) if frac > 0 else 0.0
        line = (
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {frac:4.0%} "
            f"{done}/{self.total} {text}  eta {format_seconds(eta)}"
        )
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
