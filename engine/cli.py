"""`lesionlens` command line. Headless commands run here; the GUI runs in its own process.

The GUI (`view`) lives in the desktop package, which engine must not import (engine stays
Qt-free), so `view` starts `python -m desktop` as a child process and returns its exit code.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import BundleError, DatasetError, LesionLensError
from engine.model_catalog import resolve_model_dir
from engine.progress import StepProgress, failure_reason

if TYPE_CHECKING:  # engine.evaluation imports numpy; `lesionlens --help` should not
    from engine.evaluation import Scoring

MODEL_HELP = "a bundle folder, or a shipped model by its folder name (breast-us, default)"

EXIT_OK, EXIT_FAILED_INPUTS, EXIT_USAGE = 0, 1, 2
# engine.synth.dataset.KINDS, spelled out so `lesionlens --help` does not import the generators.
SYNTH_KINDS = ("nodes", "skin", "skin-pair", "scinti", "kidney-ct")
# `lesionlens train` options passed through to training.train_cli as they are.
TRAIN_OPTIONS = (
    ("epochs", int),
    ("source-epochs", int),
    ("freeze-schedule", str),
    ("encoder-lr-scale", float),
    ("size", int),
    ("width", int),
    ("batch-size", int),
    ("lr", float),
    ("focal-gamma", float),
    ("select", str),
    ("seed", int),
    ("threads", int),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lesionlens",
        description="Lesion segmentation + classification workstation "
        "(research use; not for diagnosis).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    view = sub.add_parser("view", help="open the GUI (the bundled sample when no PATH)")
    view.add_argument("path", nargs="?", type=Path)
    view.add_argument("--model", type=Path, default=None, metavar="MODEL", help=MODEL_HELP)
    view.add_argument(
        "--screenshot", type=Path, default=None, metavar="PNG", help="save the window, then exit"
    )

    analyze = sub.add_parser("analyze", help="segment and classify images; write mask + findings")
    analyze.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    analyze.add_argument("--out", type=Path, required=True, metavar="DIR")
    analyze.add_argument("--model", type=Path, default=None, metavar="MODEL", help=MODEL_HELP)
    analyze.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    analyze.add_argument(
        "--precision",
        choices=("auto", "fp32", "int8"),
        default="auto",
        help="auto: the bundle's gated int8 model on the CPU if it has one, else fp32",
    )
    analyze.add_argument(
        "--no-tta",
        action="store_true",
        help="one pass instead of four (about 3x faster; no uncertainty spread)",
    )
    analyze.add_argument(
        "--operating-point",
        default=None,
        metavar="NAME",
        help="lesion-present threshold by name (the model's card lists them, e.g. sensitive, "
        "balanced, specific); default: the model's own",
    )
    analyze.add_argument(
        "--template",
        choices=("auto", "bi-rads", "ti-rads", "lymph-node", "none"),
        default="auto",
        help="lesion descriptors (images): auto = the model's own (breast BI-RADS, thyroid "
        "TI-RADS, else none unless model.json says so)",
    )
    analyze.add_argument(
        "--labels-nifti", action="store_true", help="volumes: also write labels.nii.gz"
    )
    analyze.add_argument(
        "--case", default=None, metavar="ID", help="multi-view data set (views.csv): this case"
    )

    evaluate = sub.add_parser("evaluate", help="score a model on a labelled data set folder")
    evaluate.add_argument("--data", type=Path, required=True, metavar="DIR")
    evaluate.add_argument("--model", type=Path, default=None, metavar="MODEL", help=MODEL_HELP)
    evaluate.add_argument("--json", type=Path, default=None, metavar="OUT")
    evaluate.add_argument(
        "--plots",
        type=Path,
        default=None,
        metavar="DIR",
        help="ROC, reliability, Dice, worst cases",
    )
    evaluate.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    evaluate.add_argument(
        "--operating-point",
        default=None,
        metavar="NAME",
        help="images: score at this lesion-present operating point (see analyze)",
    )
    evaluate.add_argument(
        "--precision",
        choices=("auto", "fp32", "int8"),
        default="auto",
        help="auto: the bundle's gated int8 model on the CPU if it has one, else fp32",
    )

    synth = sub.add_parser("synth", help="write a synthetic data set in the canonical format")
    synth.add_argument("kind", choices=SYNTH_KINDS)
    synth.add_argument("--n", type=int, required=True)
    synth.add_argument("--out", type=Path, required=True, metavar="DIR")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--shift", action="store_true", help="look of another scanner")
    synth.add_argument(
        "--dicom", action="store_true", help="nodes only: calibrated DICOM images instead of PNG"
    )
    from engine.interactive.parser import add_segment_parser

    add_segment_parser(sub)
    _add_export_parser(sub)
    _add_train_parser(sub)
    _add_feedback_parsers(sub)
    from engine.pacs.parser import add_pacs_parser

    add_pacs_parser(sub, _home_parent())
    return parser


def _home_parent() -> argparse.ArgumentParser:
    home = argparse.ArgumentParser(add_help=False)
    home.add_argument(
        "--home",
        type=Path,
        default=None,
        metavar="DIR",
        help="data root (default: $LESIONLENS_HOME or the user data folder)",
    )
    return home


def _add_train_parser(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser(
        "train",
        help="transfer learning: pretrain on --source, fine-tune on --target, write a bundle",
        description="Runs `python -m training.train_cli` (torch) as a child process; progress "
        "is printed as JSON lines. Without --source the target is trained from scratch.",
    )
    train.add_argument("--target", type=Path, required=True, metavar="DIR")
    train.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR")
    train.add_argument("--source", type=Path, default=None, metavar="DIR")
    train.add_argument("--pretrained", type=Path, default=None, metavar="WEIGHTS")
    for option, kind in TRAIN_OPTIONS:
        train.add_argument(f"--{option}", type=kind, default=None)
    train.add_argument("--work", type=Path, default=None, metavar="DIR")
    train.add_argument("--resume", action="store_true")


def _add_feedback_parsers(sub: argparse._SubParsersAction) -> None:
    """`finetune` and `models`: the clinician-correction loop (engine.jobs, engine.registry)."""
    home = _home_parent()
    finetune = sub.add_parser(
        "finetune",
        parents=[home],
        help="fine-tune a model on corrected cases, then gate it against its base",
        description="Trains in a child process (python -m training.finetune) that prints JSON "
        "lines; uses DIR's split.csv (train rows train, val rows are held out) unless --heldout "
        "is given; without one, the fixed split is drawn once and kept in the data root "
        "(--home), never written into DIR. Then scores candidate and base on the same "
        "held-out cases.",
    )
    finetune.add_argument("--data", type=Path, required=True, metavar="DIR")
    finetune.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR")
    finetune.add_argument(
        "--base",
        type=Path,
        default=None,
        metavar="MODEL_DIR",
        help="default: the registry's active model",
    )
    finetune.add_argument("--epochs", type=int, default=12)
    finetune.add_argument("--heldout", type=Path, default=None, metavar="DIR")
    finetune.add_argument("--seed", type=int, default=0)
    finetune.add_argument(
        "--replay-folder",
        type=Path,
        default=None,
        metavar="DIR",
        help="the base model's own training data (any data-set layout), replayed so it does not "
        "forget it; default: the bundle's record, or the folder named for it in the GUI",
    )
    finetune.add_argument(
        "--replay-fraction",
        type=float,
        default=None,
        metavar="F",
        help="share of every batch replayed (default 0.25)",
    )
    finetune.add_argument(
        "--promote", action="store_true", help="register the candidate (active if the gate passes)"
    )
    models = sub.add_parser("models", help="list, activate or roll back registered models")
    actions = models.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", parents=[home], help="every model, the active one marked *")
    activate = actions.add_parser("activate", parents=[home], help="make a model active")
    activate.add_argument("model_id", metavar="ID")
    activate.add_argument("--force", action="store_true", help="even one the gate rejected")
    actions.add_parser("rollback", parents=[home], help="back to the previous active model")


def _add_export_parser(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export",
        help="analyse and write PDF / DICOM SEG / DICOM SR / JSON / CSV (de-identified)",
        description="Relative output names go inside --out; several inputs get one folder per "
        "case. With no output option, all of them are written under default names.",
    )
    export.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    export.add_argument("--out", type=Path, required=True, metavar="DIR")
    for name, what in (
        ("pdf", "PDF report"),
        ("seg", "DICOM Segmentation"),
        ("sr", "DICOM SR (TID 1500 measurement report)"),
        ("key-image", "PNG of the image with outlines and calipers"),
        ("json", "findings of the batch as JSON"),
        ("csv", "findings of the batch as CSV, one row per finding"),
    ):
        export.add_argument(f"--{name}", type=Path, default=None, metavar="F", help=what)
    privacy = export.add_mutually_exclusive_group()
    privacy.add_argument(
        "--deidentify",
        dest="deidentify",
        action="store_true",
        default=True,
        help="DICOM PS3.15 basic profile (the default)",
    )
    privacy.add_argument("--keep-identifiers", dest="deidentify", action="store_false")
    export.add_argument("--reviewer", default="", metavar="NAME")
    export.add_argument(
        "--overwrite",
        action="store_true",
        help="replace outputs that exist already (by default such a case is refused)",
    )
    export.add_argument("--frame", type=int, default=1, help="analysed frame of a cine (1-based)")
    export.add_argument("--model", type=Path, default=None, metavar="MODEL", help=MODEL_HELP)
    export.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    export.add_argument(
        "--operating-point",
        default=None,
        metavar="NAME",
        help="lesion-present threshold by name (the model's card lists them, e.g. sensitive, "
        "balanced, specific); default: the model's own",
    )
    export.add_argument(
        "--case", default=None, metavar="ID", help="multi-view data set (views.csv): this case"
    )


def main(argv: list[str] | None = None) -> int:
    from engine.interactive.parser import join_prompt_values

    parser = build_parser()
    args = parser.parse_args(join_prompt_values(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        args = parser.parse_args(["view"])
    handlers = {
        "view": _view,
        "analyze": _analyze,
        "evaluate": _evaluate,
        "synth": _synth,
        "export": _export,
        "train": _train,
        "finetune": _finetune,
        "models": _models,
        "pacs": _pacs,
        "segment": _segment,
    }
    try:
        if isinstance(getattr(args, "model", None), Path):  # a folder, or a shipped name
            args.model = resolve_model_dir(args.model)
        return handlers[args.command](args)
    except (BundleError, DatasetError, LesionLensError) as exc:
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _pacs(args: argparse.Namespace) -> int:
    from engine.pacs.commands import run_pacs

    return run_pacs(args)


def _segment(args: argparse.Namespace) -> int:
    from engine.interactive.commands import run_segment

    return run_segment(args)


def _error(message: str) -> None:
    print(f"lesionlens: error: {message}", file=sys.stderr)


def _train(args: argparse.Namespace) -> int:
    """Training needs torch, which engine must not import: run it as a child process."""
    command = [sys.executable, "-m", "training.train_cli", "--target", str(args.target)]
    command += ["--out", str(args.out)]
    for name in ("source", "pretrained", "work", *(o for o, _ in TRAIN_OPTIONS)):
        value = getattr(args, name.replace("-", "_"))
        if value is not None:
            command += [f"--{name}", str(value)]
    if args.resume:
        command.append("--resume")
    return subprocess.call(command)


def _view(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "desktop"]
    if args.path is not None:
        command.append(str(args.path))
    if args.model is not None:
        command += ["--model", str(args.model)]
    if args.screenshot is not None:
        command += ["--screenshot", str(args.screenshot)]
    return subprocess.call(command)


def expand_inputs(inputs: Iterable[Path]) -> list[Path]:
    """Files as given; folders contribute their supported images (sorted, not recursive); a
    DICOMDIR (or a folder holding one) contributes the image files it lists, missing ones
    included so that each is reported as a failed input."""
    from engine.io import SUPPORTED_SUFFIXES, find_dicomdir, read_dicomdir

    files: list[Path] = []
    for item in inputs:
        if find_dicomdir(item) is not None:
            entries, missing = read_dicomdir(item)
            files += [entry.path for entry in entries] + [problem.path for problem in missing]
        elif item.is_dir():
            files += sorted(p for p in item.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)
        else:
            files.append(item)
    return files


def output_names(files: list[Path]) -> list[str]:
    """DIR/<stem>; inputs sharing a stem get their suffix appended so nothing is overwritten."""
    stems = [f.stem for f in files]
    names, used = [], set()
    for f, stem in zip(files, stems, strict=True):
        name = stem if stems.count(stem) == 1 else f"{stem}_{f.suffix.lstrip('.').lower()}"
        base, k = name, 2
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        names.append(name)
    return names


def _analyze(args: argparse.Namespace) -> int:
    from engine.analysis import analyze, write_analysis
    from engine.batch import run_cases
    from engine.case_kind import IMAGE, is_volume_input
    from engine.io import load_image
    from engine.model_lookup import find_model
    from engine.volume.commands import analyze_volumes

    if any(is_volume_input(p) for p in args.inputs):  # CT/MR: kidney and tumour
        return analyze_volumes(args)
    from engine.study.commands import analyze_studies, study_inputs

    studies = study_inputs(args.inputs, args.case, args.model)  # multi-view cases
    if studies is not None:
        return analyze_studies(studies, args.out, args.model, args.device, not args.no_tta)
    model = find_model(IMAGE, args.model, device=args.device, precision=args.precision)
    if args.operating_point:
        model = model.at_operating_point(args.operating_point)
    files = expand_inputs(args.inputs)
    if not files:
        _error("no input images found")
        return EXIT_USAGE

    def step(item: tuple[Path, str]) -> str:
        path, out = item[0], args.out / item[1]
        analysis = analyze(load_image(path), model, tta=not args.no_tta, template=args.template)
        write_analysis(analysis, out)
        label = analysis.prediction.label
        prob = analysis.prediction.probabilities[label]
        return f"{path.name}: {label} ({prob:.0%}), {len(analysis.findings)} lesion(s) -> {out}"

    items = list(zip(files, output_names(files), strict=True))
    return run_cases(items, step, lambda item: str(item[0]), "analysing")


def _evaluate(args: argparse.Namespace) -> int:
    from engine.atomic import write_json_atomic
    from engine.evaluation import evaluate

    scoring = _scoring(args)
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
        _error(f"{len(failures)} case(s) could not be evaluated and are left out of the scores")
        return EXIT_FAILED_INPUTS
    return EXIT_OK


def _scoring(args: argparse.Namespace) -> Scoring:
    """The kind of case in --data, with its model: volumes, multi-view cases or images."""
    from engine.volume.evaluation import is_volume_dataset

    if is_volume_dataset(args.data):
        from engine.volume.commands import volume_model
        from engine.volume.evaluation import VolumeScoring, volume_cases

        return VolumeScoring(volume_cases(args.data), volume_model(args.model, args.device))
    if (args.data / "views.csv").is_file():  # multi-view cases: one class per case
        from engine.study.commands import study_scoring

        return study_scoring(args.data, args.model, args.device)
    from engine.case_kind import IMAGE
    from engine.evaluation import ImageScoring
    from engine.model_lookup import find_model

    model = find_model(IMAGE, args.model, device=args.device, precision=args.precision)
    if args.operating_point:
        model = model.at_operating_point(args.operating_point)
    return ImageScoring(args.data, model, keep_masks=args.plots is not None)


def _synth(args: argparse.Namespace) -> int:
    from engine.synth.dataset import write_dataset

    if args.n < 1:
        _error("--n must be at least 1")
        return EXIT_USAGE
    if args.dicom and args.kind != "nodes":
        _error("--dicom is available for the nodes kind only")
        return EXIT_USAGE

    def progress(done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            print(f"[{done}/{total}] {args.kind}", file=sys.stderr)

    write_dataset(
        args.kind,
        args.n,
        args.out,
        seed=args.seed,
        shift=args.shift,
        progress=progress,
        dicom=args.dicom,
    )
    print(str(args.out))
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    """Prints case names and results only: no file name when de-identifying, no metadata."""
    from engine.analysis import analyze
    from engine.case_kind import IMAGE, is_volume_input
    from engine.model_lookup import find_model
    from engine.reader_measurements import stored_for_file
    from engine.report import ModelInfo
    from engine.report.batch import BatchOptions, export_batch
    from engine.volume.commands import export_volumes

    if any(is_volume_input(p) for p in args.inputs):  # two-segment SEG + JSON per volume
        return export_volumes(args)
    from engine.study.commands import study_inputs

    studies = study_inputs(args.inputs, args.case, args.model)  # multi-view: PDF, JSON, CSV
    if studies is not None:
        return _export_studies(studies, args)
    if args.frame < 1:
        _error("--frame counts from 1")
        return EXIT_USAGE
    files = expand_inputs(args.inputs)
    if not files:
        _error("no input images found")
        return EXIT_USAGE
    model = find_model(IMAGE, args.model, device=args.device)
    if args.operating_point:
        model = model.at_operating_point(args.operating_point)
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
        frame_index=args.frame - 1,
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
        _error(f"{failures} of {len(files)} input(s) could not be exported")
        return EXIT_FAILED_INPUTS
    return EXIT_OK


def _export_studies(studies: list, args: argparse.Namespace) -> int:
    from engine.report.study_batch import StudyExportOptions
    from engine.study.commands import export_studies

    if args.seg or args.sr or args.key_image:
        _error("a multi-view study exports --pdf, --json and --csv (no SEG, SR or key image)")
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


def _finetune(args: argparse.Namespace) -> int:
    from engine.jobs import (
        describe_event,
        describe_replay,
        describe_split,
        finetune_request,
        folder_replay,
        folder_selections,
        judge_candidate,
        promote_candidate,
        start_finetune,
    )
    from engine.registry import Registry

    if args.epochs < 1:
        _error("--epochs must be at least 1")
        return EXIT_USAGE
    registry = Registry(args.home)
    base = args.base if args.base is not None else registry.active_dir()
    train, heldout = folder_selections(args.data, args.heldout, root=registry.root)
    where = describe_split(train)
    if where:
        print(where, file=sys.stderr)
    replay = (
        "auto"
        if args.replay_folder is None
        else folder_replay(args.replay_folder, args.replay_fraction)
    )
    request = finetune_request(
        base, train, heldout, args.epochs, args.seed, out=args.out, replay=replay, home=args.home
    )
    if args.replay_fraction is not None and request.replay is not None:
        request = request.replace(
            replay=dataclasses.replace(request.replay, fraction=args.replay_fraction)
        )
    print(describe_replay(request.replay, request.base.model_id), file=sys.stderr)
    job = start_finetune(request, root=registry.root)
    print(f"job {job.job_id}: {job.dir}", file=sys.stderr)
    try:
        for event in job.events():
            line = describe_event(event)
            if line:
                print(line, file=sys.stderr, flush=True)
        code = job.wait()
    except KeyboardInterrupt:
        job.cancel()
        raise
    if code != 0:
        _error(job.error or f"fine-tuning failed (exit status {code})")
        return EXIT_FAILED_INPUTS
    verdict = (
        promote_candidate(job.request, registry)
        if args.promote
        else judge_candidate(job.request, base)
    )
    print(verdict.summary())
    return EXIT_OK


def _models(args: argparse.Namespace) -> int:
    from engine.registry import Registry, describe_entry

    registry = Registry(args.home)
    if args.action == "list":
        for entry in registry.list():
            print(describe_entry(entry))
    elif args.action == "activate":
        print(f"active: {registry.activate(args.model_id, force=args.force).model_id}")
    else:
        print(f"active: {registry.rollback().model_id}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
