"""Real scanner screens from pydicom-data: GE split screen, Philips obstetric, Aloka dual
pelvis, an echocardiogram with colour flow. Coordinates are (row, col) in the files."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.io import load_image
from engine.tissue import find_tissue_area
from engine.types import Image


def _marks(image: Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """Bright or coloured pixels in a box: text, icons, calipers drawn there."""
    rgb = image.pixels.astype(int)
    gray, chroma = rgb.mean(axis=-1), rgb.max(axis=-1) - rgb.min(axis=-1)
    inside = np.zeros(gray.shape, dtype=bool)
    inside[box[0] : box[1], box[2] : box[3]] = True
    return inside & ((gray > 120) | (chroma > 30))


@pytest.fixture
def ge_split(tissue_kit) -> Image:  # noqa: ANN001
    return load_image(tissue_kit.vendor_file("US1_UNCR.dcm"))


def test_ge_split_screen_has_two_panels_and_the_text_is_not_tissue(ge_split: Image) -> None:
    assert ge_split.regions == ()  # nothing but the pixels to go on
    area = find_tissue_area(ge_split)
    assert len(area.panels) == 2, area.reason
    left, right = sorted(area.panels, key=lambda p: p.box[1])
    # Both halves of the B-mode (rows 108-336), divided at column 317.
    assert left.box[0] <= 110 and left.box[2] >= 335 and right.box[0] <= 110
    assert left.box[3] <= 318 <= right.box[1] and not (left.mask & right.mask).any()
    assert left.box[1] <= 16 and right.box[3] >= 620
    lymph_node = _marks(ge_split, (350, 385, 230, 380))  # "LYMPH NODE" under the image
    identifiers = _marks(ge_split, (20, 105, 10, 180))  # "BAPTIST MED CTR", codes
    assert lymph_node.sum() > 300 and identifiers.sum() > 1000
    assert not (area.mask & (lymph_node | identifiers)).any()
    # Power Doppler and the two ROI boxes inside the panels are overlay, not tissue.
    rgb = ge_split.pixels.astype(int)
    colour = (rgb.max(axis=-1) - rgb.min(axis=-1)) > 30
    assert area.overlay[colour & area.panel_union].all()


def test_philips_probe_icon_body_marker_and_calipers_are_not_tissue(tissue_kit) -> None:  # noqa: ANN001
    image = load_image(tissue_kit.vendor_file("OBXXXX1A.dcm"))
    area = find_tissue_area(image)
    (panel,) = area.panels
    assert panel.source == "region tags" and panel.box == (60, 120, 519, 800)
    for name, box in (
        ("probe icon", (55, 90, 300, 340)),
        ("body marker", (460, 525, 130, 200)),
        ("caliper label", (80, 110, 120, 310)),
        ("caliper marks", (280, 310, 450, 510)),
    ):
        marks = _marks(image, box)
        assert marks.sum() > 50, name
        assert not (area.mask & marks).any(), f"{name} counted as tissue"
    assert area.mask[90:140, 380:560].mean() > 0.95  # the fan's near field is tissue
    # The rest of the tags' box is the black around and below the fan: not tissue either.
    assert not area.mask[300:500, 150:700].any()


def test_echo_colour_jet_is_overlay(tissue_kit) -> None:  # noqa: ANN001
    image = load_image(tissue_kit.vendor_file("color-pl.dcm"))
    area = find_tissue_area(image)
    assert area.found and area.panels[0].shape == "sector"
    rgb = image.pixels.astype(int)
    jet = ((rgb.max(axis=-1) - rgb.min(axis=-1)) > 30) & area.panel_union
    assert jet.sum() > 2000
    assert area.colour[jet].all() and not (area.mask & jet).any()


def test_aloka_dual_pelvis_tissue_from_region_tags(tissue_kit) -> None:  # noqa: ANN001
    image = load_image(tissue_kit.vendor_file("gdcm-US-ALOKA-16.dcm"))
    area = find_tissue_area(image)
    assert [p.box for p in area.panels] == [(24, 32, 416, 336), (24, 336, 416, 640)]
    assert not area.mask[40:104, 32:64].any()  # the grey bar region the tags name
    left, right = area.panels
    assert left.shape == right.shape == "sector"  # the fans inside the tags' rectangles
    assert left.mask[120:180, 100:250].all()  # the anechoic bladder is tissue, not margin
    # Without the tags the pixels still give tissue in both halves, never the banner rows.
    untagged = find_tissue_area(dataclasses.replace(image, regions=()))
    assert untagged.found and len(untagged.panels) == 2
    assert all(p.box[0] >= 20 and p.box[2] <= 420 for p in untagged.panels)
