"""BI-RADS descriptors (engine.descriptors) from the ground-truth masks of busi-dev: does each
descriptor measure what it says? Per class (benign / malignant), the distribution of every
descriptor value and its key measurements, and the AUC of descriptor-only scores for benign
vs malignant. No model is run: the masks are the annotators', so this tests the descriptors,
not the segmentation.

Scores (higher = more suspicious):
- suspicious_features: the number of BI-RADS suspicious features (irregular shape, not
  parallel, non-circumscribed margin, complex cystic and solid, posterior shadowing), the
  count the proposed category is built from;
- category: the proposed category as a rank (2 < 3 < 4A < 4B < 4C < 5);
- single measurements (height/width, 1 - solidity, ellipse mismatch, roughness, ...).

AUCs are given on every case and on one case per near-duplicate group (engine.datasets.
case_groups: re-saved or adjacent frames counted once), with a 95 % bootstrap interval over
groups. BUSI images are uncalibrated, so lengths are in pixels; the scores are all ratios.

    nice python bench/descriptors_busi.py      # ~3 min on one core
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.atomic import write_json_atomic  # noqa: E402
from engine.datasets import case_groups, load_dataset, read_image, read_mask  # noqa: E402
from engine.descriptors import describe_birads, gray_frame  # noqa: E402
from engine.descriptors.birads import CATEGORIES  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "busi-dev"
DEFAULT_OUT = REPO / "bench" / "results" / "descriptors_busi.json"
CLASSES = ("benign", "malignant")
DESCRIPTORS = ("shape", "orientation", "margin", "echo_pattern", "posterior_features")
# name -> (descriptor, measurement key, sign): sign -1 when lower means more suspicious.
MEASURES = {
    "height_width": ("orientation", "height_width", 1),
    "one_minus_solidity": ("shape", "solidity", -1),
    "ellipse_mismatch": ("shape", "ellipse_mismatch", 1),
    "ellipse_aspect": ("shape", "ellipse_aspect", -1),
    "notches": ("shape", "notches", 1),
    "spicules": ("margin", "spicules", 1),
    "sharp_corners": ("margin", "sharp_corners", 1),
    "microlobulations": ("margin", "microlobulations", 1),
    "roughness_pct": ("margin", "roughness_pct", 1),
    "border_defined_fraction": ("margin", "border_defined_fraction", -1),
    "lesion_to_surroundings": ("echo_pattern", "lesion_to_surroundings", 1),
    "heterogeneity": ("echo_pattern", "heterogeneity", 1),
    "posterior_below_to_beside": ("posterior_features", "below_to_beside", -1),
}


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half (positive = malignant)."""
    from scipy.stats import rankdata

    pos, neg = int(positive.sum()), int((~positive).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))


def grouped_auc(
    scores: np.ndarray, positive: np.ndarray, groups: np.ndarray, boot: int, seed: int = 0
) -> dict:
    """AUC on all cases, on the first case of each group, and a group-bootstrap 95 % CI."""
    keep = np.zeros(len(groups), dtype=bool)
    _, first = np.unique(groups, return_index=True)
    keep[first] = True
    ok = np.isfinite(scores)
    rng = np.random.default_rng(seed)
    names = np.unique(groups[ok])
    members = {g: np.flatnonzero((groups == g) & ok) for g in names}
    draws = []
    for _ in range(boot):
        pick = np.concatenate([members[g] for g in rng.choice(names, len(names))])
        draws.append(auc(scores[pick], positive[pick]))
    lo, hi = np.nanpercentile(draws, [2.5, 97.5]) if draws else (np.nan, np.nan)
    return {
        "auc_all": round(auc(scores[ok], positive[ok]), 3),
        "auc_one_per_group": round(auc(scores[keep & ok], positive[keep & ok]), 3),
        "ci95_group_bootstrap": [round(float(lo), 3), round(float(hi), 3)],
        "n": int(ok.sum()),
    }


def describe_cases(data: Path, limit: int | None) -> list[dict]:
    dataset = load_dataset(data)
    groups = case_groups(dataset)
    rows = []
    cases = [c for cls in CLASSES for c in [c for c in dataset.cases if c.label == cls][:limit]]
    for case in cases:
        view = case.view()
        mask = read_mask(view) > 0
        if not mask.any():
            continue
        image = gray_frame(read_image(view))
        if image.shape != mask.shape:
            continue
        d = describe_birads(mask, image)
        rows.append(
            {
                "case": case.case_id,
                "label": case.label,
                "group": groups.get(case.case_id, case.case_id),
                "values": {n: d.value(n) for n in DESCRIPTORS},
                "category": d.category,
                "suspicious_features": int(d.extras.get("suspicious_features", 0)),
                "measurements": {
                    name: d[item].measurement.get(key) for name, (item, key, _) in MEASURES.items()
                },
            }
        )
    return rows


