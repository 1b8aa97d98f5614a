"""Train the kidney-ct volume bundle (method 3 of SCIENCE.md) on synthetic CT, seeded.

    python -m training.make_ct --out resources/models/kidney-ct          (make model-ct)

The recipe (data, schedule, temperature, radiomics classifier, bundle, held-out metrics) is
training.recipes.kidney_ct.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from training.recipes.kidney_ct import Config, build, recipe_cases, refit_radiomics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("resources/models/kidney-ct"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/lesionlens-ct-work"))
    parser.add_argument("--recipe", choices=("aux+target", "target"), default="aux+target")
    parser.add_argument("--aux-n", type=int, default=Config.aux_n)
    parser.add_argument("--steps", type=int, default=Config.steps)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--refit-radiomics",
        action="store_true",
        help="only refit the radiomics classifier of the bundle in --out (no training)",
    )
    args = parser.parse_args(argv)
    config = Config(recipe=args.recipe, aux_n=args.aux_n, steps=args.steps, seed=args.seed)
    if args.refit_radiomics:
        torch.set_num_threads(1)
        target, aux, test = recipe_cases(config, args.work)
        print(json.dumps(refit_radiomics(args.out, target + aux, test), indent=2))
        return 0
    result = build(config, args.out, args.work)
    print(json.dumps(result["metrics"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
