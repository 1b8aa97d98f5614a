"""`lesionlens train`, `finetune` and `models`: training runs in a child process (torch is not
engine's), fine-tuning through engine.jobs and the registry's gate."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cli.common import EXIT_FAILED_INPUTS, EXIT_OK, EXIT_USAGE, error
from engine.cli.parser import TRAIN_OPTIONS

if TYPE_CHECKING:
    from engine.finetune_request import FinetuneRequest


def train_command(args: argparse.Namespace) -> int:
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


def finetune_command(args: argparse.Namespace) -> int:
    from engine.bundle import read_bundle
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
    from engine.registry import IMAGE, Registry, family_of, family_title

    if args.epochs < 1:
        error("--epochs must be at least 1")
        return EXIT_USAGE
    registry = Registry(args.home)
    base = args.base if args.base is not None else registry.active_dir(args.family)
    replay = (
        "auto"
        if args.replay_folder is None
        else folder_replay(args.replay_folder, args.replay_fraction)
    )
    if args.data is None:  # the datastore's corrected cases of the base's kind
        request = _datastore_request(registry.root, base, args)
        if replay != "auto":
            request = request.replace(replay=replay)
    elif read_bundle(base).spec.task == "views":
        error(
            f"{base}: a multi-view model is fine-tuned on the confirmed studies of the "
            "datastore (--home); leave out --data"
        )
        return EXIT_USAGE
    else:
        train, heldout = folder_selections(args.data, args.heldout, root=registry.root)
        where = describe_split(train)
        if where:
            print(where, file=sys.stderr)
        request = finetune_request(
            base,
            train,
            heldout,
            args.epochs,
            args.seed,
            out=args.out,
            replay=replay,
            home=args.home,
        )
    if args.replay_fraction is not None and request.replay is not None:
        request = request.replace(
            replay=dataclasses.replace(request.replay, fraction=args.replay_fraction)
        )
    family = family_of(read_bundle(base).spec)
    if family == IMAGE:
        print(describe_replay(request.replay, request.base.model_id), file=sys.stderr)
    else:  # the CT and study rounds replay nothing (their recipes): nothing to warn about
        print(
            f"replay: none — a {family_title(family)} trains on the stored cases alone",
            file=sys.stderr,
        )
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
        error(job.error or f"fine-tuning failed (exit status {code})")
        return EXIT_FAILED_INPUTS
    verdict = (
        promote_candidate(job.request, registry)  # into the candidate's own family
        if args.promote
        else judge_candidate(job.request, base)
    )
    print(verdict.summary())
    return EXIT_OK


def _datastore_request(root: Path, base: Path, args: argparse.Namespace) -> FinetuneRequest:
    """Every corrected training case of the datastore at `root`, pinned, with its corrected
    held-out cases for the gate (engine.jobs.datastore_request: volume cases for a volume
    base, confirmed studies for a multi-view one)."""
    from engine.datastore import Datastore
    from engine.jobs import JobError, datastore_request

    if args.heldout is not None:
        raise JobError("--heldout needs --data: the datastore's held-out split is fixed")
    request = datastore_request(Datastore(root), base, args.epochs, args.seed)
    print(
        f"datastore {root}: {len(request.train['cases'])} corrected training and "
        f"{len(request.heldout['cases'])} held-out {request.train.get('kind') or 'image'} cases",
        file=sys.stderr,
    )
    return request.replace(out=str(Path(args.out).resolve()))


def models_command(args: argparse.Namespace) -> int:
    from engine.registry import IMAGE, Registry, check_family, describe_entry, family_title

    registry = Registry(args.home)
    if args.action == "list":
        wanted = args.family
        if wanted in (None, "all"):
            families = registry.families(shipped=wanted == "all")
        else:
            families = [check_family(wanted)]
        for family in families:
            if family != IMAGE or len(families) > 1 and wanted == "all":
                print(f"[{family}] {family_title(family)}")
            for entry in registry.list(family):
                print(describe_entry(entry))
    elif args.action == "activate":
        entry = registry.activate(args.model_id, force=args.force)
        print(f"active: {entry.model_id}" + _family_note(entry.family))
    else:
        entry = registry.rollback(check_family(args.family))
        print(f"active: {entry.model_id}" + _family_note(entry.family))
    return EXIT_OK


def _family_note(family: str) -> str:
    """Nothing for the image family (the line reads as before families), else which."""
    from engine.registry import IMAGE, family_title

    return "" if family == IMAGE else f" ({family_title(family)})"
