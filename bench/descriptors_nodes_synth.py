"""Lymph-node descriptors (engine.descriptors.node) on synthetic neck nodes with known truth:
engine.synth.nodes draws benign nodes oval (L/S >= 2) with an echogenic central hilum and
malignant ones round without hilum, so the hilum and shape descriptors have an answer per
image. Ground-truth masks (the largest node of each image), no model: this tests the
descriptors, not the segmentation. Synthetic B-mode only (no Doppler), so the vascular
pattern is "not assessed" throughout; nothing here says how the rules do on real scans.

    nice python bench/descriptors_nodes_synth.py    # ~1 min on one core
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import ndimage

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.atomic import write_json_atomic  # noqa: E402
from engine.descriptors import describe  # noqa: E402
from engine.synth.nodes import CLASSES, generate_node_image  # noqa: E402

DEFAULT_OUT = REPO / "bench" / "results" / "descriptors_nodes_synth.json"
# The answer the generator builds in, per class.
TRUTH = {
    "benign": {"hilum": "present", "shape": "oval"},
    "malignant": {"hilum": "absent", "shape": "round"},
}


def largest_node(mask: np.ndarray) -> np.ndarray:
    labels, count = ndimage.label(mask > 0)
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, count + 1))
    return labels == int(np.argmax(sizes)) + 1


def run(per_class: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    counts: dict[str, Counter] = {c: Counter() for c in CLASSES}
    agree: dict[str, Counter] = {c: Counter() for c in CLASSES}
    for label in CLASSES:
        for _ in range(per_class):
            sample = generate_node_image(rng, label=label, frame=False)
            spacing = (sample.spacing_mm, sample.spacing_mm)
            d = describe("lymph-node", largest_node(sample.mask), sample.image, spacing)
            for item in d.descriptors:
                counts[label][f"{item.name}={item.value}"] += 1
            counts[label][f"category={d.category}"] += 1
            for name, expected in TRUTH[label].items():
                agree[label][name] += d.value(name) == expected
    return {
        "per_class": per_class,
        "seed": seed,
        "counts": {c: dict(sorted(v.items())) for c, v in counts.items()},
        "agreement_with_truth": {
            c: {k: v / per_class for k, v in agree[c].items()} for c in CLASSES
        },
        "suspicious_rate": {c: counts[c]["category=suspicious"] / per_class for c in CLASSES},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = run(args.per_class, args.seed)
    result["seconds"] = round(time.perf_counter() - start, 1)
    write_json_atomic(args.out, result)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
