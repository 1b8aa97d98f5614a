"""Lesion-present operating points: where a reader may set the line between "lesion" and
"no lesion", each with what it did on held-out images.

One threshold cannot serve every reading: screening wants every lesion found (and accepts
findings on some normal scans), a second read of a known-normal population wants normal scans
left clean. So a bundle ships named points, all measured on the same held-out presence
probabilities:

- sensitive: keeps `sensitivity` (97 %) of the images with a lesion (the shipped default);
- balanced: the most lesions found plus normal scans cleared (Youden's J);
- specific: clears `normals` (97 %) of the normal images, finding as many lesions as that
  allows.

    python -m training.operating_points BUNDLE --cv bench/results/busi_cv.json --arm pretrained

writes them into BUNDLE/model.json ("presence_operating_points") from the pooled out-of-fold
probabilities of a cross-validation run (bench/busi_cv.py keeps one per case).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import write_json_atomic
from engine.bundle import read_bundle

SENSITIVITY, NORMALS_CLEARED = 0.97, 0.97
_LOW, _HIGH = 0.02, 0.98  # a badly separated set cannot push a threshold to an extreme


def presence_threshold_for(
    lesion_probs: Sequence[float], sensitivity: float = SENSITIVITY
) -> float:
    """The highest threshold that still keeps `sensitivity` of the lesion images (within
    (0.02, 0.98), so a badly separated set cannot push it to an extreme)."""
    if len(lesion_probs) == 0:
        return 0.5
    q = float(np.quantile(np.asarray(lesion_probs), 1.0 - sensitivity, method="lower"))
    return float(np.clip(q - 1e-4, _LOW, _HIGH))


def operating_points(
    lesion_probs: Sequence[float],
    normal_probs: Sequence[float],
    sensitivity: float = SENSITIVITY,
    normals: float = NORMALS_CLEARED,
    note: str = "",
) -> list[dict[str, Any]]:
    """The three named points (see the module docstring) with their held-out numbers."""
    lesion, normal = np.asarray(lesion_probs, float), np.asarray(normal_probs, float)
    if len(lesion) == 0 or len(normal) == 0:
        raise ValueError("operating points need held-out images with and without a lesion")
    sensitive = presence_threshold_for(lesion, sensitivity)
    candidates = np.unique(np.clip(np.concatenate([lesion, normal]) + 1e-6, _LOW, _HIGH))
    found = (lesion[None, :] >= candidates[:, None]).mean(axis=1)
    cleared = (normal[None, :] < candidates[:, None]).mean(axis=1)
    balanced = float(candidates[int(np.argmax(found + cleared))])
    enough = np.flatnonzero(cleared >= normals)
    specific = float(candidates[enough[0]]) if len(enough) else _HIGH
    points = []
    for name, threshold in (
        ("sensitive", sensitive),
        ("balanced", balanced),
        ("specific", specific),
    ):
        t = float(np.clip(threshold, _LOW, _HIGH))
        points.append(
            {
                "name": name,
                "threshold": round(t, 6),
                "lesions_found": round(float((lesion >= t).mean()), 4),
                "normals_cleared": round(float((normal < t).mean()), 4),
                "note": note,
            }
        )
    return points


def points_from_cv(cv_json: Path, arm: str) -> list[dict[str, Any]]:
    """Operating points from the pooled out-of-fold presence probabilities of one arm."""
    runs = [r for r in json.loads(cv_json.read_text())["runs"] if r["arm"] == arm]
    if not runs:
        raise ValueError(f"{cv_json}: no runs of the arm {arm!r}")
    rows = [c for run in runs for c in run["per_case"] if c.get("lesion_probability") is not None]
    lesion = [c["lesion_probability"] for c in rows if c["label"] != "normal"]
    normal = [c["lesion_probability"] for c in rows if c["label"] == "normal"]
    folds = sorted({int(r["fold"]) for r in runs})
    note = (
        f"pooled out-of-fold presence probabilities, {len(folds)}-fold grouped cross-validation "
        f"({cv_json.name}, arm {arm}): {len(lesion)} images with a lesion, {len(normal)} normal"
    )
    return operating_points(lesion, normal, note=note)


def write_points(bundle_dir: Path, points: list[dict[str, Any]]) -> Path:
    """Into model.json, atomically; the bundle must still read afterwards."""
    path = bundle_dir / "model.json"
    spec = json.loads(path.read_text(encoding="utf-8"))
    spec["presence_operating_points"] = points
    write_json_atomic(path, spec)
    read_bundle(bundle_dir)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--cv", type=Path, required=True, help="bench/busi_cv.py's JSON")
    parser.add_argument("--arm", default="pretrained")
    args = parser.parse_args(argv)
    points = points_from_cv(args.cv, args.arm)
    write_points(args.bundle, points)
    for p in points:
        print(
            f"{p['name']:<10} threshold {p['threshold']:.3f}: finds {p['lesions_found']:.1%} of "
            f"lesion images, clears {p['normals_cleared']:.1%} of normal images",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
