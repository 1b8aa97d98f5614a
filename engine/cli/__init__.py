"""`lesionlens` command line: the parser (engine.cli.parser) and the commands (engine.cli.reading:
analyze / evaluate / export; engine.cli.training: train / finetune / models; engine.cli.tools:
view / synth / pacs / segment). Headless commands run here; the GUI runs in its own process.

The GUI (`view`) lives in the desktop package, which engine must not import (engine stays
Qt-free), so `view` starts `python -m desktop` as a child process and returns its exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from engine.cli.common import EXIT_USAGE, error
from engine.cli.parser import SYNTH_KINDS, build_parser
from engine.cli.reading import analyze_command, evaluate_command, export_command
from engine.cli.tools import pacs_command, segment_command, synth_command, view_command
from engine.cli.training import finetune_command, models_command, train_command
from engine.errors import BundleError, DatasetError, LesionLensError
from engine.model_catalog import resolve_model_dir

__all__ = ["SYNTH_KINDS", "build_parser", "main"]


def main(argv: list[str] | None = None) -> int:
    from engine.interactive.parser import join_prompt_values

    parser = build_parser()
    args = parser.parse_args(join_prompt_values(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        args = parser.parse_args(["view"])
    handlers = {
        "view": view_command,
        "analyze": analyze_command,
        "evaluate": evaluate_command,
        "synth": synth_command,
        "export": export_command,
        "train": train_command,
        "finetune": finetune_command,
        "models": models_command,
        "pacs": pacs_command,
        "segment": segment_command,
    }
    try:
        if isinstance(getattr(args, "model", None), Path):  # a folder, or a shipped name
            args.model = resolve_model_dir(args.model)
        return handlers[args.command](args)
    except (BundleError, DatasetError, LesionLensError) as exc:
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        error("interrupted")
        return 130
