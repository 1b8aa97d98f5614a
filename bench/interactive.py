"""Click to segment: NoC@85, NoC@90, first-click IoU, encoder and per-click ms.

On any canonical data-set folder (engine.datasets reads it; cases without a lesion are
skipped), through the engine (onnxruntime, 2 threads, each image at its own size): the
click simulator of engine.interactive.clicks puts the first click at the lesion's centre
and each next one at the centre of the largest error region, up to 20 clicks.

    python bench/interactive.py --data ../shared/data/busi-dev --heldout \\
        --json bench/results/interactive_busi.json     # the fold the model never saw
    lesionlens synth nodes --n 100 --out /tmp/nodes --seed 7
    python bench/interactive.py --data /tmp/nodes --json bench/results/interactive_nodes.json
    python bench/interactive.py --ct-slices 60 --seed 7 --json bench/results/interactive_ct.json

--ct-slices N writes the axial slices of N synthetic kidney CT volumes (engine.synth, under
the soft-tissue window Smart Click uses on a CT plane, engine.interactive.ct) to a temporary
canonical folder: per volume the slice where the tumour is largest, the tumour the target.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from engine.atomic import write_json_atomic
from engine.interactive.ct import soft_tissue_slice
from engine.interactive.evaluation import MAX_CLICKS, evaluate_interactive
from engine.interactive.model import InteractiveModel
from engine.synth.kidney_ct import generate_kidney_ct

FLOORS = {"noc90": 4.0, "noc85": 3.0, "click_ms_median": 30.0, "encode_ms_median": 300.0}


def write_ct_slices(out: Path, n: int, seed: int) -> Path:
    """A canonical folder of n tumour slices (8-bit PNG of the soft-tissue window) + masks."""
    (out / "images").mkdir(parents=True)
    (out / "masks").mkdir()
    rows = ["case,label"]
    for i in range(n):
        sample = generate_kidney_ct(np.random.default_rng([seed, i]))
        tumour = sample.labels == 2
        z = int(np.argmax(tumour.sum(axis=(1, 2))))
        case = f"ct{seed:03d}_{i:05d}"
        grey = np.round(soft_tissue_slice(sample.volume[z]) * 255).astype(np.uint8)
        PILImage.fromarray(grey).save(out / "images" / f"{case}.png")
        PILImage.fromarray(tumour[z].astype(np.uint8) * 255).save(out / "masks" / f"{case}.png")
        rows.append(f"{case},{sample.label}")
    (out / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path)
    source.add_argument("--ct-slices", type=int, metavar="N", help="synthetic CT tumour slices")
    parser.add_argument("--seed", type=int, default=7, help="of --ct-slices")
    parser.add_argument("--model", type=Path, default=None, help="an interactive bundle")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--max-clicks", type=int, default=MAX_CLICKS)
    parser.add_argument(
        "--heldout",
        action="store_true",
        help="only the cases the bundle's metrics.json lists as held out (never trained on)",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="keep every mask component (default: only those under a positive click)",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="OUT")
    args = parser.parse_args(argv)
    model = InteractiveModel(args.model, keep_prompted=not args.raw)
    cases = None
    if args.heldout:
        metrics = json.loads((model.spec.directory / "metrics.json").read_text())
        cases = metrics["heldout_cases"]

    def progress(done: int, total: int) -> None:
        if done % 10 == 0 or done == total:
            print(f"[{done}/{total}] cases clicked", file=sys.stderr, flush=True)

    tmp = tempfile.TemporaryDirectory()
    data = args.data or write_ct_slices(Path(tmp.name) / "ct", args.ct_slices, args.seed)
    result = evaluate_interactive(
        data,
        model,
        cases=cases,
        limit=args.limit,
        max_clicks=args.max_clicks,
        progress=progress,
    )
    tmp.cleanup()
    if args.ct_slices:
        result["data"] = (
            f"synthetic kidney CT tumour slices, {args.ct_slices} volumes, seed {args.seed}"
        )
    result["keep_prompted"] = not args.raw
    result["subset"] = "bundle held-out cases" if args.heldout else "all lesion cases"
    result["floors"] = {
        key: {
            "floor": floor,
            "value": result[key],
            "met": result[key] is not None and result[key] <= floor,
        }
        for key, floor in FLOORS.items()
    }
    summary = {k: v for k, v in result.items() if k != "per_case"}
    print(json.dumps(summary, indent=1))
    if args.json is not None:
        write_json_atomic(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
