"""Every transfer syntax the installed plugins decode, checked against an uncompressed
reference: the same image in another syntax (pydicom's example files), or the array we
encoded ourselves. Lossless must match exactly, lossy within a tolerance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
)

from engine.io import load_image, read_dicom_frames

MR_REFERENCE = "MR_small.dcm"  # explicit VR little endian, 64x64 int16


def _smooth(shape: tuple[int, ...], dtype: type, top: int, seed: int = 0) -> np.ndarray:
    """A smooth image with mild texture: realistic for lossy codecs, still exercises every bit."""
    rng = np.random.default_rng(seed)
    rows, cols = shape[:2]
    y, x = np.mgrid[0:rows, 0:cols]
    base = (np.sin(x / 7.0) + np.cos(y / 5.0) + 2) / 4 * top
    if len(shape) == 3:
        base = np.stack([base, top - base, np.roll(base, 5, axis=1)], axis=-1)
    noise = rng.normal(0, top * 0.01, shape)
    return np.clip(base + noise, 0, top).astype(dtype)


@pytest.mark.parametrize(
    "name",
    [
        "MR_small_implicit.dcm",  # implicit VR little endian
        "MR_small_bigendian.dcm",  # explicit VR big endian
        "MR_small_expb.dcm",  # explicit VR big endian (another writer)
        "MR_small_RLE.dcm",  # RLE lossless
        "MR_small_jp2klossless.dcm",  # JPEG 2000 lossless
        "MR_small_jpeg_ls_lossless.dcm",  # JPEG-LS lossless
    ],
)
def test_same_mr_image_in_every_syntax_decodes_identically(dcm, name: str) -> None:  # noqa: ANN001
    reference = dcm.native(MR_REFERENCE)
    image = load_image(dcm.testdata(name))
    assert image.photometric == "MONOCHROME2"
    np.testing.assert_array_equal(image.pixels, reference)
    assert image.spacing_mm == pytest.approx((0.3125, 0.3125))


@pytest.mark.parametrize(
    ("name", "p90_error", "mean_error"),
    [
        ("SC_rgb_jpeg_gdcm.dcm", 0, 0),  # JPEG lossless SV1, RGB
        ("SC_rgb_gdcm_KY.dcm", 0, 0),  # JPEG 2000, RGB
        ("SC_rgb_dcmtk_+eb+cr.dcm", 2, 0.5),  # JPEG baseline, RGB components
        ("SC_rgb_dcmtk_+eb+cy+n2.dcm", 5, 1.0),  # JPEG baseline, YBR_FULL
        ("SC_rgb_dcmtk_+eb+cy+n1.dcm", 10, 3.5),  # YBR_FULL, subsampled by the encoder
        ("SC_rgb_dcmtk_+eb+cy+np.dcm", 10, 3.5),  # JPEG baseline, YBR_FULL_422
        ("SC_rgb_jls_lossy_line.dcm", 2, 1.0),  # JPEG-LS near-lossless
        ("SC_ybr_full_422_uncompressed.dcm", 5, 1.0),  # native YBR_FULL_422
    ],
)
def test_colour_bars_in_every_syntax_match_the_rle_reference(
    dcm,  # noqa: ANN001
    name: str,
    p90_error: int,
    mean_error: float,
) -> None:
    """Lossy chroma subsampling smears the sharp bar edges, so bound the bulk (90th
    percentile) and the mean; a wrong colour conversion would break both everywhere."""
    reference = load_image(dcm.testdata("SC_rgb_rle.dcm")).pixels.astype(int)
    assert reference.std() > 50  # the reference is a real picture, not blank
    image = load_image(dcm.testdata(name))
    assert image.photometric == "RGB" and image.pixels.dtype == np.uint8
    error = np.abs(image.pixels.astype(int) - reference)
    assert np.percentile(error, 90) <= p90_error
    assert error.mean() <= mean_error


def test_rle_reference_matches_its_uncompressed_twin(dcm) -> None:  # noqa: ANN001
    """The RGB reference above is itself checked against raw bytes read with numpy."""
    ds = pydicom.dcmread(dcm.testdata("SC_rgb_rle.dcm"))
    ds.decompress()
    raw = np.frombuffer(ds.PixelData, np.uint8).reshape(100, 100, 3)
    np.testing.assert_array_equal(load_image(dcm.testdata("SC_rgb_rle.dcm")).pixels, raw)
    np.testing.assert_array_equal(raw[0, 0], [255, 0, 0])  # the first bar is pure red


@pytest.mark.parametrize("transfer_syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian])
def test_native_syntaxes_written_by_pydicom(dcm, transfer_syntax) -> None:  # noqa: ANN001
    pixels = _smooth((20, 30), np.int16, 3000) - 1000
    ds = dcm.build(pixels)
    if transfer_syntax == ExplicitVRBigEndian:
        ds.PixelData = pixels.astype(">i2").tobytes()
    path = dcm.save(ds, dcm.tmp / "native.dcm", transfer_syntax)
    np.testing.assert_array_equal(load_image(path).pixels, pixels)


def test_deflated_explicit_little_endian(dcm) -> None:  # noqa: ANN001
    pixels = _smooth((40, 50), np.uint8, 255)
    path = dcm.save(dcm.build(pixels), dcm.tmp / "deflated.dcm", DeflatedExplicitVRLittleEndian)
    assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian
    np.testing.assert_array_equal(load_image(path).pixels, pixels)
    shipped = load_image(dcm.testdata("image_dfl.dcm"))
    assert shipped.pixels.shape == (512, 512) and shipped.pixels.std() > 0


@pytest.mark.parametrize(
    ("shape", "dtype", "top"),
    [((30, 40), np.uint8, 255), ((30, 40), np.int16, 4000), ((30, 40, 3), np.uint8, 255)],
)
def test_rle_encoded_by_pydicom_is_exact(dcm, shape, dtype, top) -> None:  # noqa: ANN001
    pixels = _smooth(shape, dtype, top)
    ds = dcm.build(pixels)
    ds.compress(RLELossless, encoding_plugin="pydicom")
    path = dcm.save(ds, dcm.tmp / "rle.dcm")
    np.testing.assert_array_equal(load_image(path).pixels, pixels)


def test_jpeg2000_lossless_and_lossy_encoded_by_openjpeg(dcm) -> None:  # noqa: ANN001
    pixels = _smooth((48, 64), np.uint16, 4095)
    lossless = dcm.build(pixels, BitsStored=12)
    lossless.compress(JPEG2000Lossless)
    path = dcm.save(lossless, dcm.tmp / "j2k_lossless.dcm")
    np.testing.assert_array_equal(load_image(path).pixels, pixels)

    lossy = dcm.build(pixels, BitsStored=12)
    lossy.compress(JPEG2000, j2k_psnr=[60])
    path = dcm.save(lossy, dcm.tmp / "j2k_lossy.dcm")
    error = np.abs(load_image(path).pixels.astype(int) - pixels)
    assert 0 < error.max() <= 40 and error.mean() < 5


def _gdcm_convert(src: Path, dst: Path, syntax: str) -> Path:
    """Recompress with GDCM's own encoders (a different library from the decoders)."""
    gdcm = pytest.importorskip("gdcm")
    reader = gdcm.ImageReader()
    reader.SetFileName(str(src))
    assert reader.Read()
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(getattr(gdcm.TransferSyntax, syntax)))
    change.SetInput(reader.GetImage())
    assert change.Change()
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(dst))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    assert writer.Write()
    return dst


