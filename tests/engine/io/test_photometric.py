"""Photometric interpretations, bit depths, modality LUT, VOI LUT and window presets.
References are computed here with numpy from the values we wrote."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import JPEG2000, JPEG2000Lossless

from engine.io import load_image
from engine.io.windowing import apply_voi_lut, apply_window, display_uint8
from engine.types import WindowPreset

RNG = np.random.default_rng(3)


def _rgb(rows: int = 12, cols: int = 14) -> np.ndarray:
    return RNG.integers(0, 256, (rows, cols, 3), dtype=np.uint8)


def test_rgb_planar_configuration_1(dcm) -> None:  # noqa: ANN001
    rgb = _rgb()
    ds = dcm.build(rgb, PlanarConfiguration=1)
    ds.PixelData = rgb.transpose(2, 0, 1).tobytes()  # RRR...GGG...BBB...
    image = load_image(dcm.save(ds, dcm.tmp / "planar1.dcm"))
    np.testing.assert_array_equal(image.pixels, rgb)


def _rgb_to_ybr_full(rgb: np.ndarray) -> np.ndarray:
    """PS3.3 C.7.6.3.1.2 YBR_FULL, written out here as the reference."""
    r, g, b = (rgb[..., i].astype(float) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    return np.clip(np.rint(np.stack([y, cb, cr], -1)), 0, 255).astype(np.uint8)


def test_native_ybr_full_becomes_rgb(dcm) -> None:  # noqa: ANN001
    rgb = _rgb()
    image = load_image(dcm.save(dcm.build(_rgb_to_ybr_full(rgb), "YBR_FULL"), dcm.tmp / "y.dcm"))
    assert image.photometric == "RGB"
    assert np.abs(image.pixels.astype(int) - rgb).max() <= 2


def test_native_ybr_full_422_becomes_rgb(dcm) -> None:  # noqa: ANN001
    """4:2:2 stores Y0 Y1 Cb Cr per pixel pair; use chroma constant over each pair."""
    rgb = _rgb(10, 16)
    rgb[:, 1::2] = rgb[:, 0::2]  # equal pairs, so subsampling loses nothing
    ybr = _rgb_to_ybr_full(rgb)
    packed = np.empty((10, 8, 4), np.uint8)
    packed[..., 0], packed[..., 1] = ybr[:, 0::2, 0], ybr[:, 1::2, 0]
    packed[..., 2], packed[..., 3] = ybr[:, 0::2, 1], ybr[:, 0::2, 2]
    ds = dcm.build(rgb, "YBR_FULL_422")
    ds.PixelData = packed.tobytes()
    image = load_image(dcm.save(ds, dcm.tmp / "y422.dcm"))
    assert np.abs(image.pixels.astype(int) - rgb).max() <= 2


@pytest.mark.parametrize(
    ("syntax", "photometric", "tolerance"),
    [(JPEG2000Lossless, "YBR_RCT", 0), (JPEG2000, "YBR_ICT", 12)],
)
def test_jpeg2000_with_colour_transform(dcm, syntax, photometric: str, tolerance: int) -> None:  # noqa: ANN001
    y, x = np.mgrid[0:40, 0:48]
    rgb = np.stack([x * 5, y * 6, 255 - x * 5], -1).astype(np.uint8)
    ds = dcm.build(rgb)
    kwargs = {"j2k_psnr": [55]} if syntax == JPEG2000 else {}
    ds.compress(syntax, use_mct=True, **kwargs)
    ds.PhotometricInterpretation = photometric  # what the standard requires with MCT
    image = load_image(dcm.save(ds, dcm.tmp / "mct.dcm"))
    assert image.photometric == "RGB"
    assert np.abs(image.pixels.astype(int) - rgb).max() <= tolerance
    shipped = load_image(dcm.testdata("GDCMJ2K_TextGBR.dcm"))  # YBR_RCT from GDCM
    assert shipped.photometric == "RGB" and shipped.pixels.shape == (400, 400, 3)


def _palette_tags(red: np.ndarray, green: np.ndarray, blue: np.ndarray, bits: int) -> dict:
    tags = {}
    for name, table in (("Red", red), ("Green", green), ("Blue", blue)):
        tags[f"{name}PaletteColorLookupTableDescriptor"] = [len(table), 0, bits]
        tags[f"{name}PaletteColorLookupTableData"] = table.astype("<u2").tobytes()
    return tags


@pytest.mark.parametrize("bits", [8, 16])
def test_palette_colour_8_and_16_bit_entries(dcm, bits: int) -> None:  # noqa: ANN001
    index = RNG.integers(0, 256, (9, 11), dtype=np.uint8)
    top = 2**bits - 1
    red = np.linspace(0, top, 256).astype(np.int64)
    green = red[::-1].copy()
    blue = np.full(256, top // 2)
    ds = dcm.build(index, "PALETTE COLOR", **_palette_tags(red, green, blue, bits))
    image = load_image(dcm.save(ds, dcm.tmp / "pal.dcm"))
    expected = np.stack([red[index], green[index], blue[index]], -1) * 255.0 / top
    assert image.photometric == "RGB" and image.pixels.dtype == np.uint8
    assert np.abs(image.pixels.astype(float) - expected).max() <= 0.5 + 1e-9


def test_segmented_palette(dcm) -> None:  # noqa: ANN001
    """Segmented tables (PS3.3 C.7.9.2): a discrete segment, then a linear ramp."""
    # red: 4 discrete entries, then linear from 7710 up to 65535 over 252 entries
    red_segments = [0, 4, 0, 2570, 5140, 7710, 1, 252, 65535]
    flat = [0, 1, 32896, 1, 255, 32896]  # one entry 32896, then flat at 32896
    index = np.arange(256, dtype=np.uint8).reshape(16, 16)
    tags = {}
    for name, segments in (("Red", red_segments), ("Green", flat), ("Blue", flat)):
        tags[f"{name}PaletteColorLookupTableDescriptor"] = [256, 0, 16]
        tags[f"Segmented{name}PaletteColorLookupTableData"] = np.asarray(segments, "<u2").tobytes()
    ds = dcm.build(index, "PALETTE COLOR", **tags)
    image = load_image(dcm.save(ds, dcm.tmp / "seg.dcm"))
    ramp = 7710 + (65535 - 7710) * np.arange(1, 253) / 252
    red = np.concatenate([[0, 2570, 5140, 7710], ramp]) / 257.0  # 16-bit scaled to 8-bit
    np.testing.assert_allclose(image.pixels[..., 0], red[index], atol=1)
    assert image.pixels[0, 3, 0] == 30 and image.pixels[-1, -1, 0] == 255
    assert np.all(image.pixels[..., 1] == 128) and np.all(image.pixels[..., 2] == 128)


@pytest.mark.parametrize(
    ("dtype", "bits_stored", "low", "high"),
    [
        (np.uint8, 8, 0, 255),
        (np.int8, 8, -128, 127),
        (np.uint16, 12, 0, 4095),
        (np.int16, 12, -2048, 2047),
        (np.uint16, 16, 0, 65535),
        (np.int16, 16, -32768, 32767),
    ],
)
def test_bit_depths(dcm, dtype, bits_stored: int, low: int, high: int) -> None:  # noqa: ANN001
    pixels = np.linspace(low, high, 20 * 13).round().astype(dtype).reshape(20, 13)
    ds = dcm.build(pixels, BitsStored=bits_stored)
    if dtype == np.int8:
        ds.BitsAllocated, ds.PixelRepresentation = 8, 1
    image = load_image(dcm.save(ds, dcm.tmp / "bits.dcm"))
    np.testing.assert_array_equal(image.pixels.astype(np.int64), pixels.astype(np.int64))


def test_monochrome1_12_bit_with_rescale_inverts_over_the_full_range(dcm) -> None:  # noqa: ANN001
    raw = np.array([[0, 1000], [3000, 4095]], dtype=np.uint16)
    ds = dcm.build(
        raw,
        "MONOCHROME1",
        BitsStored=12,
        RescaleSlope=2,
        RescaleIntercept=-100,
        WindowCenter=[1000, 3000],
        WindowWidth=[500, 2000],
        WindowCenterWidthExplanation=["SOFT", "BONE"],
    )
    image = load_image(dcm.save(ds, dcm.tmp / "m1.dcm"))
    values = raw.astype(int) * 2 - 100
    low, high = -100, 4095 * 2 - 100  # the range the modality LUT can output
    np.testing.assert_array_equal(image.pixels, low + high - values)
    # presets mirrored so the displayed picture is the one the modality meant
    assert image.window_presets == (
        WindowPreset("SOFT", low + high - 1000, 500.0),
        WindowPreset("BONE", low + high - 3000, 2000.0),
    )
    original = apply_window(values, 3000, 2000)
    shown = display_uint8(image, image.window_presets[1]).astype(int)
    assert np.abs(shown - (255 - original.astype(int))).max() <= 1


def test_monochrome1_stays_consistent_across_frames(dcm) -> None:  # noqa: ANN001
    """Inversion uses the header range, not each frame's min/max."""
    frames = np.array([[[10, 20]], [[10, 200]]], dtype=np.uint8)
    ds = dcm.build(frames, "MONOCHROME1")
    from engine.io import read_dicom_frames

    source = read_dicom_frames(dcm.save(ds, dcm.tmp / "m1c.dcm"))
    assert source.frame(0).pixels[0, 0] == source.frame(1).pixels[0, 0] == 245


