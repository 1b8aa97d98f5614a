"""Multi-frame DICOM (cine loops): open once, decode one frame when it is asked for.

The first frame is on screen after one frame's decode, not after the whole loop's, and
memory holds the compressed file plus the frames the caller keeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from engine.errors import LoadError
from engine.io.dicom_decode import check_native_length, count_frames, decode_frame
from engine.io.dicom_open import open_pixel_dataset
from engine.io.photometric import Rescale, display_pixels, modality_value_range
from engine.io.ultrasound_regions import largest_tissue_spacing_mm, parse_regions
from engine.io.windowing import voi_luts, window_presets
from engine.types import Image, UltrasoundRegion, VoiLut, WindowPreset

# Identifying and descriptive tags copied into Image.metadata; de-identification acts there.
METADATA_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "Modality",
    "InstitutionName",
    "Manufacturer",
    "StudyDescription",
    "SeriesDescription",
    "BodyPartExamined",
    "ViewPosition",
    "ImageLaterality",
    "VOILUTFunction",
)


class FrameSource:
    """The frames of one DICOM file. `count` frames, `frame(i)` decodes frame i (0-based).

    frame_time_ms: time between frames for cine playback (None when the file gives none).
    Safe to call from a worker thread; decoding is serialised per file.
    """

    def __init__(self, path: Path, ds: Dataset) -> None:
        self.path = path
        self._ds = ds
        self._lock = threading.Lock()
        self.count = count_frames(path, ds)
        check_native_length(path, ds, self.count)
        self.frame_time_ms = frame_time_ms(ds)
        self.regions: tuple[UltrasoundRegion, ...] = parse_regions(ds)
        self.spacing_mm = largest_tissue_spacing_mm(self.regions) or pixel_spacing_mm(ds)
        self.metadata: dict[str, Any] = metadata_of(ds)
        self._shared_rescale = functional_group_rescale(ds, None)
        inverted = self._inverted_range(self._shared_rescale)
        self.window_presets: tuple[WindowPreset, ...] = window_presets(ds, inverted)
        self.voi_luts: tuple[VoiLut, ...] = voi_luts(ds, inverted)

    @property
    def cine_rate_fps(self) -> float | None:
        return 1000.0 / self.frame_time_ms if self.frame_time_ms else None

    @property
    def dataset(self) -> Dataset:
        """The pydicom dataset (pixel data included); for readers that need more tags."""
        return self._ds

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Image]:
        return (self.frame(i) for i in range(self.count))

    def raw_frame(self, index: int) -> tuple[np.ndarray, str]:
        """Frame `index` as decoded (before modality LUT / colour conversion)."""
        if not 0 <= index < self.count:
            raise IndexError(f"frame {index} out of range (0..{self.count - 1})")
        with self._lock:
            return decode_frame(self.path, self._ds, index, self.count)

    def rescale(self, index: int) -> Rescale | None:
        """Per-frame (slope, intercept) of enhanced multi-frame files, else the shared one."""
        return functional_group_rescale(self._ds, index) or self._shared_rescale

    def frame(self, index: int) -> Image:
        raw, photometric = self.raw_frame(index)
        try:
            pixels, shown = display_pixels(self._ds, raw, photometric, self.rescale(index))
        except (ValueError, KeyError, AttributeError, TypeError) as exc:
            raise LoadError(self.path, f"pixel values cannot be interpreted ({exc})") from exc
        return Image(
            pixels=pixels,
            photometric=shown,
            spacing_mm=self.spacing_mm,
            source=str(self.path),
            metadata=self.metadata,
            window_presets=self.window_presets if shown != "RGB" else (),
            voi_luts=self.voi_luts if shown != "RGB" else (),
            regions=self.regions,
        )

    def _inverted_range(self, rescale: Rescale | None) -> tuple[float, float] | None:
        if str(self._ds.get("PhotometricInterpretation", "")) != "MONOCHROME1":
            return None
        return modality_value_range(self._ds, rescale)


def read_dicom_frames(path: str | Path) -> FrameSource:
    """Open a DICOM file for frame-by-frame reading; header problems raise LoadError now,
    a frame that cannot be decoded raises LoadError when it is asked for."""
    path = Path(path)
    ds = open_pixel_dataset(path)
    try:
        return FrameSource(path, ds)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise LoadError(path, f"DICOM header is invalid ({exc})") from exc


def frame_time_ms(ds: Dataset) -> float | None:
    """FrameTime, else the mean FrameTimeVector step, else CineRate / display frame rate."""
    try:
        if float(ds.get("FrameTime", 0) or 0) > 0:
            return float(ds.FrameTime)
        vector = [float(v) for v in (ds.get("FrameTimeVector") or [])]
        steps = [v for v in vector[1:] if v > 0]
        if steps:
            return float(np.mean(steps))
        for keyword in ("CineRate", "RecommendedDisplayFrameRate"):
            rate = float(ds.get(keyword, 0) or 0)
            if rate > 0:
                return 1000.0 / rate
    except (TypeError, ValueError):
        return None
    return None


def pixel_spacing_mm(ds: Dataset) -> tuple[float, float] | None:
    """PixelSpacing (patient plane), then ImagerPixelSpacing (detector); (row, col) mm."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        spacing = _two_positive(ds.get(keyword))
        if spacing is not None:
            return spacing
    for group in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        items = ds.get(group) or []
        measures = items[0].get("PixelMeasuresSequence") if items else None
        if measures:
            spacing = _two_positive(measures[0].get("PixelSpacing"))
            if spacing is not None:
                return spacing
    return None


def functional_group_rescale(ds: Dataset, index: int | None) -> Rescale | None:
    """Rescale from PixelValueTransformationSequence: per frame (index) or shared (None)."""
    if index is None:
        items = ds.get("SharedFunctionalGroupsSequence") or []
        group = items[0] if items else None
    else:
        items = ds.get("PerFrameFunctionalGroupsSequence") or []
        group = items[index] if index < len(items) else None
    transform = group.get("PixelValueTransformationSequence") if group is not None else None
    if not transform:
        return None
    try:
        item = transform[0]
        return (float(item.get("RescaleSlope", 1) or 1), float(item.get("RescaleIntercept", 0)))
    except (TypeError, ValueError):
        return None


def metadata_of(ds: Dataset) -> dict[str, Any]:
    return {kw: str(ds.get(kw)) for kw in METADATA_KEYWORDS if kw in ds}


def _two_positive(value: Any) -> tuple[float, float] | None:
    try:
        if value is not None and len(value) == 2 and float(value[0]) > 0 and float(value[1]) > 0:
            return (float(value[0]), float(value[1]))
    except (TypeError, ValueError):
        return None
    return None
