"""ISIC 2018 layout: ISIC_<id>.jpg images, ISIC_<id>_segmentation.png masks (Task 1) and a
ground-truth CSV with one-hot diagnosis columns (Task 3: image,MEL,NV,BCC,AKIEC,BKL,DF,VASC).

The folders may be nested as downloaded (ISIC2018_Task1-2_Training_Input/, ..._GroundTruth/);
files are searched up to two levels deep. Labels keep ISIC's diagnosis codes; MALIGNANT_CODES
maps them to benign/malignant when a binary task needs it.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.datasets.cases import SINGLE_VIEW, Case, Dataset, Problem, View
from engine.datasets.tables import read_table

IMAGE_RE = re.compile(r"^(ISIC_\d+)\.(jpe?g|png)$", re.IGNORECASE)
MASK_RE = re.compile(r"^(ISIC_\d+)_segmentation\.png$", re.IGNORECASE)
MALIGNANT_CODES = frozenset({"MEL", "BCC", "AKIEC"})
DEPTH_PATTERNS = ("*", "*/*", "*/*/*")


def binary_label(code: str | None) -> str | None:
    """ISIC diagnosis code -> "malignant" (melanoma, BCC, actinic keratosis/IEC) or "benign"."""
    if code is None:
        return None
    return "malignant" if code.upper() in MALIGNANT_CODES else "benign"


def _files(root: Path) -> list[Path]:
    return sorted(p for pattern in DEPTH_PATTERNS for p in root.glob(pattern) if p.is_file())


def looks_isic(root: Path) -> bool:
    return any(IMAGE_RE.match(p.name) for p in _files(root))


def read_isic(root: Path) -> Dataset:
    files = _files(root)
    issues: list[Problem] = []
    images: dict[str, Path] = {}
    masks: dict[str, Path] = {}
    for path in files:
        if m := IMAGE_RE.match(path.name):
            case = m.group(1)
            if case in images:
                issues.append(Problem(case, path, f"second image (also {images[case]})"))
                continue
            images[case] = path
        elif m := MASK_RE.match(path.name):
            masks[m.group(1)] = path
    labels, classes = _ground_truth(root, files, issues)
    for case in sorted(set(masks) - set(images)):
        issues.append(Problem(case, masks[case], "mask without an image"))
    if labels:
        for case in sorted(set(labels) - set(images)):
            issues.append(Problem(case, None, "listed in the ground-truth CSV but has no image"))
    cases = []
    for case, image in sorted(images.items()):
        label = labels.get(case)
        if labels and case not in labels:
            issues.append(Problem(case, image, "image has no row in the ground-truth CSV"))
        mask = (masks[case],) if case in masks else ()
        cases.append(Case(case, (View(SINGLE_VIEW, image, mask),), label))
    return Dataset(
        root=root,
        format="isic2018",
        cases=tuple(cases),
        classes=classes,
        masks_expected=bool(masks),
        issues=tuple(issues),
    )


def _ground_truth(root: Path, files: list[Path], issues: list[Problem]):  # noqa: ANN202
    """Labels from every CSV whose header has `image` plus diagnosis columns."""
    labels: dict[str, str | None] = {}
    classes: list[str] = []
    for path in (p for p in files if p.suffix.lower() == ".csv"):
        try:
            header = path.read_text(encoding="utf-8-sig").splitlines()[:1]
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(Problem(None, path, f"CSV cannot be read as UTF-8 text ({exc})"))
            continue
        columns = [c.strip() for c in header[0].split(",")] if header else []
        if not columns or columns[0] != "image" or len(columns) < 3:
            continue
        codes = columns[1:]
        classes += [c for c in codes if c not in classes]
        for row in read_table(path, ("image",)):
            case = row["image"]
            hot = []
            for code in codes:
                try:
                    if float(row.get(code) or 0) > 0.5:
                        hot.append(code)
                except ValueError:
                    issues.append(Problem(case, path, f"column {code} is not a number"))
            if len(hot) != 1:
                found = "no diagnosis" if not hot else f"several diagnoses {hot}"
                issues.append(Problem(case, path, f"{found} in the one-hot columns"))
            labels[case] = hot[0] if len(hot) == 1 else None
    if not classes:
        issues.append(Problem(None, root, "no ground-truth CSV (image,MEL,NV,...) found"))
    return labels, tuple(classes)
