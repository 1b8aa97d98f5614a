"""DICOM Segmentation (SEG) of the analysed image or of a CT/MR volume, built with highdicom.

Referencing rules, per kind of source:
- single-frame ultrasound, RGB or secondary capture: these have no Frame of Reference, so
  the SEG has none either; its one frame is aligned pixel for pixel with the source image
  (highdicom's rule for sources without a Frame of Reference) and references it through the
  Referenced Series Sequence and the frame's Derivation Image / Source Image Sequence.
- multi-frame ultrasound (cine): only the analysed frame is segmented. highdicom accepts a
  single source frame only when there is no Frame of Reference, so the SEG is built against
  the header as one frame and then every reference to the source instance gets
  ReferencedFrameNumber = the analysed frame (1-based), which is how PS3.3 C.7.6.16.2.6 and
  the Image SOP Instance Reference Macro address one frame of a multi-frame image.
- CT/MR series: one SEG frame per slice that holds a label, with plane positions copied
  from the slices; several segments (e.g. kidney, tumour) from a label volume.

Algorithm type is AUTOMATIC for the model's mask, SEMIAUTOMATIC once a clinician corrected
it; the algorithm identification names the model id and version.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import SecondaryCaptureImageStorage

from engine.io import is_dicom
from engine.report.deidentify import Deidentifier
from engine.report.errors import ExportError
from engine.report.model_info import SOFTWARE_NAME, ModelInfo, software_version
from engine.report.source import SourceImage, as_utf8, fill_type2
from engine.types import Analysis, Volume

SEG_SERIES_NUMBER = 900
DEVICE_SERIAL = "LESIONLENS"  # software, not a machine: constant, identifies no site

# name -> (category, property type) for segments of a label volume; others are "lesions".
KNOWN_STRUCTURES = {
    "kidney": (codes.SCT.AnatomicalStructure, codes.SCT.Kidney),
    "tumour": (codes.SCT.MorphologicallyAbnormalStructure, codes.SCT.Neoplasm),
    "tumor": (codes.SCT.MorphologicallyAbnormalStructure, codes.SCT.Neoplasm),
    "lesion": (codes.SCT.MorphologicallyAbnormalStructure, codes.SCT.Lesion),
    "lymph node": (codes.SCT.AnatomicalStructure, codes.SCT.LymphNode),
}


def algorithm_identification(model: ModelInfo) -> hd.AlgorithmIdentificationSequence:
    return hd.AlgorithmIdentificationSequence(
        name=model.model_id,
        version=model.version,
        family=codes.cid7162.ArtificialIntelligence,
        source=SOFTWARE_NAME,
    )


def segment_description(
    number: int, name: str, model: ModelInfo, corrected: bool
) -> hd.seg.SegmentDescription:
    category, kind = KNOWN_STRUCTURES.get(name.lower(), KNOWN_STRUCTURES["lesion"])
    return hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=name,
        segmented_property_category=category,
        segmented_property_type=kind,
        algorithm_type=(
            hd.seg.SegmentAlgorithmTypeValues.SEMIAUTOMATIC
            if corrected
            else hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC
        ),
        algorithm_identification=algorithm_identification(model),
    )


def image_seg(
    analysis: Analysis,
    source: SourceImage,
    model: ModelInfo,
    corrected: bool | None = None,
    reviewer: str = "",
) -> hd.seg.Segmentation:
    """SEG of the analysed 2D image: one binary segment "lesion" = the (corrected) mask.

    corrected: None means "any finding says so". reviewer becomes Content Creator's Name of
    a corrected SEG (pass "" when de-identifying)."""
    if corrected is None:
        corrected = any(f.corrected for f in analysis.findings)
    mask = (analysis.prediction.mask > 0).astype(np.uint8)
    header = source.header
    if mask.shape != (int(header.Rows), int(header.Columns)):
        raise ExportError("SEG", f"mask is {mask.shape}, source is {header.Rows}x{header.Columns}")
    reference = _single_frame_view(header) if source.is_multiframe else header
    seg = hd.seg.Segmentation(
        source_images=[reference],
        pixel_array=mask,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[segment_description(1, "lesion", model, corrected)],
        omit_empty_frames=bool(mask.any()),  # an empty mask is kept: "no lesion found"
        content_creator_name=(reviewer or None) if corrected else None,
        **_common(model, "LesionLens lesion segmentation"),
    )
    if source.frame_number is not None:
        _reference_frame(seg, header, source.frame_number)
    # Type 2C when there is no plane orientation: the source's, or present and empty.
    seg.PatientOrientation = header.get("PatientOrientation") or None
    return seg


def volume_seg(
    volume: Volume,
    labels: np.ndarray,
    names: Sequence[str],
    model: ModelInfo,
    corrected: bool = False,
    deidentifier: Deidentifier | None = None,
    headers: Sequence[Dataset] | None = None,
) -> hd.seg.Segmentation:
    """SEG of a CT/MR series: labels is D×H×W (0 background, k = names[k-1]) in the
    Volume's slice order (along the slice normal), e.g. names = ("kidney", "tumour").

    headers: the slices to reference, in that order; default: the series the volume was
    read from (a NIfTI volume passes its engine.report.ct_series.derived_ct_series)."""
    headers = list(headers) if headers is not None else series_headers(volume)
    if labels.shape != (len(headers), int(headers[0].Rows), int(headers[0].Columns)):
        raise ExportError("SEG", f"labels are {labels.shape}, series is {len(headers)} slices")
    if labels.max(initial=0) > len(names):
        raise ExportError("SEG", f"label {int(labels.max())} has no name (names: {list(names)})")
    if deidentifier is not None:
        headers = [deidentifier.dataset(h) for h in headers]
    descriptions = [
        segment_description(i, name, model, corrected) for i, name in enumerate(names, start=1)
    ]
    return hd.seg.Segmentation(
        source_images=headers,
        pixel_array=labels.astype(np.uint8),
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        omit_empty_frames=bool(labels.any()),
        **_common(model, "LesionLens segmentation"),
    )


def series_headers(volume: Volume) -> list[Dataset]:
    """Headers of the volume's slice files, ordered as Volume.voxels (along the normal)."""
    folder = Path(volume.source)
    if not folder.is_dir():
        raise ExportError("SEG", f"{folder.name}: volume SEG needs a folder of single-frame slices")
    series = volume.metadata.get("SeriesInstanceUID")
    headers = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and is_dicom(path):
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            if series is None or str(ds.get("SeriesInstanceUID")) == series:
                fill_type2(ds)
                as_utf8(ds)
                headers.append(ds)
    if not headers:
        raise ExportError("SEG", f"{folder.name}: no slices of the volume's series found")
    normal = np.asarray(volume.slice_normal)
    headers.sort(key=lambda ds: float(np.asarray(ds.ImagePositionPatient, float) @ normal))
    return headers


