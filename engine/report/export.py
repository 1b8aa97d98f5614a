"""Export one analysed image: the outputs asked for, all or nothing, each written atomically.

This is the call the CLI (`lesionlens export`) and the GUI's Export dialog share:

    result = export_case(analysis, ModelInfo.from_spec(model.spec),
                         ExportRequest(pdf=..., seg=..., sr=..., deidentify=True, reviewer=...))

Every output is built in memory first; only when all of them could be built are they
written (temporary file + os.replace each), so a refusal (e.g. burned-in text that cannot
be blanked) leaves nothing half-exported. De-identification is on by default.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from engine.atomic import json_bytes, write_bytes_atomic
from engine.reader_measurements import ReaderMeasurement
from engine.report.deidentify import (
    Deidentifier,
    blank_outside_tissue,
    blanking_note,
    mark_deidentified,
)
from engine.report.key_image import key_image_png, lesion_zoom_pngs, render_key_image
from engine.report.model_info import ModelInfo
from engine.report.naming import refuse_overwrite
from engine.report.pdf import ReportHeader, report_pdf
from engine.report.secondary_capture import key_image_secondary_capture
from engine.report.seg import image_seg
from engine.report.source import SourceImage, source_image
from engine.report.sr import measurement_report_sr
from engine.tissue import tissue_area_of
from engine.types import Analysis, Image, LineMeasurement

SECONDARY_CAPTURE_NAME = "source_sc.dcm"
OVERWRITE_HINT = "choose another folder, or allow overwriting: lesionlens export --overwrite"


@dataclass(frozen=True)
class ExportRequest:
    """What to write where (None = not wanted) and how.

    secondary_capture: where the SC made from a PNG/JPG source goes when SEG or SR is
    written (they reference it); default: source_sc.dcm beside the SEG (or SR).
    key_image_dicom: the key image as a Secondary Capture in the source's study (for a PACS).
    frame_index: the analysed frame (0-based) of a multi-frame source.
    corrected: override "was the mask corrected" (default: any finding says so).
    case: the name printed in the PDF (pass a pseudonym when de-identifying).
    calipers: the reader's line measurements on the analysed frame: drawn on the key image,
    listed in the PDF, TID 1500 Length measurements in the SR. The reader's class and
    shapes: the reader's ellipses, traces and angles (engine.reader_measurements): listed in
    the PDF, planar ROI groups with Area/Perimeter or Angle in the SR. The reader's class and
    reader-drawn lesions travel on the findings themselves (Finding.label_source,
    drawn_by_reader), so every output of one request tells the same story.

    overwrite: replace outputs that exist already; by default the export is refused (an
    ExportError naming them) and nothing is written."""

    pdf: Path | None = None
    seg: Path | None = None
    sr: Path | None = None
    key_image: Path | None = None
    json: Path | None = None
    csv: Path | None = None
    key_image_dicom: Path | None = None
    secondary_capture: Path | None = None
    deidentify: bool = True
    reviewer: str = ""
    frame_index: int = 0
    corrected: bool | None = None
    case: str = ""
    calipers: tuple[LineMeasurement, ...] = ()
    shapes: tuple[ReaderMeasurement, ...] = ()
    overwrite: bool = False

    @property
    def wants_dicom(self) -> bool:
        return self.seg is not None or self.sr is not None

    @property
    def wants_pixels(self) -> bool:
        return self.pdf is not None or self.key_image is not None or self.wants_key_sc

    @property
    def wants_key_sc(self) -> bool:
        return self.key_image_dicom is not None


@dataclass(frozen=True)
class ExportResult:
    """written: the files, in writing order. notes: what the reader of the outputs should
    know (also printed in the PDF), e.g. that burned-in text was blanked."""

    written: tuple[Path, ...]
    notes: tuple[str, ...]


def export_case(
    analysis: Analysis,
    model: ModelInfo,
    request: ExportRequest,
    deidentifier: Deidentifier | None = None,
) -> ExportResult:
    """Build every requested output, then write them. `deidentifier` lets several cases of
    one export share a UID map; by default each call gets its own."""
    deid = (deidentifier or Deidentifier()) if request.deidentify else None
    source = source_image(analysis.image, request.frame_index, deid)
    notes: list[str] = []
    leaves = request.wants_pixels or (source.secondary_capture and request.wants_dicom)
    pixels = _shown_pixels(analysis, source, deid is not None, leaves, notes)
    if source.secondary_capture and deid is not None and pixels is not None:
        # The SC carries pixels too: the cleaned ones, and says so.
        cleaned = dataclasses.replace(analysis.image, pixels=pixels)
        source = source_image(cleaned, request.frame_index, deid, burned_in_annotation="NO")
        mark_deidentified(source.header, pixels_cleaned=True)
    outputs: list[tuple[Path, bytes]] = []

    if request.wants_dicom:
        dicom_reviewer = "" if deid else dicom_person_name(request.reviewer)
        if source.secondary_capture:
            target = request.secondary_capture or _beside(request, SECONDARY_CAPTURE_NAME)
            outputs.append((target, _dicom_bytes(source.header)))
        if request.seg is not None:
            seg = image_seg(analysis, source, model, request.corrected, dicom_reviewer)
            if deid is not None:
                mark_deidentified(seg)
            outputs.append((request.seg, _dicom_bytes(seg)))
        if request.sr is not None:
            sr = measurement_report_sr(
                analysis,
                source,
                model,
                dicom_reviewer,
                calipers=request.calipers,
                shapes=request.shapes,
            )
            if deid is not None:
                mark_deidentified(sr)
            outputs.append((request.sr, _dicom_bytes(sr)))
        if deid is not None and request.reviewer:
            notes.append("The reviewer's name is printed here but left out of SEG and SR.")

    if request.wants_pixels:
        key_png = key_image_png(
            analysis.image, analysis.findings, pixels, request.calipers, request.shapes
        )
        if request.key_image is not None:
            outputs.append((request.key_image, key_png))
        if request.key_image_dicom is not None:
            rgb = render_key_image(
                analysis.image,
                analysis.findings,
                pixels,
                calipers=request.calipers,
                shapes=request.shapes,
            )
            key_sc = key_image_secondary_capture(rgb, source.header)
            if deid is not None:
                mark_deidentified(key_sc, pixels_cleaned=pixels is not None)
            outputs.append((request.key_image_dicom, _dicom_bytes(key_sc)))
        if request.pdf is not None:
            metadata = deid.metadata(analysis.image.metadata) if deid else analysis.image.metadata
            pdf = report_pdf(
                analysis,
                model,
                key_png,
                ReportHeader.from_metadata(metadata),
                reviewer=request.reviewer,
                created=dt.datetime.now().astimezone(),
                notes=notes,
                case=request.case,
                zooms=lesion_zoom_pngs(analysis.image, analysis.findings, pixels),
                calipers=request.calipers,
                shapes=request.shapes,
                frame=request.frame_index + 1 if request.frame_index else None,
            )
            outputs.append((request.pdf, pdf))

    if request.json is not None or request.csv is not None:
        outputs += _finding_tables(analysis, model, request)

    if not request.overwrite:  # checked last: all built, none written yet
        refuse_overwrite((path for path, _ in outputs), OVERWRITE_HINT)
    written = tuple(write_bytes_atomic(path, data) for path, data in outputs)
    return ExportResult(written=written, notes=tuple(notes))


def _finding_tables(
    analysis: Analysis, model: ModelInfo, request: ExportRequest
) -> list[tuple[Path, bytes]]:
    """findings.json / CSV of this one case, the same documents `lesionlens export --json
    --csv` writes for a batch: findings, descriptors, the reader's class and measurements."""
    from engine.reader_measurements import CALIPER, ReaderMeasurement
    from engine.report.tabular import CaseFindings, findings_csv, findings_document

    calipers = tuple(
        ReaderMeasurement(
            label=f"C{i}",
            kind=CALIPER,
            value=line.length_mm if line.length_mm is not None else line.length_px,
            unit="mm" if line.length_mm is not None else "px",
            points=(line.start, line.end),
            calibrated=line.length_mm is not None,
        )
        for i, line in enumerate(request.calipers, start=1)
    )
    shown_file = "" if request.deidentify else Path(analysis.image.source).name
    measured = calipers + tuple(request.shapes)
    case = CaseFindings(request.case, shown_file, analysis, measured, request.frame_index + 1)
    tables = []
    if request.json is not None:
        document = findings_document([case], model, request.deidentify)
        tables.append((request.json, json_bytes(document)))
    if request.csv is not None:
        tables.append((request.csv, findings_csv([case], model)))
    return tables


