"""Every kind of bad input ends in one LoadError naming the file and the reason."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import MPEG4HP41, UID

from engine.cli import main
from engine.errors import LoadError
from engine.io import load_any, load_image, read_dicom_frames, read_series


def _load_error(path: Path, loader=load_image) -> LoadError:  # noqa: ANN001
    with pytest.raises(LoadError) as info:
        image = loader(path)
        if hasattr(image, "frame"):
            image.frame(0)
    assert info.value.path == path and path.name in str(info.value)
    assert "\n" not in str(info.value)  # one line for the CLI and the GUI
    return info.value


def test_zero_byte_and_not_dicom(tmp_path: Path) -> None:
    (tmp_path / "empty.dcm").write_bytes(b"")
    assert "empty" in _load_error(tmp_path / "empty.dcm").reason
    (tmp_path / "junk.dcm").write_bytes(np.random.default_rng(0).bytes(3000))
    assert "not a DICOM" in _load_error(tmp_path / "junk.dcm").reason


def test_native_file_cut_in_half(tmp_path: Path, node_dicom: Path) -> None:
    data = node_dicom.read_bytes()
    (tmp_path / "half.dcm").write_bytes(data[: len(data) // 2])
    assert "truncated" in _load_error(tmp_path / "half.dcm").reason


def test_compressed_cine_cut_in_half(tmp_path: Path, dcm) -> None:  # noqa: ANN001
    data = dcm.testdata("examples_ybr_color.dcm").read_bytes()
    (tmp_path / "half_cine.dcm").write_bytes(data[: len(data) // 2])
    assert "truncated" in _load_error(tmp_path / "half_cine.dcm").reason


@pytest.mark.parametrize(
    ("sop_class", "modality", "expected"),
    [
        ("1.2.840.10008.5.1.4.1.1.88.22", "SR", "structured report"),
        ("1.2.840.10008.5.1.4.1.1.66.4", "SEG", "segmentation"),
        ("1.2.840.10008.5.1.4.1.1.11.1", "PR", "presentation state"),
    ],
)
def test_dicom_without_pixel_data(tmp_path: Path, dcm, sop_class, modality, expected) -> None:  # noqa: ANN001
    ds = dcm.build(np.zeros((2, 2), np.uint8), SOPClassUID=sop_class)
    ds.Modality = modality
    for keyword in ("PixelData", "Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit"):
        delattr(ds, keyword)
    path = dcm.save(ds, tmp_path / f"{modality}.dcm")
    reason = _load_error(path).reason
    assert "no pixel data" in reason and expected in reason


def test_pydicom_structured_report(dcm) -> None:  # noqa: ANN001
    assert "structured report" in _load_error(dcm.testdata("test-SR.dcm")).reason


@pytest.mark.parametrize(
    ("uid", "expected"),
    [(MPEG4HP41, "video-encoded"), (UID("1.2.826.0.1.3680043.9.9999.1"), "not supported")],
)
def test_unsupported_transfer_syntax(tmp_path: Path, node_dicom: Path, uid, expected) -> None:  # noqa: ANN001
    ds = pydicom.dcmread(node_dicom)
    ds.file_meta.TransferSyntaxUID = uid
    ds.PixelData = encapsulate([b"\x00" * 64])
    path = tmp_path / "video.dcm"
    ds.save_as(path)
    assert expected in _load_error(path).reason


def test_corrupt_compressed_stream(tmp_path: Path, dcm) -> None:  # noqa: ANN001
    ds = dcm.jpeg(np.full((1, 16, 16), 128, np.uint8))
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xdb" + b"\x07" * 300])
    path = dcm.save(ds, tmp_path / "corrupt.dcm")
    assert "corrupt" in _load_error(path).reason
    broken_j2k = tmp_path / "j2k.dcm"
    shutil.copy(dcm.testdata("JPEG2000-embedded-sequence-delimiter.dcm"), broken_j2k)
    assert "corrupt" in _load_error(broken_j2k).reason


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"Rows": 40_000}, "larger than 20000x20000"),
        ({"Rows": 15_000, "Columns": 15_000, "NumberOfFrames": 5, "BitsAllocated": 16}, "2 GB"),
    ],
)
def test_absurd_dimensions_refused_before_allocating(
    tmp_path: Path,
    node_dicom: Path,
    tags: dict,
    expected: str,  # noqa: ANN001
) -> None:
    ds = pydicom.dcmread(node_dicom)
    for key, value in tags.items():
        setattr(ds, key, value)
    path = tmp_path / "huge.dcm"
    ds.save_as(path)
    tracemalloc.start()
    try:
        reason = _load_error(path, read_dicom_frames).reason
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert expected in reason
    assert peak < 20 * 1024**2  # nothing near the decoded size was allocated


def test_folder_errors(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("no slices here")
    assert "no DICOM image slices" in _load_error(tmp_path, read_series).reason
    assert "not found" in _load_error(tmp_path / "nope.nii.gz", load_any).reason


def test_cli_prints_one_line_and_fails(
    tmp_path: Path,
    node_dicom: Path,
    capsys,  # noqa: ANN001
    monkeypatch,  # noqa: ANN001
) -> None:
    """The input fails before the model is used, so a stand-in model keeps this test about
    reading (and independent of the shipped bundle)."""
    import engine.model_lookup

    # The CLI's one model lookup; patching it (not load_model) keeps the stand-in out of
    # engine.inference's session cache, where later tests would find it.
    monkeypatch.setattr(engine.model_lookup, "find_model", lambda *args, **kwargs: object())
    data = node_dicom.read_bytes()
    bad = tmp_path / "cut.dcm"
    bad.write_bytes(data[: len(data) // 2])
    code = main(["analyze", str(bad), "--out", str(tmp_path / "out"), "--device", "cpu"])
    assert code != 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "cut.dcm" in line]
    assert len(lines) == 1 and "truncated" in lines[0]
