"""The cases of a folder or of the datastore, their review status, and which one is open.

Qt-free: the dock renders it; next/previous and status updates are plain methods, tested
without a display. The list is in name order (the datastore's: import order), or, for active
learning, most useful to correct next first (desktop.models.reading.active_learning scores it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from desktop.models.events import Events
from desktop.models.opening import folder_cases, is_listed_folder
from desktop.models.reading.review import NEW
from engine.datasets.canonical import looks_canonical
from engine.io import (
    NIFTI_SUFFIXES,
    SUPPORTED_SUFFIXES,
    find_dicomdir,
    read_dicomdir,
)

NAME_ORDER, USEFUL_ORDER = "name", "useful"


@dataclass(frozen=True)
class CaseEntry:
    path: Path  # file, or folder of a DICOM series
    name: str
    status: str = NEW
    usefulness: float | None = None  # active-learning score while sorted by it
    heldout: bool = False  # in the datastore's fixed held-out split (judges, never trains)
    draft: bool = False  # unsaved corrections kept in memory (not in the datastore)


def is_case_file(path: Path) -> bool:
    name = path.name.lower()
    return path.suffix.lower() in SUPPORTED_SUFFIXES or any(
        name.endswith(s) for s in NIFTI_SUFFIXES
    )


def dicomdir_entries(folder: Path) -> list[CaseEntry]:
    """The images a DICOMDIR (CD/USB export) lists, in its order, named by their path in the
    export; a listed file that is missing stays in the list with the reason as its status.
    LoadError when the DICOMDIR itself cannot be read."""
    found, missing = read_dicomdir(folder)
    root = folder.resolve()

    def name(path: Path) -> str:
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name

    entries = [CaseEntry(e.path, name(e.path)) for e in found]
    entries += [CaseEntry(e.path, name(e.path), f"error: {e.reason}") for e in missing]
    return entries


def folder_entries(folder: str | Path) -> list[CaseEntry]:
    """Every image, cine, NIfTI in the folder, and every subfolder that is a case
    (desktop.models.opening.is_listed_folder: a CT or MR series, a multi-view study), sorted
    by name; a folder that is itself a volume or a study is one case, a folder with a
    DICOMDIR lists the DICOMDIR's images, a views.csv data set lists its cases
    (desktop.models.opening.folder_cases) and a canonical data set
    (labels.csv + images/, what `lesionlens synth` writes) the images of its images/ folder.
    Hidden files are skipped."""
    folder = Path(folder)
    if find_dicomdir(folder) is not None:
        return dicomdir_entries(folder)
    cases = folder_cases(folder)  # a data set of studies, or one study or volume
    if cases is not None:
        return [CaseEntry(path, name) for path, name in cases]
    if looks_canonical(folder):  # a data set (labels.csv + images/): its images are the cases
        return [
            CaseEntry(path, path.stem)
            for path in sorted((folder / "images").iterdir(), key=lambda p: p.name.lower())
            if path.is_file() and not path.name.startswith(".") and is_case_file(path)
        ]
    entries = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        if path.name.startswith("."):
            continue
        if path.is_file() and is_case_file(path):
            entries.append(CaseEntry(path, path.name))
        elif path.is_dir() and is_listed_folder(path):
            entries.append(CaseEntry(path, f"{path.name}/"))
    return entries


class CaseList:
    EVENTS = ("cases_changed", "current_changed", "order_changed")

    def __init__(self) -> None:
        self.entries: list[CaseEntry] = []
        self.source = ""  # what the list shows, e.g. the folder path or "datastore"
        self.current = -1
        self.order = NAME_ORDER
        self._listed: list[Path] = []  # the paths in the order they were listed
        self.events = Events(self.EVENTS)
        self.subscribe = self.events.subscribe

    def set_entries(self, entries: list[CaseEntry], source: str) -> None:
        self.entries, self.source, self.current = list(entries), source, -1
        self._listed = [e.path for e in self.entries]
        self._set_order(NAME_ORDER)
        self.events.emit("cases_changed")

    def sort_by_usefulness(self, scores: Mapping[Path, object]) -> None:
        """Most useful to correct next first. scores: path -> an object with a `score` (an
        engine.datastore.Usefulness) or None; unscored cases follow in listed order."""

        def value(path: Path) -> float | None:
            score = getattr(scores.get(path), "score", None)
            return float(score) if score is not None and math.isfinite(score) else None

        entries = [replace(e, usefulness=value(e.path)) for e in self.entries]
        position = {path: i for i, path in enumerate(self._listed)}
        entries.sort(key=lambda e: (e.usefulness is None, -(e.usefulness or 0.0), position[e.path]))
        self._reorder(entries, USEFUL_ORDER)

    def sort_by_name(self) -> None:
        """Back to the order the cases were listed in."""
        position = {path: i for i, path in enumerate(self._listed)}
        entries = sorted(self.entries, key=lambda e: position[e.path])
        self._reorder([replace(e, usefulness=None) for e in entries], NAME_ORDER)

    def _reorder(self, entries: list[CaseEntry], order: str) -> None:
        current = self.entries[self.current].path if self.current >= 0 else None
        self.entries = entries
        self.current = -1
        self._set_order(order)
        self.events.emit("cases_changed")
        self.set_current_path(current)

    def _set_order(self, order: str) -> None:
        if order != self.order:
            self.order = order
            self.events.emit("order_changed", order)

    def index_of(self, path: str | Path) -> int:
        target = Path(path).resolve()
        for i, entry in enumerate(self.entries):
            if entry.path.resolve() == target:
                return i
        return -1

    def set_current_path(self, path: str | Path | None) -> None:
        """The open case changed (from the list or from anywhere else)."""
        index = self.index_of(path) if path is not None else -1
        if index != self.current:
            self.current = index
            self.events.emit("current_changed", index)

    def set_status(self, path: str | Path, status: str, heldout: bool | None = None) -> None:
        """A case's review status (and, once it is in the datastore, its held-out mark)."""
        index = self.index_of(path)
        if index < 0:
            return
        entry = self.entries[index]
        held = entry.heldout if heldout is None else heldout
        changed = replace(entry, status=status, heldout=held)
        if changed != entry:
            self.entries[index] = changed
            self.events.emit("cases_changed")

    def set_draft(self, path: str | Path, draft: bool) -> None:
        index = self.index_of(path)
        if index >= 0 and self.entries[index].draft != draft:
            self.entries[index] = replace(self.entries[index], draft=draft)
            self.events.emit("cases_changed")

    def neighbour(self, step: int) -> CaseEntry | None:
        """The case `step` away from the open one (None past either end)."""
        if not self.entries:
            return None
        if self.current < 0:
            return self.entries[0] if step > 0 else self.entries[-1]
        index = self.current + step
        return self.entries[index] if 0 <= index < len(self.entries) else None
