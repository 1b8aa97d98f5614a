"""A case, whatever its kind: an id, its kind and its named views, read from one path.

`open_case(path)` is where the CLI (engine.tasks, behind `lesionlens analyze / export`) and a
caller such as the GUI turn a path into something a task can read. The kind comes from
engine.case_kind (the one rule for "image, study or volume?"); the reading stays the kind's
own (engine.reader_input for an image and its frame, engine.io.load_study for the views of a
study, engine.volume.commands.load_volume for a CT/MR volume), so nothing is read twice over
in two ways.

A batch has one kind (every input is read by the same task): `inputs_kind` for the inputs of
analyze / export and `dataset_kind` for the data set of evaluate, both built on
engine.case_kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.case_kind import (
    IMAGE,
    STUDY,
    VIEWS_TABLE,
    VOLUME,
    case_kind,
    is_volume_input,
    study_source,
)
from engine.errors import LoadError
from engine.types import Image, Study, Volume

if TYPE_CHECKING:
    from engine.reader_input import StoredLookup
    from engine.reader_measurements import ReaderMeasurement

KINDS = (IMAGE, STUDY, VOLUME)
IMAGE_VIEW, VOLUME_VIEW = "image", "volume"  # the one view of an image or a volume case


@dataclass(frozen=True)
class Case:
    """One case: its id (file stem, study case id, volume name), its kind (IMAGE, STUDY,
    VOLUME), its views by name (one "image" or "volume" view, or a study's views in reading
    order), the path it was read from, the source's metadata (a study's source, UIDs) and the
    reader's measurements stored on it (images only; engine.reader_input)."""

    case_id: str
    kind: str
    views: dict[str, Image | Volume]
    source: Path
    metadata: dict[str, Any] = field(default_factory=dict)
    measured: tuple[ReaderMeasurement, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of case {self.kind!r} (one of {', '.join(KINDS)})")
        if not self.views:
            raise LoadError(self.source, "the case has no views")

    @property
    def image(self) -> Image:
        """The picture of an image case; TypeError for a study or a volume."""
        view = self.views.get(IMAGE_VIEW)
        if len(self.views) != 1 or not isinstance(view, Image):
            raise TypeError(f"case {self.case_id} is a {self.kind}, not an image")
        return view

    @property
    def volume(self) -> Volume:
        """The scan of a volume case; TypeError for an image or a study."""
        view = self.views.get(VOLUME_VIEW)
        if len(self.views) != 1 or not isinstance(view, Volume):
            raise TypeError(f"case {self.case_id} is a {self.kind}, not a volume")
        return view

    def as_study(self) -> Study:
        """The views as the multi-view code takes them (engine.study)."""
        return Study(self.case_id, dict(self.views), dict(self.metadata))


def open_case(
    path: str | Path,
    *,
    case: str | None = None,
    kind: str | None = None,
    frame_index: int = 0,
    stored: StoredLookup | None = None,
) -> Case:
    """The case at `path`. kind: read it as this kind (a batch's, engine.case.inputs_kind)
    instead of detecting it; case: one case of a views.csv data set (a study); frame_index /
    stored: an image's frame of a cine and where the reader's measurements are looked up
    (engine.reader_input). Errors name the path and the reason (LoadError)."""
    path = Path(path)
    if kind is None:
        kind = STUDY if case is not None else case_kind(path)
    if kind not in _READERS:
        raise ValueError(f"unknown kind of case {kind!r} (one of {', '.join(KINDS)})")
    return _READERS[kind](path, case, frame_index, stored)


def _read_image(
    path: Path, case: str | None, frame_index: int, stored: StoredLookup | None
) -> Case:
    """The frame as export reads it, with the reader's calibration and measurements."""
    from engine.reader_input import read_as_stored

    image, measured = read_as_stored(path, frame_index, stored)
    return Case(path.stem, IMAGE, {IMAGE_VIEW: image}, path, measured=measured)


def _read_study(
    path: Path, case: str | None, frame_index: int, stored: StoredLookup | None
) -> Case:
    """A case named with the path (a batch's, engine.study.commands.study_inputs) is read as
    given; otherwise <root>/<case> of a views.csv data set is that case of root."""
    from engine.io.study import load_study

    root, one = (path, case) if case is not None else (study_source(path) or (path, None))
    study = load_study(root, one)
    return Case(study.case_id, STUDY, dict(study.views), root, dict(study.metadata))


def _read_volume(
    path: Path, case: str | None, frame_index: int, stored: StoredLookup | None
) -> Case:
    from engine.volume.commands import load_volume, volume_name

    return Case(volume_name(path), VOLUME, {VOLUME_VIEW: load_volume(path)}, path)


_READERS = {IMAGE: _read_image, STUDY: _read_study, VOLUME: _read_volume}


def inputs_kind(inputs: Sequence[Path], case: str | None = None, model: Path | None = None) -> str:
    """The kind of a batch of analyze / export inputs: VOLUME when any input is a volume,
    STUDY when every input opens as a study (or --case names one, or --model takes views;
    engine.study.commands.study_inputs), else IMAGE."""
    if any(is_volume_input(p) for p in inputs):
        return VOLUME
    from engine.study.commands import study_inputs

    return STUDY if study_inputs(list(inputs), case, model) is not None else IMAGE


def dataset_kind(data: Path) -> str:
    """The kind of the cases of an evaluate data set: a volume data set (images + labels
    volumes), a multi-view one (views.csv: one class per case), else single images."""
    from engine.volume.evaluation import is_volume_dataset

    if is_volume_dataset(data):
        return VOLUME
    return STUDY if (Path(data) / VIEWS_TABLE).is_file() else IMAGE
