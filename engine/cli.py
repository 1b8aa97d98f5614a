"""`lesionlens` command line. Headless commands run here; the GUI runs in its own process.

The GUI (`view`) lives in the desktop package, which engine must not import (engine stays
Qt-free), so `view` starts `python -m desktop` as a child process and returns its exit code.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from engine.errors import BundleError, DatasetError, LesionLensError, LoadError

EXIT_OK, EXIT_FAILED_INPUTS, EXIT_USAGE = 0, 1, 2
# engine.synth.dataset.KINDS, spelled out so `lesionlens --help` does not import the generators.
SYNTH_KINDS = ("nodes", "skin", "skin-pair", "scinti", "kidney-ct")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lesionlens",
        description="Lesion segmentation + classification workstation "
        "(research use; not for diagnosis).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    view = sub.add_parser("view", help="open the GUI (the bundled sample when no PATH)")
    view.add_argument("path", nargs="?", type=Path)
    view.add_argument("--model", type=Path, default=None)

    analyze = sub.add_parser("analyze", help="segment and classify images; write mask + findings")
    analyze.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    analyze.add_argument("--out", type=Path, required=True, metavar="DIR")
    analyze.add_argument("--model", type=Path, default=None, metavar="MODEL_DIR")
    analyze.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")

    evaluate = sub.add_parser("evaluate", help="score a model on a labelled data set folder")
    evaluate.add_argument("--data", type=Path, required=True, metavar="DIR")
    evaluate.add_argument("--model", type=Path, default=None, metavar="MODEL_DIR")
    evaluate.add_argument("--json", type=Path, default=None, metavar="OUT")
    evaluate.add_argument(
        "--plots",
        type=Path,
        default=None,
        metavar="DIR",
        help="ROC, reliability, Dice, worst cases",
    )
    evaluate.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")

    synth = sub.add_parser("synth", help="write a synthetic data set in the canonical format")
    synth.add_argument("kind", choices=SYNTH_KINDS)
    synth.add_argument("--n", type=int, required=True)
    synth.add_argument("--out", type=Path, required=True, metavar="DIR")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--shift", action="store_true", help="look of another scanner")
    synth.add_argument(
        "--dicom", action="store_true", help="nodes only: calibrated DICOM images instead of PNG"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["view"])
    handlers = {"view": _view, "analyze": _analyze, "evaluate": _evaluate, "synth": _synth}
    try:
        return handlers[args.command](args)
    except (BundleError, DatasetError, LesionLensError) as exc:
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _error(message: str) -> None:
    print(f"lesionlens: error: {message}", file=sys.stderr)


def _view(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "desktop"]
    if args.path is not None:
        command.append(str(args.path))
    if args.model is not None:
        command += ["--model", str(args.model)]
    return subprocess.call(command)


def expand_inputs(inputs: Iterable[Path]) -> list[Path]:
    """Files as given; folders contribute their supported images (sorted, not recursive)."""
    from engine.io import SUPPORTED_SUFFIXES

    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
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
    from engine.inference import load_model
    from engine.io import load_image

    model = load_model(args.model, device=args.device)
    files = expand_inputs(args.inputs)
    if not files:
        _error("no input images found")
        return EXIT_USAGE
    failures = 0
    for i, (path, name) in enumerate(zip(files, output_names(files), strict=True), start=1):
        try:
            analysis = analyze(load_image(path), model)
        except LoadError as exc:
            failures += 1
            _error(str(exc))
            continue
        write_analysis(analysis, args.out / name)
        label = analysis.prediction.label
        prob = analysis.prediction.probabilities[label]
        print(
            f"[{i}/{len(files)}] {path.name}: {label} ({prob:.0%}), "
            f"{len(analysis.findings)} lesion(s) -> {args.out / name}",
            file=sys.stderr,
        )
    if failures:
        _error(f"{failures} of {len(files)} input(s) could not be analysed")
        return EXIT_FAILED_INPUTS
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    from engine.atomic import write_json_atomic
    from engine.evaluation import evaluate_folder
    from engine.inference import load_model

    model = load_model(args.model, device=args.device)

    def progress(done: int, total: int) -> None:
        print(f"\r[{done}/{total}] evaluating", end="", file=sys.stderr, flush=True)

    result = evaluate_folder(args.data, model, progress=progress, keep_masks=args.plots is not None)
    print(file=sys.stderr)
    if args.plots is not None:
        from engine.evaluation_plots import write_plots

        for path in write_plots(result, args.plots):
            print(f"wrote {path}", file=sys.stderr)
        result.pop("masks", None)
    result["model_id"] = model.spec.model_id
    result["data"] = str(args.data)
    print(json.dumps(result["summary"], indent=2, allow_nan=True))
    if args.json is not None:
        write_json_atomic(args.json, result)
    return EXIT_OK


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


if __name__ == "__main__":
    sys.exit(main())
