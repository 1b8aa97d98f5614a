"""Lymph-node descriptors (engine.descriptors.node) on synthetic neck nodes with known truth:
engine.synth.nodes draws benign nodes oval (L/S 1.9-3.4) with an echogenic central hilum and
malignant ones round (L/S 1.0-1.45) without hilum, so the hilum and shape descriptors have an
answer per image. Two arms per seed:

- true: the ground-truth mask of each image's largest node (tests the descriptors alone);
- predicted: the default model run on the image as a user runs it (engine.analysis.analyze,
  TTA, the default precision), and the finding that overlaps that node most; the node is
  "missed" when no finding overlaps it (or the image is out of the model's scope).

Per arm and class: each descriptor's values, how often each suspicious criterion fires, and
the median / interquartile range of every measurement behind them, so a call can be traced
to the criterion and the number that made it. Synthetic B-mode only (no Doppler), so the
vascular pattern is "not assessed" throughout; nothing here says how the rules do on real
scans.

    nice python bench/descriptors_nodes_synth.py --markdown /tmp/nodes.md   # ~7 min, 1 core
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from scipy import ndimage

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.analysis import analyze  # noqa: E402
from engine.atomic import write_json_atomic  # noqa: E402
from engine.descriptors import describe  # noqa: E402
from engine.descriptors.node import SHORT_AXIS_MM  # noqa: E402
from engine.descriptors.types import DescriptorSet  # noqa: E402
from engine.inference import LoadedModel, load_model  # noqa: E402
from engine.measure import lesion_components  # noqa: E402
from engine.synth.nodes import CLASSES, generate_node_image  # noqa: E402
from engine.types import Image  # noqa: E402

DEFAULT_OUT = REPO / "bench" / "results" / "descriptors_nodes_synth.json"
DEFAULT_MODEL = REPO / "resources" / "models" / "default"
# The answer the generator builds in, per class.
TRUTH = {
    "benign": {"hilum": "present", "shape": "oval"},
    "malignant": {"hilum": "absent", "shape": "round"},
}
MEASURES = (
    "short_axis_mm",
    "long_short",
    "hilum_fraction",
    "hilum_to_cortex",
    "hilum_to_tissue",
    "cortex_max_mm",
    "eccentricity",
    "solidity",
    "notches",
)


def largest_node(mask: np.ndarray) -> np.ndarray:
    labels, count = ndimage.label(mask > 0)
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, count + 1))
    return labels == int(np.argmax(sizes)) + 1


def criteria(d: DescriptorSet) -> dict[str, bool]:
    """Which suspicious criterion of engine.descriptors.node fires on this set."""
    short = d.extras.get("short_axis_mm")
    return {
        "short axis > 10 mm": short is not None and float(short) > SHORT_AXIS_MM,
        "round": d.value("shape") == "round",
        "no hilum": d.value("hilum") == "absent",
        "cortex thickened": d.value("cortex") in ("eccentric thickening", "concentric thickening"),
        "irregular margin": d.value("margin") == "irregular",
    }


def predicted_node(model: LoadedModel, image: Image, node: np.ndarray):  # noqa: ANN201
    """(descriptor set, Dice) of the model's finding overlapping `node` most, or None."""
    analysis = analyze(image, model, template="lymph-node")
    if not analysis.findings:
        return None
    components = lesion_components(analysis.prediction.mask, model.spec.min_lesion_area_px)
    overlaps = [int((c & node).sum()) for c in components]
    best = int(np.argmax(overlaps))
    if overlaps[best] == 0:
        return None
    component = components[best]
    dice = 2.0 * overlaps[best] / (int(component.sum()) + int(node.sum()))
    return analysis.findings[best].descriptors, dice


