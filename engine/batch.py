"""The one loop of every command-line batch (analyze, export; images, studies, volumes).

Each kind of case used to carry its own copy of this loop, and the copies drifted: one
printed its results on stdout and the others on stderr, one counted "input(s)" and another
"studies", one named a failed case by its file and another by its case id. Here a batch is a
list of items and one step per item; the loop owns the progress (engine.progress: a bar on a
terminal, plain lines in a log), the rule that one bad case never stops the batch (its
failure is one line naming it and the reason, then the next case), and the exit status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from engine.progress import StepProgress, failure_line

EXIT_OK, EXIT_FAILED_INPUTS = 0, 1

Item = TypeVar("Item")


def run_cases(
    items: Sequence[Item],
    step: Callable[[Item], str],
    name: Callable[[Item], str],
    desc: str,
    noun: str = "input(s)",
) -> int:
    """Runs `step` on every item; its return value is the case's result line (printed as
    "[i/n] line"). Any exception from a step is that case's failure: one line with
    name(item) and the reason, and the batch goes on. Returns EXIT_OK, or EXIT_FAILED_INPUTS
    after a last line counting the failures ("2 of 5 input(s) could not be analysed", with
    desc as the verb). KeyboardInterrupt is not an Exception and still ends the batch."""
    total, failures = len(items), 0
    with StepProgress(total, desc) as progress:
        for i, item in enumerate(items, start=1):
            try:  # read, predict, write: any failure is this case's, not the batch's
                line = step(item)
            except Exception as exc:  # noqa: BLE001 - one line per bad case, then the next
                failures += 1
                progress.step(failure_line(i, total, name(item), exc))
                continue
            progress.step(f"[{i}/{total}] {line}")
        if failures:
            progress.write(
                f"lesionlens: error: {failures} of {total} {noun} could not be {_past(desc)}"
            )
    return EXIT_FAILED_INPUTS if failures else EXIT_OK


def _past(desc: str) -> str:
    """ "analysing" -> "analysed", "exporting" -> "exported"."""
    return desc[: -len("ing")] + "ed" if desc.endswith("ing") else desc
