"""The canonical LesionLens folder (what `lesionlens synth` writes).

images/<case>.<png|jpg|dcm|nii.gz>   single view; or images/<case>_<view>.png listed in
masks/<case>.<png|nii.gz>            views.csv (case,view,file[,mask], relative paths)
labels.csv                           case,label
split.csv                            case,split (optional; train/val/test)
patients.csv                         case,patient (optional)
mask_labels.csv                      name,value (optional; default background 0, lesion 1)
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from engine.datasets.cases import SINGLE_VIEW, Case, Dataset, Problem, View
from engine.datasets.files import (
    IMAGE_SUFFIXES,
    MASK_SUFFIXES,
    files_with_suffix,
    find_by_stem,
    split_suffix,
)
from engine.datasets.tables import read_table
from engine.errors import DatasetError

VIEWS_TABLE = "views.csv"


def looks_canonical(root: Path) -> bool:
    return (root / "labels.csv").is_file() and (root / "images").is_dir()


def read_canonical(root: Path) -> Dataset:
    rows = read_table(root / "labels.csv", ("case", "label"))
    issues: list[Problem] = []
    labels: dict[str, str] = {}
    for row in rows:
        case = row["case"]
        if case in labels:
            issues.append(Problem(case, root / "labels.csv", "listed twice in labels.csv"))
            continue
        labels[case] = row["label"]
    multi = _read_views(root, issues) if (root / VIEWS_TABLE).is_file() else {}
    cases = []
    for case, label in labels.items():
        views = multi.get(case) or (_single_view(root, case),)
        cases.append(Case(case, views, label or None))
    if not multi:
        listed = set(labels)
        for path in files_with_suffix(root / "images", IMAGE_SUFFIXES):
            stem, _ = split_suffix(path)
            if stem not in listed:
                issues.append(Problem(stem, path, "image has no row in labels.csv"))
    for case in sorted(set(multi) - set(labels)):
        issues.append(Problem(case, root / VIEWS_TABLE, "in views.csv but not in labels.csv"))
    return Dataset(
        root=root,
        format="canonical",
        cases=tuple(cases),
        classes=tuple(sorted({c.label for c in cases if c.label})),
        masks_expected=True,
        mask_labels=_mask_labels(root),
        issues=tuple(issues),
    )


def _single_view(root: Path, case: str) -> View:
    image = find_by_stem(root / "images", case, IMAGE_SUFFIXES)
    mask = find_by_stem(root / "masks", case, MASK_SUFFIXES)
    return View(SINGLE_VIEW, image, (mask,) if mask else ())


def view_table_cases(root: Path) -> list[str]:
    """The case ids a views.csv data set lists, in table order (DatasetError if unreadable)."""
    rows = read_table(root / VIEWS_TABLE, ("case",))
    return list(dict.fromkeys(row["case"] for row in rows if row.get("case")))


def _read_views(root: Path, issues: list[Problem]) -> dict[str, tuple[View, ...]]:
    views: dict[str, list[View]] = defaultdict(list)
    for row in read_table(root / VIEWS_TABLE, ("case", "view", "file")):
        case, name = row["case"], row["view"]
        if any(v.name == name for v in views[case]):
            issues.append(Problem(case, root / VIEWS_TABLE, f"view {name!r} listed twice"))
            continue
        image = root / row["file"]
        if row.get("mask"):
            masks: tuple[Path, ...] = (root / row["mask"],)
        else:  # same file name under masks/
            mask = root / "masks" / Path(row["file"]).name
            masks = (mask,) if mask.is_file() else ()
        views[case].append(View(name, image, masks))
    return {case: tuple(v) for case, v in views.items()}


def _mask_labels(root: Path) -> dict[str, int]:
    path = root / "mask_labels.csv"
    if not path.is_file():
        return {"background": 0, "lesion": 1}
    try:
        return {row["name"]: int(row["value"]) for row in read_table(path, ("name", "value"))}
    except ValueError as exc:
        raise DatasetError(f"{path}: values must be integers ({exc})") from exc
