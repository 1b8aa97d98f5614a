"""`lesionlens train`: pretrain on a source domain, fine-tune on the target, write a bundle.

    python -m training.train_cli --source DIR --target DIR --out MODEL_DIR [--epochs N]
        [--source-epochs N] [--freeze-schedule deep-first|early-first|none|PREFIX@EPOCH,...]

Without --source (or --pretrained) the target is trained from scratch with the same budget,
which is the baseline a transferred model must beat. Progress goes to stdout as JSON lines
(one per epoch and per event; the GUI and CI parse them), a progress bar to stderr when it
is a terminal. With --work and --resume an interrupted run continues from its last epoch.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

from engine.atomic import write_bytes_atomic
from engine.errors import BundleError, DatasetError
from training.bundle_writer import hash_cases, model_json, write_bundle
from training.data import load_folder
from training.fit import calibration_logits, emit, evaluate_arrays, fit_temperature
from training.transfer import read_state_dict
from training.transfer_recipe import (
    ARCHITECTURE,
    TransferRecipe,
    dataset_classes,
    finetune,
    load_source,
    pretrain,
    split_train_val,
)


def build_parser() -> argparse.ArgumentParser:
    defaults = TransferRecipe()
    parser = argparse.ArgumentParser(prog="lesionlens train", description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, required=True, metavar="DIR")
    parser.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR")
    origin = parser.add_mutually_exclusive_group()
    origin.add_argument("--source", type=Path, default=None, metavar="DIR")
    origin.add_argument(
        "--pretrained", type=Path, default=None, metavar="WEIGHTS", help="weights.pt or a bundle"
    )
    parser.add_argument("--epochs", type=int, default=defaults.target_epochs)
    parser.add_argument("--source-epochs", type=int, default=defaults.source_epochs)
    parser.add_argument("--freeze-schedule", default=defaults.freeze, metavar="SPEC")
    parser.add_argument("--encoder-lr-scale", type=float, default=defaults.encoder_lr_scale)
    parser.add_argument("--size", type=int, default=defaults.size)
    parser.add_argument("--width", type=int, default=defaults.width)
    parser.add_argument("--attention-blocks", type=int, default=defaults.attention_blocks)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--focal-gamma", type=float, default=0.0, help="0: cross-entropy")
    parser.add_argument(
        "--select",
        choices=("last", "best"),
        default=defaults.select,
        help="keep the final weights (fixed budget) or the best validation epoch",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0: default")
    parser.add_argument("--work", type=Path, default=None, help="checkpoints and cached weights")
    parser.add_argument("--resume", action="store_true", help="continue the run in --work")
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.resume and args.work is None:
        emit({"event": "error", "message": "--resume needs --work (where the checkpoints are)"})
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        return run(args)
    except (DatasetError, BundleError, ValueError) as exc:
        emit({"event": "error", "message": str(exc)})
        print(f"lesionlens train: error: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    started = time.time()
    recipe = TransferRecipe(
        size=args.size,
        width=args.width,
        attention_blocks=args.attention_blocks,
        source_epochs=args.source_epochs,
        target_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        encoder_lr_scale=args.encoder_lr_scale,
        freeze=args.freeze_schedule,
        focal_gamma=args.focal_gamma,
        select=args.select,
        seed=args.seed,
    )
    bar = args.progress == "on" or (args.progress == "auto" and sys.stderr.isatty())
    work = args.work or Path(tempfile.mkdtemp(prefix="lesionlens-train-"))
    work.mkdir(parents=True, exist_ok=True)
    emit({"event": "start", "recipe": recipe.as_dict(), "work": str(work)})
    try:
        # Read the target first: a bad target folder should fail before an hour of pretraining.
        classes = dataset_classes(args.target)
        train, val = split_train_val(load_folder(args.target, recipe.size, classes))
        emit({"event": "target", "train": len(train), "val": len(val), "classes": list(classes)})
        pretrained, origin = None, "scratch"
        if args.source is not None:
            pretrained, origin = _pretrained_from_source(args, recipe, work, bar), "source"
        elif args.pretrained is not None:
            pretrained, origin = read_state_dict(args.pretrained), "pretrained"
        net, history, report = finetune(
            train,
            val,
            recipe,
            pretrained,
            checkpoint=str(work / "target.ckpt"),
            resume=args.resume,
            progress_bar=bar,
        )
        logits, labels = calibration_logits(net, val, seed=recipe.seed)
        temperature = fit_temperature(logits, labels)
        scores = evaluate_arrays(net, val)
        spec = model_json(
            model_id=f"{args.target.resolve().name}-{origin}-s{recipe.seed}",
            architecture=ARCHITECTURE,
            size=recipe.size,
            classes=classes,
            temperature=temperature,
            network_kwargs=recipe.network_kwargs(len(classes)),
            training_data_hash=hash_cases(train.cases, train.labels.tolist()),
            card=_card(args, origin, len(train), len(val)),
        )
        metrics = {
            "validation": scores,
            "history": history,
            "transfer": report,
            "recipe": recipe.as_dict(),
            "dataset_id": f"{args.target.resolve().name}-n{len(train)}",
            "wall_time_s": round(time.time() - started, 1),
        }
        write_bundle(net, args.out, spec, metrics)
        emit({"event": "done", "out": str(args.out), "validation": scores, "origin": origin})
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _pretrained_from_source(
    args: argparse.Namespace, recipe: TransferRecipe, work: Path, bar: bool
) -> dict[str, torch.Tensor]:
    """Pretrain on --source, or reuse the weights a resumed run already pretrained."""
    cached = work / "pretrained.pt"
    if args.resume and cached.is_file():
        emit({"event": "pretrain", "cached": str(cached)})
        return read_state_dict(cached)
    source_train, source_val = load_source(args.source, recipe.size)
    state = pretrain(
        source_train,
        source_val,
        recipe,
        checkpoint=str(work / "source.ckpt"),
        resume=args.resume,
        progress_bar=bar,
    )
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_bytes_atomic(cached, buffer.getvalue())
    return state


def _card(args: argparse.Namespace, origin: str, n_train: int, n_val: int) -> dict:
    start = {
        "source": f"pretrained on {args.source} (encoder and decoder transferred, class head new)",
        "pretrained": f"initialised from {args.pretrained}",
        "scratch": "trained from scratch",
    }[origin]
    return {
        "intended_use": "research use; not for diagnosis",
        "summary": "Joint lesion segmentation and classification (hybrid CNN + self-attention "
        "encoder shared by both heads).",
        "training_data": f"{start}; fine-tuned on {n_train} train / {n_val} validation cases "
        f"of {args.target}.",
        "limitations": "Validated only on the held-out cases of the training folder.",
        "reproduce": "lesionlens train " + " ".join(sys.argv[1:]),
    }


if __name__ == "__main__":
    sys.exit(main())
