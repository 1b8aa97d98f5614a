"""Load one case seen from several views (a `Study`) from the layouts it arrives in: a folder
of files named by view, one case of a multi-view data set (views.csv), or a DICOM study
(a folder or a DICOMDIR whose images share a StudyInstanceUID)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from engine.errors import LoadError, TableError
from engine.io.dicom import is_dicom
from engine.io.dicom_open import read_header
from engine.io.dicomdir import find_dicomdir, read_dicomdir
from engine.types import Image, Study, Volume

# Reading order of the view names LesionLens knows; files named otherwise are not views.
KNOWN_VIEWS = (
    "us",
    "clinical",
    "photo",
    "dermoscopy",
    "anterior",
    "posterior",
    "left",
    "right",
    "lateral",
    "oblique",
)
_VIEW_POSITIONS = {"ANT": "anterior", "AP": "anterior", "POST": "posterior", "PA": "posterior"}
_LATERALITY = {"L": "left", "R": "right"}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".dicom"}


def load_study(path: str | Path, case: str | None = None) -> Study:
    """The views of one case under `path` (folder, DICOMDIR, or data set folder + `case`)."""
    path = Path(path)
    if not path.exists():
        raise LoadError(path, "study not found")
    dicomdir = find_dicomdir(path)
    if dicomdir is not None:
        return _from_dicomdir(dicomdir)
    if not path.is_dir():
        raise LoadError(path, "a study is a folder or a DICOMDIR, not a single file")
    if (path / "views.csv").is_file():
        return _from_views_csv(path, case)
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise LoadError(path, "folder is empty: no views to load")
    named = _views_by_name(files)
    if named is not None:
        case_id, views = named
        case_id = case_id or path.name
        return Study(case_id, _calibrated(path, case_id, _load_views(views)), {"source": str(path)})
    dicoms = [p for p in files if p.suffix.lower() in {".dcm", ".dicom", ""} and is_dicom(p)]
    if dicoms:
        return _from_dicom_files(path, dicoms)
    raise LoadError(
        path,
        "unknown study layout: expected files named by view "
        f"({', '.join(KNOWN_VIEWS)}) or <case>_<view>, a views.csv, DICOM files or a DICOMDIR",
    )


def _views_by_name(files: list[Path]) -> tuple[str, dict[str, Path]] | None:
    """(case, view -> file) when every image file is <view>.<ext> or <case>_<view>.<ext>."""
    images = [p for p in files if p.suffix.lower() in _IMAGE_SUFFIXES]
    if not images:
        return None
    views: dict[str, Path] = {}
    cases = set()
    for file in images:
        stem = file.stem.lower()
        case, _, view = stem.rpartition("_")
        if view not in KNOWN_VIEWS:
            return None
        if view in views:
            raise LoadError(file, f"two files for view {view!r}: {views[view].name}, {file.name}")
        views[view] = file
        cases.add(file.stem[: len(case)])
    if len(cases) > 1:
        raise LoadError(files[0].parent, f"folder mixes cases {', '.join(sorted(cases))}")
    ordered = {v: views[v] for v in KNOWN_VIEWS if v in views}
    return cases.pop(), ordered


def _from_views_csv(root: Path, case: str | None) -> Study:
    table = root / "views.csv"
    rows = _read_table(table, ("case", "view", "file"))
    cases = list(dict.fromkeys(row["case"] for row in rows))
    if case is None:
        if len(cases) != 1:
            raise LoadError(table, f"holds {len(cases)} cases; say which one (case=...)")
        case = cases[0]
    if case not in cases:
        raise LoadError(table, f"no case {case!r} (it lists {len(cases)} cases)")
    views = {row["view"]: root / row["file"] for row in rows if row["case"] == case}
    return Study(case, _calibrated(root, case, _load_views(views)), {"source": str(root)})


def _calibrated(
    root: Path, case: str, loaded: dict[str, Image | Volume]
) -> dict[str, Image | Volume]:
    """Uncalibrated picture views get the pixel size meta.csv gives them (if any)."""
    for view, spacing in _meta_spacing(root, case, list(loaded)).items():
        picture = loaded[view]
        if isinstance(picture, Image) and picture.spacing_mm is None:
            loaded[view] = replace(picture, spacing_mm=(spacing, spacing))
    return loaded


def with_data_set_calibration(image: Image, path: str | Path) -> Image:
    """An uncalibrated image file in the images/ folder of a data set gets the pixel size its
    meta.csv gives the case (`spacing_mm`): opening a file of a `lesionlens synth` or
    canonical folder reports sizes in mm, as the data set says, not in pixels."""
    path = Path(path)
    root = path.parent.parent
    if image.spacing_mm is not None or path.parent.name != "images":
        return image
    spacing = _meta_spacing(root, path.stem, ["image"]).get("image")
    return image if spacing is None else replace(image, spacing_mm=(spacing, spacing))


def _meta_spacing(root: Path, case: str, views: list[str]) -> dict[str, float]:
    """Pixel size per view from the data set's meta.csv (`<view>_spacing_mm`, or
    `spacing_mm` for all views): PNG views carry no calibration of their own, and without it
    every size would be reported in pixels."""
    table = root / "meta.csv"
    if not table.is_file():
        return {}
    rows = _read_table(table, ())
    row = next((r for r in rows if r.get("case") == case), None)
    if row is None and len(rows) == 1 and not rows[0].get("case"):
        row = rows[0]  # a one-case folder may leave the case column out
    spacings: dict[str, float] = {}
    for view in views if row else []:
        text = row.get(f"{view}_spacing_mm") or row.get("spacing_mm") or ""
        try:
            value = float(text)
        except ValueError:
            continue
        if value > 0 and np.isfinite(value):
            spacings[view] = value
    return spacings


def _read_table(table: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """A data-set table through engine.datasets, its failure as the LoadError (file, reason)
    the GUI and the CLI show for anything a study cannot be loaded from. Imported here:
    engine.datasets itself imports engine.io, so a module-level import would tie the two
    packages' initialisation together."""
    from engine.datasets.tables import read_table

    try:
        return read_table(table, required)
    except TableError as exc:
        raise LoadError(exc.path, exc.reason) from exc


