"""`make models-multiview`: train the shipped multi-view bundles from synthetic data.

The plans and the recipe are training.recipes.multiview; this is their command line.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from engine.model_catalog import models_root
from training.recipes.multiview import PLANS, build_bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=(*PLANS, "all"), default="all")
    parser.add_argument("--out-root", type=Path, default=models_root())
    parser.add_argument("--n-train", type=int, default=400)
    parser.add_argument("--n-test", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--width", type=int, default=None, help="network width (default: plan)")
    parser.add_argument(
        "--input-scale", type=float, default=1.0, help="fraction of the plan's input shape"
    )
    parser.add_argument("--work", type=Path, default=None, help="keep synthetic data here")
    parser.add_argument(
        "--augment",
        choices=("flip-gain", "camera", "scanner"),
        default=None,
        help="training augmentation (default: the plan's; 'camera' = gamma camera model, "
        "tried for scinti and not adopted, see docs/multiview.md)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    work = args.work or Path(tempfile.mkdtemp(prefix="lesionlens-multiview-"))
    try:
        for kind in PLANS if args.kind == "all" else (args.kind,):
            plan = PLANS[kind].scaled(args.input_scale, args.width)
            if args.augment:
                plan = replace(plan, objective=replace(plan.objective, augment=args.augment))
            build_bundle(plan, args, work / kind, args.out_root / plan.bundle_name)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
