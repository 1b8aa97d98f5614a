"""BUSI-style folders: one folder per class (benign/, malignant/, normal/) holding
"name (1).png" with its mask "name (1)_mask.png" and sometimes more masks "name (1)_mask_1.png"
(one per lesion) that are merged by OR. Normal images have empty masks, as in BUSI.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from engine.datasets.cases import SINGLE_VIEW, Case, Dataset, Problem, View
from engine.datasets.files import files_with_suffix

CLASS_FOLDERS = ("benign", "malignant", "normal")
MASK_RE = re.compile(r"^(?P<stem>.+)_mask(?:_(?P<k>\d+))?$", re.IGNORECASE)
SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def _class_dirs(root: Path) -> list[tuple[str, Path]]:
    found = {p.name.lower(): p for p in root.iterdir() if p.is_dir()} if root.is_dir() else {}
    return [(name, found[name]) for name in CLASS_FOLDERS if name in found]


def looks_busi(root: Path) -> bool:
    return any(MASK_RE.match(p.stem) for _, folder in _class_dirs(root) for p in folder.iterdir())


def read_busi(root: Path) -> Dataset:
    issues: list[Problem] = []
    cases: list[Case] = []
    used: set[str] = set()
    dirs = _class_dirs(root)
    for label, folder in dirs:
        images: dict[str, Path] = {}
        masks: dict[str, list[tuple[int, Path]]] = defaultdict(list)
        for path in files_with_suffix(folder, SUFFIXES):
            if m := MASK_RE.match(path.stem):
                masks[m.group("stem")].append((int(m.group("k") or 0), path))
            else:
                images[path.stem] = path
        for stem in sorted(set(masks) - set(images)):
            issues.append(Problem(stem, masks[stem][0][1], "mask without an image"))
        for stem, image in sorted(images.items()):
            case = stem if stem not in used else f"{label}/{stem}"
            used.add(case)
            ordered = tuple(p for _, p in sorted(masks.get(stem, [])))
            cases.append(Case(case, (View(SINGLE_VIEW, image, ordered),), label))
    return Dataset(
        root=root,
        format="busi",
        cases=tuple(cases),
        classes=tuple(name for name, _ in dirs),
        masks_expected=True,
        issues=tuple(issues),
    )
