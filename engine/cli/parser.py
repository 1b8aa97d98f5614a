"""The `lesionlens` argument parser: every command's options, and nothing that runs them
(engine.cli.reading / training / tools do). Importing it loads no numpy: `lesionlens --help`
stays fast."""

from __future__ import annotations

import argparse
from pathlib import Path

MODEL_HELP = "a bundle folder, or a shipped model by its folder name (breast-us, default)"

# engine.synth.dataset.KINDS, spelled out so `lesionlens --help` does not import the generators.
SYNTH_KINDS = ("nodes", "breast", "skin", "skin-pair", "scinti", "kidney-ct")

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
        help="lesion descriptors (images): auto = the model's own (model.json, else breast "
        "BI-RADS, thyroid TI-RADS, lymph node (the default model) node descriptors, else none)",
    )
    _add_frame_option(analyze)
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
        "--dicom",
        action="store_true",
        help="nodes and breast: calibrated ultrasound DICOM images instead of PNG",
    )
    from engine.interactive.parser import add_segment_parser

    add_segment_parser(sub)
    _add_export_parser(sub)
    _add_train_parser(sub)
    _add_feedback_parsers(sub)
    from engine.pacs.parser import add_pacs_parser

    add_pacs_parser(sub, _home_parent())
    return parser


def _add_frame_option(command: argparse.ArgumentParser) -> None:
    """analyze and export: the same frame of a cine, and the measurements stored on it."""
    command.add_argument("--frame", type=int, default=1, help="analysed frame of a cine (1-based)")


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
        "held-out cases. Without --data: the corrected cases of the datastore in --home, "
        "of the model's kind (CT volume cases for a volume model, confirmed studies for a "
        "multi-view one), its fixed split deciding.",
    )
    finetune.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="a canonical data set folder; default: the corrected cases of the datastore in "
        "--home (CT volume cases for a volume model, confirmed studies for a multi-view "
        "model, 2D cases for any other)",
    )
    finetune.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR")
    finetune.add_argument(
        "--base",
        "--model",
        dest="base",
        type=Path,
        default=None,
        metavar="MODEL_DIR",
        help="the bundle to fine-tune; default: the registry's active model of --family",
    )
    finetune.add_argument(
        "--family",
        default="image",
        metavar="FAMILY",
        help="without --model: whose active model to fine-tune: image (default), volume (the "
        "CT model) or views:<view>+<view> (a study model); a candidate is always judged "
        "against, and promoted into, its own family",
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
        help="share of every batch replayed (default 0.5)",
    )
    finetune.add_argument(
        "--promote", action="store_true", help="register the candidate (active if the gate passes)"
    )
    models = sub.add_parser("models", help="list, activate or roll back registered models")
    actions = models.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        parents=[home],
        help="every model by family, the active one of each marked *",
        description="The image family first, then every other family the registry has "
        "started (under a '[family]' line); --family all adds the shipped families not "
        "started yet, --family FAMILY lists only that one.",
    )
    listing.add_argument("--family", default=None, metavar="FAMILY")
    activate = actions.add_parser(
        "activate", parents=[home], help="make a model the active one of its family"
    )
    activate.add_argument("model_id", metavar="ID")
    activate.add_argument("--force", action="store_true", help="even one the gate rejected")
    rollback = actions.add_parser(
        "rollback", parents=[home], help="back to the family's previous active model"
    )
    rollback.add_argument(
        "--family", default="image", metavar="FAMILY", help="image (default), volume or views:..."
    )


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
    _add_frame_option(export)
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