def _shown_pixels(
    analysis: Analysis,
    source: SourceImage,
    deidentifying: bool,
    pixels_leave: bool,
    notes: list[str],
) -> np.ndarray | None:
    """The pixels the PDF, key image and Secondary Capture may show; None = the image's own.

    De-identifying, every picture of a screen that may carry burned-in text (an ultrasound
    screen, a PNG/JPG capture, any source flagged BurnedInAnnotation YES) leaves with
    everything outside its tissue area blanked; when no tissue area can be found the export
    is refused (ExportError) rather than claiming identifiers were removed."""
    if not deidentifying:
        return None
    notes.append(
        "Identifiers removed (DICOM PS3.15 Basic Application Level Confidentiality Profile)."
    )
    image = analysis.image
    if not pixels_leave or not (
        source.secondary_capture or source.burned_in_text or _is_ultrasound(image)
    ):
        return None
    area = tissue_area_of(image)
    pixels = blank_outside_tissue(image.pixels, image.regions, area)
    kind = (
        "a PNG/JPG capture"
        if source.secondary_capture
        else "a screen that may carry burned-in annotation"
    )
    notes.append(
        f"The source is {kind}; in the images of this report {blanking_note(area)} "
        "(DICOM PS3.15 Clean Pixel Data)."
    )
    return pixels


def _is_ultrasound(image: Image) -> bool:
    """A scanner screen: region tags or Modality US (scanners burn in text whatever the flag)."""
    return bool(image.regions) or str(image.metadata.get("Modality", "")).upper() == "US"


def dicom_person_name(name: str) -> str:
    """A typed name as DICOM PN: "Family^Given" stays; free text becomes one family-name
    component (trailing caret) rather than a guess at which word is the family name."""
    name = name.strip()
    if not name or "^" in name:
        return name
    return f"{name}^"


def _beside(request: ExportRequest, name: str) -> Path:
    anchor = request.seg if request.seg is not None else request.sr
    assert anchor is not None
    return anchor.parent / name


def _dicom_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