@pytest.mark.parametrize(
    ("syntax", "uid"),
    [
        ("JPEGLosslessProcess14_1", "1.2.840.10008.1.2.4.70"),
        ("JPEGLosslessProcess14", "1.2.840.10008.1.2.4.57"),
        ("JPEGLSLossless", "1.2.840.10008.1.2.4.80"),
        ("JPEGLSNearLossless", "1.2.840.10008.1.2.4.81"),
    ],
)
def test_jpeg_lossless_and_jpeg_ls_encoded_by_gdcm(dcm, syntax: str, uid: str) -> None:  # noqa: ANN001
    pixels = _smooth((40, 52), np.int16, 3000) - 1500
    src = dcm.save(dcm.build(pixels), dcm.tmp / "src.dcm")
    dst = _gdcm_convert(src, dcm.tmp / f"{syntax}.dcm", syntax)
    assert pydicom.dcmread(dst).file_meta.TransferSyntaxUID == uid
    error = np.abs(load_image(dst).pixels.astype(int) - pixels)
    assert error.max() <= (2 if "Near" in syntax else 0)


def test_jpeg_baseline_grey_and_colour_encoded_by_pillow(dcm) -> None:  # noqa: ANN001
    grey = _smooth((64, 80), np.uint8, 255)
    path = dcm.save(dcm.jpeg(grey[None]), dcm.tmp / "grey.dcm")
    error = np.abs(load_image(path).pixels.astype(int) - grey)
    assert error.mean() < 2.5 and error.max() < 40

    colour = _smooth((64, 80, 3), np.uint8, 255)
    path = dcm.save(dcm.jpeg(colour[None]), dcm.tmp / "colour.dcm")
    image = load_image(path)
    assert image.photometric == "RGB"
    error = np.abs(image.pixels.astype(int) - colour)
    assert error.mean() < 4 and error.max() < 80


def test_jpeg_extended_12_bit(dcm) -> None:  # noqa: ANN001
    """No 12-bit JPEG encoder is installed, so check pydicom's example for plausibility: 12-bit
    range, the NM phantom's structure (same scan as JPEG2000.dcm, which is lossless)."""
    image = load_image(dcm.testdata("JPGExtended.dcm"))
    other = load_image(dcm.testdata("JPEG2000.dcm")).pixels.astype(float)
    assert image.pixels.shape == (1024, 256) and image.pixels.min() >= 0
    assert image.pixels.max() < 4096
    assert np.corrcoef(image.pixels.ravel().astype(float), other.ravel())[0, 1] > 0.9


def test_multiframe_rle_and_big_endian_match_native(dcm) -> None:  # noqa: ANN001
    native = read_dicom_frames(dcm.testdata("rtdose.dcm"))
    for name in ("rtdose_rle.dcm", "rtdose_expb.dcm"):
        other = read_dicom_frames(dcm.testdata(name))
        assert other.count == native.count == 15
        for i in (0, 7, 14):
            np.testing.assert_array_equal(other.frame(i).pixels, native.frame(i).pixels)
