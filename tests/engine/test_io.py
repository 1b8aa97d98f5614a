from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from engine.errors import LoadError
from engine.io import load_image


def _dicom(path: Path, pixels: np.ndarray, **tags) -> Path:  # noqa: ANN003
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = pixels.shape[:2]
    color = pixels.ndim == 3
    ds.SamplesPerPixel = 3 if color else 1
    ds.PhotometricInterpretation = "RGB" if color else "MONOCHROME2"
    if color:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = pixels.dtype.itemsize * 8
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
    for key, value in tags.items():
        setattr(ds, key, value)
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def test_png_grayscale_is_read_uncalibrated(node_png: Path) -> None:
    image = load_image(node_png)
    assert image.pixels.ndim == 2 and image.pixels.dtype == np.uint8
    assert image.spacing_mm is None and not image.calibrated


def test_rgb_png_with_equal_channels_becomes_grayscale(tmp_path: Path) -> None:
    gray = np.random.default_rng(0).integers(0, 255, (20, 30), dtype=np.uint8)
    PILImage.fromarray(np.stack([gray] * 3, -1)).save(tmp_path / "g.png")
    image = load_image(tmp_path / "g.png")
    assert image.pixels.shape == (20, 30)
    np.testing.assert_array_equal(image.pixels, gray)


def test_colour_jpeg_stays_rgb(tmp_path: Path) -> None:
    rgb = np.zeros((16, 16, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    PILImage.fromarray(rgb).save(tmp_path / "c.jpg", quality=95)
    image = load_image(tmp_path / "c.jpg")
    assert image.photometric == "RGB" and image.pixels.shape == (16, 16, 3)


def test_ultrasound_dicom_has_spacing_from_region(node_dicom: Path, node_sample) -> None:  # noqa: ANN001
    image = load_image(node_dicom)
    np.testing.assert_array_equal(image.pixels, node_sample.image)
    assert image.spacing_mm == pytest.approx((node_sample.spacing_mm, node_sample.spacing_mm))
    assert image.metadata["Modality"] == "US"


def test_dicom_16bit_signed_applies_rescale(tmp_path: Path) -> None:
    raw = np.arange(-50, 50, dtype=np.int16).reshape(10, 10)
    path = _dicom(
        tmp_path / "ct.dcm", raw, RescaleSlope=2, RescaleIntercept=-1024, PixelSpacing=[0.7, 0.8]
    )
    image = load_image(path)
    np.testing.assert_array_equal(image.pixels, raw.astype(np.int32) * 2 - 1024)
    assert image.spacing_mm == (0.7, 0.8)


def test_dicom_monochrome1_is_inverted(tmp_path: Path) -> None:
    raw = np.array([[0, 100], [200, 255]], dtype=np.uint8)
    image = load_image(_dicom(tmp_path / "m1.dcm", raw, PhotometricInterpretation="MONOCHROME1"))
    np.testing.assert_array_equal(image.pixels, 255 - raw)


def test_dicom_rgb(tmp_path: Path) -> None:
    rgb = np.random.default_rng(1).integers(0, 255, (8, 9, 3), dtype=np.uint8)
    image = load_image(_dicom(tmp_path / "rgb.dcm", rgb))
    assert image.photometric == "RGB"
    np.testing.assert_array_equal(image.pixels, rgb)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.png", b"", "empty"),
        ("text.dcm", b"this is not a dicom file at all" * 10, "not a DICOM"),
        ("text.png", b"hello, not an image", "not a recognised image"),
        ("cut.png", None, "corrupt or truncated"),
    ],
)
def test_bad_files_raise_load_error_with_name_and_reason(
    tmp_path: Path, node_png: Path, name: str, content: bytes | None, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content if content is not None else node_png.read_bytes()[:400])
    with pytest.raises(LoadError) as info:
        load_image(path)
    assert info.value.path == path
    assert reason in str(info.value) and name in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="not found"):
        load_image(tmp_path / "nope.png")


def test_dicom_without_pixels(tmp_path: Path, node_dicom: Path) -> None:
    ds = pydicom.dcmread(node_dicom)
    del ds.PixelData
    ds.save_as(tmp_path / "nopix.dcm")
    with pytest.raises(LoadError, match="no pixel data"):
        load_image(tmp_path / "nopix.dcm")


def test_absurd_dimensions_refused_before_decoding(tmp_path: Path, node_dicom: Path) -> None:
    ds = pydicom.dcmread(node_dicom)
    ds.Rows = 40_000
    ds.save_as(tmp_path / "huge.dcm")
    with pytest.raises(LoadError, match="larger than"):
        load_image(tmp_path / "huge.dcm")
