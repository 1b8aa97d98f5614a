"""`lesionlens analyze`, `evaluate` and `export`: one path for every kind of case. The kind
of a batch comes from engine.case (built on engine.case_kind, as the GUI's is); its Task
(engine.tasks: image, views, volume) reads, analyses, writes and exports each case, and the
loops are the shared ones (engine.tasks.run over engine.batch.run_cases, engine.evaluation)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cli.common import EXIT_FAILED_INPUTS, EXIT_OK, EXIT_USAGE, error
from engine.progress import StepProgress, failure_reason

if TYPE_CHECKING:  # engine.evaluation imports numpy; `lesionlens --help` should not
    from engine.evaluation import Scoring


def analyze_command(args: argparse.Namespace) -> int:
    from engine.case import inputs_kind
    from engine.tasks import AnalyseRequest, BatchRefused, analyse_cases, task_for_kind

    request = AnalyseRequest.from_args(args)
    task = task_for_kind(inputs_kind(args.inputs, args.case, args.model))
    try:
        batch = task.analyse_batch(args.inputs, request)
    except BatchRefused as exc:
        error(str(exc))
        return EXIT_USAGE
    return analyse_cases(task, batch, request)


def evaluate_command(args: argparse.Namespace) -> int:
    from engine.atomic import write_json_atomic
    from engine.evaluation import evaluate

    scoring = scoring_for(args)
    failures: list[str] = []
    bar: StepProgress | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = StepProgress(total, "evaluating")
        bar.step()

    def failed(case: str, path: Path | None, exc: Exception) -> None:  # goes on with the rest
        failures.append(case)
        line = f"lesionlens: error: case {case} ({path}): {failure_reason(exc)}"
        if bar is not None:
            bar.write(line)
        else:
            print(line, file=sys.stderr, flush=True)

    try:
        on_error = failed if scoring.goes_on_past_failures else None
        result = evaluate(scoring, progress=progress, on_error=on_error)
    finally:
        if bar is not None:
            bar.close()
    if args.plots is not None and "masks" in result:  # the kinds that keep masks (images)
        from engine.evaluation_plots import write_plots

        for path in write_plots(result, args.plots):
            print(f"wrote {path}", file=sys.stderr)
    result.pop("masks", None)
    result["model_id"] = scoring.model.spec.model_id
    result["data"] = str(args.data)
    print(json.dumps(result["summary"], indent=2, allow_nan=True))
    if args.json is not None:
        write_json_atomic(args.json, result)
    if failures:
        error(f"{len(failures)} case(s) could not be evaluated and are left out of the scores")
        return EXIT_FAILED_INPUTS
    return EXIT_OK


def scoring_for(args: argparse.Namespace) -> Scoring:
    """The kind of case in --data (engine.case.dataset_kind: volumes, multi-view cases or
    images), scored by its task with its model."""
    from engine.case import dataset_kind
    from engine.tasks import EvaluateRequest, task_for_kind

    return task_for_kind(dataset_kind(args.data)).scoring(EvaluateRequest.from_args(args))


def export_command(args: argparse.Namespace) -> int:
    """Prints case names and results only: no file name when de-identifying, no metadata."""
    from engine.case import inputs_kind
    from engine.tasks import BatchRefused, ExportBatchRequest, task_for_kind

    task = task_for_kind(inputs_kind(args.inputs, args.case, args.model))
    try:
        return task.export(args.inputs, ExportBatchRequest.from_args(args))
    except BatchRefused as exc:
        error(str(exc))
        return EXIT_USAGE
