"""`lesionlens analyze`, `evaluate` and `export`: the kind of case decides (engine.case_kind)
which stack reads it; images here, studies in engine.study.commands, volumes in
engine.volume.commands, every batch through engine.batch.run_cases."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cli.common import (
    EXIT_FAILED_INPUTS,
    EXIT_OK,
    EXIT_USAGE,
    error,
    expand_inputs,
    frame_index,
    output_names,
)
from engine.progress import StepProgress, failure_reason

if TYPE_CHECKING:  # engine.evaluation imports numpy; `lesionlens --help` should not
    from engine.evaluation import Scoring
    from engine.inference import LoadedModel


def analyze_command(args: argparse.Namespace) -> int:
    from engine.analysis import analyze, write_analysis
    from engine.batch import run_cases
    from engine.case_kind import is_volume_input
    from engine.reader_input import read_as_stored
    from engine.reader_measurements import stored_for_file
    from engine.volume.commands import analyze_volumes

    if any(is_volume_input(p) for p in args.inputs):  # CT/MR: kidney and tumour
        return analyze_volumes(args)
    from engine.study.commands import analyze_studies, study_inputs

    studies = study_inputs(args.inputs, args.case, args.model)  # multi-view cases
    if studies is not None:
        return analyze_studies(studies, args.out, args.model, args.device, not args.no_tta)
    index = frame_index(args.frame)
    if index is None:
        return EXIT_USAGE
    model = image_model(args)
    files = expand_inputs(args.inputs)
    if not files:
        error("no input images found")
        return EXIT_USAGE

    def step(item: tuple[Path, str]) -> str:
        path, out = item[0], args.out / item[1]
        # As export reads it: that frame, the reader's calibration and measurements on it.
        image, measured = read_as_stored(path, index, stored_for_file)
        analysis = analyze(image, model, tta=not args.no_tta, template=args.template)
        write_analysis(analysis, out, measured, frame=args.frame)
        label = analysis.prediction.label
        prob = analysis.prediction.probabilities[label]
        return f"{path.name}: {label} ({prob:.0%}), {len(analysis.findings)} lesion(s) -> {out}"

    items = list(zip(files, output_names(files), strict=True))
    return run_cases(items, step, lambda item: str(item[0]), "analysing")


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
    """The kind of case in --data, with its model: volumes, multi-view cases or images."""
    from engine.volume.evaluation import is_volume_dataset

    if is_volume_dataset(args.data):
        from engine.volume.commands import volume_model
        from engine.volume.evaluation import VolumeScoring, volume_cases

        return VolumeScoring(volume_cases(args.data), volume_model(args.model, args.device))
    if (args.data / "views.csv").is_file():  # multi-view cases: one class per case
        from engine.study.commands import study_scoring

        return study_scoring(args.data, args.model, args.device)
    from engine.evaluation import ImageScoring

    model = image_model(args)
    return ImageScoring(args.data, model, keep_masks=args.plots is not None)


def export_command(args: argparse.Namespace) -> int:
    """Prints case names and results only: no file name when de-identifying, no metadata."""
    from engine.analysis import analyze
    from engine.case_kind import is_volume_input
    from engine.reader_measurements import stored_for_file
    from engine.report import ModelInfo
    from engine.report.batch import BatchOptions, export_batch
    from engine.volume.commands import export_volumes

    if any(is_volume_input(p) for p in args.inputs):  # two-segment SEG + JSON per volume
        return export_volumes(args)
    from engine.study.commands import study_inputs

    studies = study_inputs(args.inputs, args.case, args.model)  # multi-view: PDF, JSON, CSV
    if studies is not None:
        return export_studies_command(studies, args)
    index = frame_index(args.frame)
    if index is None:
        return EXIT_USAGE
    files = expand_inputs(args.inputs)
    if not files:
        error("no input images found")
        return EXIT_USAGE
    model = image_model(args)
    options = BatchOptions(
        out=args.out,
        pdf=args.pdf,
        seg=args.seg,
        sr=args.sr,
        key_image=args.key_image,
        json=args.json,
        csv=args.csv,
        deidentify=args.deidentify,
        reviewer=args.reviewer,
        frame_index=index,
        overwrite=args.overwrite,
    )
    outcomes = export_batch(
        files,
        output_names(files),
        lambda image: analyze(image, model),
        ModelInfo.from_spec(model.spec),
        options,
        stored=stored_for_file,  # the reader's measurements, where the viewer stored some
    )
    failures = 0
    with StepProgress(len(files), "exporting") as progress:
        for outcome in outcomes:
            written = ", ".join(str(p) for p in outcome.written)
            if outcome.index == 0:
                if outcome.error:
                    failures += 1
                    progress.write(f"lesionlens: error: batch tables: {outcome.error}")
                else:
                    progress.write(f"batch tables -> {written}")
                continue
            who = outcome.case + (f" ({outcome.file})" if outcome.file else "")
            if outcome.error:
                failures += 1
                progress.step(
                    f"lesionlens: error: [{outcome.index}/{len(files)}] {who}: {outcome.error}"
                )
                continue
            prediction = outcome.analysis.prediction
            progress.step(
                f"[{outcome.index}/{len(files)}] {who}: {prediction.label} "
                f"({prediction.probabilities[prediction.label]:.0%}), "
                f"{len(outcome.analysis.findings)} lesion(s) -> {written}"
            )
    if failures:
        error(f"{failures} of {len(files)} input(s) could not be exported")
        return EXIT_FAILED_INPUTS
    return EXIT_OK


def export_studies_command(studies: list, args: argparse.Namespace) -> int:
    from engine.report.study_batch import StudyExportOptions
    from engine.study.commands import export_studies

    if args.seg or args.sr or args.key_image:
        error("a multi-view study exports --pdf, --json and --csv (no SEG, SR or key image)")
        return EXIT_USAGE
    options = StudyExportOptions(
        out=args.out,
        pdf=args.pdf,
        json=args.json,
        csv=args.csv,
        deidentify=args.deidentify,
        reviewer=args.reviewer,
        model=args.model,
        device=args.device,
    )
    return EXIT_FAILED_INPUTS if export_studies(studies, options) else EXIT_OK


def image_model(args: argparse.Namespace) -> LoadedModel:
    """The single-image model of analyze / evaluate / export: --model or the registry's
    active one (engine.model_lookup), at --precision (export has none: auto) and at the
    --operating-point the reader named."""
    from engine.case_kind import IMAGE
    from engine.model_lookup import find_model

    precision = getattr(args, "precision", "auto")
    model = find_model(IMAGE, args.model, device=args.device, precision=precision)
    if args.operating_point:
        model = model.at_operating_point(args.operating_point)
    return model
