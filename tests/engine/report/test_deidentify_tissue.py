"""De-identified pixels without region tags: only the tissue area leaves.

The GE split screen of pydicom-data burns "BAPTIST MED CTR" and patient codes into its top
left corner and has no ultrasound region tags; synthetic screens put text at known places."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from scipy import ndimage

from engine.io import load_image
from engine.report import ExportRequest, export_case
from engine.report.errors import ExportError
from engine.synth.dicom_out import write_ultrasound_dicom
from engine.synth.scanner_layouts import render_layout


def _key_pixels_at(key: np.ndarray, source_mask: np.ndarray) -> np.ndarray:
    """Key image values over source pixels (the key is the source enlarged)."""
    rows, cols = np.nonzero(source_mask)
    scale = key.shape[1] / source_mask.shape[1]
    return key[((rows + 0.5) * scale).astype(int), ((cols + 0.5) * scale).astype(int)]


def _far_from(mask: np.ndarray, px: int = 4) -> np.ndarray:
    return ~ndimage.binary_dilation(mask, iterations=px)


def test_ge_key_image_shows_no_institution_or_codes(kit, tmp_path: Path) -> None:  # noqa: ANN001
    from pydicom.data import get_testdata_file

    path = get_testdata_file("US1_UNCR.dcm")
    assert path is not None, "pydicom-data is missing: install the test extra"
    image = load_image(path)
    mask = np.zeros(image.pixels.shape[:2], np.uint8)
    mask[180:230, 120:200] = 1
    request = ExportRequest(key_image=tmp_path / "k.png", pdf=tmp_path / "r.pdf")
    result = export_case(kit.analysis_of(image, mask), kit.model, request)
    key = np.asarray(PILImage.open(tmp_path / "k.png").convert("RGB"))
    gray = image.pixels.astype(int).mean(axis=-1)
    corner = np.zeros(gray.shape, bool)
    corner[20:105, 10:180] = True  # "BAPTIST MED CTR", 630P630, 78F78, 44CG43, IM#2
    text = corner & (gray > 120)
    assert text.sum() > 1000  # the identifiers are there in the source ...
    assert _key_pixels_at(key, corner).max() == 0  # ... and nowhere in the key image
    lymph = np.zeros(gray.shape, bool)
    lymph[350:385, 230:380] = True
    assert _key_pixels_at(key, lymph).max() == 0
    assert any("Clean Pixel Data" in note for note in result.notes)
    tissue = np.zeros(gray.shape, bool)
    tissue[150:300, 40:300] = True
    assert _key_pixels_at(key, tissue).mean() > 20  # the B-mode is still there


def _untagged_us(path: Path, pixels: np.ndarray) -> Path:
    write_ultrasound_dicom(path, pixels, 0.1, (0, 0, *pixels.shape[:2]))
    ds = pydicom.dcmread(path)
    del ds.SequenceOfUltrasoundRegions
    ds.save_as(path)
    return path


@pytest.mark.parametrize("kind", ["split", "sector", "rectangle"])
def test_synthetic_screen_text_is_blanked(kind: str, kit, tmp_path: Path) -> None:  # noqa: ANN001
    layout = render_layout(kind, 6)
    image = load_image(_untagged_us(tmp_path / "s.dcm", layout.pixels))
    assert image.regions == () and image.metadata.get("Modality") == "US"
    mask = np.zeros(layout.pixels.shape[:2], np.uint8)
    export_case(
        kit.analysis_of(image, mask), kit.model, ExportRequest(key_image=tmp_path / "k.png")
    )
    key = np.asarray(PILImage.open(tmp_path / "k.png").convert("L"))
    union = np.logical_or.reduce(layout.panels)
    outside_text = layout.text & _far_from(union)
    assert outside_text.sum() > 500
    assert _key_pixels_at(key, outside_text).max() == 0


def test_png_secondary_capture_is_cleaned_and_says_so(kit, tmp_path: Path) -> None:  # noqa: ANN001
    layout = render_layout("dual", 3)
    PILImage.fromarray(layout.pixels).save(tmp_path / "screen.png")
    image = load_image(tmp_path / "screen.png")
    mask = np.zeros(layout.pixels.shape, np.uint8)
    mask[300:340, 150:200] = 1
    out = tmp_path / "o"
    request = ExportRequest(seg=out / "s.dcm", secondary_capture=out / "sc.dcm")
    export_case(kit.analysis_of(image, mask), kit.model, request)
    sc = pydicom.dcmread(out / "sc.dcm")
    assert sc.BurnedInAnnotation == "NO"
    codes = {item.CodeValue for item in sc.DeidentificationMethodCodeSequence}
    assert codes == {"113100", "113101"}  # basic profile + clean pixel data
    pixels = sc.pixel_array
    assert pixels[layout.text & _far_from(np.logical_or.reduce(layout.panels), 1)].max() == 0
    assert pixels[layout.tissue].mean() > 30
    kept = ExportRequest(seg=out / "k.dcm", secondary_capture=out / "ksc.dcm", deidentify=False)
    export_case(kit.analysis_of(image, mask), kit.model, kept)
    raw = pydicom.dcmread(out / "ksc.dcm")
    assert raw.BurnedInAnnotation == "YES" and np.array_equal(raw.pixel_array, layout.pixels)


def test_no_tissue_area_refuses_rather_than_claiming_clean(kit, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from engine.cli import main

    blank = np.full((240, 320), 30, np.uint8)
    blank[10:20, 10:200] = 255  # a line of "text" on a screen with no B-mode at all
    path = _untagged_us(tmp_path / "blank.dcm", blank)
    image = load_image(path)
    request = ExportRequest(key_image=tmp_path / "k.png", pdf=tmp_path / "r.pdf")
    with pytest.raises(ExportError, match="no tissue area could be found"):
        export_case(kit.analysis_of(image, np.zeros(blank.shape, np.uint8)), kit.model, request)
    assert not (tmp_path / "k.png").exists() and not (tmp_path / "r.pdf").exists()
    out = tmp_path / "o"
    assert main(["export", str(path), "--out", str(out), "--key-image", "k.png"]) == 1
    assert "burned-in" in capsys.readouterr().err


def test_pdf_image_is_the_cleaned_one(kit, tmp_path: Path) -> None:  # noqa: ANN001
    import pypdfium2

    layout = render_layout("rectangle", 9)
    image = load_image(_untagged_us(tmp_path / "s.dcm", layout.pixels))
    mask = np.zeros(layout.pixels.shape, np.uint8)
    export_case(kit.analysis_of(image, mask), kit.model, ExportRequest(pdf=tmp_path / "r.pdf"))
    pdf = pypdfium2.PdfDocument(str(tmp_path / "r.pdf"))
    shown = []
    for obj in pdf[0].get_objects():
        if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE:
            shown.append(np.asarray(obj.get_bitmap(render=False).to_pil().convert("L")))
    assert shown, "the PDF has no image"
    key = max(shown, key=lambda a: a.size)
    outside_text = layout.text & _far_from(np.logical_or.reduce(layout.panels))
    assert _key_pixels_at(key, outside_text).max() == 0
    assert io.BytesIO((tmp_path / "r.pdf").read_bytes()).read(5) == b"%PDF-"
