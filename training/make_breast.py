"""`make model-breast`: train resources/models/breast-us on real breast ultrasound (BUSI).

Seeded end to end (training.recipes.breast_us). The data folder is read where it lies and
never copied: four of the five grouped folds train, the fifth calibrates the class and
presence temperatures, the presence threshold and the scope model, and is scored through
the exported bundle (onnxruntime, TTA, the images' own sizes) for metrics.json. The
cross-validation over all five folds is bench/busi_cv.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from training.fit import emit
from training.recipes.breast_us import (
    BreastRecipe,
    FoldData,
    build,
    fold_data,
    train,
    write_breast_bundle,
)
from training.recipes.calibration import Calibration, calibrate

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "busi-dev"


def resume(
    bundle: Path, recipe: BreastRecipe, data: FoldData, seed: int
) -> tuple[torch.nn.Module, list[dict], Calibration]:
    """The trained weights and history of `bundle`; calibration is recomputed (seeded)."""
    previous = json.loads((bundle / "metrics.json").read_text())
    if previous.get("recipe") != recipe.as_dict():
        raise SystemExit(f"{bundle}: trained with another recipe: {previous.get('recipe')}")
    net = build(dataclasses.replace(recipe, init=None), seed, log=lambda record: None)
    net.load_state_dict(torch.load(bundle / "weights.pt", map_location="cpu", weights_only=True))
    return net, previous["history"], calibrate(net, data.train, data.heldout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO / "resources" / "models" / "breast-us")
    parser.add_argument("--heldout-fold", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=BreastRecipe.epochs)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scratch", action="store_true", help="no synthetic pretraining")
    parser.add_argument(
        "--resume-bundle",
        type=Path,
        default=None,
        help="a bundle this recipe trained whose scoring failed: reuse its weights and history",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.time()
    recipe = BreastRecipe(epochs=args.epochs, init=None if args.scratch else "synthetic")
    data = fold_data(args.data, args.heldout_fold, recipe.size)
    emit({"event": "data", "train": len(data.train), "heldout": len(data.heldout)})
    if args.resume_bundle is None:
        net, history, calibration = train(recipe, data, seed=args.seed, progress_bar=True)
    else:
        net, history, calibration = resume(args.resume_bundle, recipe, data, args.seed)
    metrics = write_breast_bundle(
        net, args.out, recipe, data, calibration, history, args.seed, args.data, started
    )
    emit({"event": "done", "heldout": metrics["heldout"], "wall_time_s": metrics["wall_time_s"]})
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
