"""PDF report of one analysed study (two views, one finding for the case), on one A4 page.

Built from the pieces of the single-image report (engine.report.pdf: document, header block,
model block, footer with the disclaimer): header, the views side by side with the attention
map and the lesion outline, the case's finding, per view what the model did there, model and
review, notes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image as PdfImage
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from engine.report.model_info import ModelInfo
from engine.report.pdf import (
    GRID_STYLE,
    ReportHeader,
    closing_sections,
    escape,
    field_cells,
    field_grid,
    percent,
    report_document,
    report_styles,
    section_heading,
    title_block,
)
from engine.report.wording import lesion_size_text
from engine.types import Image, StudyAnalysis
from engine.view_orientation import orientation_note, view_title

VIEWS_HEIGHT = 82 * mm  # the tallest view (a whole-body scan) fits with the tables below


def spacing_text(image: Image) -> str:
    if image.spacing_mm is None:
        return "uncalibrated (px)"
    row, col = image.spacing_mm
    if abs(row - col) < 5e-4:
        return f"{row:.3f} mm/px"
    return f"{row:.3f} \u00d7 {col:.3f} mm/px"


def view_output_text(analysis: StudyAnalysis, view: str) -> str:
    """What the model gave on this view."""
    prediction = analysis.prediction
    parts = []
    if view in prediction.view_maps:
        parts.append("attention map")
    if view in prediction.masks or view in analysis.findings:
        parts.append("lesion segmentation")
    return " + ".join(parts) if parts else "not used by the model"


def study_report_pdf(
    analysis: StudyAnalysis,
    model: ModelInfo,
    view_pngs: dict[str, bytes],
    header: ReportHeader,
    mirrored: Sequence[str] = (),
    reviewer: str = "",
    created: dt.datetime | None = None,
    notes: Sequence[str] = (),
    case: str = "",
    confirmed_label: str | None = None,
) -> bytes:
    """The PDF as bytes. view_pngs: view name -> the drawn view (engine.report.view_image),
    in reading order; `mirrored`: the views drawn mirrored (their captions say so)."""
    created = created or dt.datetime.now().astimezone()
    styles = report_styles()
    buffer = io.BytesIO()
    doc = report_document(buffer, "LesionLens multi-view lesion analysis report")
    width = doc.width
    story: list[Any] = [
        title_block(styles, width, "Multi-view lesion analysis report"),
        Spacer(1, 3 * mm),
        _study_block(header, case, analysis, styles, width),
        Spacer(1, 4 * mm),
        _views(analysis, view_pngs, set(mirrored), styles, width),
        Spacer(1, 4 * mm),
        section_heading("Finding of the case", styles),
        _case_table(analysis, confirmed_label, styles, width),
        Spacer(1, 2 * mm),
        Paragraph(_summary(analysis), styles["small"]),
        Spacer(1, 4 * mm),
        section_heading("Per view", styles),
        _view_table(analysis, styles, width),
    ]
    # A view the reader outlined (Smart Click) counts as a corrected mask; None: "Mask: none".
    reader = any(f.corrected for findings in analysis.findings.values() for f in findings)
    corrected = True if reader else (False if analysis.prediction.masks else None)
    story += closing_sections(corrected, model, reviewer, created, notes, styles, width)
    doc.build(story)
    return buffer.getvalue()


def _study_block(header: ReportHeader, case: str, analysis: StudyAnalysis, styles, width):  # noqa: ANN001, ANN202
    views = analysis.study.views
    cells = [
        field_cells("Patient name", header.patient_name, styles),
        field_cells("Patient ID", header.patient_id, styles),
        field_cells("Study date", header.study_date, styles),
        field_cells("Institution", header.institution, styles),
        field_cells("Case", case, styles),
        field_cells("Modality", header.modality, styles),
        field_cells("Views", " + ".join(view_title(v) for v in views), styles),
        field_cells("Finding", "one for the case, from all views", styles),
    ]
    return field_grid(cells, width)


def _views(
    analysis: StudyAnalysis,
    view_pngs: dict[str, bytes],
    mirrored: set[str],
    styles,  # noqa: ANN001
    width: float,
) -> Table:
    """The views side by side at one height (the same scale for views of the same size)."""
    count = max(len(view_pngs), 1)
    gap = 4 * mm
    column = (width - gap * (count - 1)) / count
    sizes = {v: ImageReader(io.BytesIO(png)).getSize() for v, png in view_pngs.items()}
    height = min(VIEWS_HEIGHT, min(column * h / w for w, h in sizes.values()))
    pictures, captions = [], []
    for view, png in view_pngs.items():
        w, h = sizes[view]
        pictures.append(PdfImage(io.BytesIO(png), width=height * w / h, height=height))
        note = orientation_note(view, view in mirrored)
        caption = f"<b>{escape(view_title(view))}</b>"
        if note:
            caption += f"<br/>{escape(note)}"
        captions.append(Paragraph(caption, styles["small"]))
    legend = (
        '<font color="#cd1e8c">\u25a0</font>\u2009<font color="#ff8c00">\u25a0</font> '
        "attention map: where the model looked (evidence to check, not a lesion outline)"
    )
    if any(analysis.findings.values()):
        legend += '; <font color="#b08d00">\u25a0</font> lesion outline on the segmented view'
    table = Table(
        [pictures, captions, [Paragraph(legend, styles["small"])] + [""] * (count - 1)],
        colWidths=[column + (gap if i < count - 1 else 0) for i in range(count)],
    )
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("SPAN", (0, 2), (-1, 2)),
                ("TOPPADDING", (0, 1), (-1, -1), 2),
            ]
        )
    )
    return table


def _grid(data: list[list[Any]], fractions: Sequence[float], width: float) -> Table:
    table = Table(data, colWidths=[width * f for f in fractions], repeatRows=1)
    table.setStyle(TableStyle(list(GRID_STYLE)))
    return table


def _case_table(
    analysis: StudyAnalysis,
    confirmed: str | None,
    styles,
    width: float,  # noqa: ANN001
) -> Table:
    prediction = analysis.prediction
    label = prediction.label
    spread = prediction.probability_spread.get(label)
    probabilities = ", ".join(
        f"{escape(name)} {percent(p)}" for name, p in sorted(prediction.probabilities.items())
    )
    if confirmed is None:
        reader = "not confirmed"
    elif confirmed == label:
        reader = f"<b>{escape(confirmed)}</b> (agrees)"
    else:
        reader = f"<b>{escape(confirmed)}</b> (overrides the AI)"
    heads = ["AI class", "Probability", "Spread (TTA)", "All classes", "Reader's class"]
    cells = [
        f"<b>{escape(label)}</b>",
        percent(prediction.probabilities[label]),
        "\u2014" if spread is None else f"\u00b1{spread * 100:.1f} points",
        probabilities,
        reader,
    ]
    data = [
        [Paragraph(h, styles["head"]) for h in heads],
        [Paragraph(c, styles["cell"]) for c in cells],
    ]
    return _grid(data, (0.16, 0.13, 0.16, 0.3, 0.25), width)


def _view_table(analysis: StudyAnalysis, styles, width: float) -> Table:  # noqa: ANN001
    heads = ["View", "Image", "Pixel size", "Model output", "Lesion (long \u00d7 short, area)"]
    data: list[list[Any]] = [[Paragraph(h, styles["head"]) for h in heads]]
    for name, view in analysis.study.views.items():
        if not isinstance(view, Image):
            continue
        segmented = name in analysis.prediction.masks or name in analysis.findings
        lesion = lesion_size_text(analysis.findings.get(name, ())) if segmented else "\u2014"
        cells = [
            escape(view_title(name)),
            f"{view.width} \u00d7 {view.height} px",
            spacing_text(view),
            view_output_text(analysis, name),
            escape(lesion),
        ]
        data.append([Paragraph(c, styles["cell"]) for c in cells])
    return _grid(data, (0.15, 0.14, 0.17, 0.22, 0.32), width)


def _summary(analysis: StudyAnalysis) -> str:
    text = (
        "The model reads all views of the case together and gives one class for the case. "
        "Spread: standard deviation of the class probability over test-time augmentation."
    )
    uncalibrated = [
        view_title(n)
        for n in analysis.findings
        if isinstance(analysis.study.views.get(n), Image) and not analysis.study.views[n].calibrated  # type: ignore[union-attr]
    ]
    if uncalibrated:
        text += f" {', '.join(uncalibrated)}: no calibration, sizes in pixels, not millimetres."
    return text