class Tally:
    """Counts and measurements of one arm."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter] = {c: Counter() for c in CLASSES}
        self.fired: dict[str, Counter] = {c: Counter() for c in CLASSES}
        self.agree: dict[str, Counter] = {c: Counter() for c in CLASSES}
        self.values: dict[str, dict[str, list[float]]] = {c: defaultdict(list) for c in CLASSES}
        self.described = Counter()
        self.missed = Counter()
        self.dice: dict[str, list[float]] = {c: [] for c in CLASSES}

    def add(self, label: str, d: DescriptorSet) -> None:
        self.described[label] += 1
        for item in d.descriptors:
            self.counts[label][f"{item.name}={item.value}"] += 1
            for key, value in item.measurement.items():
                if key in MEASURES and value is not None:
                    self.values[label][key].append(float(value))
        self.counts[label][f"category={d.category}"] += 1
        for name, on in criteria(d).items():
            self.fired[label][name] += on
        for name, expected in TRUTH[label].items():
            self.agree[label][name] += d.value(name) == expected

    def result(self) -> dict:
        out: dict = {}
        for c in CLASSES:
            n = max(self.described[c], 1)
            out[c] = {
                "described": self.described[c],
                "missed": self.missed[c],
                "suspicious_rate": self.counts[c]["category=suspicious"] / n,
                "criterion_rate": {k: v / n for k, v in self.fired[c].items()},
                "agreement_with_truth": {k: v / n for k, v in self.agree[c].items()},
                "counts": dict(sorted(self.counts[c].items())),
                "measurements": {k: _quartiles(v) for k, v in sorted(self.values[c].items()) if v},
            }
            if self.dice[c]:
                out[c]["dice_mean"] = float(np.mean(self.dice[c]))
        return out


def _quartiles(values: list[float]) -> dict[str, float]:
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {"median": float(median), "q1": float(q1), "q3": float(q3), "n": len(values)}


def run(per_class: int, seed: int, model: LoadedModel | None) -> dict:
    rng = np.random.default_rng(seed)
    true, predicted = Tally(), Tally()
    for label in CLASSES:
        for _ in range(per_class):
            sample = generate_node_image(rng, label=label, frame=False)
            spacing = (sample.spacing_mm, sample.spacing_mm)
            node = largest_node(sample.mask)
            true.add(label, describe("lymph-node", node, sample.image, spacing))
            if model is None:
                continue
            found = predicted_node(model, Image(sample.image, spacing_mm=spacing), node)
            if found is None or found[0] is None:
                predicted.missed[label] += 1
                continue
            predicted.add(label, found[0])
            predicted.dice[label].append(found[1])
    arms = {"true_mask": true.result()}
    if model is not None:
        arms["predicted_mask"] = predicted.result()
    return arms


def markdown(result: dict) -> str:
    """The tables of docs/descriptors.md: per seed and arm, the call and each criterion."""
    lines = [
        "| seed | masks | class | n | suspicious | short axis > 10 mm | round | no hilum "
        "| cortex thickened | irregular margin | hilum agrees | shape agrees |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for seed, arms in result["seeds"].items():
        for arm, classes in arms.items():
            for c, r in classes.items():
                rate = r["criterion_rate"]
                agree = r["agreement_with_truth"]
                n = f"{r['described']}" + (f" (+{r['missed']} missed)" if r["missed"] else "")
                cells = [
                    seed,
                    arm.replace("_mask", ""),
                    c,
                    n,
                    _pct(r["suspicious_rate"]),
                    *(_pct(rate.get(k, 0.0)) for k in _CRITERIA),
                    _pct(agree.get("hilum", 0.0)),
                    _pct(agree.get("shape", 0.0)),
                ]
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_CRITERIA = ("short axis > 10 mm", "round", "no hilum", "cortex thickened", "irregular margin")


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 23])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--no-model", action="store_true", help="true-mask arm only")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--markdown", type=Path, help="also write the tables here")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    model = None if args.no_model else load_model(args.model, device="cpu")
    result = {
        "per_class": args.per_class,
        "model": None if model is None else model.spec.model_id,
        "precision": None if model is None else model.precision,
        "seeds": {str(s): run(args.per_class, s, model) for s in args.seeds},
    }
    result["seconds"] = round(time.perf_counter() - start, 1)
    write_json_atomic(args.out, result)
    table = markdown(result)
    if args.markdown is not None:
        args.markdown.write_text(table, encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
