"""Progress and per-case failures of long command-line batches (analyze, evaluate, export,
training), on stderr so that stdout stays machine-readable.

On a terminal, a tqdm bar at the bottom with the case lines above it. Anywhere else (a log
file, a pipe, a job's captured stderr), tqdm is disabled and each step is one plain line,
so nothing runs together ("[1/647] evaluating[2/647] evaluating..." was the old output).

A batch never stops for one bad file: `failure_line` names the file and the reason of any
exception, the batch goes on, and the command exits 1 at the end. KeyboardInterrupt is not an
Exception and still ends the run.
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

from engine.errors import LesionLensError, LoadError

# Without a terminal, at most this many progress lines per batch (plus the last one); a
# step that prints its own line (a case's result) always does.
LOG_LINES = 20


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False


def failure_reason(exc: BaseException) -> str:
    """One line on why a case failed. LesionLens errors say it themselves (a LoadError without
    its path, which the caller names); anything else is unexpected: its type and message."""
    if isinstance(exc, LoadError):
        return exc.reason
    if isinstance(exc, LesionLensError):
        return str(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def failure_line(done: int, total: int, name: str, exc: BaseException) -> str:
    return f"lesionlens: error: [{done}/{total}] {name}: {failure_reason(exc)}"


class StepProgress:
    """`done` of `total` steps: a bar on a terminal, plain lines elsewhere.

    step(line): one step done; its line (a case's result), if any, is printed above the bar
    or as a line of the log. Without a line, a log gets "[done/total] desc" every
    total/LOG_LINES steps and at the end. write(line): a line that is not a step (an error
    before the batch, a summary)."""

    def __init__(
        self,
        total: int,
        desc: str = "",
        stream: TextIO | None = None,
        every: int | None = None,
        unit: str = "case",
    ) -> None:
        self.total = max(0, int(total))
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.terminal = is_terminal(self.stream)
        self.every = every if every is not None else max(1, self.total // LOG_LINES)
        self._bar = tqdm(
            total=self.total,
            desc=desc,
            file=self.stream,
            unit=unit,
            disable=not self.terminal,
            dynamic_ncols=True,
            leave=True,
        )

    def step(self, line: str = "", n: int = 1, postfix: str = "") -> None:
        self.done += n
        if self.terminal:
            if line:
                self._bar.write(line, file=self.stream)
            if postfix:
                self._bar.set_postfix_str(postfix, refresh=False)
            self._bar.update(n)
            return
        if line:
            self._print(line)
        elif self.done >= self.total or self.done // self.every > (self.done - n) // self.every:
            text = f"[{self.done}/{self.total}] {self.desc}".rstrip()
            self._print(f"{text} {postfix}".rstrip())

    def write(self, line: str) -> None:
        if self.terminal:
            self._bar.write(line, file=self.stream)
        else:
            self._print(line)

    def close(self) -> None:
        self._bar.close()

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def __enter__(self) -> StepProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
