"""`lesionlens view`, `synth`, `pacs` and `segment`: the GUI in its own process (engine must not
import desktop, which is Qt), synthetic data sets, and the PACS and click-to-segment commands
of their own packages."""

from __future__ import annotations

import argparse
import subprocess
import sys

from engine.cli.common import EXIT_OK, EXIT_USAGE, error


def view_command(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "desktop"]
    if args.path is not None:
        command.append(str(args.path))
    if args.model is not None:
        command += ["--model", str(args.model)]
    if args.screenshot is not None:
        command += ["--screenshot", str(args.screenshot)]
    return subprocess.call(command)


def synth_command(args: argparse.Namespace) -> int:
    from engine.progress import StepProgress
    from engine.synth.dataset import DICOM_KINDS, write_dataset

    if args.n < 1:
        error("--n must be at least 1")
        return EXIT_USAGE
    if args.dicom and args.kind not in DICOM_KINDS:
        error(f"--dicom is available for the {' and '.join(DICOM_KINDS)} kinds only")
        return EXIT_USAGE
    with StepProgress(args.n, args.kind, unit="image") as bar:
        write_dataset(
            args.kind,
            args.n,
            args.out,
            seed=args.seed,
            shift=args.shift,
            progress=lambda done, total: bar.step(),
            dicom=args.dicom,
        )
    print(str(args.out))
    return EXIT_OK


def pacs_command(args: argparse.Namespace) -> int:
    from engine.pacs.commands import run_pacs

    return run_pacs(args)


def segment_command(args: argparse.Namespace) -> int:
    from engine.interactive.commands import run_segment

    return run_segment(args)
