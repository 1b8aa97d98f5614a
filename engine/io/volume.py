"""CT/MR volumes from DICOM: a folder of slices, or one enhanced multi-frame file.

Slices are ordered by their position projected on the slice normal (ImagePositionPatient ·
(row × col direction)), never by file name or InstanceNumber, which scanners and PACS
exports do not keep in anatomical order. The slice spacing comes from those positions too
(SliceThickness is the slab thickness, not the distance between slices).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from engine.errors import LoadError
from engine.io.dicom_open import declared_frames, frame_geometry, read_header
from engine.io.frames import FrameSource, metadata_of, pixel_spacing_mm, read_dicom_frames
from engine.io.limits import check_decoded_size
from engine.types import Volume

ORIENTATION_TOLERANCE = 1e-3
SPACING_TOLERANCE = 0.05  # relative; a larger jump between slices means a missing slice

ENHANCED_VOLUME_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT
    "1.2.840.10008.5.1.4.1.1.2.2",  # Legacy Converted Enhanced CT
    "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR
    "1.2.840.10008.5.1.4.1.1.4.4",  # Legacy Converted Enhanced MR
    "1.2.840.10008.5.1.4.1.1.128.1",  # Enhanced PET
    "1.2.840.10008.5.1.4.1.1.130",  # Legacy Converted Enhanced PET
}


@dataclass(frozen=True)
class _Slice:
    path: Path
    header: Dataset
    position: np.ndarray
    orientation: np.ndarray


def read_series(folder: str | Path, series_uid: str | None = None) -> Volume:
    """Every DICOM slice of one series in `folder` (not recursive) as a Volume.

    A folder holding several series needs `series_uid`; the error lists what is there."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(folder, "is not a folder")
    slices = _pick_series(folder, _slice_headers(folder), series_uid)
    first = slices[0]
    rows, cols, samples, bits = frame_geometry(first.header)
    for s in slices[1:]:
        if frame_geometry(s.header)[:2] != (rows, cols):
            raise LoadError(s.path, f"slice size differs from {first.path.name} ({cols}x{rows})")
        if not np.allclose(s.orientation, first.orientation, atol=ORIENTATION_TOLERANCE):
            raise LoadError(s.path, f"slice orientation differs from {first.path.name}")
    check_decoded_size(folder, rows, cols, len(slices), samples, max(bits, 32))
    normal = np.cross(first.orientation[:3], first.orientation[3:])
    ordered = sorted(slices, key=lambda s: float(s.position @ normal))
    z_spacing = _slice_spacing(folder, [float(s.position @ normal) for s in ordered], first.header)
    images = [read_dicom_frames(s.path).frame(0) for s in ordered]
    if any(image.is_color for image in images):
        raise LoadError(folder, "colour slices cannot form a CT/MR volume")
    voxels = np.stack([image.pixels for image in images])
    spacing = pixel_spacing_mm(first.header) or (1.0, 1.0)
    return Volume(
        voxels=voxels,
        spacing_mm=(z_spacing, spacing[0], spacing[1]),
        orientation=_six(first.orientation),
        origin=_three(ordered[0].position),
        source=str(folder),
        metadata={**metadata_of(first.header), "SliceCount": str(len(ordered))},
        window_presets=images[0].window_presets,
    )


def is_enhanced_volume(ds: Dataset) -> bool:
    """An enhanced CT/MR/PET multi-frame file whose frames are slices of one volume."""
    # declared_frames: a NumberOfFrames that is not a number ("1A") counts as 1, as everywhere.
    is_enhanced = str(ds.get("SOPClassUID", "")) in ENHANCED_VOLUME_SOP_CLASSES
    return is_enhanced and declared_frames(ds) > 1


