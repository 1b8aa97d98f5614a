"""Does the scope check tell the images a model knows from those it does not? (issue 15)

For one image bundle (default: the shipped breast-us model) every image below is run through
the product path (engine.inference: tissue area, TTA, the features output, engine.scope)
and its scope score (Mahalanobis distance of the features / the bundle's limit) recorded.
- in scope: busi-dev breast scans of one grouped fold (default 4, the shipped model's
  held-out fold: its limit was set there at 1.1 x the 99th percentile, so the in-scope pass
  rate is near 1 by construction; the AUROC is threshold-free)
- other ultrasound: pydicom's vendor files (GE lymph node, Philips obstetric and abdominal,
  SonoSite cine, echocardiograms) and our synthetic lymph-node scans
- not ultrasound: CT, MR, CR (pydicom's test files) and photographs (scikit-image's data)
Reports, per group, how many are withheld (score >= 1 or a tag/layout reason), the score
median and range, and the AUROC of the score for busi-dev vs each group. JSON in
bench/results/scope.json; the table goes to docs/breast_model.md by hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from engine.atomic import write_json_atomic
from engine.datasets import grouped_folds, load_dataset
from engine.inference import load_model
from engine.io import load_image
from engine.metrics import roc_auc
from engine.synth.dataset import iter_node_samples
from engine.types import Image

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "busi-dev"
OTHER_US = {
    "GE lymph node (split screen)": ("US1_UNCR.dcm", "US1_J2KR.dcm"),
    "Philips obstetric / abdominal": (
        "OBXXXX1A.dcm",
        "examples_palette.dcm",
        "JPGLosslessP14SV1_1s_1f_8b.dcm",
    ),
    "SonoSite cine": ("color3d_jpeg_baseline.dcm", "examples_ybr_color.dcm"),
    "echocardiogram (colour)": ("color-pl.dcm", "color-px.dcm"),
}
NOT_US = ("CT_small.dcm", "MR_small.dcm", "emri_small.dcm", "MR2_UNCR.dcm", "RG1_UNCR.dcm")
PHOTOS = ("camera", "astronaut", "coffee", "chelsea", "moon", "page")


def images_of_groups(data: Path, fold: int, n_synthetic: int) -> dict[str, list[tuple[str, Image]]]:
    from pydicom.data import get_testdata_file
    from skimage import data as skdata

    dataset = load_dataset(data)
    folds = grouped_folds(dataset, k=5, seed=0)
    groups: dict[str, list[tuple[str, Image]]] = {"busi-dev (in scope)": []}
    for case in dataset.cases:
        if folds[case.case_id] == fold and case.views[0].image is not None:
            groups["busi-dev (in scope)"].append((case.case_id, load_image(case.views[0].image)))
    for name, files in OTHER_US.items():
        groups[name] = [(f, load_image(get_testdata_file(f))) for f in files]
    groups["synthetic lymph node (ours)"] = [
        (case, Image(pixels=sample.image, spacing_mm=(sample.spacing_mm,) * 2))
        for case, sample in iter_node_samples(n_synthetic, seed=4242)
    ]
    groups["CT / MR / CR"] = [(f, load_image(get_testdata_file(f))) for f in NOT_US]
    groups["photographs"] = [(p, Image(pixels=np.asarray(getattr(skdata, p)()))) for p in PHOTOS]
    return groups


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "resources/models/breast-us")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--fold", type=int, default=4)
    parser.add_argument("--synthetic", type=int, default=20)
    parser.add_argument("--json", type=Path, default=REPO / "bench/results/scope.json")
    args = parser.parse_args(argv)
    model = load_model(args.model, device="cpu")
    started = time.time()
    rows: list[dict] = []
    for group, images in images_of_groups(args.data, args.fold, args.synthetic).items():
        for name, image in images:
            prediction = model.predict(image)
            scope = model.assess_scope(image, prediction)
            rows.append(
                {
                    "group": group,
                    "image": name,
                    "score": None if scope.score is None else round(float(scope.score), 4),
                    "in_scope": bool(scope.in_scope),
                    "reasons": list(scope.reasons),
                    "lesion_found": bool(prediction.lesion_found),
                }
            )
    inside = np.array([r["score"] for r in rows if r["group"] == "busi-dev (in scope)"])
    summary = {}
    for group in dict.fromkeys(r["group"] for r in rows):
        mine = [r for r in rows if r["group"] == group]
        scores = np.array([r["score"] for r in mine], dtype=float)
        entry = {
            "n": len(mine),
            "withheld": sum(not r["in_scope"] for r in mine),
            "score_median": round(float(np.median(scores)), 3),
            "score_min": round(float(scores.min()), 3),
            "score_max": round(float(scores.max()), 3),
        }
        if group != "busi-dev (in scope)":
            truth = np.r_[np.zeros(len(inside), bool), np.ones(len(scores), bool)]
            entry["auroc_vs_busi"] = round(float(roc_auc(truth, np.r_[inside, scores])), 4)
        summary[group] = entry
    result = {
        "model": str(args.model),
        "model_id": model.spec.model_id,
        "fold": args.fold,
        "wall_s": round(time.time() - started, 1),
        "summary": summary,
        "rows": rows,
    }
    write_json_atomic(args.json, result)
    print(f"{'group':<34}{'n':>4}{'withheld':>10}{'median':>8}{'range':>16}{'AUROC':>8}")
    for group, e in summary.items():
        span = f"{e['score_min']:.2f}-{e['score_max']:.2f}"
        auc = f"{e['auroc_vs_busi']:.3f}" if "auroc_vs_busi" in e else "—"
        print(
            f"{group:<34}{e['n']:>4}{e['withheld']:>10}{e['score_median']:>8.2f}{span:>16}{auc:>8}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
