"""DICOM SEG: read back with highdicom, pixels and references checked, dciodvfy clean."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from PIL import Image as PILImage

from engine.io import load_image, read_dicom_frames, read_series
from engine.report import Deidentifier, volume_seg
from engine.report.seg import image_seg
from engine.report.source import source_image


def _save_and_read(seg: pydicom.Dataset, path: Path) -> hd.seg.Segmentation:
    seg.save_as(path, enforce_file_format=True)
    return hd.seg.segread(path)


def _mask(back: hd.seg.Segmentation, uid: str, frame: int | None = None) -> np.ndarray:
    """Segment 1 as stored for the source instance (or its frame), via the references."""
    if frame is None:
        pixels = back.get_pixels_by_source_instance([uid], segment_numbers=[1])
    else:
        pixels = back.get_pixels_by_source_frame(uid, [frame], segment_numbers=[1])
    return pixels[0, ..., 0].astype(bool)


def _algorithm(back: hd.seg.Segmentation, number: int = 1) -> tuple[str, str, str]:
    item = back.get_segment_description(number)
    algorithm = item.SegmentationAlgorithmIdentificationSequence[0]
    return item.SegmentAlgorithmType, algorithm.AlgorithmName, algorithm.AlgorithmVersion


def test_ultrasound_seg_matches_the_mask_and_references_the_image(
    identified_us, us_image, kit, tmp_path: Path
) -> None:  # noqa: ANN001
    analysis = kit.analysis_of(us_image, identified_us.sample.mask)
    source = source_image(us_image)
    back = _save_and_read(image_seg(analysis, source, kit.model), tmp_path / "seg.dcm")

    original = pydicom.dcmread(identified_us.path, stop_before_pixels=True)
    assert np.array_equal(_mask(back, original.SOPInstanceUID), identified_us.sample.mask > 0)
    assert _algorithm(back) == ("AUTOMATIC", kit.model.model_id, kit.model.version)
    assert back.StudyInstanceUID == original.StudyInstanceUID
    assert back.get_source_image_uids() == [
        (original.StudyInstanceUID, original.SeriesInstanceUID, original.SOPInstanceUID)
    ]
    assert "FrameOfReferenceUID" not in back  # ultrasound: none to share
    kit.assert_valid(tmp_path / "seg.dcm")


def test_corrected_mask_is_semiautomatic_and_deidentified(
    us_image, identified_us, kit, tmp_path: Path
) -> None:  # noqa: ANN001
    mask = identified_us.sample.mask.copy()
    mask[:, : mask.shape[1] // 2] = 0  # the clinician erased the left half
    analysis = kit.analysis_of(us_image, mask, corrected=True)
    deid = Deidentifier(salt="s")
    back = _save_and_read(
        image_seg(analysis, source_image(us_image, 0, deid), kit.model), tmp_path / "seg.dcm"
    )
    assert _algorithm(back)[0] == "SEMIAUTOMATIC"
    original = pydicom.dcmread(identified_us.path, stop_before_pixels=True)
    assert np.array_equal(_mask(back, deid.uid(original.SOPInstanceUID)), mask > 0)
    assert back.StudyInstanceUID == deid.uid(original.StudyInstanceUID)
    assert back.get_source_image_uids()[0][2] == deid.uid(original.SOPInstanceUID)
    assert back.PatientIdentityRemoved == "YES" and str(back.PatientName) == ""
    assert kit.patient_name not in str(pydicom.dcmread(tmp_path / "seg.dcm"))
    kit.assert_valid(tmp_path / "seg.dcm")


def test_cine_seg_references_the_analysed_frame(framed_sample, kit, tmp_path: Path) -> None:  # noqa: ANN001
    path = kit.write_cine(tmp_path / "cine.dcm", framed_sample)
    frame = read_dicom_frames(path).frame(2)
    mask = np.roll(framed_sample.mask, 6, axis=1)  # frame 3 is shifted by 6 px
    analysis = kit.analysis_of(frame, mask)
    seg = image_seg(analysis, source_image(frame, frame_index=2), kit.model)
    back = _save_and_read(seg, tmp_path / "seg.dcm")

    item = back.PerFrameFunctionalGroupsSequence[0].DerivationImageSequence[0]
    source = item.SourceImageSequence[0]
    original = pydicom.dcmread(path, stop_before_pixels=True)
    assert source.ReferencedSOPInstanceUID == original.SOPInstanceUID
    assert source.ReferencedSOPClassUID == original.SOPClassUID  # multi-frame US, not SC
    assert int(source.ReferencedFrameNumber) == 3
    assert back.NumberOfFrames == 1
    assert np.array_equal(_mask(back, original.SOPInstanceUID, frame=3), mask > 0)
    kit.assert_valid(tmp_path / "seg.dcm")


def test_png_gets_a_secondary_capture_and_rgb_is_fine(framed_sample, kit, tmp_path: Path) -> None:  # noqa: ANN001
    rgb = np.stack([framed_sample.image, framed_sample.image // 2, framed_sample.image], -1)
    PILImage.fromarray(rgb).save(tmp_path / "rgb.png")
    image = load_image(tmp_path / "rgb.png")
    assert image.is_color
    source = source_image(image, 0, Deidentifier())
    assert source.secondary_capture
    source.header.save_as(tmp_path / "sc.dcm", enforce_file_format=True)
    sc = pydicom.dcmread(tmp_path / "sc.dcm")
    assert np.array_equal(sc.pixel_array, rgb)  # the SC holds the very pixels analysed
    assert sc.PhotometricInterpretation == "RGB"
    kit.assert_valid(tmp_path / "sc.dcm")

    back = _save_and_read(
        image_seg(kit.analysis_of(image, framed_sample.mask), source, kit.model),
        tmp_path / "seg.dcm",
    )
    assert back.get_source_image_uids()[0][2] == sc.SOPInstanceUID
    assert back.StudyInstanceUID == sc.StudyInstanceUID
    kit.assert_valid(tmp_path / "seg.dcm")


def test_empty_mask_still_gives_a_valid_seg(us_image, kit, tmp_path: Path) -> None:  # noqa: ANN001
    analysis = kit.analysis_of(us_image, np.zeros((us_image.height, us_image.width), np.uint8))
    source = source_image(us_image)
    back = _save_and_read(image_seg(analysis, source, kit.model), tmp_path / "s.dcm")
    assert back.NumberOfFrames == 1
    assert not _mask(back, source.header.SOPInstanceUID).any()
    kit.assert_valid(tmp_path / "s.dcm")


def test_ct_volume_seg_has_kidney_and_tumour(kit, tmp_path: Path) -> None:  # noqa: ANN001
    volume = read_series(kit.write_ct_series(tmp_path / "ct"))
    assert volume.voxels[:, 0, 0].tolist() == [0, 1, 2, 3]  # anatomical order
    labels = np.zeros(volume.voxels.shape, np.uint8)
    labels[1:3, 4:12, 4:12] = 1
    labels[2, 6:9, 6:10] = 2
    deid = Deidentifier(salt="ct")
    seg = volume_seg(volume, labels, ("kidney", "tumour"), kit.model, deidentifier=deid)
    back = _save_and_read(seg, tmp_path / "seg.dcm")

    assert [d.SegmentLabel for d in back.SegmentSequence] == ["kidney", "tumour"]
    kidney_type = back.get_segment_description(1).SegmentedPropertyTypeCodeSequence[0]
    assert kidney_type.CodeValue == "64033007"  # SNOMED CT kidney
    # Read back per source slice: each slice's labels, by the (remapped) slice UID.
    by_position = sorted(
        (pydicom.dcmread(p, stop_before_pixels=True) for p in (tmp_path / "ct").iterdir()),
        key=lambda ds: float(ds.ImagePositionPatient[2]),
    )
    uids = [deid.uid(ds.SOPInstanceUID) for ds in by_position]
    stack = back.get_pixels_by_source_instance(
        source_sop_instance_uids=uids, segment_numbers=[1, 2], ignore_spatial_locations=True
    )
    assert np.array_equal(stack[..., 0], labels == 1)
    assert np.array_equal(stack[..., 1], labels == 2)
    assert back.FrameOfReferenceUID == deid.uid(by_position[0].FrameOfReferenceUID)
    kit.assert_valid(tmp_path / "seg.dcm")


def test_ct_seg_refuses_labels_of_the_wrong_shape(kit, tmp_path: Path) -> None:  # noqa: ANN001
    import pytest

    from engine.report import ExportError

    volume = read_series(kit.write_ct_series(tmp_path / "ct"))
    with pytest.raises(ExportError, match="slices"):
        volume_seg(volume, np.zeros((2, 16, 16), np.uint8), ("kidney",), kit.model)
    bad = dataclasses.replace(volume, source=str(tmp_path / "missing"))
    with pytest.raises(ExportError, match="folder"):
        volume_seg(bad, np.zeros(volume.voxels.shape, np.uint8), ("kidney",), kit.model)


def test_accented_names_without_a_character_set_are_written_validly(
    identified_us, kit, tmp_path: Path
) -> None:  # noqa: ANN001
    """Sources often carry Latin-1 names and no SpecificCharacterSet; ours declare UTF-8."""
    ds = pydicom.dcmread(identified_us.path)
    ds.PatientName = "Müller^Jürgen"
    ds.save_as(identified_us.path)
    image = load_image(identified_us.path)
    seg = image_seg(
        kit.analysis_of(image, identified_us.sample.mask), source_image(image), kit.model
    )
    seg.save_as(tmp_path / "seg.dcm", enforce_file_format=True)
    back = pydicom.dcmread(tmp_path / "seg.dcm")
    assert str(back.PatientName) == "Müller^Jürgen"
    assert back.SpecificCharacterSet == "ISO_IR 192"
    kit.assert_valid(tmp_path / "seg.dcm")
