"""PDF report of one analysed image (reportlab): what a reader needs on one A4 page.

Header: institution, patient name and ID, study date, taken from the study metadata and
left blank once de-identified. Then the key image (outline + calipers), the findings table
(sizes in mm, or in px with the unit said so), the model's identity, the reviewer and the
date, notes (de-identification, blanking, calibration), and on every page the disclaimer.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import Image as PdfImage

from engine.atomic import write_bytes_atomic
from engine.reader_measurements import ReaderMeasurement
from engine.report import wording
from engine.report.fonts import font_path
from engine.report.model_info import SOFTWARE_NAME, ModelInfo, software_version
from engine.report.wording import result_sentence, scope_sentence
from engine.types import Analysis, Finding, LineMeasurement

DISCLAIMER = "Research use only \u2014 not for diagnosis. Model and training data: see the report."
FONT, BOLD = "LLSans", "LLSans-Bold"
INK = colors.HexColor("#1d2733")
MUTED = colors.HexColor("#5b6775")
RULE = colors.HexColor("#c9d1da")
HEAD_BG = colors.HexColor("#e9eef3")
WARN_BG = colors.HexColor("#fff3cd")
ALERT = colors.HexColor("#a4161a")

# Tables of the reports: a shaded, ruled header row, thin rules between the rows.
GRID_STYLE = (
    ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
    ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
    ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
)


@dataclass(frozen=True)
class ReportHeader:
    """The study block at the top; empty strings print as blank fields."""

    institution: str = ""
    patient_name: str = ""
    patient_id: str = ""
    study_date: str = ""
    modality: str = ""
    description: str = ""

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> ReportHeader:
        def get(key: str) -> str:
            value = metadata.get(key)
            return "" if value is None or str(value) == "None" else str(value).strip()

        return cls(
            institution=get("InstitutionName"),
            patient_name=_person_name(get("PatientName")),
            patient_id=get("PatientID"),
            study_date=_date(get("StudyDate")),
            modality=get("Modality"),
            description=get("StudyDescription"),
        )


def report_pdf(
    analysis: Analysis,
    model: ModelInfo,
    key_png: bytes,
    header: ReportHeader,
    reviewer: str = "",
    created: dt.datetime | None = None,
    notes: Sequence[str] = (),
    case: str = "",
    zooms: Sequence[tuple[int, bytes]] = (),
    calipers: Sequence[LineMeasurement] = (),
    shapes: Sequence[ReaderMeasurement] = (),
    frame: int | None = None,
) -> bytes:
    """The PDF as bytes (write it with write_report_pdf, or atomically yourself).
    zooms: (finding number, PNG) enlarged views shown beside the key image.
    calipers: the reader's line measurements (C1, C2, ... on the key image), listed.
    frame: the analysed frame of a multi-frame source (from 1), printed with the image size."""
    created = created or dt.datetime.now().astimezone()
    styles = report_styles()
    buffer = io.BytesIO()
    doc = report_document(buffer, "LesionLens lesion analysis report")
    width = doc.width
    story: list[Any] = [
        title_block(styles, width),
        Spacer(1, 3 * mm),
        _study_block(header, case, analysis, styles, width, frame),
        Spacer(1, 4 * mm),
        _key_image(key_png, zooms, analysis, styles, width, bool(calipers)),
        Spacer(1, 4 * mm),
        section_heading("Findings", styles),
        _findings_table(analysis, styles, width),
        Spacer(1, 2 * mm),
        Paragraph(_summary(analysis), styles["small"]),
    ]
    story += caliper_section(calipers, styles, width)
    story += shape_section(shapes, styles, width, heading=not calipers)
    story += descriptor_sections(analysis, styles, width)
    corrected = any(f.corrected for f in analysis.findings)
    story += closing_sections(corrected, model, reviewer, created, notes, styles, width)
    doc.build(story)
    return buffer.getvalue()


def closing_sections(
    corrected: bool | None,
    model: ModelInfo,
    reviewer: str,
    created: dt.datetime,
    notes: Sequence[str],
    styles: dict[str, ParagraphStyle],
    width: float,
) -> list[Any]:
    """How every report ends: the model and review block (kept on one page), then notes."""
    story: list[Any] = [
        Spacer(1, 4 * mm),
        KeepTogether(
            [
                section_heading("Model and review", styles),
                model_block(corrected, model, reviewer, created, styles, width),
            ]
        ),
    ]
    if notes:
        story += [Spacer(1, 3 * mm), section_heading("Notes", styles)]
        story += [Paragraph(f"\u2022 {escape(n)}", styles["small"]) for n in notes]
    return story


def write_report_pdf(path: str | Path, pdf: bytes) -> Path:
    return write_bytes_atomic(path, pdf)


def report_document(buffer: io.BytesIO, title: str) -> BaseDocTemplate:
    """An A4 document with the LesionLens margins and the disclaimer footer on every page
    (fonts registered); the single-image and the study report share it."""
    register_fonts()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=SOFTWARE_NAME,
        subject=DISCLAIMER,
        creator=f"{SOFTWARE_NAME} {software_version()}",
    )
    # A frame without padding, so tables and headings share the page margins exactly.
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, 0, 0, 0, 0)
    doc.addPageTemplates([PageTemplate(id="report", frames=[frame], onPage=_footer)])
    return doc


def register_fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path())))
        pdfmetrics.registerFont(TTFont(BOLD, str(font_path(bold=True))))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def report_styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, textColor=INK)
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=16, leading=20),
        "badge": ParagraphStyle(
            "badge", base, fontName=BOLD, fontSize=9, textColor=ALERT, alignment=TA_RIGHT
        ),
        "section": ParagraphStyle(
            "section", base, fontName=BOLD, fontSize=11, leading=14, spaceAfter=3
        ),
        "label": ParagraphStyle("label", base, fontSize=7.5, leading=9, textColor=MUTED),
        "value": ParagraphStyle("value", base, fontName=BOLD, fontSize=9.5, leading=12),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=10.5),
        "head": ParagraphStyle("head", base, fontName=BOLD, fontSize=8, leading=10),
        "small": ParagraphStyle("small", base, fontSize=8, leading=10.5, textColor=MUTED),
    }


def title_block(
    styles: dict[str, ParagraphStyle], width: float, text: str = "Lesion analysis report"
) -> Table:
    table = Table(
        [
            [
                Paragraph(escape(text), styles["title"]),
                Paragraph("RESEARCH USE ONLY<br/>NOT FOR DIAGNOSIS", styles["badge"]),
            ]
        ],
        colWidths=[width * 0.65, width * 0.35],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def field_cells(label: str, value: str, styles: dict[str, ParagraphStyle]) -> list[Paragraph]:
    """Label over value; an empty value keeps its line (a blank field, not a missing one)."""
    shown = escape(value) if value else "\u00a0"
    return [Paragraph(escape(label), styles["label"]), Paragraph(shown, styles["value"])]


def _study_block(
    header: ReportHeader,
    case: str,
    analysis: Analysis,
    styles: dict[str, ParagraphStyle],
    width: float,
    frame: int | None = None,
) -> Table:
    image = analysis.image
    if image.spacing_mm is None:
        spacing = "uncalibrated (sizes in px)"
    elif abs(image.spacing_mm[0] - image.spacing_mm[1]) < 5e-4:
        spacing = f"{image.spacing_mm[0]:.3f} mm/px"
    else:
        spacing = f"{image.spacing_mm[0]:.3f} \u00d7 {image.spacing_mm[1]:.3f} mm/px"
    cells = [
        field_cells("Patient name", header.patient_name, styles),
        field_cells("Patient ID", header.patient_id, styles),
        field_cells("Study date", header.study_date, styles),
        field_cells("Institution", header.institution, styles),
        field_cells("Case", case, styles),
        field_cells("Modality", header.modality, styles),
        field_cells(
            "Image",
            f"{image.width} \u00d7 {image.height} px" + (f", frame {frame}" if frame else ""),
            styles,
        ),
        field_cells("Pixel size", spacing, styles),
    ]
    return field_grid(cells, width)


def field_grid(cells: Sequence[list[Paragraph]], width: float) -> Table:
    """field_cells four to a row on the shaded header background."""
    rows = [list(cells[i : i + 4]) for i in range(0, len(cells), 4)]
    rows[-1] += [[Paragraph("", ParagraphStyle("empty")), ""]] * (4 - len(rows[-1]))
    table = Table(
        [[Table([[c[0]], [c[1]]], colWidths=[width / 4 - 4]) for c in row] for row in rows],
        colWidths=[width / 4] * 4,
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), HEAD_BG),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _key_image(
    key_png: bytes,
    zooms: Sequence[tuple[int, bytes]],
    analysis: Analysis,
    styles: dict[str, ParagraphStyle],
    width: float,
    calipers: bool = False,
) -> Table:
    reader = ImageReader(io.BytesIO(key_png))
    px_w, px_h = reader.getSize()
    draw_w = width * 0.72
    draw_h = draw_w * px_h / px_w
    if draw_h > 92 * mm:
        draw_h = 92 * mm
        draw_w = draw_h * px_w / px_h
    picture = PdfImage(io.BytesIO(key_png), width=draw_w, height=draw_h)
    legend = (
        "<b>Key image</b><br/>"
        '<font color="#b08d00">\u25a0</font> lesion outline<br/>'
        '<font color="#0096b4">\u25a0</font> L: long axis<br/>'
        '<font color="#c0308f">\u25a0</font> S: short axis<br/>'
        "Numbers match the findings table."
    )
    if calipers:
        legend += '<br/><font color="#50e650">\u25a0</font> C: reader\'s calipers'
    if analysis.image.spacing_mm:
        legend += "<br/>White bar: scale."
    side_w = width - draw_w - 4 * mm - 8
    side: list[Any] = [Paragraph(legend, styles["small"])]
    for number, png in zooms:
        zoom_w, zoom_h = ImageReader(io.BytesIO(png)).getSize()
        side += [
            Spacer(1, 3 * mm),
            PdfImage(io.BytesIO(png), width=side_w, height=side_w * zoom_h / zoom_w),
            Paragraph(f"Lesion {number}, enlarged", styles["small"]),
        ]
    table = Table(
        [[picture, side]],
        colWidths=[draw_w + 4 * mm, width - draw_w - 4 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("LEFTPADDING", (1, 0), (1, 0), 8),
            ]
        )
    )
    return table


def section_heading(text: str, styles: dict[str, ParagraphStyle]) -> Paragraph:
    return Paragraph(escape(text), styles["section"])


def _findings_table(analysis: Analysis, styles: dict[str, ParagraphStyle], width: float) -> Table:
    calibrated = analysis.image.calibrated
    unit, area_unit = ("mm", "mm\u00b2") if calibrated else ("px", "px\u00b2")
    heads = [
        "#",
        "Class",
        "Probability",
        "Uncertainty",
        f"Long axis ({unit})",
        f"Short axis ({unit})",
        "L/S",
        f"Area ({area_unit})",
        "Low confidence",
        "Mask corrected",
    ]
    data: list[list[Any]] = [[Paragraph(h, styles["head"]) for h in heads]]
    warn_rows = []
    for number, finding in enumerate(analysis.findings, start=1):
        data.append([Paragraph(c, styles["cell"]) for c in _finding_cells(number, finding)])
        if finding.low_confidence:
            warn_rows.append(number)
    if not analysis.findings:
        data.append([Paragraph(escape(result_sentence(analysis)), styles["cell"])] + [""] * 9)
    fractions = [0.04, 0.11, 0.11, 0.12, 0.11, 0.11, 0.06, 0.1, 0.11, 0.13]
    table = Table(data, colWidths=[width * f for f in fractions], repeatRows=1)
    style = [*GRID_STYLE, ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
    style += [("BACKGROUND", (0, r), (-1, r), WARN_BG) for r in warn_rows]
    if not analysis.findings:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(style))
    return table


DESCRIPTOR_NAMES = {
    "shape": "Shape",
    "orientation": "Orientation",
    "margin": "Margin",
    "echo_pattern": "Echo pattern",
    "posterior_features": "Posterior features",
    "composition": "Composition",
    "echogenicity": "Echogenicity",
    "echogenic_foci": "Echogenic foci",
    "hilum": "Hilum",
    "cortex": "Cortex",
    "vascular_pattern": "Vascular pattern",
}  # any other name is written as it is
TEMPLATE_NAMES = {
    "bi-rads": "BI-RADS ultrasound lexicon",
    "ti-rads": "ACR TI-RADS",
    "lymph-node": "Lymph-node descriptors",
}
CATEGORY_NAMES = {
    "bi-rads": "Assessment category",
    "ti-rads": "TI-RADS level",
    "lymph-node": "Assessment (not a standard category)",
}


def descriptor_sections(
    analysis: Analysis, styles: dict[str, ParagraphStyle], width: float
) -> list[Any]:
    """Per lesion with descriptors: one table (descriptor, value, the measurement behind it,
    who set it) ending with the category, stated as the AI's proposal until a reader set or
    confirmed it. Nothing for models without descriptors."""
    out: list[Any] = []
    for number, finding in enumerate(analysis.findings, start=1):
        d = finding.descriptors
        if d is None:
            continue
        out += [
            Spacer(1, 3 * mm),
            section_heading(
                f"Lesion {number}: {TEMPLATE_NAMES.get(d.template, d.template)}", styles
            ),
            _descriptor_table(d, styles, width),
        ]
    return out


def _set_by(source: str, proposed: bool) -> str:
    if source == "reader":
        return "reader"
    return "AI proposal" if proposed else "AI, confirmed by the reader"


def _descriptor_table(d: Any, styles: dict[str, ParagraphStyle], width: float) -> Table:
    heads = ["Descriptor", "Value", "Measurement behind it", "Set by"]
    data: list[list[Any]] = [[Paragraph(h, styles["head"]) for h in heads]]
    for item in d.descriptors:
        value = item.value if item.value is not None else "not measurable"
        data.append(
            [
                Paragraph(escape(DESCRIPTOR_NAMES.get(item.name, item.name)), styles["cell"]),
                Paragraph(escape(value), styles["cell"]),
                Paragraph(escape(item.reason), styles["cell"]),
                Paragraph(escape(_set_by(item.source, item.proposed)), styles["cell"]),
            ]
        )
    category = d.category or "none"
    if d.category_source != "reader" and d.category_proposed:
        category += " (proposed)"
    data.append(
        [
            Paragraph(
                f"<b>{escape(CATEGORY_NAMES.get(d.template, 'Assessment category'))}</b>",
                styles["cell"],
            ),
            Paragraph(f"<b>{escape(category)}</b>", styles["cell"]),
            Paragraph(escape("; ".join(d.category_reasons)), styles["cell"]),
            Paragraph(escape(_set_by(d.category_source, d.category_proposed)), styles["cell"]),
        ]
    )
    table = Table(data, colWidths=[width * f for f in (0.18, 0.17, 0.47, 0.18)], repeatRows=1)
    table.setStyle(TableStyle([*GRID_STYLE, ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    return table


def _finding_cells(number: int, finding: Finding) -> list[str]:
    m = finding.measurements
    calibrated = m.long_axis_mm is not None
    long_axis = m.long_axis_mm if calibrated else m.long_axis_px
    short_axis = m.short_axis_mm if calibrated else m.short_axis_px
    area = m.area_mm2 if calibrated and m.area_mm2 is not None else m.area_px
    drawn = finding.drawn_by_reader
    who = "reader" if finding.label_source == "reader" or drawn else "AI"
    mask = "drawn by reader" if drawn else "yes" if finding.corrected else "no (AI)"
    return [
        str(number),
        f"{escape(finding.label)}<br/><font size=7>set by {who}</font>",
        "\u2014 (no AI)" if drawn else percent(finding.probability),
        "\u2014" if drawn else f"\u00b1{percent(finding.uncertainty)}",
        f"{long_axis:.1f}",
        f"{short_axis:.1f}",
        f"{m.ls_ratio:.2f}",
        f"{area:.1f}" if calibrated else f"{area:.0f}",
        "<b>yes</b>" if finding.low_confidence else "no",
        mask,
    ]


def caliper_section(
    calipers: Sequence[LineMeasurement], styles: dict[str, ParagraphStyle], width: float
) -> list[Any]:
    """The reader's calipers (C1, C2, ... on the key image): length in mm where the image is
    calibrated at both ends, else in px (said so), and the end points; nothing without any."""
    if not calipers:
        return []
    heads = ["Caliper", "Length", "From (row, col px)", "To (row, col px)", "Set by"]
    data: list[list[Any]] = [[Paragraph(h, styles["head"]) for h in heads]]
    for number, c in enumerate(calipers, start=1):
        length = f"{c.length_mm:.1f} mm" if c.length_mm is not None else f"{c.length_px:.0f} px"
        data.append(
            [
                Paragraph(f"C{number}", styles["cell"]),
                Paragraph(escape(length), styles["cell"]),
                Paragraph(f"{c.start[0]:.0f}, {c.start[1]:.0f}", styles["cell"]),
                Paragraph(f"{c.end[0]:.0f}, {c.end[1]:.0f}", styles["cell"]),
                Paragraph("reader", styles["cell"]),
            ]
        )
    table = Table(data, colWidths=[width * f for f in (0.14, 0.2, 0.24, 0.24, 0.18)])
    table.setStyle(TableStyle([*GRID_STYLE, ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    return [Spacer(1, 3 * mm), section_heading("Reader measurements", styles), table]


def shape_section(
    shapes: Sequence[ReaderMeasurement],
    styles: dict[str, ParagraphStyle],
    width: float,
    heading: bool = True,
) -> list[Any]:
    """The reader's ellipses (E1..), traces (T1..) and angles (A1..): area and perimeter or
    degrees, in mm / mm2 where calibrated, else px (said so, with the reason); nothing
    without any."""
    if not shapes:
        return []
    heads = ["Shape", "Value", "Points (row, col px)", "Set by"]
    data: list[list[Any]] = [[Paragraph(h, styles["head"]) for h in heads]]
    for m in shapes:
        value = m.text + ("" if m.calibrated or not m.refused else f" ({m.refused})")
        points = "; ".join(f"{r:.0f}, {c:.0f}" for r, c in m.points[:8])
        if len(m.points) > 8:
            points += f"; ... ({len(m.points)} vertices)"
        data.append(
            [
                Paragraph(f"{m.label} {m.kind}", styles["cell"]),
                Paragraph(escape(value), styles["cell"]),
                Paragraph(escape(points), styles["cell"]),
                Paragraph("reader", styles["cell"]),
            ]
        )
    table = Table(data, colWidths=[width * f for f in (0.16, 0.34, 0.36, 0.14)])
    table.setStyle(TableStyle([*GRID_STYLE, ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    head = [section_heading("Reader measurements", styles)] if heading else []
    return [Spacer(1, 3 * mm), *head, table]


def _summary(analysis: Analysis) -> str:
    prediction = analysis.prediction
    text = f"<b>{escape(result_sentence(analysis))}</b> "
    if analysis.findings:
        probabilities = ", ".join(
            f"{escape(name)} {percent(p)}" for name, p in sorted(prediction.probabilities.items())
        )
        text += (
            f"Image-level classifier: {probabilities} (mean of {prediction.tta_passes} "
            "test-time augmentation passes). Uncertainty: spread of the class probability over "
            "those passes. Low-confidence rows are shaded."
        )
    if scope := scope_sentence(analysis):
        text += f" {escape(scope)}"
    if analysis.scope is not None and analysis.scope.score is not None:
        text += f" Scope score {analysis.scope.score:.2f} (in scope below 1.00)."
    if not analysis.image.calibrated:
        text += " The image carries no calibration: sizes are in pixels, not millimetres."
    return text


def _mask_text(corrected: bool | None) -> str:
    if corrected is None:
        return "none (the model does not segment)"
    return "corrected by a clinician" if corrected else "AI output, not edited"


def model_block(
    corrected: bool | None,
    model: ModelInfo,
    reviewer: str,
    created: dt.datetime,
    styles: dict[str, ParagraphStyle],
    width: float,
) -> Table:
    """Two label/value pairs per row; the training-data line spans the width.
    corrected: None when there is no mask at all."""
    pairs = [
        ("Model", f"{model.model_id}, version {model.version}"),
        ("Intended use", model.intended_use),
        ("Mask", _mask_text(corrected)),
        ("Reviewer", reviewer or "not reviewed"),
        ("Report date", created.strftime("%Y-%m-%d %H:%M")),
        ("Software", f"{SOFTWARE_NAME} {software_version()}"),
    ]

    def cells(k: str, v: str) -> list[Paragraph]:
        return [Paragraph(escape(k), styles["label"]), Paragraph(escape(v), styles["cell"])]

    data = [cells(*pairs[i]) + cells(*pairs[i + 1]) for i in range(0, len(pairs), 2)]
    data.append(cells("Training data", model.training_data or "see the model card") + ["", ""])
    table = Table(data, colWidths=[width * f for f in (0.14, 0.36, 0.14, 0.36)])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("SPAN", (1, len(data) - 1), (3, len(data) - 1)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _footer(canvas, doc) -> None:  # noqa: ANN001 - reportlab callback signature
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.line(doc.leftMargin, 14 * mm, doc.leftMargin + doc.width, 14 * mm)
    canvas.setFont(BOLD, 8.5)
    canvas.setFillColor(ALERT)
    canvas.drawString(doc.leftMargin, 9.5 * mm, DISCLAIMER)
    canvas.setFont(FONT, 8)
    canvas.setFillColor(MUTED)
    canvas.drawRightString(doc.leftMargin + doc.width, 9.5 * mm, f"Page {doc.page}")
    canvas.restoreState()


def percent(p: float) -> str:
    """engine.report.wording.percent, escaped for reportlab's paragraph markup."""
    return escape(wording.percent(p))


def _person_name(value: str) -> str:
    """DICOM PN "Family^Given^Middle" as "Family, Given Middle"."""
    if "^" not in value:
        return value
    family, _, rest = value.partition("^")
    given = " ".join(p for p in rest.split("^") if p)
    return f"{family}, {given}" if given else family


def _date(value: str) -> str:
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
