"""Multi-frame cine: lazy per-frame decode, frame timing, and files that hide their frames."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate, generate_fragments

from engine.errors import LoadError
from engine.io import load_any, load_image, read_dicom_frames
from engine.io.frames import FrameSource


def _cine(frames: int = 6, rows: int = 32, cols: int = 40) -> np.ndarray:
    """Each frame is a gradient with its own brightness, so frames are told apart."""
    y, x = np.mgrid[0:rows, 0:cols]
    base = (x * 3 + y * 2).astype(float)
    return np.stack([np.clip(base + 20 * i, 0, 255) for i in range(frames)]).astype(np.uint8)


def test_jpeg_cine_frames_decode_on_demand(dcm) -> None:  # noqa: ANN001
    cine = _cine()
    path = dcm.save(dcm.jpeg(cine, FrameTime=40.0), dcm.tmp / "cine.dcm")
    source = read_dicom_frames(path)
    assert isinstance(source, FrameSource) and source.count == len(source) == 6
    assert source.frame_time_ms == 40.0 and source.cine_rate_fps == pytest.approx(25.0)
    for i in (5, 0, 3):
        assert np.abs(source.frame(i).pixels.astype(int) - cine[i]).mean() < 2.0
    np.testing.assert_array_equal(load_image(path).pixels, source.frame(0).pixels)
    assert isinstance(load_any(path), FrameSource)
    with pytest.raises(IndexError):
        source.frame(6)


def test_one_corrupt_frame_does_not_stop_the_others(dcm) -> None:  # noqa: ANN001
    """Proof of per-frame decoding: frame 2's stream is garbage, frames 0 and 4 still decode."""
    ds = dcm.jpeg(_cine(5))
    offsets_length = int.from_bytes(ds.PixelData[4:8], "little")  # Basic Offset Table item
    fragments = list(generate_fragments(ds.PixelData[8 + offsets_length :]))
    assert len(fragments) == 5
    fragments[2] = b"\xff\xd8" + b"\x00\x13" * 200
    ds.PixelData = encapsulate(fragments)
    source = read_dicom_frames(dcm.save(ds, dcm.tmp / "bad_frame.dcm"))
    assert source.frame(0).pixels.shape == source.frame(4).pixels.shape == (32, 40)
    with pytest.raises(LoadError, match="corrupt"):
        source.frame(2)


@pytest.mark.parametrize(
    ("tags", "expected_ms"),
    [
        ({"FrameTime": 33.3}, 33.3),
        ({"FrameTimeVector": [0, 50, 50, 50]}, 50.0),
        ({"CineRate": 20}, 50.0),
        ({"RecommendedDisplayFrameRate": 10}, 100.0),
        ({}, None),
    ],
)
def test_frame_time_sources(dcm, tags: dict, expected_ms: float | None) -> None:  # noqa: ANN001
    path = dcm.save(dcm.build(_cine(4), **tags), dcm.tmp / "t.dcm")
    assert read_dicom_frames(path).frame_time_ms == expected_ms


def test_native_file_without_number_of_frames_reveals_all_frames(dcm) -> None:  # noqa: ANN001
    cine = _cine(5)
    ds = dcm.build(cine)
    del ds.NumberOfFrames  # header says one frame, pixel data holds five
    path = dcm.save(ds, dcm.tmp / "hidden.dcm")
    source = read_dicom_frames(path)
    assert source.count == 5
    for i in range(5):
        np.testing.assert_array_equal(source.frame(i).pixels, cine[i])
    np.testing.assert_array_equal(load_image(path).pixels, cine[0])


def test_compressed_file_with_number_of_frames_1_reveals_all_frames(dcm) -> None:  # noqa: ANN001
    cine = _cine(4)
    ds = dcm.jpeg(cine)
    ds.NumberOfFrames = 1  # wrong: four JPEG streams follow
    source = read_dicom_frames(dcm.save(ds, dcm.tmp / "hidden_jpeg.dcm"))
    assert source.count == 4
    assert np.abs(source.frame(3).pixels.astype(int) - cine[3]).mean() < 2.0


def test_rle_file_without_number_of_frames(dcm) -> None:  # noqa: ANN001
    cine = _cine(3)
    ds = dcm.build(cine)
    ds.compress(pydicom.uid.RLELossless, encoding_plugin="pydicom")
    del ds.NumberOfFrames
    source = read_dicom_frames(dcm.save(ds, dcm.tmp / "hidden_rle.dcm"))
    assert source.count == 3
    np.testing.assert_array_equal(source.frame(2).pixels, cine[2])


def test_pydicom_ultrasound_cine_example(dcm) -> None:  # noqa: ANN001
    """30-frame YBR_FULL_422 JPEG ultrasound loop with a calibrated region."""
    source = read_dicom_frames(dcm.testdata("examples_ybr_color.dcm"))
    assert source.count == 30 and source.frame_time_ms == pytest.approx(33.333, abs=0.01)
    last = source.frame(29)
    assert last.photometric == "RGB" and last.pixels.shape == (240, 320, 3)
    assert last.regions and last.spacing_mm is not None
    assert not np.array_equal(last.pixels, source.frame(0).pixels)  # the loop moves
