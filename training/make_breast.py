"""`make model-breast`: train resources/models/breast-us on real breast ultrasound (BUSI).

Seeded end to end (training.recipes.breast_us). The data folder is read where it lies and
never copied: four of the five grouped folds train, the fifth calibrates the class and
presence temperatures, the presence threshold and the scope model, and is scored through
the exported bundle (onnxruntime, TTA, the images' own sizes) for metrics.json. The
cross-validation over all five folds is bench/busi_cv.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from training.fit import emit
from training.recipes.breast_us import BreastRecipe, fold_data, train, write_breast_bundle

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "busi-dev"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO / "resources" / "models" / "breast-us")
    parser.add_argument("--heldout-fold", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=BreastRecipe.epochs)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scratch", action="store_true", help="no synthetic pretraining")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.time()
    recipe = BreastRecipe(epochs=args.epochs, init=None if args.scratch else "synthetic")
    data = fold_data(args.data, args.heldout_fold, recipe.size)
    emit({"event": "data", "train": len(data.train), "heldout": len(data.heldout)})
    net, history, calibration = train(recipe, data, seed=args.seed, progress_bar=True)
    metrics = write_breast_bundle(
        net, args.out, recipe, data, calibration, history, args.seed, args.data, started
    )
    emit({"event": "done", "heldout": metrics["heldout"], "wall_time_s": metrics["wall_time_s"]})
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