def summarise(rows: list[dict], boot: int) -> dict:
    labels = np.array([r["label"] for r in rows])
    positive = labels == "malignant"
    groups = np.array([r["group"] for r in rows])
    distributions: dict[str, dict] = {}
    for name in (*DESCRIPTORS, "category"):
        table: dict[str, dict] = defaultdict(dict)
        for cls in CLASSES:
            picked = [r for r in rows if r["label"] == cls]
            counts = Counter(
                str(r["category"] if name == "category" else r["values"][name]) for r in picked
            )
            for value, count in sorted(counts.items()):
                table[value][cls] = {"n": count, "share": round(count / max(len(picked), 1), 3)}
        distributions[name] = dict(table)
    measures = {}
    for name, (_, _, sign) in MEASURES.items():
        values = np.array(
            [np.nan if r["measurements"][name] is None else r["measurements"][name] for r in rows],
            dtype=float,
        )
        if name == "one_minus_solidity":
            values = 1.0 - values
            sign = 1
        per_class = {
            cls: {
                "median": round(float(np.nanmedian(values[labels == cls])), 3),
                "iqr": [
                    round(float(q), 3) for q in np.nanpercentile(values[labels == cls], [25, 75])
                ],
            }
            for cls in CLASSES
        }
        measures[name] = {**per_class, **grouped_auc(sign * values, positive, groups, boot)}
    rank = {c: i for i, c in enumerate(CATEGORIES)}
    scores = {
        "suspicious_features": np.array([r["suspicious_features"] for r in rows], dtype=float),
        "category": np.array([rank.get(r["category"], np.nan) for r in rows], dtype=float),
    }
    return {
        "n_cases": len(rows),
        "n_by_class": {cls: int(np.sum(labels == cls)) for cls in CLASSES},
        "n_groups": len(set(groups.tolist())),
        "scores": {name: grouped_auc(s, positive, groups, boot) for name, s in scores.items()},
        "measurements": measures,
        "distributions": distributions,
    }


def markdown(result: dict) -> str:
    """The tables of docs/descriptors.md (the text around them is written by hand there)."""
    n = result["n_by_class"]
    lines = [
        f"busi-dev, ground-truth masks: {n['benign']} benign, {n['malignant']} malignant "
        f"({result['n_groups']} near-duplicate groups).",
        "",
        "### AUC of descriptor-only scores (benign vs malignant)",
        "",
        "| score | AUC, all cases | AUC, one per group | 95 % CI (group bootstrap) |",
        "|---|---|---|---|",
    ]
    rows = [(k, v) for k, v in result["scores"].items()]
    rows += [(k, v) for k, v in result["measurements"].items()]
    for name, v in rows:
        lo, hi = v["ci95_group_bootstrap"]
        lines.append(
            f"| {name} | {v['auc_all']:.3f} | {v['auc_one_per_group']:.3f} | {lo:.2f}-{hi:.2f} |"
        )
    lines += [
        "",
        "### Measurements per class (median, interquartile range)",
        "",
        "| measurement | benign | malignant |",
        "|---|---|---|",
    ]
    for name, v in result["measurements"].items():
        cells = [
            f"{v[c]['median']:.3f} ({v[c]['iqr'][0]:.3f}-{v[c]['iqr'][1]:.3f})" for c in CLASSES
        ]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    for name, table in result["distributions"].items():
        lines += ["", f"### {name.replace('_', ' ')}", "", "| value | benign | malignant |"]
        lines.append("|---|---|---|")
        for value, by_class in table.items():
            cells = [
                f"{by_class[c]['n']} ({100 * by_class[c]['share']:.0f} %)" if c in by_class else "0"
                for c in CLASSES
            ]
            lines.append(f"| {value} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--limit", type=int, default=None, help="first N cases of each class (a quick run)"
    )
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument(
        "--markdown", type=Path, default=None, help="also write the tables as Markdown here"
    )
    parser.add_argument(
        "--from-json", type=Path, default=None, help="only render --markdown from a result"
    )
    args = parser.parse_args(argv)
    if args.from_json is not None:
        text = markdown(json.loads(args.from_json.read_text()))
        if args.markdown is None:
            print(text)
        else:
            args.markdown.write_text(text)
        return 0
    start = time.perf_counter()
    rows = describe_cases(args.data, args.limit)
    result = {
        "benchmark": "descriptors_busi",
        "data": str(args.data.name),
        "source": "ground-truth masks (no model); BUSI, Al-Dhabyani et al. 2020, CC BY 4.0",
        "units": "px (BUSI images are uncalibrated)",
        **summarise(rows, args.bootstrap),
        "seconds": round(time.perf_counter() - start, 1),
        "cases": rows,
    }
    write_json_atomic(args.json, result)
    if args.markdown is not None:
        args.markdown.write_text(markdown(result))
    brief = {k: v for k, v in result.items() if k not in ("cases", "distributions")}
    print(json.dumps(brief, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
