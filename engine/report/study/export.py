"""Export one analysed study: PDF (both views with the attention map and outline, the case's
finding), JSON and CSV. All or nothing: every output is built in memory, then each is
written atomically, so a refusal leaves nothing half-exported. De-identification is on by
default: identifying metadata is blanked in the PDF header and the case name is the caller's
(pass a pseudonym); the views are PNG renderings, not DICOM, so no tags travel with them.

    result = export_study(analysis, ModelInfo.from_spec(spec),
                          StudyExportRequest(pdf=..., json=..., csv=...))
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from engine.atomic import write_bytes_atomic
from engine.report.deidentify import Deidentifier, blank_outside_tissue, blanking_note
from engine.report.errors import ExportError
from engine.report.export import ExportResult
from engine.report.model_info import ModelInfo
from engine.report.pdf import ReportHeader
from engine.report.study.pdf import study_report_pdf
from engine.report.study.tabular import study_csv, study_document
from engine.report.view_image import view_png
from engine.tissue import tissue_area_of
from engine.types import Image, StudyAnalysis
from engine.view_orientation import shown_mirrored, side_labels

DEIDENTIFIED_CASE = "case"


@dataclass(frozen=True)
class StudyExportRequest:
    """What to write where (None = not wanted). mirror_posterior: draw the posterior view
    mirrored, as the viewer shows it by default. case: the name printed and tabulated."""

    pdf: Path | None = None
    json: Path | None = None
    csv: Path | None = None
    deidentify: bool = True
    reviewer: str = ""
    case: str = ""
    mirror_posterior: bool = True
    confirmed_label: str | None = None  # the reader's class for the case (None: not confirmed)
    # How a model helped the reader draw the views' masks (Smart Click): {"method":
    # "reader-drawn with AI assistance", "model_ids": [...]}, written to the JSON; None: none.
    assistance: dict | None = None

    @property
    def outputs(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.pdf, self.json, self.csv) if p is not None)


def export_study(analysis: StudyAnalysis, model: ModelInfo, request: StudyExportRequest):  # noqa: ANN201
    """-> ExportResult. ExportError when nothing is asked for or a view cannot be drawn."""
    if not request.outputs:
        raise ExportError("study export", "no output asked for (pdf, json or csv)")
    images = {n: v for n, v in analysis.study.views.items() if isinstance(v, Image)}
    if not images:
        raise ExportError("study export", "the study has no 2D view to show")
    missing = [n for n in analysis.prediction.view_maps if n not in images]
    if missing:
        raise ExportError("study export", f"the prediction names unknown views: {missing}")
    case = request.case or (DEIDENTIFIED_CASE if request.deidentify else analysis.study.case_id)
    notes: list[str] = []
    outputs: list[tuple[Path, bytes]] = []
    if request.pdf is not None:
        outputs.append((request.pdf, _pdf(analysis, model, request, images, case, notes)))
    deidentified = request.deidentify
    if request.json is not None:
        document = study_document(analysis, model, case, deidentified)
        document["confirmed_label"] = request.confirmed_label
        document["reviewer"] = request.reviewer
        document["assistance"] = request.assistance
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        outputs.append((request.json, text.encode("utf-8")))
    if request.csv is not None:
        outputs.append((request.csv, study_csv(analysis, model, case, request.confirmed_label)))
    written = tuple(write_bytes_atomic(path, data) for path, data in outputs)
    return ExportResult(written=written, notes=tuple(notes))


def _pdf(analysis, model, request, images, case, notes) -> bytes:  # noqa: ANN001
    metadata = dict(next(iter(images.values())).metadata)
    if request.deidentify:
        metadata = Deidentifier().metadata(metadata)
        notes.append(
            "Identifiers removed from the report header (DICOM PS3.15 basic profile); the "
            "views are rendered pictures: check them for burned-in text before sharing."
        )
        images = blank_annotations(images, notes)
    pngs, mirrored = {}, []
    for name, image in images.items():
        flip = shown_mirrored(name, request.mirror_posterior)
        if flip:
            mirrored.append(name)
        try:
            pngs[name] = view_png(
                image,
                analysis.prediction.view_maps.get(name),
                analysis.findings.get(name, ()),
                mirrored=flip,
                sides=side_labels(name, flip),
            )
        except ValueError as exc:
            raise ExportError(f"view {name}", str(exc)) from exc
    return study_report_pdf(
        analysis,
        model,
        pngs,
        ReportHeader.from_metadata(metadata),
        mirrored=mirrored,
        reviewer=request.reviewer,
        created=dt.datetime.now().astimezone(),
        notes=notes,
        case=case,
        confirmed_label=request.confirmed_label,
    )


def blank_annotations(images: dict[str, Image], notes: list[str]) -> dict[str, Image]:
    """Ultrasound views lose everything that is not tissue (engine.tissue: outside the
    panels, and the text and marks inside them), where scanners burn in text, as the
    single-image export does. A view with region tags or Modality US that shows no tissue
    area is refused (ExportError); a raster "us" view (PNG/JPG) is blanked when its tissue
    area is found, and otherwise the notes say it was not."""
    blanked = {}
    for name, image in images.items():
        if _is_scanner_screen(image):
            area = tissue_area_of(image)
            image = dataclasses.replace(
                image, pixels=blank_outside_tissue(image.pixels, image.regions, area)
            )
            notes.append(f"{name}: {blanking_note(area)}.")
        elif name == "us":
            area = tissue_area_of(image)
            if area.found:
                image = dataclasses.replace(
                    image, pixels=blank_outside_tissue(image.pixels, image.regions, area)
                )
                notes.append(f"{name}: {blanking_note(area)}.")
            else:
                notes.append(f"{name}: no tissue area found ({area.reason}); not blanked.")
        blanked[name] = image
    return blanked


def _is_scanner_screen(image: Image) -> bool:
    return bool(image.regions) or str(image.metadata.get("Modality", "")).upper() == "US"
