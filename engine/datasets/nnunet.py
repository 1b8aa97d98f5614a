"""nnU-Net raw data sets (v2, and v1's dataset.json): dataset.json, imagesTr/<case>_<XXXX>
(one file per channel), labelsTr/<case> with integer labels.

Each channel becomes a view named after dataset.json's channel_names (e.g. "CT"), all sharing
the case's label file. nnU-Net has no per-case class; an optional labels.csv (case,label)
beside dataset.json supplies one (e.g. benign/malignant tumours). imagesTs is inference
input without truth and is not indexed.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from engine.datasets.cases import Case, Dataset, Problem, View
from engine.datasets.tables import read_mapping
from engine.errors import DatasetError


def looks_nnunet(root: Path) -> bool:
    return (root / "dataset.json").is_file() and (root / "imagesTr").is_dir()


def read_nnunet(root: Path) -> Dataset:
    spec = _spec(root / "dataset.json")
    ending = spec.get("file_ending", ".nii.gz")
    if not isinstance(ending, str) or not ending.startswith(".") or "/" in ending:
        raise DatasetError(
            f'{root / "dataset.json"}: file_ending must be like ".nii.gz", not {ending!r}'
        )
    channels = _channel_names(spec)
    pattern = re.compile(r"^(?P<case>.+)_(?P<ch>\d{4})" + re.escape(ending) + "$")
    issues: list[Problem] = []
    found: dict[str, dict[int, Path]] = defaultdict(dict)
    for path in sorted((root / "imagesTr").iterdir()):
        if m := pattern.match(path.name):
            found[m.group("case")][int(m.group("ch"))] = path
        elif path.is_file() and not path.name.startswith("."):
            issues.append(Problem(None, path, f"not named <case>_<XXXX>{ending}"))
    labels_dir = root / "labelsTr"
    class_labels = read_mapping(root / "labels.csv", "case", "label")
    cases = []
    for case, files in sorted(found.items()):
        label_file = labels_dir / f"{case}{ending}"
        masks = (label_file,) if label_file.is_file() else ()
        views = []
        for ch in sorted(set(channels) | set(files)):
            name = channels.get(ch, f"channel{ch}")
            if sum(1 for v in channels.values() if v == name) > 1:
                name = f"{name}_{ch:04d}"
            if ch not in files:
                issues.append(Problem(case, None, f"channel {ch:04d} ({name}) is missing"))
            views.append(View(name, files.get(ch), masks))
        cases.append(Case(case, tuple(views), class_labels.get(case) or None))
    if labels_dir.is_dir():
        for path in sorted(labels_dir.iterdir()):
            if path.name.endswith(ending) and path.name[: -len(ending)] not in found:
                issues.append(Problem(path.name[: -len(ending)], path, "label without images"))
    declared = spec.get("numTraining")
    if isinstance(declared, int) and declared != len(cases):
        reason = f"dataset.json says numTraining {declared} but imagesTr holds {len(cases)} cases"
        issues.append(Problem(None, root / "dataset.json", reason))
    return Dataset(
        root=root,
        format="nnunet",
        cases=tuple(cases),
        classes=tuple(sorted(set(class_labels.values()))),
        masks_expected=True,
        mask_labels=_label_ids(spec, root),
        issues=tuple(issues),
    )


def _spec(path: Path) -> dict:
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise DatasetError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(spec, dict):
        raise DatasetError(f"{path}: expected a JSON object")
    return spec


def _channel_names(spec: dict) -> dict[int, str]:
    raw = spec.get("channel_names") or spec.get("modality") or {"0": "image"}
    try:
        return {int(k): str(v) for k, v in raw.items()}
    except (AttributeError, ValueError) as exc:
        raise DatasetError(f"dataset.json: channel_names must map '0', '1', ... ({exc})") from exc


def _label_ids(spec: dict, root: Path) -> dict[str, int]:
    """v2: {"background": 0, "kidney": 1}; v1: {"0": "background", "1": "kidney"}.
    Region-based labels (lists of ids) keep their largest id."""
    raw = spec.get("labels") or {"background": 0, "foreground": 1}
    out: dict[str, int] = {}
    try:
        for key, value in raw.items():
            if str(key).isdigit():  # v1
                out[str(value)] = int(key)
            else:
                out[str(key)] = int(max(value)) if isinstance(value, list) else int(value)
    except (AttributeError, TypeError, ValueError) as exc:
        raise DatasetError(f"{root / 'dataset.json'}: labels are not name -> id ({exc})") from exc
    return out