def _from_dicomdir(dicomdir: Path) -> Study:
    entries, problems = read_dicomdir(dicomdir)
    if problems:
        raise problems[0]
    studies = {entry.study_uid for entry in entries}
    if len(studies) != 1:
        raise LoadError(dicomdir, f"holds {len(studies)} studies; a study needs exactly one")
    study = _from_dicom_files(dicomdir, [entry.path for entry in entries])
    return study


def _from_dicom_files(source: Path, files: list[Path]) -> Study:
    """Views of one StudyInstanceUID: a series of positioned slices is one Volume view, any
    other image (one ultrasound sweep may hold several stills) is a view of its own."""
    headers = {file: read_header(file) for file in files}
    studies = {str(h.get("StudyInstanceUID", "")) for h in headers.values()}
    if len(studies) != 1:
        raise LoadError(source, f"holds {len(studies)} DICOM studies; a study needs exactly one")
    series: dict[str, list[Path]] = defaultdict(list)
    for file, header in headers.items():
        series[str(header.get("SeriesInstanceUID", file.name))].append(file)
    views: dict[str, Image | Volume] = {}
    for uid, members in series.items():
        if _is_slice_series(members, headers):
            _check_alone_in_folder(members, headers)
            name = _dicom_view_name(headers[members[0]]) or f"view{len(views) + 1}"
            views[_unique(name, views)] = _read_volume(members[0].parent, uid)
            continue
        for member in members:
            name = _dicom_view_name(headers[member]) or f"view{len(views) + 1}"
            views[_unique(name, views)] = _read_picture(member)
    header = next(iter(headers.values()))
    folder = source.parent if source.is_file() else source
    metadata = {
        "source": str(source),
        "StudyInstanceUID": studies.pop(),
        "PatientID": str(header.get("PatientID", "")),
    }
    return Study(str(header.get("AccessionNumber", "") or folder.name), views, metadata)


def _is_slice_series(members: list[Path], headers: dict) -> bool:
    """Several single-frame slices with positions in one folder: read together as a Volume."""
    return (
        len(members) > 1
        and len({m.parent for m in members}) == 1
        and all("ImagePositionPatient" in headers[m] for m in members)
    )


def _check_alone_in_folder(members: list[Path], headers: dict) -> None:
    """read_series reads a whole folder, so slices must not share it with other images."""
    folder = members[0].parent
    others = [f for f in headers if f.parent == folder and f not in members]
    if others:
        raise LoadError(
            folder,
            f"a series of {len(members)} slices shares this folder with {len(others)} other "
            "DICOM image(s); put each 3D series in its own folder or use a DICOMDIR",
        )


def _read_volume(folder: Path, series_uid: str) -> Volume:
    from engine.io import read_series

    return read_series(folder, series_uid=series_uid)


def _read_picture(path: Path) -> Image | Volume:
    """A 2D image, or the Volume of an enhanced multi-frame; a cine shows its first frame."""
    from engine.io import load_any, load_image

    loaded = load_any(path)
    return loaded if isinstance(loaded, (Image, Volume)) else load_image(path)


def _dicom_view_name(header: object) -> str:
    """anterior/posterior from ViewPosition, left/right from ImageLaterality, else the series
    description or the modality, so the reader sees what each view is."""
    get = header.get  # type: ignore[attr-defined]
    position = str(get("ViewPosition", "") or "").upper()
    laterality = str(get("ImageLaterality", "") or "").upper()
    if position or laterality:
        parts = [_VIEW_POSITIONS.get(position, position.lower()), _LATERALITY.get(laterality, "")]
        return "_".join(p for p in parts if p)
    for keyword in ("SeriesDescription", "Modality"):
        value = re.sub(r"[^a-z0-9]+", "_", str(get(keyword, "") or "").lower()).strip("_")
        if value:
            return value
    return ""


def _unique(name: str, taken: dict[str, object]) -> str:
    candidate, k = name, 2
    while candidate in taken:
        candidate, k = f"{name}_{k}", k + 1
    return candidate


def _load_views(files: dict[str, Path]) -> dict[str, Image | Volume]:
    from engine.io import load_image

    return {view: load_image(file) for view, file in files.items()}
