"""What a data set is, once indexed: cases with file paths, labels and splits; never pixels.

Loading stays lazy (engine.datasets.pixels reads a view when asked), so indexing a folder of
ten thousand images is instant and a bad file only hurts its own case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

SINGLE_VIEW = "image"  # the view name of single-view cases


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data set: which case (None for the set), which file, why."""

    case: str | None
    path: Path | None
    reason: str

    def __str__(self) -> str:
        where = self.case if self.case is not None else "(data set)"
        file = f" [{self.path}]" if self.path is not None else ""
        return f"{where}: {self.reason}{file}"


@dataclass(frozen=True)
class View:
    """One picture of a case: its image file and its mask file(s) (several are OR-merged)."""

    name: str
    image: Path | None
    masks: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Case:
    case_id: str
    views: tuple[View, ...]
    label: str | None = None
    split: str | None = None
    patient: str | None = None

    @property
    def view_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.views)

    def view(self, name: str = SINGLE_VIEW) -> View:
        for v in self.views:
            if v.name == name:
                return v
        raise KeyError(f"case {self.case_id} has no view {name!r} (has {self.view_names})")

    @property
    def image(self) -> Path | None:
        """The image of a single-view case (the first view otherwise)."""
        return self.views[0].image if self.views else None

    @property
    def masks(self) -> tuple[Path, ...]:
        return self.views[0].masks if self.views else ()


@dataclass(frozen=True)
class Dataset:
    """An indexed data set.

    format: "canonical", "isic2018", "busi" or "nnunet". classes: the class names the format
    declares (ISIC columns, BUSI folders), else the labels found. masks_expected: whether
    every case should have a mask (False for ISIC classification-only sets). mask_labels:
    segmentation label ids by name. issues: problems found while indexing (a mask without an
    image, an image without a label row, ...); `validate` adds the per-file checks.
    """

    root: Path
    format: str
    cases: tuple[Case, ...]
    classes: tuple[str, ...] = ()
    masks_expected: bool = True
    mask_labels: Mapping[str, int] = field(default_factory=lambda: {"background": 0, "lesion": 1})
    issues: tuple[Problem, ...] = ()

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self):  # noqa: ANN204
        return iter(self.cases)

    def case(self, case_id: str) -> Case:
        for c in self.cases:
            if c.case_id == case_id:
                return c
        raise KeyError(case_id)

    def subset(self, case_ids: Iterable[str]) -> Dataset:
        keep = set(case_ids)
        return replace(self, cases=tuple(c for c in self.cases if c.case_id in keep))

    def split(self, name: str) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.split == name)

    def with_splits(self, splits: Mapping[str, str]) -> Dataset:
        return replace(
            self, cases=tuple(replace(c, split=splits.get(c.case_id, c.split)) for c in self.cases)
        )
