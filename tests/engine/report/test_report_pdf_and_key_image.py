"""PDF report and key image: rendered back to pixels/text and checked, not just written."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image as PILImage

from engine.report import ExportRequest, export_case
from engine.report.key_image import LONG_AXIS, OUTLINE, SHORT_AXIS, render_key_image
from engine.report.pdf import DISCLAIMER

LABEL = "lesionlens-test-page"


def _pages_and_first_page(path: Path) -> tuple[int, np.ndarray]:
    """How many pages, and the first one rendered (its text: kit.pdf_text)."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf), pdf[0].render(scale=1.5).to_numpy()
    finally:
        pdf.close()


def test_identified_report_has_header_findings_and_disclaimer(
    identified_us, us_image, kit, tmp_path: Path
) -> None:  # noqa: ANN001
    analysis = kit.analysis_of(us_image, identified_us.sample.mask)
    request = ExportRequest(pdf=tmp_path / "r.pdf", deidentify=False, reviewer="Dr. Rita Reader")
    export_case(analysis, kit.model, request)
    text = kit.pdf_text(tmp_path / "r.pdf")
    pages, page = _pages_and_first_page(tmp_path / "r.pdf")

    assert pages == 1
    assert "Testpatient, Wilhelmina" in text and kit.patient_id in text
    assert kit.institution in text and "1999-03-04" in text
    assert DISCLAIMER in text
    assert f"{kit.model.model_id}, version {kit.model.version}" in text
    assert "Dr. Rita Reader" in text
    first = analysis.findings[0].measurements
    assert f"{first.long_axis_mm:.1f}" in text and "Long axis (mm)" in text
    assert "Area (mm\u00b2)" in text
    assert page.shape[0] > page.shape[1]  # portrait A4 rendered


def test_deidentified_report_is_blank_where_identifiers_were(
    identified_us, us_image, kit, tmp_path: Path
) -> None:  # noqa: ANN001
    analysis = kit.analysis_of(us_image, identified_us.sample.mask)
    request = ExportRequest(pdf=tmp_path / "r.pdf", key_image=tmp_path / "k.png", case="case-0001")
    result = export_case(analysis, kit.model, request)
    text = kit.pdf_text(tmp_path / "r.pdf")
    for secret in ("Testpatient", kit.patient_id, kit.institution, "1999"):
        assert secret not in text
    assert "case-0001" in text and "blanked" in text
    assert any("blanked" in note for note in result.notes)

    # Burned-in text lived outside the B-mode region: the key image shows none of it.
    key = np.asarray(PILImage.open(tmp_path / "k.png"))
    scale = key.shape[1] / us_image.width
    r0, c0, r1, c1 = identified_us.sample.region
    outside = np.ones(key.shape[:2], bool)
    m = int(2 * scale)  # bicubic enlargement blurs the region's edge by a pixel or two
    outside[
        int(r0 * scale) - m : int(r1 * scale) + m, int(c0 * scale) - m : int(c1 * scale) + m
    ] = False
    outside[int(0.85 * key.shape[0]) :, int(0.6 * key.shape[1]) :] = False  # the scale bar
    source_outside = np.ones(us_image.pixels.shape, bool)
    source_outside[r0:r1, c0:c1] = False
    assert us_image.pixels[source_outside].max() > 100  # there was text to remove
    gray = key[..., 0].astype(int) == key[..., 2]  # overlays are coloured, text was gray
    assert key[outside & gray & (key[..., 1] == key[..., 0])].max() == 0


def test_key_image_draws_outline_and_calipers_where_measured(us_image, identified_us, kit) -> None:  # noqa: ANN001
    analysis = kit.analysis_of(us_image, identified_us.sample.mask)
    rgb = render_key_image(us_image, analysis.findings, min_width=us_image.width * 3)
    scale = rgb.shape[1] / us_image.width
    assert scale == 3
    finding = analysis.findings[0]

    def colour_near(point_rc, colour) -> bool:  # noqa: ANN001
        x, y = (point_rc[1] + 0.5) * scale, (point_rc[0] + 0.5) * scale
        patch = rgb[int(y) - 3 : int(y) + 4, int(x) - 3 : int(x) + 4].reshape(-1, 3)
        return bool((patch == colour).all(axis=1).any())

    contour = finding.contour[:: max(1, len(finding.contour) // 12)]
    assert sum(colour_near(p, OUTLINE) for p in contour) >= 0.8 * len(contour)
    for end in finding.measurements.long_axis_endpoints:
        assert colour_near(end, LONG_AXIS)
    for end in finding.measurements.short_axis_endpoints:
        assert colour_near(end, SHORT_AXIS)
    # Far from every lesion the picture is the image itself (gray), untouched.
    corner = rgb[: int(20 * scale), -int(60 * scale) : -int(20 * scale)]
    assert (corner[..., 0] == corner[..., 1]).all()


def test_png_input_report_states_pixel_units(framed_sample, kit, tmp_path: Path) -> None:  # noqa: ANN001
    from engine.io import load_image

    PILImage.fromarray(framed_sample.image).save(tmp_path / "n.png")
    image = load_image(tmp_path / "n.png")
    analysis = kit.analysis_of(image, framed_sample.mask)
    export_case(analysis, kit.model, ExportRequest(pdf=tmp_path / "r.pdf"))
    text = kit.pdf_text(tmp_path / "r.pdf")
    assert "Long axis (px)" in text and "uncalibrated" in text
    # A PNG/JPG has no header to say what is burned in: its pixels are cleaned like a scanner's.
    assert "PNG/JPG capture" in text and "Clean Pixel Data" in text
    assert io.BytesIO((tmp_path / "r.pdf").read_bytes()).read(5) == b"%PDF-"


@pytest.mark.parametrize("deidentify", [False, True])
def test_key_image_secondary_capture_is_filed_in_the_source_study(
    us_image, identified_us, kit, tmp_path: Path, deidentify: bool
) -> None:  # noqa: ANN001
    """The key image for a PACS: a valid SC in the study of the image it was made from (the
    pseudonymous study when de-identifying), outlines burned in and saying so."""
    import pydicom

    analysis = kit.analysis_of(us_image, identified_us.sample.mask)
    request = ExportRequest(
        seg=tmp_path / "seg.dcm", key_image_dicom=tmp_path / "key.dcm", deidentify=deidentify
    )
    export_case(analysis, kit.model, request)
    key, seg = pydicom.dcmread(tmp_path / "key.dcm"), pydicom.dcmread(tmp_path / "seg.dcm")
    kit.assert_valid(tmp_path / "key.dcm")
    assert key.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7" and key.BurnedInAnnotation == "YES"
    assert key.StudyInstanceUID == seg.StudyInstanceUID
    assert key.SeriesInstanceUID != seg.SeriesInstanceUID
    assert (key.PatientID == kit.patient_id) is not deidentify
    assert key.pixel_array.shape[-1] == 3