def _common(model: ModelInfo, description: str) -> dict:
    return {
        "series_instance_uid": hd.UID(),
        "series_number": SEG_SERIES_NUMBER,
        "sop_instance_uid": hd.UID(),
        "instance_number": 1,
        "manufacturer": SOFTWARE_NAME,
        "manufacturer_model_name": f"{SOFTWARE_NAME} {model.model_id}"[:64],
        "software_versions": software_version(),
        "device_serial_number": DEVICE_SERIAL,
        "content_label": "LESION",
        "content_description": description[:64],
        "series_description": description[:64],
        "content_qualification": hd.ContentQualificationValues.RESEARCH,
    }


def _single_frame_view(header: Dataset) -> Dataset:
    """The multi-frame header dressed as a single-frame image for highdicom, which treats
    every multi-frame IOD as an enhanced one (functional groups) and refuses several frames
    without a Frame of Reference. The references are put right by _reference_frame."""
    view = Dataset()
    view.update(header)
    view.file_meta = header.file_meta
    for keyword in ("SOPClassUID", "NumberOfFrames", "FrameIncrementPointer"):
        if keyword in view:
            delattr(view, keyword)  # drops the shared element; `header` keeps its own
    view.SOPClassUID = SecondaryCaptureImageStorage
    return view


def _reference_frame(seg: Dataset, source: Dataset, frame_number: int) -> None:
    """Give every reference to the source its true SOP class; the frame's derivation
    reference (an Image SOP Instance Reference) also names the analysed frame. The Common
    Instance Reference module names instances only, so it gets no frame number."""
    instances = [i for s in seg.ReferencedSeriesSequence for i in s.ReferencedInstanceSequence]
    derived = [
        item
        for group in seg.PerFrameFunctionalGroupsSequence
        for derivation in group.get("DerivationImageSequence", [])
        for item in derivation.SourceImageSequence
    ]
    for item in instances + derived:
        if item.ReferencedSOPInstanceUID == source.SOPInstanceUID:
            item.ReferencedSOPClassUID = source.SOPClassUID
    for item in derived:
        if item.ReferencedSOPInstanceUID == source.SOPInstanceUID:
            item.ReferencedFrameNumber = frame_number
