"""DICOM SR TID 1500: read back with highdicom, every number checked, dciodvfy clean."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from PIL import Image as PILImage
from skimage import measure

from engine.io import load_image, read_dicom_frames
from engine.report import Deidentifier
from engine.report.source import source_image
from engine.report.sr import measurement_report_sr


def _read(sr: pydicom.Dataset, path: Path) -> hd.sr.ComprehensiveSR:
    sr.save_as(path, enforce_file_format=True)
    back = hd.sr.srread(path)
    assert isinstance(back, hd.sr.ComprehensiveSR)
    return back


def _values(group) -> dict[str, tuple[float, str]]:  # noqa: ANN001
    return {m.name.meaning: (m.value, m.unit.value) for m in group.get_measurements()}


def _class_of(group) -> str:  # noqa: ANN001
    evaluations = {q.name.value: q.value for q in group.get_qualitative_evaluations()}
    return evaluations["LESIONCLASS"].meaning


def test_sr_reports_every_finding_in_mm(identified_us, us_image, kit, tmp_path: Path) -> None:  # noqa: ANN001
    analysis = kit.analysis_of(us_image, identified_us.sample.mask, malignant=0.35)
    assert len(analysis.findings) >= 1
    source = source_image(us_image)
    back = _read(
        measurement_report_sr(analysis, source, kit.model, "Reader^Rita"), tmp_path / "sr.dcm"
    )

    groups = back.content.get_planar_roi_measurement_groups()
    assert len(groups) == len(analysis.findings)
    for group, finding in zip(groups, analysis.findings, strict=True):
        m = finding.measurements
        values = _values(group)
        assert values["Long axis"] == (round(m.long_axis_mm, 2), "mm")
        assert values["Short axis"] == (round(m.short_axis_mm, 2), "mm")
        assert values["Area"] == (round(m.area_mm2, 2), "mm2")
        assert values["Probability of cancer"] == (35.0, "%")
        assert _class_of(group) == "Benign"
        roi = group.roi
        assert roi.graphic_type == hd.sr.GraphicTypeValues.POLYLINE
        assert roi.ContentSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID == (
            source.header.SOPInstanceUID
        )
    # The first outline, independently: marching squares on the known mask, in DICOM
    # coordinates (column, row) with pixel centres at +0.5.
    component = measure.label(identified_us.sample.mask > 0)
    largest = component == (np.argmax(np.bincount(component.ravel())[1:]) + 1)
    reference = max(measure.find_contours(np.pad(largest, 1).astype(float), 0.5), key=len) - 0.5
    points = np.asarray(groups[0].roi.value)
    assert np.allclose(points[0], points[-1])  # closed polygon
    assert np.allclose(points[: len(reference)], reference[:, ::-1], atol=1e-4)

    image_level = back.content.get_image_measurement_groups()
    assert len(image_level) == 1
    assert _values(image_level[0])["Number of lesions found"][0] == len(analysis.findings)
    observers = str(pydicom.dcmread(tmp_path / "sr.dcm").ContentSequence)
    assert "Reader^Rita" in observers and kit.model.model_id in observers
    kit.assert_valid(tmp_path / "sr.dcm")


def test_uncalibrated_png_sizes_are_in_pixels(framed_sample, kit, tmp_path: Path) -> None:  # noqa: ANN001
    PILImage.fromarray(framed_sample.image).save(tmp_path / "n.png")
    image = load_image(tmp_path / "n.png")
    analysis = kit.analysis_of(image, framed_sample.mask, malignant=0.9)
    source = source_image(image, 0, Deidentifier())
    source.header.save_as(tmp_path / "sc.dcm", enforce_file_format=True)
    back = _read(measurement_report_sr(analysis, source, kit.model), tmp_path / "sr.dcm")
    group = back.content.get_planar_roi_measurement_groups()[0]
    m = analysis.findings[0].measurements
    values = _values(group)
    assert values["Long axis"] == (round(m.long_axis_px, 2), "{pixel}")
    assert values["Area"] == (m.area_px, "{pixel^2}")
    assert _class_of(group) == "Malignant"
    assert back.PatientIdentityRemoved == "YES"
    assert back.StudyInstanceUID == pydicom.dcmread(tmp_path / "sc.dcm").StudyInstanceUID
    kit.assert_valid(tmp_path / "sr.dcm")


def test_cine_region_names_the_frame_and_no_finding_is_fine(
    framed_sample, kit, tmp_path: Path
) -> None:  # noqa: ANN001
    path = kit.write_cine(tmp_path / "cine.dcm", framed_sample)
    frame = read_dicom_frames(path).frame(1)
    source = source_image(frame, frame_index=1)
    back = _read(
        measurement_report_sr(kit.analysis_of(frame, framed_sample.mask), source, kit.model),
        tmp_path / "sr.dcm",
    )
    roi = back.content.get_planar_roi_measurement_groups()[0].roi
    reference = roi.ContentSequence[0].ReferencedSOPSequence[0]
    assert reference.ReferencedFrameNumber == 2
    kit.assert_valid(tmp_path / "sr.dcm")

    empty = kit.analysis_of(frame, np.zeros_like(framed_sample.mask))
    back = _read(measurement_report_sr(empty, source, kit.model), tmp_path / "empty.dcm")
    assert back.content.get_planar_roi_measurement_groups() == []
    assert (
        _values(back.content.get_image_measurement_groups()[0])["Number of lesions found"][0] == 0
    )
    kit.assert_valid(tmp_path / "empty.dcm")