def test_modality_lut_sequence(dcm) -> None:  # noqa: ANN001
    raw = np.array([[0, 1, 2], [3, 4, 9]], dtype=np.uint16)
    item = Dataset()
    item.LUTDescriptor = [4, 1, 16]  # 4 entries for stored values 1..4
    item.add_new(0x00283006, "US", [100, 200, 400, 800])  # LUTData
    item.ModalityLUTType = "US"
    ds = dcm.build(raw, ModalityLUTSequence=Sequence([item]))
    image = load_image(dcm.save(ds, dcm.tmp / "mlut.dcm"))
    # below the first mapped value -> first entry; above the last -> last entry
    np.testing.assert_array_equal(image.pixels, [[100, 100, 200], [400, 800, 800]])


def test_voi_lut_sequence_and_window_functions(dcm) -> None:  # noqa: ANN001
    raw = np.arange(0, 40, dtype=np.uint16).reshape(4, 10)
    item = Dataset()
    item.LUTDescriptor = [20, 10, 8]  # values 10..29 -> table
    item.add_new(0x00283006, "US", list(range(0, 200, 10)))  # LUTData
    item.LUTExplanation = "RAMP"
    ds = dcm.build(raw, VOILUTSequence=Sequence([item]), BitsStored=12)
    image = load_image(dcm.save(ds, dcm.tmp / "voi.dcm"))
    (lut,) = image.voi_luts
    assert lut.name == "RAMP" and lut.first_mapped == 10 and lut.output_bits == 8
    shown = apply_voi_lut(image.pixels, lut).astype(int)
    table = np.arange(0, 200, 10)
    expected = table[np.clip(raw.astype(int) - 10, 0, 19)] * 255 / 255
    np.testing.assert_array_equal(shown, expected)
    assert display_uint8(image)[0, 0] == 0  # the LUT is the default without a window

    # PS3.3 LINEAR, c=50 w=21: 0 up to c-0.5-(w-1)/2 = 39.5, 255 above 59.5, half at c-0.5
    linear = apply_window(np.array([0.0, 39.5, 49.5, 59.6, 100.0]), 50, 21)
    assert list(linear) == [0, 0, 128, 255, 255]
    values = np.array([0.0, 39.5, 40.0, 50.0, 60.5, 100.0])
    exact = apply_window(values, 50, 20, "LINEAR_EXACT")
    assert list(exact[[2, 3]]) == [0, 128]
    sigmoid = apply_window(values, 50, 20, "SIGMOID")
    assert sigmoid[3] == 128 and sigmoid[0] < 5 and sigmoid[-1] > 250
