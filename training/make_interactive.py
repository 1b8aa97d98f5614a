"""`make model-interactive`: train resources/models/interactive (click to segment).

Seeded end to end (training.recipes.interactive). busi-dev is read where it lies and never
copied; its fifth grouped fold (the breast-us held-out fold) is never trained on and is
scored through the exported ONNX files for metrics.json (NoC@85/90 at the images' own size,
engine.interactive.evaluation). The bundle: encoder.onnx + decoder.onnx (one file each,
no external data), model.json (`task: interactive`), metrics.json, weights.pt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.atomic import replace_folder_atomic, write_json_atomic
from engine.interactive.clicks import CLICK_RADIUS, PROMPT_CHANNELS
from engine.interactive.evaluation import evaluate_interactive
from engine.interactive.model import TASK, InteractiveModel, read_interactive_bundle
from training.bundle_writer import PARITY_TOLERANCE, hash_cases
from training.export import export_onnx, onnx_parity
from training.fit import emit
from training.networks.click_net import ClickNet
from training.recipes.interactive import (
    HIGH_PERCENTILE,
    LOW_PERCENTILE,
    ClickData,
    InteractiveRecipe,
    busi_data,
    card,
    concat,
    ct_slice_data,
    synthetic_data,
    train,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "busi-dev"


def shapes(recipe: InteractiveRecipe) -> tuple[dict, dict]:
    s = recipe.size
    encoder = {"image": (1, s, s)}
    decoder = {
        "features": (recipe.feature_channels, s // 4, s // 4),
        "detail": (16, s // 2, s // 2),
        "prompts": (len(PROMPT_CHANNELS), s, s),
    }
    return encoder, decoder


def model_json(recipe: InteractiveRecipe, model_id: str, data_hash: str, card_: dict) -> dict:
    return {
        "schema_version": 1,
        "task": TASK,
        "model_id": model_id,
        "version": "1",
        "architecture": "click-net",
        "network_kwargs": recipe.network_kwargs(),
        "files": {"encoder": "encoder.onnx", "decoder": "decoder.onnx"},
        "input": {
            "name": "image",
            "size": recipe.size,
            "channels": 1,
            "resize": "letterbox",
            "normalisation": {
                "mode": "percentile",
                "low_percentile": LOW_PERCENTILE,
                "high_percentile": HIGH_PERCENTILE,
            },
        },
        "encoder_outputs": ["features", "detail"],
        "decoder_inputs": ["features", "detail", "prompts"],
        "decoder_outputs": ["logits"],
        "prompts": {"channels": list(PROMPT_CHANNELS), "click_radius": CLICK_RADIUS},
        "threshold": 0.5,
        "min_lesion_area_px": 20,
        "training_data_hash": data_hash,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "card": card_,
    }


def write_interactive_bundle(
    net: ClickNet, out: Path, recipe: InteractiveRecipe, spec: dict, metrics: dict[str, Any]
) -> Path:
    enc_shapes, dec_shapes = shapes(recipe)

    def fill(staging: Path) -> None:
        enc = export_onnx(net.encoder, staging / "encoder.onnx", enc_shapes, ("features", "detail"))
        dec = export_onnx(net.decoder, staging / "decoder.onnx", dec_shapes, ("logits",))
        differences = {
            "encoder": onnx_parity(net.encoder, enc, enc_shapes, ("features", "detail")).max_abs,
            "decoder": onnx_parity(net.decoder, dec, dec_shapes, ("logits",)).max_abs,
        }
        for part, difference in differences.items():
            if difference > PARITY_TOLERANCE * 10:
                raise RuntimeError(f"{part} ONNX/torch parity {difference:.2e} too large")
        torch.save(net.state_dict(), staging / "weights.pt")  # read with weights_only=True
        write_json_atomic(staging / "model.json", spec)
        write_json_atomic(staging / "metrics.json", {**metrics, "onnx_parity_max_abs": differences})
        read_interactive_bundle(staging)  # must parse before it replaces anything

    return replace_folder_atomic(out, fill)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO / "resources" / "models" / "interactive")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=InteractiveRecipe.epochs)
    parser.add_argument("--budget-min", type=float, default=26.0, help="stop between epochs")
    parser.add_argument("--subset", type=int, default=None, help="development: N cases per domain")
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out NoC scoring")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.time()
    base = InteractiveRecipe()
    recipe = InteractiveRecipe(
        epochs=args.epochs,
        synth_nodes=base.synth_nodes if args.subset is None else args.subset,
        synth_skin=base.synth_skin if args.subset is None else args.subset,
        synth_ct=base.synth_ct if args.subset is None else args.subset,
    )
    busi, heldout = busi_data(args.data, recipe)
    if args.subset is not None:
        busi = ClickData(
            busi.images[: args.subset],
            busi.masks[: args.subset],
            busi.cases[: args.subset],
            busi.domains[: args.subset],
        )
    parts = [
        busi,
        synthetic_data("nodes", recipe.synth_nodes, recipe.size, seed=args.seed + 100),
        synthetic_data("skin", recipe.synth_skin, recipe.size, seed=args.seed + 200),
        ct_slice_data(recipe.synth_ct, recipe.size, seed=args.seed + 300),
    ]
    data = concat(parts)
    counts = {p.domains[0]: len(p) for p in parts}
    emit({"event": "data", **counts, "heldout_busi": len(heldout)})
    net, history = train(recipe, data, args.seed, budget_s=args.budget_min * 60)
    train_s = round(time.time() - started, 1)
    spec = model_json(
        recipe,
        f"interactive-s{args.seed}",
        hash_cases(data.cases, [0] * len(data)),
        card(args.data, counts, args.seed),
    )
    metrics: dict[str, Any] = {
        "history": history,
        "recipe": recipe.as_dict(),
        "counts": counts,
        "training_wall_time_s": train_s,
        # A busy machine stops training between epochs at --budget-min (train() logs it).
        "epochs_run": len(history),
        "budget_stopped": len(history) < recipe.epochs,
        "heldout_fold": recipe.heldout_fold,
        "dataset_id": f"busi-dev-grouped5-fold{recipe.heldout_fold}",
        "heldout_cases": list(heldout),
        "training_cases": data.cases,
    }
    write_interactive_bundle(net, args.out, recipe, spec, metrics)
    if not args.no_eval:
        scores = evaluate_interactive(args.data, InteractiveModel(args.out), cases=heldout)
        metrics["heldout"] = {k: v for k, v in scores.items() if k != "per_case"}
        write_interactive_bundle(net, args.out, recipe, spec, metrics)
        emit({"event": "heldout", **metrics["heldout"]})
    emit({"event": "done", "wall_time_s": round(time.time() - started, 1)})
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