def read_enhanced_volume(path: str | Path) -> Volume:
    """One enhanced multi-frame file: per-frame positions, shared or per-frame orientation,
    spacing and rescale from the functional groups."""
    path = Path(path)
    source = read_dicom_frames(path)
    ds = source.dataset
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    if len(per_frame) != source.count:
        raise LoadError(path, "enhanced multi-frame file lacks per-frame positions")
    positions, orientation = [], None
    for index, group in enumerate(per_frame):
        position = _functional(ds, group, "PlanePositionSequence", "ImagePositionPatient")
        cosines = _functional(ds, group, "PlaneOrientationSequence", "ImageOrientationPatient")
        if position is None or cosines is None:
            raise LoadError(path, f"frame {index + 1} has no plane position/orientation")
        if orientation is None:
            orientation = cosines
        elif not np.allclose(cosines, orientation, atol=ORIENTATION_TOLERANCE):
            raise LoadError(path, f"frame {index + 1} is not parallel to frame 1")
        positions.append(position)
    assert orientation is not None
    normal = np.cross(orientation[:3], orientation[3:])
    order = sorted(range(source.count), key=lambda i: float(positions[i] @ normal))
    z_spacing = _slice_spacing(path, [float(positions[i] @ normal) for i in order], ds)
    voxels = _stack_frames(source, order)
    spacing = pixel_spacing_mm(ds) or (1.0, 1.0)
    return Volume(
        voxels=voxels,
        spacing_mm=(z_spacing, spacing[0], spacing[1]),
        orientation=_six(orientation),
        origin=_three(positions[order[0]]),
        source=str(path),
        metadata={**source.metadata, "SliceCount": str(source.count)},
        window_presets=source.window_presets,
    )


def _stack_frames(source: FrameSource, order: list[int]) -> np.ndarray:
    frames = [source.frame(i).pixels for i in order]
    if frames[0].ndim != 2:
        raise LoadError(source.path, "colour frames cannot form a CT/MR volume")
    return np.stack(frames).astype(np.result_type(*frames), copy=False)


def _functional(ds: Dataset, group: Dataset, sequence: str, keyword: str) -> np.ndarray | None:
    for holder in (group, *(ds.get("SharedFunctionalGroupsSequence") or [])):
        items = holder.get(sequence)
        if items and keyword in items[0]:
            return np.asarray([float(v) for v in items[0].get(keyword)], dtype=np.float64)
    return None


def _slice_headers(folder: Path) -> list[_Slice]:
    slices = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.name.upper() == "DICOMDIR" or path.stat().st_size == 0:
            continue
        try:
            header = read_header(path)
        except LoadError:
            continue  # not DICOM: notes, thumbnails, reports next to the slices
        if "Rows" not in header:
            continue
        position = header.get("ImagePositionPatient")
        orientation = header.get("ImageOrientationPatient")
        if position is None or orientation is None or len(position) != 3 or len(orientation) != 6:
            raise LoadError(
                path, "has no ImagePositionPatient/ImageOrientationPatient: not a CT/MR slice"
            )
        slices.append(
            _Slice(
                path=path,
                header=header,
                position=np.asarray([float(v) for v in position]),
                orientation=np.asarray([float(v) for v in orientation]),
            )
        )
    if not slices:
        raise LoadError(folder, "folder holds no DICOM image slices")
    return slices


def _pick_series(folder: Path, slices: list[_Slice], series_uid: str | None) -> list[_Slice]:
    by_series: dict[str, list[_Slice]] = {}
    for s in slices:
        by_series.setdefault(str(s.header.get("SeriesInstanceUID", "")), []).append(s)
    if series_uid is not None:
        if series_uid not in by_series:
            raise LoadError(folder, f"folder holds no series {series_uid}")
        return by_series[series_uid]
    if len(by_series) > 1:
        listing = ", ".join(
            f"{uid} ({len(items)} slices, {items[0].header.get('SeriesDescription', '')})"
            for uid, items in by_series.items()
        )
        raise LoadError(folder, f"folder holds {len(by_series)} series; choose one: {listing}")
    return next(iter(by_series.values()))


def _slice_spacing(path: Path, positions: list[float], header: Dataset) -> float:
    """Distance between neighbouring slices; refuses duplicates and gaps (missing slices)."""
    if len(positions) == 1:
        for keyword in ("SpacingBetweenSlices", "SliceThickness"):
            value = float(header.get(keyword, 0) or 0)
            if value > 0:
                return value
        return 1.0
    steps = np.diff(positions)
    if np.any(steps < 1e-4):
        raise LoadError(path, "two slices share one position (several series or time points?)")
    typical = float(np.median(steps))
    if np.any(np.abs(steps - typical) > SPACING_TOLERANCE * typical):
        worst = float(steps[np.argmax(np.abs(steps - typical))])
        raise LoadError(
            path,
            f"slices are unevenly spaced ({worst:.2f} mm where {typical:.2f} mm is usual): "
            "a slice may be missing",
        )
    return typical


def _six(values: np.ndarray) -> tuple[float, float, float, float, float, float]:
    return tuple(float(v) for v in values)  # type: ignore[return-value]


def _three(values: np.ndarray) -> tuple[float, float, float]:
    return tuple(float(v) for v in values)  # type: ignore[return-value]
