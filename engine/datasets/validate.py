"""Check every case of an indexed data set and report every problem at once.

One bad file never stops the check: each case is read on its own and its problems are
collected (missing or unreadable image/mask, image/mask size mismatch, unknown or missing
label, empty mask, lossy mask, a patient in two splits). `DatasetReport.good()` gives the
data set without the cases that have problems, so the rest still trains and evaluates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np

from engine.datasets.cases import Case, Dataset, Problem, View
from engine.datasets.pixels import mask_labels, read_array
from engine.datasets.split import SPLIT_NAMES
from engine.errors import LoadError

EMPTY_MASK_OK = ("normal",)  # classes whose images show no lesion (BUSI, scintigraphy)
MAX_MASK_LEVELS = 16  # more grey levels than this: a lossy (JPEG) or soft mask


@dataclass(frozen=True)
class DatasetReport:
    dataset: Dataset
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_cases(self) -> frozenset[str]:
        return frozenset(p.case for p in self.problems if p.case is not None)

    def good(self) -> Dataset:
        """The cases without any problem."""
        bad = self.bad_cases
        return self.dataset.subset(c.case_id for c in self.dataset.cases if c.case_id not in bad)

    def for_case(self, case_id: str) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.case == case_id)

    def summary(self) -> str:
        n_bad = len(self.bad_cases & {c.case_id for c in self.dataset.cases})
        head = (
            f"{self.dataset.root} ({self.dataset.format}): {len(self.dataset)} cases, "
            f"{len(self.dataset) - n_bad} usable, {len(self.problems)} problem(s)"
        )
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


def validate(
    dataset: Dataset,
    classes: Sequence[str] | None = None,
    empty_mask_ok: Collection[str] = EMPTY_MASK_OK,
    progress: Callable[[int, int], None] | None = None,
) -> DatasetReport:
    """Every problem of every case. `classes`: the labels allowed (default: the classes the
    format declares; for the canonical format, any label)."""
    allowed = tuple(classes) if classes is not None else _declared(dataset)
    problems = list(dataset.issues)
    problems += _duplicates(dataset)
    problems += _split_problems(dataset)
    labelled = any(c.label for c in dataset.cases)
    for i, case in enumerate(dataset.cases):
        if labelled and not case.label:
            problems.append(Problem(case.case_id, None, "no label"))
        elif case.label and allowed and case.label not in allowed:
            reason = f"unknown label {case.label!r} (expected one of {', '.join(allowed)})"
            problems.append(Problem(case.case_id, None, reason))
        lesion_seen: list[bool] = []
        for view in case.views:
            view_problems, has_lesion = _check_view(dataset, case, view)
            problems += view_problems
            if has_lesion is not None:
                lesion_seen.append(has_lesion)
        # Per case, not per view: a metastasis may show in one projection only.
        if lesion_seen and not any(lesion_seen) and (case.label or "") not in empty_mask_ok:
            where = "masks are" if len(lesion_seen) > 1 else "mask is"
            problems.append(Problem(case.case_id, None, f"empty mask: the {where} all background"))
        if progress:
            progress(i + 1, len(dataset.cases))
    return DatasetReport(dataset, tuple(problems))


def _declared(dataset: Dataset) -> tuple[str, ...]:
    return () if dataset.format == "canonical" else dataset.classes


def _duplicates(dataset: Dataset) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for case in dataset.cases:
        if case.case_id in seen:
            out.append(Problem(case.case_id, None, "case id used twice"))
        seen.add(case.case_id)
    return out


def _split_problems(dataset: Dataset) -> list[Problem]:
    out = []
    splits_of: dict[str, set[str]] = defaultdict(set)
    for case in dataset.cases:
        if case.split is not None and case.split not in SPLIT_NAMES:
            reason = f"unknown split {case.split!r} (expected {', '.join(SPLIT_NAMES)})"
            out.append(Problem(case.case_id, None, reason))
        if case.patient and case.split:
            splits_of[case.patient].add(case.split)
    for patient, splits in sorted(splits_of.items()):
        if len(splits) > 1:
            for case in dataset.cases:
                if case.patient == patient:
                    reason = f"patient {patient} is in several splits ({', '.join(sorted(splits))})"
                    out.append(Problem(case.case_id, None, reason))
    return out


def _check_view(dataset: Dataset, case: Case, view: View) -> tuple[list[Problem], bool | None]:
    """Problems of one view and whether its mask shows a lesion (None: no mask read)."""
    cid = case.case_id
    tag = "" if len(case.views) == 1 else f"view {view.name}: "
    out: list[Problem] = []
    shape = None
    if view.image is None:
        out.append(Problem(cid, None, f"{tag}no image file"))
    else:
        try:
            shape = _spatial_shape(read_array(view.image))
        except LoadError as exc:
            out.append(Problem(cid, view.image, f"{tag}unreadable image: {exc.reason}"))
    if not view.masks:
        if dataset.masks_expected:
            out.append(Problem(cid, None, f"{tag}missing mask"))
        return out, None
    merged = None
    for path in view.masks:
        try:
            raw = read_array(path)
        except LoadError as exc:
            out.append(Problem(cid, path, f"{tag}unreadable mask: {exc.reason}"))
            continue
        mask_shape = _spatial_shape(raw)
        if shape is not None and mask_shape != shape:
            reason = f"{tag}mask size {_fmt(mask_shape)} differs from image size {_fmt(shape)}"
            out.append(Problem(cid, path, reason))
            continue
        levels = np.unique(raw)
        if levels.size > MAX_MASK_LEVELS:
            reason = f"{tag}mask has {levels.size} grey levels, expected 0/255 or label ids"
            out.append(Problem(cid, path, reason + " (lossy compression?)"))
        labels = mask_labels(raw) > 0
        merged = labels if merged is None or merged.shape != labels.shape else merged | labels
    return out, (None if merged is None else bool(merged.any()))


def _spatial_shape(array: np.ndarray) -> tuple[int, ...]:
    """H×W for 2D (colour channels dropped), z×y×x for volumes."""
    if array.ndim == 3 and array.shape[-1] in (3, 4) and array.dtype == np.uint8:
        return tuple(array.shape[:2])
    return tuple(array.shape)


def _fmt(shape: tuple[int, ...]) -> str:
    if len(shape) == 2:
        return f"{shape[1]}x{shape[0]}"
    return "x".join(str(s) for s in shape)


def report_rows(report: DatasetReport) -> list[tuple[str, str, str]]:
    """(case, file, reason) rows for a CSV export of the report."""
    return [(p.case or "", str(p.path or ""), p.reason) for p in report.problems]
