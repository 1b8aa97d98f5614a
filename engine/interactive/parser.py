"""The `segment` subcommand's arguments (light: `lesionlens --help` loads no model code).

Clicks and the box are parsed by engine.interactive.clicks when the command runs."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

PROMPT_OPTIONS = ("--click", "--box")


def add_segment_parser(sub: argparse._SubParsersAction) -> None:
    segment = sub.add_parser(
        "segment", help="outline a lesion from clicks (and a box): write mask + findings"
    )
    segment.add_argument("image", type=Path, metavar="IMAGE")
    segment.add_argument(
        "--click",
        action="append",
        default=[],
        metavar="R,C",
        help="a click at row R, column C (image pixels); -R,C removes (a negative click)",
    )
    segment.add_argument("--box", default=None, metavar="R0,C0,R1,C1")
    segment.add_argument("--out", type=Path, required=True, metavar="DIR")
    segment.add_argument(
        "--model", type=Path, default=None, metavar="MODEL", help="an interactive bundle folder"
    )


def join_prompt_values(argv: Sequence[str]) -> list[str]:
    """For `segment`: `--click -12,30` -> `--click=-12,30` (argparse would read a value with
    a leading minus as an option)."""
    if "segment" not in argv:
        return list(argv)
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in PROMPT_OPTIONS and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out
